//! The accounts page: connect Instagram accounts (popup, or full-page redirect when popups are
//! blocked or JavaScript is off), see them, reconnect and disconnect them.

use leptos::{form::ActionForm, prelude::*};
use leptos_router::hooks::use_query_map;

use super::{
    components::{LocalTime, OutcomeBanner},
    error_text,
    layout::SignInPrompt,
    when_signed_in, SessionResource,
};
use crate::dto::{AccountView, ConnectOutcomeView};

#[server(prefix = "/app/fn", endpoint = "list_accounts")]
pub async fn list_accounts() -> Result<Vec<AccountView>, ServerFnError> {
    use super::server;
    let tenant = server::tenant().await?;
    server::services()?
        .accounts
        .list(&tenant)
        .await
        .map_err(server::domain_error)
}

#[server(prefix = "/app/fn", endpoint = "disconnect_account")]
pub async fn disconnect_account(id: String) -> Result<(), ServerFnError> {
    use super::server;
    let result = async {
        let tenant = server::tenant().await?;
        server::services()?
            .accounts
            .disconnect(&tenant, &id)
            .await
            .map_err(server::domain_error)
    };
    server::form_result(
        <DisconnectAccount as leptos::server_fn::ServerFn>::PATH,
        result.await,
    )
    .await
}

/// How the tenant's connect flow ended; `None` while it has not.
#[server(prefix = "/app/fn", endpoint = "connect_outcome")]
pub async fn connect_outcome(flow_id: String) -> Result<Option<ConnectOutcomeView>, ServerFnError> {
    use super::server;
    let tenant = server::tenant().await?;
    let outcome = server::services()?
        .connect
        .outcome(&tenant, &flow_id)
        .await
        .map_err(server::domain_error)?;
    Ok(outcome.map(|o| o.view()))
}

/// What the accounts page reads and does, made once per page ([`super::when_signed_in`]).
#[derive(Clone, Copy)]
struct AccountsState {
    disconnect: ServerAction<DisconnectAccount>,
    /// Bumped when a popup reports back or closes, so the list is read again from the server.
    refresh: RwSignal<u32>,
    accounts: Resource<Result<Vec<AccountView>, ServerFnError>>,
    /// After a full-page redirect, the callback sends the person back here with the flow id.
    redirect_outcome: Resource<Option<ConnectOutcomeView>>,
    popup_outcome: RwSignal<Option<ConnectOutcomeView>>,
    pending: RwSignal<bool>,
}

