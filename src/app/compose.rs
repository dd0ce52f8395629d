//! The composer: pick an account, a kind of post and its media, write the caption with live
//! counters, publish now or schedule in your own time zone.

use leptos::{
    form::ActionForm,
    prelude::*,
    server_fn::{self, error::FromServerFnError},
};
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use super::{accounts::list_accounts, error_text, layout::SignInPrompt, SessionResource};
use crate::dto::{
    CaptionCounts, MediaType, PostKind, PostView, MAX_CAPTION_CHARS, MAX_CAROUSEL_ITEMS,
    MAX_HASHTAGS, MAX_MENTIONS, MIN_CAROUSEL_ITEMS,
};

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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComposeMedia {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub media_type: String,
    #[serde(default)]
    pub alt_text: Option<String>,
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
    use crate::domain::DomainError;
    let refused = |field: Option<String>, message: String| {
        // A refusal is the customer's to fix (422), not a server failure; a plain form post keeps
        // its redirect back to the composer, which carries the error.
        if !server::is_plain_form_post() {
            server::set_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        }
        ComposeError { field, message }
    };
    let tenant = server::tenant()
        .await
        .map_err(|e| refused(None, super::error_text(&e)))?;
    let services = server::services().map_err(|e| refused(None, super::error_text(&e)))?;
    let (req, key) = form_to_request(form).map_err(|(field, message)| refused(field, message))?;
    match services.posts.create(&tenant, req, key).await {
        Ok(created) => {
            // A plain form post (no JavaScript) lands on the history, where the post shows.
            if server::is_plain_form_post() {
                leptos_axum::redirect("/history");
            }
            Ok(Box::new(created.post))
        }
        Err(DomainError::Invalid { field, message }) => Err(refused(field, message)),
        Err(e) => Err(ComposeError {
            field: None,
            message: super::error_text(&server::domain_error(e)),
        }),
    }
}

#[cfg(feature = "ssr")]
type FieldError = (Option<String>, String);

#[cfg(feature = "ssr")]
fn form_to_request(
    form: ComposeForm,
) -> Result<(crate::dto::PostRequest, Option<String>), FieldError> {
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
    let media = form
        .media
        .into_iter()
        .filter(|m| !m.url.trim().is_empty())
        .map(|m| crate::dto::MediaItem {
            url: m.url.trim().to_string(),
            media_type: if m.media_type == "video" {
                MediaType::Video
            } else {
                MediaType::Image
            },
            alt_text: m.alt_text.filter(|a| !a.trim().is_empty()),
        })
        .collect::<Vec<_>>();
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
            account_id: form.account_id,
            kind,
            media,
            caption: form.caption,
            scheduled_at,
        },
        key,
    ))
}

