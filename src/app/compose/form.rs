//! The composer's form: its state, shared by its pieces, and each field as a small component
//! erased to `AnyView` (one nested view type for the whole form overflowed the compiler's query
//! depth in the release browser build).

use leptos::{form::ActionForm, prelude::*};
use leptos_router::components::A;

use super::{
    browser,
    extras::{Extras, PostExtras, ReelSettings},
    media::{MediaRows, Row},
    ComposeError, CreatePost,
};
use crate::dto::{
    CaptionCounts, MediaType, PostKind, PostView, MAX_CAPTION_CHARS, MAX_HASHTAGS, MAX_MENTIONS,
    MIN_CAROUSEL_ITEMS,
};

/// The composer's state, shared by the pieces of its form. Every field is a `Copy` handle.
#[derive(Clone, Copy)]
pub(super) struct Compose {
    pub(super) action: ServerAction<CreatePost>,
    pub(super) kind: RwSignal<PostKind>,
    /// The chosen account's id.
    pub(super) account: RwSignal<String>,
    pub(super) extras: Extras,
    pub(super) rows: RwSignal<Vec<Row>>,
    next_key: StoredValue<u32>,
    caption: RwSignal<String>,
    later: RwSignal<bool>,
    /// The schedule's `datetime-local` value, in the person's time.
    schedule_local: RwSignal<String>,
    idempotency_key: RwSignal<String>,
    // Rows are made in event handlers: they belong to the form, not to whatever view was current.
    owner: StoredValue<Owner>,
    /// The refusal of the last plain form post (no JavaScript), which the server kept for us.
    returned: StoredValue<Option<ComposeError>>,
}

impl Compose {
    fn new(
        returned: Option<ComposeError>,
        first_account: String,
        action: ServerAction<CreatePost>,
    ) -> Self {
        Self {
            returned: StoredValue::new(returned),
            account: RwSignal::new(first_account),
            extras: Extras::new(),
            action,
            kind: RwSignal::new(PostKind::Image),
            rows: RwSignal::new(vec![Row::new(0, MediaType::Image)]),
            next_key: StoredValue::new(1u32),
            caption: RwSignal::new(String::new()),
            later: RwSignal::new(false),
            schedule_local: RwSignal::new(String::new()),
            idempotency_key: RwSignal::new(String::new()),
            owner: StoredValue::new(Owner::current().expect("a component has an owner")),
        }
    }

    pub(super) fn outcome(self) -> Option<Result<Box<PostView>, ComposeError>> {
        self.action
            .value()
            .get()
            .or_else(|| self.returned.get_value().map(Err))
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

    pub(super) fn add_row(self, media_type: MediaType) {
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
                row.media_id.set(String::new());
                row.alt.set(String::new());
                row.tags.set(vec![]);
            })
        });
        self.extras.reset();
        self.idempotency_key.set(browser::new_key());
    }
}

#[component]
pub(super) fn ComposeForm(
    accounts: Vec<crate::dto::AccountView>,
    returned: Option<ComposeError>,
    action: ServerAction<CreatePost>,
) -> impl IntoView {
    let first = accounts.first().map(|a| a.id.clone()).unwrap_or_default();
    let form = Compose::new(returned, first, action);
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
            <AccountField form accounts=accounts.clone()/>
            <KindField form/>
            <StoriesWarning form accounts=accounts.clone()/>
            <MediaRows form/>
            <CaptionField form/>
            <ReelSettings form/>
            <PostExtras form/>
            <WhenField form/>
            <ExpiryWarning form accounts/>
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
pub(super) fn FieldError(
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
    let chosen = form.account;
    view! {
        <label>"Account"
            <select name="form[account_id]" required data-testid="compose-account"
                on:change=move |ev| chosen.set(event_target_value(&ev))>
                {accounts.into_iter().map(|a| view! {
                    <option value=a.id.clone()>"@" {a.instagram_username.clone()} " · " {a.facebook_page_name.clone()}</option>
                }).collect_view()}
            </select>
        </label>
        <FieldError form field="account_id"/>
    }
    .into_any()
}

/// A story for an account Instagram refused stories for: said before anything is queued (the
/// server refuses it too).
#[component]
fn StoriesWarning(form: Compose, accounts: Vec<crate::dto::AccountView>) -> AnyView {
    let blocked: Vec<(String, String)> = accounts
        .into_iter()
        .filter(|a| !a.can_post_stories)
        .map(|a| (a.id, a.instagram_username))
        .collect();
    (move || {
        let chosen = form.account.get();
        let username = blocked.iter().find(|(id, _)| *id == chosen).map(|(_, u)| u.clone())?;
        (form.kind.get() == PostKind::Story).then(|| view! {
            <p class="field-error" role="alert" data-testid="stories-warning">
                "@" {username} " cannot publish stories: Instagram only allows them from Business accounts. Switch it to Business in the Instagram app and reconnect it, or post to the feed."
            </p>
        })
    })
    .into_any()
}

/// A post scheduled past the time Meta said the account's login stops working: said before it
/// is queued, with the fix (reconnect first).
#[component]
fn ExpiryWarning(form: Compose, accounts: Vec<crate::dto::AccountView>) -> AnyView {
    let until: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = accounts
        .into_iter()
        .filter_map(|a| Some((a.id, a.instagram_username, a.publishable_until?)))
        .collect();
    (move || {
        if !form.later.get() {
            return None;
        }
        let at = browser::local_to_utc(&form.schedule_local.get());
        let at = chrono::DateTime::parse_from_rfc3339(&at).ok()?;
        let chosen = form.account.get();
        let (_, username, end) = until.iter().find(|(id, _, _)| *id == chosen)?;
        (at > *end).then(|| view! {
            <p class="field-error" role="alert" data-testid="expiry-warning">
                "@" {username.clone()} "'s Facebook access ends before this time, so the post would fail. Reconnect it on the Accounts page (which renews access), or pick an earlier time."
            </p>
        })
    })
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
    let local_when = form.schedule_local;
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