impl AccountsState {
    fn new(session: SessionResource) -> Self {
        let disconnect = ServerAction::<DisconnectAccount>::new();
        let refresh = RwSignal::new(0u32);
        let accounts = Resource::new(
            move || (refresh.get(), disconnect.version().get()),
            move |_| when_signed_in(session, list_accounts()),
        );
        let query = use_query_map();
        let redirect_outcome = Resource::new(
            move || query.with(|q| q.get("connect_flow")),
            move |flow| async move {
                let flow = flow?;
                when_signed_in(session, connect_outcome(flow))
                    .await
                    .ok()
                    .flatten()
            },
        );
        let state = Self {
            disconnect,
            refresh,
            accounts,
            redirect_outcome,
            popup_outcome: RwSignal::new(None),
            pending: RwSignal::new(false),
        };
        popup::listen(state.popup_outcome, state.pending, state.refresh);
        state
    }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    let state = AccountsState::new(session);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || session.get().map(|s| match s {
                Ok(info) if info.signed_in.is_some() => view! {
                    <Accounts state connect_unavailable=info.connect_unavailable.clone() instagram_login=info.instagram_login/>
                }.into_any(),
                Ok(info) => view! { <SignInPrompt demo=info.demo/> }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Accounts(
    state: AccountsState,
    connect_unavailable: Option<String>,
    instagram_login: bool,
) -> impl IntoView {
    let AccountsState {
        disconnect,
        accounts,
        redirect_outcome,
        popup_outcome,
        pending,
        ..
    } = state;
    view! {
        <section class="page-head">
            <div>
                <h1>"Instagram accounts"</h1>
                <p class="muted">"Connect the Instagram Business or Creator accounts you publish to."</p>
            </div>
            <div class="connect-ways">
                <ConnectForm unavailable=connect_unavailable.clone() pending=pending label="Connect Instagram Account" login="facebook"/>
                {instagram_login.then(|| view! {
                    <ConnectForm unavailable=None pending=pending label="Connect with Instagram" login="instagram"/>
                })}
            </div>
        </section>
        {instagram_login.then(|| view! {
            <p class="muted small" data-testid="connect-ways">
                "Connect Instagram Account goes through Facebook and the account's Facebook Page. "
                "No Facebook Page? Connect with Instagram signs in on Instagram directly; we renew that login for you."
            </p>
        })}
        {connect_unavailable.map(|reason| view! {
            <p class="alert warning" data-testid="connect-unavailable">{reason}</p>
        })}
        {move || pending.get().then(|| view! {
            <p class="alert info" role="status" data-testid="connect-pending">
                "Finish connecting in the window that opened. This page updates when you are done."
            </p>
        })}
        {move || popup_outcome.get().map(|o| view! { <OutcomeBanner outcome=o/> })}
        <Suspense fallback=|| ()>
            {move || redirect_outcome.get().flatten().map(|o| view! { <OutcomeBanner outcome=o/> })}
        </Suspense>
        {move || disconnect.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="alert error" role="alert">{error_text(&e)}</p>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading accounts…"</p> }>
            {move || accounts.get().map(|r| match r {
                Ok(list) if list.is_empty() => view! { <EmptyAccounts/> }.into_any(),
                Ok(list) => view! {
                    <ul class="accounts" data-testid="accounts">
                        {list.into_iter().map(|a| view! { <AccountCard account=a disconnect=disconnect pending=pending/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn EmptyAccounts() -> impl IntoView {
    view! {
        <section class="card empty" data-testid="accounts-empty">
            <h2>"No Instagram accounts connected yet"</h2>
            <p>"To connect one you need:"</p>
            <ul class="checklist">
                <li>"An Instagram " <strong>"Business or Creator"</strong> " account (not a personal one)."</li>
                <li>"That account linked to a " <strong>"Facebook Page"</strong> " you administer."</li>
                <li>"To keep every Page and permission ticked when Facebook asks."</li>
            </ul>
        </section>
    }
}

#[component]
fn AccountCard(
    account: AccountView,
    disconnect: ServerAction<DisconnectAccount>,
    pending: RwSignal<bool>,
) -> impl IntoView {
    let AccountView {
        id,
        instagram_username,
        instagram_name,
        profile_picture_url,
        facebook_page_name,
        login,
        needs_reconnect,
        status_reason,
        created_at,
        state,
        fix,
        publishable_until,
        has_page_token,
        ..
    } = account;
    // Data access (and, without a Page token, the 60-day login) ends unless the person logs in
    // again: the server says "expiring_soon" two weeks ahead, so publishing never stops by surprise.
    let expires_soon = publishable_until.filter(|_| !needs_reconnect && state == "expiring_soon");
    let via_instagram = login == "instagram";
    let token_kind = match (via_instagram, has_page_token) {
        (true, _) => "via Instagram Login · renewed automatically",
        (false, true) => "via Facebook Login · publishes with the Page's own token",
        (false, false) => "via Facebook Login · publishes with the Facebook login",
    };
    let expires_label = format!(
        "Its {} login expires ",
        if via_instagram {
            "Instagram"
        } else {
            "Facebook"
        }
    );
    // Shown beside the badge: a renewal that failed, while the login still works.
    let warning = status_reason.clone().filter(|_| !needs_reconnect);
    let initial = instagram_username
        .chars()
        .next()
        .unwrap_or('?')
        .to_ascii_uppercase()
        .to_string();
    let username = instagram_username.clone();
    view! {
        <li class="card account" data-testid="account" data-username=instagram_username.clone()>
            {match profile_picture_url {
                Some(url) => view! { <img class="avatar" src=url alt="" width="56" height="56" referrerpolicy="no-referrer"/> }.into_any(),
                None => view! { <span class="avatar placeholder" aria-hidden="true">{initial}</span> }.into_any(),
            }}
            <div class="account-main">
                <p class="account-name">
                    <strong>"@" {instagram_username.clone()}</strong>
                    {instagram_name.map(|n| view! { <span class="muted">" · " {n}</span> })}
                </p>
                <p class="muted small" data-testid="account-login" data-login=login.clone()>
                    {(!via_instagram).then(|| view! { "Page: " {facebook_page_name} " · " })}
                    "connected " <LocalTime at=created_at date_only=true/> " · " {token_kind}
                </p>
                {if needs_reconnect {
                    view! {
                        <p class="badge warn" data-testid="account-status">"Needs reconnect"</p>
                        {status_reason.map(|r| view! { <p class="small" data-testid="account-reason">{r}</p> })}
                    }.into_any()
                } else if expires_soon.is_some() {
                    view! { <p class="badge warn" data-testid="account-status">"Expiring soon"</p> }.into_any()
                } else {
                    view! { <p class="badge ok" data-testid="account-status">"Active"</p> }.into_any()
                }}
                {expires_soon.map(|at| view! {
                    <p class="small warn-text" data-testid="account-expiry">{expires_label} <LocalTime at=at date_only=true/> ". " {fix.clone()}</p>
                })}
                {warning.filter(|_| expires_soon.is_none()).map(|w| view! {
                    <p class="small warn-text" data-testid="account-warning">{w} " " {fix.clone()}</p>
                })}
            </div>
            <div class="account-actions">
                {(needs_reconnect || expires_soon.is_some()).then(|| view! {
                    <ConnectForm unavailable=None pending=pending label="Reconnect" login=if via_instagram { "instagram" } else { "facebook" }/>
                })}
                <details class="confirm">
                    <summary class="button ghost small">"Disconnect"</summary>
                    <div class="confirm-body">
                        <p>"Disconnect @" {username} "? Its saved login is erased; scheduled posts to it will fail. You can connect it again later."</p>
                        <ActionForm action=disconnect>
                            <input type="hidden" name="id" value=id/>
                            <button type="submit" class="button danger small">"Yes, disconnect"</button>
                        </ActionForm>
                    </div>
                </details>
            </div>
        </li>
    }
}

/// The form that starts a connection with `login` (`facebook` or `instagram`). Without JavaScript
/// it posts to the server and the whole page goes to Facebook (or Instagram) and back; hydrated,
/// it opens a popup and posts into it.
#[component]
fn ConnectForm(
    unavailable: Option<String>,
    pending: RwSignal<bool>,
    label: &'static str,
    login: &'static str,
) -> impl IntoView {
    let disabled = unavailable.is_some();
    let test_id = match (label, login) {
        ("Reconnect", _) => "reconnect",
        (_, "instagram") => "connect-instagram",
        _ => "connect",
    };
    let class = match (label, login) {
        ("Reconnect", _) | (_, "facebook") => "button primary",
        _ => "button secondary",
    };
    view! {
        <form method="post" action="/connect/instagram" class="connect-form" on:submit=move |ev| popup::open_on_submit(ev, pending)>
            <input type="hidden" name="mode" value="redirect"/>
            <input type="hidden" name="login" value=login/>
            <button type="submit" class=class disabled=disabled title=unavailable.unwrap_or_default()
                data-testid=test_id>
                {label}
            </button>
        </form>
    }
}

/// The popup and its messages (browser only).
mod popup {
    use leptos::prelude::*;

    use crate::dto::ConnectOutcomeView;

    #[cfg(feature = "hydrate")]
    use browser::*;

    #[cfg(feature = "hydrate")]
    mod browser {
        use leptos::prelude::*;
        use wasm_bindgen::JsCast;
        use web_sys::{HtmlFormElement, HtmlInputElement, MessageEvent, Window};

        use crate::{app::accounts::connect_outcome, dto::ConnectOutcomeView};

        pub const WINDOW_NAME: &str = "instagram_connect";
        /// Must equal `web::connect::MESSAGE_TYPE` on the server.
        pub const MESSAGE_TYPE: &str = "instagram-connect";

        thread_local! {
            pub static POPUP: std::cell::RefCell<Option<Window>> = const { std::cell::RefCell::new(None) };
        }

        pub fn submit_into_popup(form: &HtmlFormElement) -> bool {
            let popup = window()
                .open_with_url_and_target_and_features(
                    "about:blank",
                    WINDOW_NAME,
                    "popup,width=600,height=720",
                )
                .ok()
                .flatten();
            let Some(popup) = popup else {
                // Blocked: the normal submission takes the whole page to Facebook and back.
                return false;
            };
            if let Some(mode) = form
                .elements()
                .named_item("mode")
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            {
                mode.set_value("popup");
            }
            form.set_target(WINDOW_NAME);
            let _ = form.submit();
            form.set_target("");
            POPUP.with(|p| *p.borrow_mut() = Some(popup));
            true
        }

        /// The flow id of a message from our own popup, checked as docs/security.md P2 asks: exact origin,
        /// the popup we opened, the expected shape.
        pub fn flow_of(ev: &MessageEvent) -> Option<Option<String>> {
            if ev.origin() != window().location().origin().ok()? {
                return None;
            }
            let from_popup = POPUP.with(|p| {
                p.borrow()
                    .as_ref()
                    .zip(ev.source())
                    .is_some_and(|(popup, source)| {
                        js_sys::Object::is(popup.as_ref(), source.as_ref())
                    })
            });
            if !from_popup {
                return None;
            }
            let data = ev.data();
            let field = |name: &str| {
                js_sys::Reflect::get(&data, &name.into())
                    .ok()
                    .and_then(|v| v.as_string())
            };
            (field("type").as_deref() == Some(MESSAGE_TYPE)).then(|| field("flow_id"))
        }

        pub fn popup_closed() -> bool {
            POPUP.with(|p| {
                p.borrow()
                    .as_ref()
                    .is_none_or(|w| w.closed().unwrap_or(true))
            })
        }

        pub fn forget_popup() {
            POPUP.with(|p| *p.borrow_mut() = None);
        }

        pub async fn fetch_outcome(flow: Option<String>) -> Option<ConnectOutcomeView> {
            connect_outcome(flow?).await.ok().flatten()
        }
    }

    /// On submit: open the popup and post the form into it; if the browser blocks popups, let the
    /// submission go ahead as a full-page redirect.
    pub fn open_on_submit(ev: leptos::ev::SubmitEvent, pending: RwSignal<bool>) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            ev.prevent_default();
            if submit_into_popup(&form) {
                pending.set(true);
            } else {
                let _ = form.submit();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, pending);
    }

    /// Listens for the popup's message, and notices when the popup is closed without one. Either
    /// way the server, not the message, says what happened.
    pub fn listen(
        outcome: RwSignal<Option<ConnectOutcomeView>>,
        pending: RwSignal<bool>,
        refresh: RwSignal<u32>,
    ) {
        #[cfg(feature = "hydrate")]
        {
            // The popup's message and its closing race: the page may notice the window closed
            // before the message arrives. So closing only ends the pending state; the popup stays
            // remembered, and its late message still passes the source check and shows the outcome.
            let finish = move |flow: Option<String>| {
                if flow.is_some() {
                    forget_popup();
                }
                pending.set(false);
                leptos::task::spawn_local(async move {
                    if let Some(o) = fetch_outcome(flow).await {
                        outcome.set(Some(o));
                    }
                    refresh.update(|n| *n += 1);
                });
            };
            let handle = window_event_listener(leptos::ev::message, move |ev| {
                if let Some(flow) = flow_of(&ev) {
                    finish(flow);
                }
            });
            let interval = set_interval_with_handle(
                move || {
                    if pending.get_untracked() && popup_closed() {
                        finish(None);
                    }
                },
                std::time::Duration::from_millis(500),
            )
            .ok();
            on_cleanup(move || {
                handle.remove();
                if let Some(i) = interval {
                    i.clear();
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (outcome, pending, refresh);
    }
}
