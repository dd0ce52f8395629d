//! The composer: pick an account, a kind of post and its media, write the caption with live
//! counters, publish now or schedule in your own time zone. This module holds the page and the
//! server function; [`form`] the form's state and fields, [`media`] the media rows.

mod browser;
mod extras;
mod form;
mod media;
mod place;
mod tags;

use leptos::{
    prelude::*,
    server_fn::{self, error::FromServerFnError, ServerFn},
};
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use super::{
    accounts::list_accounts, error_text, layout::SignInPrompt, when_signed_in, SessionResource,
};
use crate::dto::PostView;

/// The composer's fields as the browser posts them (flat, so the form also works without JavaScript).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComposeForm {
    pub account_id: String,
    pub kind: String,
    #[serde(default)]
    pub media: Vec<ComposeMedia>,
    #[serde(default)]
    pub caption: String,
    /// `now` or `later`.
    #[serde(default)]
    pub when: String,
    /// The browser's conversion of the local date and time to UTC (RFC 3339).
    #[serde(default)]
    pub scheduled_at: Option<String>,
    /// The raw `datetime-local` value, used when JavaScript could not convert it.
    #[serde(default)]
    pub schedule_local: Option<String>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Usernames separated by commas or spaces, with or without `@`.
    #[serde(default)]
    pub collaborators: String,
    #[serde(default)]
    pub location_id: Option<String>,
    #[serde(default)]
    pub location_name: Option<String>,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub is_ai_generated: Option<String>,
    #[serde(default)]
    pub first_comment: Option<String>,
    // Reels only; the form leaves them out for other kinds.
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub share_to_feed: Option<String>,
    #[serde(default)]
    pub cover_url: Option<String>,
    /// The cover frame, in seconds from the start (decimals allowed).
    #[serde(default)]
    pub cover_frame_secs: Option<String>,
    /// `manual`, `performance`, or empty for an ordinary reel.
    #[serde(default)]
    pub trial_reel: Option<String>,
    /// Present when the page showed the reel settings (an unticked checkbox sends nothing).
    #[serde(default)]
    pub reel_settings: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComposeMedia {
    #[serde(default)]
    pub url: String,
    /// A file of the media library, in place of the URL.
    #[serde(default)]
    pub media_id: Option<String>,
    /// `crop` or `pad`, for a library photo.
    #[serde(default)]
    pub fit: Option<String>,
    #[serde(default)]
    pub focal_x: Option<f32>,
    #[serde(default)]
    pub focal_y: Option<f32>,
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub alt_text: Option<String>,
    /// People tagged, in the form's own notation ([`tags::parse`]).
    #[serde(default)]
    pub tags: Option<String>,
}

/// Why a post was refused, with the field at fault when there is one. A custom server function
/// error, so that without JavaScript it travels back to the page in the redirect and still shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComposeError {
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ComposeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl FromServerFnError for ComposeError {
    type Encoder = server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let message = match value {
            ServerFnErrorErr::ServerError(m) => m,
            ServerFnErrorErr::Request(_) => {
                "The service could not be reached. Check your connection and try again.".into()
            }
            other => other.to_string(),
        };
        Self {
            field: None,
            message,
        }
    }
}

#[server(prefix = "/app/fn", endpoint = "create_post")]
pub async fn create_post(form: ComposeForm) -> Result<Box<PostView>, ComposeError> {
    use super::server;
    let result = queue_post(form).await;
    if let Err(refusal) = &result {
        // Without JavaScript the browser returns to the composer, which shows this.
        server::flash(CreatePost::PATH, refusal.field.clone(), &refusal.message).await;
    }
    result
}

