//! The Facebook Login dialog (row A): `GET /{v}/dialog/oauth` shows the
//! consent page, `POST /{v}/dialog/oauth/confirm` records the choice and
//! redirects back to the app.
//!
//! # The confirm form
//! `POST /{v}/dialog/oauth/confirm`, `application/x-www-form-urlencoded`:
//!
//! | field | meaning |
//! |---|---|
//! | `client_id`, `redirect_uri`, `state`, `scope`, `response_type`, `config_id`, `auth_type` | copied from the dialog request (validated again) |
//! | `user_id` | the sim user who answers |
//! | `action` | `continue`, `cancel` (the consent step's Cancel: setting `dialog_cancel_kind`) or `cancel_login` (cancelled on the login step: always 4201) |
//! | `page` (repeated) | ids of the ticked pages |
//! | `permission` (repeated) | names of the ticked permissions |
//! | `defaults` | `1`: a kind (`page` or `permission`) with no field at all takes the dialog's initial ticks (all pages; every requested permission except the user's unticked-by-default ones). Without it, a missing kind means nothing ticked. |
//!
//! Continue answers `302 {redirect_uri}?code=…&state=…#_=_`; cancel answers
//! `302 {redirect_uri}?error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=…#_=_`
//! (or, with `dialog_cancel_kind: "login_canceled"`, like `cancel_login`:
//! `302 {redirect_uri}?error_code=4201&error_message=User+canceled+the+Dialog+flow&state=…#_=_`, no `error`).
//! Invalid requests render an HTML error page (HTTP 400) and never redirect.
//!
//! # App types and `auth_type` (§1, §2)
//! - A Business app (Facebook Login for Business) needs `config_id`: without it the page says
//!   "It looks like this app isn't available" (no redirect); an unknown one too. `scope` is
//!   ignored; the configuration's permissions are granted together (no per-permission boxes;
//!   `permission` fields are ignored); the person still picks Pages.
//! - Classic apps: `scope`. Permissions the person declined in an earlier run are not offered
//!   again and stay declined unless `auth_type=rerequest` (setting `remember_declines`).
//! - Every accepted run is the person's activity: data access runs 90 days from it
//!   (`data_access_secs`). Once it has lapsed, only `auth_type=reauthorize` restores it
//!   (setting `reauthorize_required_after_lapse`).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Duration;

use super::html::{self, escape};
use super::ids;
use super::params::Params;
use super::permissions::{self, ALWAYS_GRANTED};
use super::state::{AppRecord, AppType, AuthCode, CancelKind, Grant, State, User};

/// Query parameter that picks another sim user on the dialog page.
pub(crate) const SWITCH_USER_PARAM: &str = "sim_user";

/// A validated dialog request.
struct DialogRequest<'a> {
    app: &'a AppRecord,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    response_type: String,
    /// Business apps: the login configuration (all its permissions or none).
    config_id: Option<String>,
    auth_type: Option<String>,
}

impl DialogRequest<'_> {
    fn is_business(&self) -> bool {
        self.config_id.is_some()
    }

    fn rerequest(&self) -> bool {
        self.auth_type.as_deref() == Some("rerequest")
    }

    fn reauthorize(&self) -> bool {
        self.auth_type.as_deref() == Some("reauthorize")
    }
}

pub(crate) fn show(state: &State, prefix: &str, params: &Params) -> Response {
    let request = match validate(state, params) {
        Ok(request) => request,
        Err(page) => return *page,
    };
    let user =
        match params
            .non_empty(SWITCH_USER_PARAM)
            .and_then(|id| state.users.get(id))
            .or_else(|| state.signed_in_user())
        {
            Some(user) => user,
            None => return html::error_page(
                "No one is signed in",
                "The Graph simulator has no users. Create one with POST /_sim/users or a scenario.",
            ),
        };
    let body = consent_body(state, prefix, params, &request, user);
    html::respond(StatusCode::OK, html::page("Log in with Facebook", &body))
}

