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

/// The composer's state, shared by the pieces of its form. Every field is a `Copy` handle.
#[derive(Clone, Copy)]
struct Compose {
    action: ServerAction<CreatePost>,
    kind: RwSignal<PostKind>,
    rows: RwSignal<Vec<Row>>,
    next_key: StoredValue<u32>,
    caption: RwSignal<String>,
    later: RwSignal<bool>,
    idempotency_key: RwSignal<String>,
    // Rows are made in event handlers: they belong to the form, not to whatever view was current.
    owner: StoredValue<Owner>,
}

impl Compose {
    fn new() -> Self {
        Self {
            action: ServerAction::<CreatePost>::new(),
            kind: RwSignal::new(PostKind::Image),
            rows: RwSignal::new(vec![Row::new(0, MediaType::Image)]),
            next_key: StoredValue::new(1u32),
            caption: RwSignal::new(String::new()),
            later: RwSignal::new(false),
            idempotency_key: RwSignal::new(String::new()),
            owner: StoredValue::new(Owner::current().expect("a component has an owner")),
        }
    }

    fn outcome(self) -> Option<Result<Box<PostView>, ComposeError>> {
        self.action.value().get()
    }

    /// The server's refusal of one field, if the last attempt had one.
    fn field_error(self, field: &str) -> Option<String> {
        match self.outcome() {
            Some(Err(ComposeError {
                field: Some(f),
                message,
            })) if f == field => Some(message),
            _ => None,
        }
    }

    fn add_row(self, media_type: MediaType) {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        let row = self
            .owner
            .with_value(|o| o.with(|| Row::new(key, media_type)));
        self.rows.update(|r| r.push(row));
    }