/// Authenticates, parses the form once into a draft, and queues it.
#[cfg(feature = "ssr")]
async fn queue_post(form: ComposeForm) -> Result<Box<PostView>, ComposeError> {
    use super::server;
    use crate::{
        domain::{posts::PostDraft, DomainError},
        http::limits::Action,
    };
    let refused = |field: Option<String>, message: String| {
        // A refusal is the customer's to fix (422), not a server failure; a plain form post keeps
        // its redirect back to the composer.
        if !server::is_plain_form_post() {
            server::set_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        ComposeError { field, message }
    };
    let unrefused = |e: ServerFnError| ComposeError {
        field: None,
        message: super::error_text(&e),
    };
    let tenant = server::tenant().await.map_err(unrefused)?;
    server::rate_limit(Action::Post, Some(&tenant)).map_err(unrefused)?;
    let services = server::services().map_err(unrefused)?;
    let (req, key) = form_to_request(form).map_err(|(field, message)| refused(field, message))?;
    let created = match PostDraft::try_from(req) {
        Ok(draft) => services.posts.create(&tenant, draft, key).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(created) => {
            // A plain form post (no JavaScript) lands on the history, where the post shows.
            if server::is_plain_form_post() {
                leptos_axum::redirect("/history");
            }
            Ok(Box::new(created.post))
        }
        Err(DomainError::Invalid { field, message }) => Err(refused(field, message)),
        Err(e) => Err(unrefused(server::domain_error(e))),
    }
}

#[cfg(feature = "ssr")]
type FieldError = (Option<String>, String);

#[cfg(feature = "ssr")]
fn form_to_request(
    form: ComposeForm,
) -> Result<(crate::dto::PostRequest, Option<String>), FieldError> {
    use crate::dto::{MediaType, PostKind};
    use chrono::{DateTime, NaiveDateTime, Utc};
    let kind = match form.kind.as_str() {
        "image" => PostKind::Image,
        "carousel" => PostKind::Carousel,
        "reel" => PostKind::Reel,
        "story" => PostKind::Story,
        _ => {
            return Err((
                Some("kind".into()),
                "Pick what to post: an image, a carousel, a reel or a story.".into(),
            ))
        }
    };
    let options = extras::from_form(kind, &form)?;
    let media = form
        .media
        .into_iter()
        .filter(|m| {
            !m.url.trim().is_empty() || m.media_id.as_deref().is_some_and(|id| !id.is_empty())
        })
        .enumerate()
        .map(|(i, m)| {
            let from_library = m.media_id.clone().filter(|id| !id.is_empty());
            let library = from_library.is_some();
            Ok(crate::dto::MediaItem {
                media_id: from_library,
                fit: m.fit.clone().filter(|_| library),
                focal_x: m.focal_x.filter(|_| library),
                focal_y: m.focal_y.filter(|_| library),
                url: if library {
                    String::new()
                } else {
                    m.url.trim().to_string()
                },
                media_type: if m.media_type == "video" {
                    MediaType::Video
                } else {
                    MediaType::Image
                },
                alt_text: m.alt_text.filter(|a| !a.trim().is_empty()),
                user_tags: tags::parse(m.tags.as_deref().unwrap_or_default())
                    .map_err(|message| (Some(format!("media[{i}].user_tags")), message))?,
            })
        })
        .collect::<Result<Vec<_>, FieldError>>()?;
    if media.is_empty() {
        return Err((
            Some("media[0].url".into()),
            "Add the https URL of the image or video to post.".into(),
        ));
    }
    let scheduled_at = match form.when.as_str() {
        "later" => {
            let from_browser = form
                .scheduled_at
                .as_deref()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc));
            // Without JavaScript the time zone is unknown: the form says the time is UTC then.
            let from_form = form
                .schedule_local
                .as_deref()
                .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").ok())
                .map(|t| t.and_utc());
            match from_browser.or(from_form) {
                Some(at) => Some(at),
                None => {
                    return Err((
                        Some("scheduled_at".into()),
                        "Pick the date and time to publish.".into(),
                    ))
                }
            }
        }
        _ => None,
    };
    let key = form.idempotency_key.filter(|k| !k.is_empty());
    Ok((
        crate::dto::PostRequest {
            caption: form.caption,
            scheduled_at,
            ..crate::dto::PostRequest::new(form.account_id, kind, media).with_options(options)
        },
        key,
    ))
}

#[component]
pub fn ComposePage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    // Made once per page (`when_signed_in`), with the library the rows pick from.
    let accounts = Resource::new(|| (), move |_| when_signed_in(session, list_accounts()));
    let create = ServerAction::<CreatePost>::new();
    provide_context(media::LibraryFiles::new(session));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || session.get().map(|s| match s {
                Ok(info) if info.signed_in.is_some() => {
                    let returned = info.flash.filter(|f| f.action == CreatePost::PATH).map(|f| ComposeError {
                        field: f.field,
                        message: f.message,
                    });
                    view! { <Composer returned accounts create/> }.into_any()
                }
                Ok(info) => view! { <SignInPrompt demo=info.demo/> }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Composer(
    returned: Option<ComposeError>,
    accounts: Resource<Result<Vec<crate::dto::AccountView>, ServerFnError>>,
    create: ServerAction<CreatePost>,
) -> impl IntoView {
    view! {
        <section class="page-head">
            <div>
                <h1>"Compose"</h1>
                <p class="muted">"Media are given as public https URLs: Instagram downloads them itself."</p>
            </div>
        </section>
        <Suspense fallback=|| view! { <p class="muted">"Loading accounts…"</p> }>
            {move || accounts.get().map(|r| match r {
                Ok(list) => {
                    let usable: Vec<_> = list.into_iter().filter(|a| !a.needs_reconnect).collect();
                    if usable.is_empty() {
                        view! {
                            <section class="card empty" data-testid="compose-no-accounts">
                                <h2>"No account can publish yet"</h2>
                                <p>"Connect an Instagram Business or Creator account first, or reconnect one that needs it."</p>
                                <p><A href="/" attr:class="button primary">"Go to accounts"</A></p>
                            </section>
                        }.into_any()
                    } else {
                        view! { <form::ComposeForm accounts=usable returned=returned.clone() action=create/> }.into_any()
                    }
                }
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// The library photo exactly as the post would carry it: its signed URL for the preview.
#[server(prefix = "/app/fn", endpoint = "preview_media")]
pub async fn preview_media(
    id: String,
    kind: String,
    fit: String,
    focal_x: f32,
    focal_y: f32,
) -> Result<String, ServerFnError> {
    use super::server;
    use crate::domain::library::{Placement, Shape};
    let tenant = server::tenant().await?;
    let services = server::services()?;
    let asset = services
        .library
        .get(&tenant, &id)
        .await
        .map_err(server::domain_error)?;
    let placement = match kind.as_str() {
        "story" | "reel" => Placement::Vertical,
        _ => Placement::Feed,
    };
    let shape = match fit.as_str() {
        "pad" => Shape::Pad { rgb: [255; 3] },
        _ => Shape::Crop {
            x: focal_x,
            y: focal_y,
        },
    };
    let until = crate::domain::clock::now() + chrono::TimeDelta::hours(1);
    let prepared = services
        .library
        .prepare(&asset, placement, shape, until)
        .await
        .map_err(server::domain_error)?;
    Ok(prepared.url)
}