#[component]
pub fn ComposePage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || session.get().map(|s| match s {
                Ok(info) if info.signed_in.is_some() => view! { <Composer/> }.into_any(),
                Ok(info) => view! { <SignInPrompt demo=info.demo/> }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// One media row of the composer.
#[derive(Clone, Copy)]
struct Row {
    key: u32,
    url: RwSignal<String>,
    media_type: RwSignal<MediaType>,
    alt: RwSignal<String>,
}

impl Row {
    fn new(key: u32, media_type: MediaType) -> Self {
        Self {
            key,
            url: RwSignal::new(String::new()),
            media_type: RwSignal::new(media_type),
            alt: RwSignal::new(String::new()),
        }
    }
}

#[component]
fn Composer() -> impl IntoView {
    let accounts = Resource::new(|| (), |_| list_accounts());
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
                        view! { <ComposeForm accounts=usable/> }.into_any()
                    }
                }
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ComposeForm(accounts: Vec<crate::dto::AccountView>) -> impl IntoView {
    let action = ServerAction::<CreatePost>::new();
    let kind = RwSignal::new(PostKind::Image);
    let next_key = StoredValue::new(1u32);
    let rows = RwSignal::new(vec![Row::new(0, MediaType::Image)]);
    let caption = RwSignal::new(String::new());
    let later = RwSignal::new(false);
    let local_when = RwSignal::new(String::new());
    let idempotency_key = RwSignal::new(String::new());
    // The server's words first on both sides, so hydration keeps them; the browser then says its zone.
    let zone = RwSignal::new(String::from(browser::SERVER_ZONE_LABEL));
    // Rows are made in event handlers: they belong to the form, not to whatever view was current.
    let owner = StoredValue::new(Owner::current().expect("a component has an owner"));
    // Made in the browser once hydrated; a form posted without JavaScript gets a key from the server.
    Effect::new(move |_| {
        idempotency_key.set(browser::new_key());
        zone.set(browser::zone_label());
    });

    let add_row = move |media_type: MediaType| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        let row = owner.with_value(|o| o.with(|| Row::new(key, media_type)));
        rows.update(|r| r.push(row));
    };
    let set_kind = move |k: PostKind| {
        kind.set(k);
        rows.update(|r| {
            r.truncate(if k == PostKind::Carousel {
                r.len().max(1)
            } else {
                1
            });
            match k {
                PostKind::Image => r[0].media_type.set(MediaType::Image),
                PostKind::Reel => r[0].media_type.set(MediaType::Video),
                _ => {}
            }
        });
        if k == PostKind::Carousel && rows.with(|r| r.len()) < MIN_CAROUSEL_ITEMS {
            add_row(MediaType::Image);
        }
    };
    let no_more_rows =
        move || !(kind.get() == PostKind::Carousel && rows.with(|r| r.len()) < MAX_CAROUSEL_ITEMS);
    let counts = move || CaptionCounts::of(&caption.get());
    let too_long = move || counts().characters > MAX_CAPTION_CHARS;
    let too_many_tags = move || counts().hashtags > MAX_HASHTAGS;
    let too_many_mentions = move || counts().mentions > MAX_MENTIONS;
    let outcome = move || action.value().get();
    let field_error = move |field: &'static str| {
        move || match outcome() {
            Some(Err(ComposeError {
                field: Some(f),
                message,
            })) if f == field => Some(message),
            _ => None,
        }
    };
    // After a success: a fresh form, with a new idempotency key.
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            caption.set(String::new());
            rows.update(|r| {
                r.iter().for_each(|row| {
                    row.url.set(String::new());
                    row.alt.set(String::new());
                })
            });
            idempotency_key.set(browser::new_key());
        }
    });

    view! {
        {move || match outcome() {
            Some(Ok(post)) => Some(view! {
                <div class="alert success" role="status" data-testid="compose-created">
                    <strong>{if post.scheduled_at.is_some() { "Scheduled." } else { "Queued: publishing now." }}</strong>
                    " " <A href="/history">"See it in the history"</A>
                </div>
            }.into_any()),
            Some(Err(ComposeError { field: None, message })) => Some(view! {
                <p class="alert error" role="alert" data-testid="compose-error">{message}</p>
            }.into_any()),
            _ => None,
        }}
        <ActionForm action=action attr:class="card compose stack" attr:data-testid="compose-form">
            <input type="hidden" name="form[idempotency_key]" prop:value=move || idempotency_key.get()/>
            <label>"Account"
                <select name="form[account_id]" required data-testid="compose-account">
                    {accounts.into_iter().map(|a| view! {
                        <option value=a.id.clone()>"@" {a.instagram_username.clone()} " · " {a.facebook_page_name.clone()}</option>
                    }).collect_view()}
                </select>
            </label>
            {move || field_error("account_id")().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}

            <fieldset class="kinds">
                <legend>"What to post"</legend>
                {[
                    (PostKind::Image, "image", "Image", "One photo in the feed"),
                    (PostKind::Carousel, "carousel", "Carousel", "2 to 10 photos or videos"),
                    (PostKind::Reel, "reel", "Reel", "A video in Reels"),
                    (PostKind::Story, "story", "Story", "A photo or video for 24 hours"),
                ].into_iter().map(|(k, value, label, hint)| view! {
                    <label class="kind">
                        <input type="radio" name="form[kind]" value=value checked=k == PostKind::Image
                            on:change=move |_| set_kind(k) data-testid=format!("kind-{value}")/>
                        <span><strong>{label}</strong><span class="hint">{hint}</span></span>
                    </label>
                }).collect_view()}
            </fieldset>

            <div class="media-rows">
                <For
                    each=move || numbered(rows.get())
                    key=|(i, r)| (*i, r.key)
                    children=move |(i, row)| {
                        let error = Signal::derive(move || match outcome() {
                            Some(Err(ComposeError { field: Some(f), message })) if f.starts_with(&format!("media[{i}]")) => Some(message),
                            _ => None,
                        });
                        view! { <MediaRow index=i row=row kind=kind rows=rows error=error/> }
                    }
                />
                {move || match outcome() {
                    Some(Err(ComposeError { field: Some(f), message })) if f == "media" => Some(view! { <span class="field-error" role="alert">{message}</span> }),
                    _ => None,
                }}
                // Always rendered, shown only for carousels with room: re-creating the buttons while
                // one of them handles a click would dispose of the handler mid-flight.
                <div class="row" class:hidden=no_more_rows>
                    <button type="button" class="button ghost small" on:click=move |_| add_row(MediaType::Image)>"+ Add image"</button>
                    <button type="button" class="button ghost small" on:click=move |_| add_row(MediaType::Video)>"+ Add video"</button>
                </div>
            </div>

            <label>"Caption"
                <textarea name="form[caption]" maxlength="4000" prop:value=move || caption.get()
                    on:input=move |ev| caption.set(event_target_value(&ev))
                    disabled=move || kind.get() == PostKind::Story
                    placeholder=move || if kind.get() == PostKind::Story { "Stories have no caption." } else { "Write a caption… #hashtags and @mentions count toward Instagram's limits." }
                    data-testid="compose-caption"></textarea>
            </label>
            <p class="counters" data-testid="caption-counters" aria-live="polite">
                <span class:over=too_long>{move || counts().characters} " / " {MAX_CAPTION_CHARS} " characters"</span>
                <span class:over=too_many_tags>{move || counts().hashtags} " / " {MAX_HASHTAGS} " hashtags"</span>
                <span class:over=too_many_mentions>{move || counts().mentions} " / " {MAX_MENTIONS} " mentions"</span>
            </p>
            {move || field_error("caption")().map(|m| view! { <span class="field-error" role="alert" data-testid="caption-error">{m}</span> })}

            <fieldset class="when">
                <legend>"When"</legend>
                <label class="inline-choice"><input type="radio" name="form[when]" value="now" checked=true on:change=move |_| later.set(false)/>" Publish now"</label>
                <label class="inline-choice"><input type="radio" name="form[when]" value="later" on:change=move |_| later.set(true) data-testid="when-later"/>" Schedule"</label>
                <div class="schedule">
                    <input type="datetime-local" name="form[schedule_local]" on:input=move |ev| local_when.set(event_target_value(&ev)) data-testid="schedule-at"/>
                    <input type="hidden" name="form[scheduled_at]" prop:value=move || browser::local_to_utc(&local_when.get())/>
                    <span class="hint">{move || zone.get()}</span>
                </div>
                {move || field_error("scheduled_at")().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            </fieldset>

            <div class="row">
                <button type="submit" class="button primary" disabled=move || action.pending().get() data-testid="compose-submit">
                    {move || match (action.pending().get(), later.get()) {
                        (true, _) => "Sending…",
                        (false, true) => "Schedule",
                        (false, false) => "Publish now",
                    }}
                </button>
            </div>
        </ActionForm>
    }
}