    /// Switching kinds keeps the rows that still fit and fixes the media type where the kind does.
    fn set_kind(self, k: PostKind) {
        self.kind.set(k);
        self.rows.update(|r| {
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
        if k == PostKind::Carousel && self.rows.with(|r| r.len()) < MIN_CAROUSEL_ITEMS {
            self.add_row(MediaType::Image);
        }
    }

    /// After a success: a fresh form, with a new idempotency key.
    fn reset(self) {
        self.caption.set(String::new());
        self.rows.update(|r| {
            r.iter().for_each(|row| {
                row.url.set(String::new());
                row.alt.set(String::new());
            })
        });
        self.idempotency_key.set(browser::new_key());
    }
}

#[component]
fn ComposeForm(accounts: Vec<crate::dto::AccountView>) -> impl IntoView {
    let form = Compose::new();
    // Made in the browser once hydrated; a form posted without JavaScript gets a key from the server.
    Effect::new(move |_| form.idempotency_key.set(browser::new_key()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = form.outcome() {
            form.reset();
        }
    });
    // Each part is its own component, erased to `AnyView`: one nested view type for the whole
    // form overflowed the compiler's query depth in the release browser build.
    view! {
        <ComposeOutcome form/>
        <ActionForm action=form.action attr:class="card compose stack" attr:data-testid="compose-form">
            <input type="hidden" name="form[idempotency_key]" prop:value=move || form.idempotency_key.get()/>
            <AccountField form accounts/>
            <KindField form/>
            <MediaRows form/>
            <CaptionField form/>
            <WhenField form/>
            <SubmitButton form/>
        </ActionForm>
    }
}

/// What the last attempt gave: the post queued or scheduled, or a refusal that names no field.
#[component]
fn ComposeOutcome(form: Compose) -> AnyView {
    (move || match form.outcome() {
        Some(Ok(post)) => Some(
            view! {
                <div class="alert success" role="status" data-testid="compose-created">
                    <strong>{if post.scheduled_at.is_some() { "Scheduled." } else { "Queued: publishing now." }}</strong>
                    " " <A href="/history">"See it in the history"</A>
                </div>
            }
            .into_any(),
        ),
        Some(Err(ComposeError {
            field: None,
            message,
        })) => Some(
            view! { <p class="alert error" role="alert" data-testid="compose-error">{message}</p> }
                .into_any(),
        ),
        _ => None,
    })
    .into_any()
}

/// The server's refusal of one field, under that field.
#[component]
fn FieldError(
    form: Compose,
    field: &'static str,
    #[prop(optional)] testid: &'static str,
) -> AnyView {
    (move || {
        form.field_error(field).map(|m| {
            view! { <span class="field-error" role="alert" data-testid=(!testid.is_empty()).then_some(testid)>{m}</span> }
        })
    })
    .into_any()
}

#[component]
fn AccountField(form: Compose, accounts: Vec<crate::dto::AccountView>) -> AnyView {
    view! {
        <label>"Account"
            <select name="form[account_id]" required data-testid="compose-account">
                {accounts.into_iter().map(|a| view! {
                    <option value=a.id.clone()>"@" {a.instagram_username.clone()} " · " {a.facebook_page_name.clone()}</option>
                }).collect_view()}
            </select>
        </label>
        <FieldError form field="account_id"/>
    }
    .into_any()
}

#[component]
fn KindField(form: Compose) -> AnyView {
    let choices = [
        (PostKind::Image, "image", "Image", "One photo in the feed"),
        (
            PostKind::Carousel,
            "carousel",
            "Carousel",
            "2 to 10 photos or videos",
        ),
        (PostKind::Reel, "reel", "Reel", "A video in Reels"),
        (
            PostKind::Story,
            "story",
            "Story",
            "A photo or video for 24 hours",
        ),
    ];
    view! {
        <fieldset class="kinds">
            <legend>"What to post"</legend>
            {choices.into_iter().map(|(k, value, label, hint)| view! {
                <label class="kind">
                    <input type="radio" name="form[kind]" value=value checked=k == PostKind::Image
                        on:change=move |_| form.set_kind(k) data-testid=format!("kind-{value}")/>
                    <span><strong>{label}</strong><span class="hint">{hint}</span></span>
                </label>
            }).collect_view()}
        </fieldset>
    }
    .into_any()
}

#[component]
fn MediaRows(form: Compose) -> AnyView {
    let rows = form.rows;
    let no_more_rows = move || {
        !(form.kind.get() == PostKind::Carousel && rows.with(|r| r.len()) < MAX_CAROUSEL_ITEMS)
    };
    view! {
        <div class="media-rows">
            <For
                each=move || numbered(rows.get())
                key=|(i, r)| (*i, r.key)
                children=move |(i, row)| {
                    let error = Signal::derive(move || match form.outcome() {
                        Some(Err(ComposeError { field: Some(f), message })) if f.starts_with(&format!("media[{i}]")) => Some(message),
                        _ => None,
                    });
                    view! { <MediaRow index=i row=row kind=form.kind rows=rows error=error/> }
                }
            />
            <FieldError form field="media"/>
            // Always rendered, shown only for carousels with room: re-creating the buttons while
            // one of them handles a click would dispose of the handler mid-flight.
            <div class="row" class:hidden=no_more_rows>
                <button type="button" class="button ghost small" on:click=move |_| form.add_row(MediaType::Image)>"+ Add image"</button>
                <button type="button" class="button ghost small" on:click=move |_| form.add_row(MediaType::Video)>"+ Add video"</button>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn CaptionField(form: Compose) -> AnyView {
    let (kind, caption) = (form.kind, form.caption);
    let counts = move || CaptionCounts::of(&caption.get());
    let too_long = move || counts().characters > MAX_CAPTION_CHARS;
    let too_many_tags = move || counts().hashtags > MAX_HASHTAGS;
    let too_many_mentions = move || counts().mentions > MAX_MENTIONS;
    let placeholder = move || {
        if kind.get() == PostKind::Story {
            "Stories have no caption."
        } else {
            "Write a caption… #hashtags and @mentions count toward Instagram's limits."
        }
    };
    view! {
        <label>"Caption"
            <textarea name="form[caption]" maxlength="4000" prop:value=move || caption.get()
                on:input=move |ev| caption.set(event_target_value(&ev))
                disabled=move || kind.get() == PostKind::Story
                placeholder=placeholder
                data-testid="compose-caption"></textarea>
        </label>
        <p class="counters" data-testid="caption-counters" aria-live="polite">
            <span class:over=too_long>{move || counts().characters} " / " {MAX_CAPTION_CHARS} " characters"</span>
            <span class:over=too_many_tags>{move || counts().hashtags} " / " {MAX_HASHTAGS} " hashtags"</span>
            <span class:over=too_many_mentions>{move || counts().mentions} " / " {MAX_MENTIONS} " mentions"</span>
        </p>
        <FieldError form field="caption" testid="caption-error"/>
    }
    .into_any()
}

#[component]
fn WhenField(form: Compose) -> AnyView {
    let later = form.later;
    let local_when = RwSignal::new(String::new());
    // The server's words first on both sides, so hydration keeps them; the browser then says its zone.
    let zone = RwSignal::new(String::from(browser::SERVER_ZONE_LABEL));
    Effect::new(move |_| zone.set(browser::zone_label()));
    view! {
        <fieldset class="when">
            <legend>"When"</legend>
            <label class="inline-choice"><input type="radio" name="form[when]" value="now" checked=true on:change=move |_| later.set(false)/>" Publish now"</label>
            <label class="inline-choice"><input type="radio" name="form[when]" value="later" on:change=move |_| later.set(true) data-testid="when-later"/>" Schedule"</label>
            <div class="schedule">
                <input type="datetime-local" name="form[schedule_local]" on:input=move |ev| local_when.set(event_target_value(&ev)) data-testid="schedule-at"/>
                <input type="hidden" name="form[scheduled_at]" prop:value=move || browser::local_to_utc(&local_when.get())/>
                <span class="hint">{move || zone.get()}</span>
            </div>
            <FieldError form field="scheduled_at"/>
        </fieldset>
    }
    .into_any()
}

#[component]
fn SubmitButton(form: Compose) -> AnyView {
    let pending = form.action.pending();
    view! {
        <div class="row">
            <button type="submit" class="button primary" disabled=move || pending.get() data-testid="compose-submit">
                {move || match (pending.get(), form.later.get()) {
                    (true, _) => "Sending…",
                    (false, true) => "Schedule",
                    (false, false) => "Publish now",
                }}
            </button>
        </div>
    }
    .into_any()
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
) -> AnyView {
    let is_image = move || row.media_type.get() == MediaType::Image;
    let fixed_type = move || matches!(kind.get(), PostKind::Image | PostKind::Reel);
    let cannot_remove =
        move || !(kind.get() == PostKind::Carousel && rows.with(|r| r.len()) > MIN_CAROUSEL_ITEMS);
    let label = move || {
        if kind.get() == PostKind::Carousel {
            format!("Item {} URL", index + 1)
        } else {
            "Media URL".to_string()
        }
    };
    view! {
        <div class="media-row" data-testid="media-row">
            <div class="media-fields stack">
                <label>{label}
                    <input type="url" name=format!("form[media][{index}][url]") required inputmode="url" placeholder="https://…/photo.jpg"
                        prop:value=move || row.url.get() on:input=move |ev| row.url.set(event_target_value(&ev))
                        data-testid="media-url"/>
                </label>
                {move || error.get().map(|m| view! { <span class="field-error" role="alert" data-testid="media-error">{m}</span> })}
                <div class="row">
                    <select name=format!("form[media][{index}][media_type]") aria-label="Media type"
                        disabled=fixed_type
                        on:change=move |ev| row.media_type.set(if event_target_value(&ev) == "video" { MediaType::Video } else { MediaType::Image })>
                        <option value="image" selected=is_image>"Image"</option>
                        <option value="video" selected=move || !is_image()>"Video"</option>
                    </select>
                    // A disabled select is not submitted: the fixed type still travels with the form.
                    {move || fixed_type().then(|| view! {
                        <input type="hidden" name=format!("form[media][{index}][media_type]") value=move || if is_image() { "image" } else { "video" }/>
                    })}
                    <button type="button" class="button ghost small" class:hidden=cannot_remove
                        on:click=move |_| rows.update(|r| r.retain(|x| x.key != row.key))>"Remove"</button>
                </div>
                <AltText index row kind/>
            </div>
            <MediaPreview row/>
        </div>
    }
    .into_any()
}

/// Alt text, for images in the feed (stories have none).
#[component]
fn AltText(index: usize, row: Row, kind: RwSignal<PostKind>) -> AnyView {
    let shown = move || row.media_type.get() == MediaType::Image && kind.get() != PostKind::Story;
    (move || {
        shown().then(|| {
            view! {
                <label class="small">"Alt text (for people using screen readers)"
                    <input name=format!("form[media][{index}][alt_text]") maxlength="1000" prop:value=move || row.alt.get()
                        on:input=move |ev| row.alt.set(event_target_value(&ev))/>
                </label>
            }
        })
    })
    .into_any()
}

/// What the URL shows, once it looks like one.
#[component]
fn MediaPreview(row: Row) -> AnyView {
    let preview = move || {
        let url = row.url.get();
        url.starts_with("https://").then_some(url)
    };
    view! {
        <div class="preview" aria-hidden="true">
            {move || match (preview(), row.media_type.get() == MediaType::Image) {
                (Some(url), true) => view! { <img src=url alt="" referrerpolicy="no-referrer"/> }.into_any(),
                (Some(url), false) => view! { <video src=url muted preload="metadata"></video> }.into_any(),
                (None, _) => view! { <span class="muted small">"Preview"</span> }.into_any(),
            }}
        </div>
    }
    .into_any()
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