pub(crate) fn confirm(state: &mut State, params: &Params) -> Response {
    let request = match validate(state, params) {
        Ok(r) => Validated {
            app_id: r.app.app_id.clone(),
            business: r.is_business(),
            rerequest: r.rerequest(),
            reauthorize: r.reauthorize(),
            redirect_uri: r.redirect_uri,
            state: r.state,
            scopes: r.scopes,
            response_type: r.response_type,
        },
        Err(page) => return *page,
    };
    let Validated {
        app_id,
        redirect_uri,
        state: oauth_state,
        response_type,
        ..
    } = request.clone();
    let Some(user) = params
        .non_empty("user_id")
        .and_then(|id| state.users.get(id))
        .cloned()
    else {
        return html::error_page(
            "Something went wrong",
            "The user_id field does not name a simulator user.",
        );
    };
    match params.get("action") {
        Some("cancel") if state.settings.dialog_cancel_kind == CancelKind::AccessDenied => {
            redirect(&cancel_location(&redirect_uri, oauth_state.as_deref()))
        }
        Some("cancel" | "cancel_login") => redirect(&login_canceled_location(
            &redirect_uri,
            oauth_state.as_deref(),
        )),
        Some("continue") => {
            let grant = choose_grant(state, params, &user, &request);
            let location = continue_location(
                state,
                &app_id,
                &user.id,
                &redirect_uri,
                oauth_state.as_deref(),
                &response_type,
                grant,
            );
            redirect(&location)
        }
        _ => html::error_page(
            "Something went wrong",
            "The action field must be continue, cancel or cancel_login.",
        ),
    }
}

/// Checks client_id, redirect_uri (Strict Mode: exact match), scope and response_type.
fn validate<'a>(state: &'a State, params: &Params) -> Result<DialogRequest<'a>, Box<Response>> {
    let app = params
        .non_empty("client_id")
        .and_then(|id| state.apps.get(id))
        .ok_or_else(|| {
            Box::new(html::error_page(
                "Invalid App ID",
                "Invalid App ID: The provided app ID does not look like a valid app ID.",
            ))
        })?;
    let redirect_uri = params.get("redirect_uri").unwrap_or("");
    if !app.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return Err(Box::new(html::error_page(
            "URL Blocked",
            "URL Blocked: This redirect failed because the redirect URI is not whitelisted in the app's Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your app domains as Valid OAuth Redirect URIs.",
        )));
    }
    let config_id = params.non_empty("config_id").map(str::to_string);
    if app.app_type == AppType::Business {
        // Facebook Login for Business: `config_id` replaces `scope` (§1, §2).
        let Some(config) = config_id.as_ref().and_then(|id| app.login_configs.get(id)) else {
            return Err(Box::new(html::error_page(
                "It looks like this app isn't available",
                "It looks like this app isn't available. This app needs at least one supported permission. If you're the app developer, make sure the app uses a valid login configuration (config_id).",
            )));
        };
        return Ok(DialogRequest {
            app,
            redirect_uri: redirect_uri.to_string(),
            state: params.get("state").map(str::to_string),
            scopes: config.clone(),
            response_type: params
                .non_empty("response_type")
                .unwrap_or("code")
                .to_string(),
            config_id,
            auth_type: params.non_empty("auth_type").map(str::to_string),
        });
    }
    let scopes = permissions::split_scope(params.get("scope").unwrap_or(""));
    let invalid: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !permissions::is_known(s))
        .collect();
    if !invalid.is_empty() {
        return Err(Box::new(html::error_page(
            "Invalid Scopes",
            &format!(
                "Invalid Scopes: {}. This message is only shown to developers. Users of your app will ignore these permissions if present. Please read the documentation for valid permissions at: https://developers.facebook.com/docs/facebook-login/permissions",
                invalid.join(", ")
            ),
        )));
    }
    let response_type = params
        .non_empty("response_type")
        .unwrap_or("code")
        .to_string();
    let supported = response_type
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .all(|t| t == "code" || t == "granted_scopes");
    if !supported {
        return Err(Box::new(html::error_page(
            "Unsupported response_type",
            "The Graph simulator supports only response_type=code (optionally with granted_scopes).",
        )));
    }
    Ok(DialogRequest {
        app,
        redirect_uri: redirect_uri.to_string(),
        state: params.get("state").map(str::to_string),
        scopes,
        response_type,
        config_id: None,
        auth_type: params.non_empty("auth_type").map(str::to_string),
    })
}