/// Rows with their position, which names their form fields.
fn numbered(rows: Vec<Row>) -> Vec<(usize, Row)> {
    rows.into_iter().enumerate().collect()
}

#[component]
fn MediaRow(
    index: usize,
    row: Row,
    kind: RwSignal<PostKind>,
    rows: RwSignal<Vec<Row>>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let is_image = move || row.media_type.get() == MediaType::Image;
    let cannot_remove =
        move || !(kind.get() == PostKind::Carousel && rows.with(|r| r.len()) > MIN_CAROUSEL_ITEMS);
    let preview = move || {
        let url = row.url.get();
        url.starts_with("https://").then_some(url)
    };
    view! {
        <div class="media-row" data-testid="media-row">
            <div class="media-fields stack">
                <label>{move || if kind.get() == PostKind::Carousel { format!("Item {} URL", index + 1) } else { "Media URL".to_string() }}
                    <input type="url" name=format!("form[media][{index}][url]") required inputmode="url" placeholder="https://…/photo.jpg"
                        prop:value=move || row.url.get() on:input=move |ev| row.url.set(event_target_value(&ev))
                        data-testid="media-url"/>
                </label>
                {move || error.get().map(|m| view! { <span class="field-error" role="alert" data-testid="media-error">{m}</span> })}
                <div class="row">
                    <select name=format!("form[media][{index}][media_type]") aria-label="Media type"
                        disabled=move || matches!(kind.get(), PostKind::Image | PostKind::Reel)
                        on:change=move |ev| row.media_type.set(if event_target_value(&ev) == "video" { MediaType::Video } else { MediaType::Image })>
                        <option value="image" selected=is_image>"Image"</option>
                        <option value="video" selected=move || !is_image()>"Video"</option>
                    </select>
                    // A disabled select is not submitted: the fixed type still travels with the form.
                    {move || matches!(kind.get(), PostKind::Image | PostKind::Reel).then(|| view! {
                        <input type="hidden" name=format!("form[media][{index}][media_type]") value=move || if is_image() { "image" } else { "video" }/>
                    })}
                    <button type="button" class="button ghost small" class:hidden=cannot_remove
                        on:click=move |_| rows.update(|r| r.retain(|x| x.key != row.key))>"Remove"</button>
                </div>
                {move || (is_image() && kind.get() != PostKind::Story).then(|| view! {
                    <label class="small">"Alt text (for people using screen readers)"
                        <input name=format!("form[media][{index}][alt_text]") maxlength="1000" prop:value=move || row.alt.get()
                            on:input=move |ev| row.alt.set(event_target_value(&ev))/>
                    </label>
                })}
            </div>
            <div class="preview" aria-hidden="true">
                {move || match (preview(), is_image()) {
                    (Some(url), true) => view! { <img src=url alt="" referrerpolicy="no-referrer"/> }.into_any(),
                    (Some(url), false) => view! { <video src=url muted preload="metadata"></video> }.into_any(),
                    (None, _) => view! { <span class="muted small">"Preview"</span> }.into_any(),
                }}
            </div>
        </div>
    }
}