/// The parts of a validated request `confirm` keeps after releasing the app borrow.
#[derive(Clone)]
struct Validated {
    app_id: String,
    business: bool,
    rerequest: bool,
    reauthorize: bool,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    response_type: String,
}

/// Permissions the person declined in an earlier run, which this run does not offer again
/// (setting `remember_declines`; `auth_type=rerequest` offers them).
fn remembered_declines(state: &State, app_id: &str, user_id: &str, rerequest: bool) -> Vec<String> {
    if rerequest || !state.settings.remember_declines {
        return Vec::new();
    }
    state
        .grant(app_id, user_id)
        .map(|g| g.declined.clone())
        .unwrap_or_default()
}

/// Requested permissions the dialog lists as checkboxes (public_profile is implicit).
fn offered(scopes: &[String]) -> impl Iterator<Item = &String> {
    scopes.iter().filter(|s| s.as_str() != ALWAYS_GRANTED)
}

fn consent_body(
    state: &State,
    prefix: &str,
    params: &Params,
    request: &DialogRequest<'_>,
    user: &User,
) -> String {
    let mut hidden = String::new();
    let mut add_hidden = |name: &str, value: &str| {
        hidden.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        ));
    };
    add_hidden("client_id", &request.app.app_id);
    add_hidden("redirect_uri", &request.redirect_uri);
    if let Some(s) = &request.state {
        add_hidden("state", s);
    }
    add_hidden("scope", &request.scopes.join(","));
    add_hidden("response_type", &request.response_type);
    if let Some(config_id) = &request.config_id {
        add_hidden("config_id", config_id);
    }
    if let Some(auth_type) = &request.auth_type {
        add_hidden("auth_type", auth_type);
    }
    add_hidden("user_id", &user.id);

    let app_name = escape(&request.app.name);
    format!(
        "<h1>Continue as {name}</h1>\
<p><strong>{app_name}</strong> is requesting access to your Facebook Pages and Instagram accounts.</p>\
<form method=\"post\" action=\"{prefix}/dialog/oauth/confirm\">{hidden}\
<fieldset><legend>Choose the Pages you want {app_name} to access</legend>{pages}</fieldset>\
<fieldset><legend>Permissions {app_name} asks for</legend>{perms}</fieldset>\
<p class=\"note\">Your public profile (public_profile) is always shared.</p>\
<div class=\"actions\" style=\"flex-direction:row-reverse;justify-content:flex-start\">\
<button type=\"submit\" name=\"action\" value=\"continue\" class=\"primary\">Continue</button>\
<button type=\"submit\" name=\"action\" value=\"cancel\" class=\"secondary\">Cancel</button>\
<button type=\"submit\" name=\"action\" value=\"cancel_login\" class=\"secondary\">Cancel login</button>\
</div></form>{switch}",
        name = escape(&user.name),
        pages = page_choices(state, user),
        perms = permission_choices(state, request, user),
        switch = switch_links(state, prefix, params, user),
    )
}

fn page_choices(state: &State, user: &User) -> String {
    let pages: Vec<String> = user
        .page_ids
        .iter()
        .filter_map(|id| state.pages.get(id))
        .map(|page| {
            let business_note = page
                .business
                .as_ref()
                .and_then(|(id, _)| state.businesses.get(id))
                .map(|b| {
                    format!(
                        " <span class=\"note\">(business portfolio: {})</span>",
                        escape(&b.name)
                    )
                })
                .unwrap_or_default();
            format!(
                "<div class=\"choice\"><input type=\"checkbox\" id=\"page-{id}\" name=\"page\" value=\"{id}\" checked>\
<label for=\"page-{id}\">{name}</label>{business_note}</div>",
                id = escape(&page.id),
                name = escape(&page.name),
            )
        })
        .collect();
    if pages.is_empty() {
        "<p class=\"note\">You don't manage any Facebook Pages.</p>".to_string()
    } else {
        pages.concat()
    }
}

fn permission_choices(state: &State, request: &DialogRequest<'_>, user: &User) -> String {
    if request.is_business() {
        // A login configuration is granted as a whole: no boxes.
        let items: Vec<String> = offered(&request.scopes)
            .map(|p| format!("<li>{}</li>", escape(p)))
            .collect();
        return format!(
            "<p class=\"note\">This login configuration grants all of these together:</p><ul class=\"config-permissions\">{}</ul>",
            items.concat()
        );
    }
    let remembered = remembered_declines(state, &request.app.app_id, &user.id, request.rerequest());
    let boxes: Vec<String> = offered(&request.scopes)
        .filter(|perm| !remembered.contains(perm))
        .map(|perm| {
            let checked = if user.default_unticked.contains(perm) {
                ""
            } else {
                " checked"
            };
            format!(
                "<div class=\"choice\"><input type=\"checkbox\" id=\"perm-{p}\" name=\"permission\" value=\"{p}\"{checked}>\
<label for=\"perm-{p}\">{p}</label></div>",
                p = escape(perm)
            )
        })
        .collect();
    let declined_note: Vec<&String> = offered(&request.scopes)
        .filter(|perm| remembered.contains(perm))
        .collect();
    let note = if declined_note.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = declined_note.iter().map(|p| escape(p)).collect();
        format!(
            "<p class=\"note declined\">You declined earlier: {}</p>",
            names.join(", ")
        )
    };
    if boxes.is_empty() {
        format!("<p class=\"note\">No permissions beyond your public profile.</p>{note}")
    } else {
        format!("{}{note}", boxes.concat())
    }
}

/// "Not you?" links that reload the dialog as another sim user.
fn switch_links(state: &State, prefix: &str, params: &Params, user: &User) -> String {
    let others: Vec<String> = state
        .users
        .values()
        .filter(|u| u.id != user.id)
        .map(|other| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in params.without(&[SWITCH_USER_PARAM]) {
                query.append_pair(&k, &v);
            }
            query.append_pair(SWITCH_USER_PARAM, &other.id);
            format!(
                "<li><a href=\"{prefix}/dialog/oauth?{}\">Log in as {}</a></li>",
                escape(&query.finish()),
                escape(&other.name)
            )
        })
        .collect();
    if others.is_empty() {
        return String::new();
    }
    format!(
        "<section aria-labelledby=\"switch-user\"><h2 id=\"switch-user\">Not {}?</h2><ul class=\"switch\">{}</ul></section>",
        escape(&user.name),
        others.concat()
    )
}

/// The grant from the ticked boxes (see the module doc for `defaults`, and for app types,
/// remembered declines and data access).
fn choose_grant(state: &State, params: &Params, user: &User, request: &Validated) -> Grant {
    let scopes = &request.scopes;
    let previous = state.grant(&request.app_id, &user.id);
    let now = state.now();
    let fresh_access = now + Duration::seconds(state.settings.data_access_secs);
    let data_access_expires_at = match previous {
        Some(prev)
            if prev.data_access_expires_at <= now
                && state.settings.reauthorize_required_after_lapse
                && !request.reauthorize =>
        {
            prev.data_access_expires_at
        }
        _ => fresh_access,
    };
    let use_defaults = params.get("defaults") == Some("1");
    let pages: Vec<String> = if use_defaults && !params.has("page") {
        user.page_ids.clone()
    } else {
        let ticked = params.all("page");
        user.page_ids
            .iter()
            .filter(|id| ticked.contains(&id.as_str()))
            .cloned()
            .collect()
    };
    let remembered = if request.business {
        Vec::new()
    } else {
        remembered_declines(state, &request.app_id, &user.id, request.rerequest)
    };
    let ticked_perms: Vec<String> = if request.business {
        offered(scopes).cloned().collect()
    } else if use_defaults && !params.has("permission") {
        offered(scopes)
            .filter(|p| !user.default_unticked.contains(p))
            .cloned()
            .collect()
    } else {
        let ticked = params.all("permission");
        offered(scopes)
            .filter(|p| ticked.contains(&p.as_str()))
            .cloned()
            .collect()
    };
    let ticked_perms: Vec<String> = ticked_perms
        .into_iter()
        .filter(|p| !remembered.contains(p))
        .collect();
    let mut granted = vec![ALWAYS_GRANTED.to_string()];
    granted.extend(ticked_perms.iter().cloned());
    let mut declined: Vec<String> = offered(scopes)
        .filter(|p| !ticked_perms.contains(p))
        .cloned()
        .collect();
    for p in remembered {
        if !declined.contains(&p) && !granted.contains(&p) {
            declined.push(p);
        }
    }
    Grant {
        granted,
        declined,
        pages,
        data_access_expires_at,
    }
}