/// Browser-only helpers; on the server they give what a page without JavaScript needs.
mod browser {
    #[cfg(feature = "hydrate")]
    pub fn new_key() -> String {
        let a = (js_sys::Math::random() * 1e15) as u64;
        let b = (js_sys::Math::random() * 1e15) as u64;
        format!("compose-{a:x}{b:x}")
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn new_key() -> String {
        String::new()
    }

    /// A `datetime-local` value (the person's local time) as UTC, converted by the browser, which
    /// knows the time zone and its daylight-saving rules.
    #[cfg(feature = "hydrate")]
    pub fn local_to_utc(local: &str) -> String {
        if local.is_empty() {
            return String::new();
        }
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
        if date.get_time().is_nan() {
            return String::new();
        }
        date.to_iso_string().as_string().unwrap_or_default()
    }

    #[cfg(not(feature = "hydrate"))]
    pub fn local_to_utc(_local: &str) -> String {
        String::new()
    }

    #[cfg(feature = "hydrate")]
    pub fn zone_label() -> String {
        let zone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
            .resolved_options();
        let name = js_sys::Reflect::get(&zone, &"timeZone".into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default();
        format!("Your time zone: {name}")
    }

    /// What the page says before the browser takes over: without JavaScript the server reads
    /// the time as UTC.
    pub const SERVER_ZONE_LABEL: &str = "Time in UTC";

    #[cfg(not(feature = "hydrate"))]
    pub fn zone_label() -> String {
        SERVER_ZONE_LABEL.into()
    }
}