/// Stores the grant and a fresh code; returns the redirect target.
fn continue_location(
    state: &mut State,
    app_id: &str,
    user_id: &str,
    redirect_uri: &str,
    oauth_state: Option<&str>,
    response_type: &str,
    grant: Grant,
) -> String {
    let code = ids::auth_code();
    let now = state.now();
    let mut pairs = vec![("code".to_string(), code.clone())];
    if response_type.contains("granted_scopes") {
        pairs.push(("granted_scopes".into(), grant.granted.join(",")));
        pairs.push(("denied_scopes".into(), grant.declined.join(",")));
    }
    if let Some(s) = oauth_state {
        pairs.push(("state".into(), s.to_string()));
    }
    state
        .grants
        .insert((app_id.to_string(), user_id.to_string()), grant);
    state.codes.insert(
        code,
        AuthCode {
            app_id: app_id.to_string(),
            user_id: user_id.to_string(),
            ig_user_id: None,
            ig_scopes: Vec::new(),
            redirect_uri: redirect_uri.to_string(),
            created_at: now,
            used: false,
        },
    );
    with_query(redirect_uri, &pairs)
}

fn cancel_location(redirect_uri: &str, oauth_state: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = [
        ("error", "access_denied"),
        ("error_code", "200"),
        ("error_description", "Permissions error"),
        ("error_reason", "user_denied"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(s) = oauth_state {
        pairs.push(("state".into(), s.to_string()));
    }
    with_query(redirect_uri, &pairs)
}

/// Cancelled on the login step (§2): `error_code=4201` and `error_message`, no `error`.
fn login_canceled_location(redirect_uri: &str, oauth_state: Option<&str>) -> String {
    let mut pairs = vec![
        ("error_code".to_string(), "4201".to_string()),
        (
            "error_message".to_string(),
            "User canceled the Dialog flow".to_string(),
        ),
    ];
    if let Some(s) = oauth_state {
        pairs.push(("state".into(), s.to_string()));
    }
    with_query(redirect_uri, &pairs)
}

/// Appends `pairs` to the URI's query (with `?` or `&`) and Facebook's `#_=_` fragment.
pub(crate) fn with_query(uri: &str, pairs: &[(String, String)]) -> String {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        encoded.append_pair(k, v);
    }
    let encoded = encoded.finish();
    let base = uri.split('#').next().unwrap_or(uri);
    let separator = if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{base}{separator}{encoded}#_=_")
}

fn redirect(location: &str) -> Response {
    let mut response = html::respond(StatusCode::FOUND, String::new());
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_appended_with_the_right_separator() {
        let pairs = vec![("code".to_string(), "a b".to_string())];
        assert_eq!(
            with_query("https://app.test/cb", &pairs),
            "https://app.test/cb?code=a+b#_=_"
        );
        assert_eq!(
            with_query("https://app.test/cb?x=1", &pairs),
            "https://app.test/cb?x=1&code=a+b#_=_"
        );
    }
}
