//! What a post carries besides its media and caption, where Instagram allows it
//! (docs/graph-api.md §5): collaborators, a location, the AI label and a first comment on feed
//! posts and reels; sharing to the feed, a cover and trial reels on reels. The page checks what
//! it can as the person types; the server checks everything again (domain::posts::options).

use leptos::prelude::*;

use super::{
    form::{Compose, FieldError},
    place::LocationField,
};
use crate::dto::{
    instagram_username, CaptionCounts, PlaceView, PostKind, MAX_CAPTION_CHARS, MAX_COLLABORATORS,
    MAX_HASHTAGS, MAX_MENTIONS,
};

/// The extras' state, part of the composer's.
#[derive(Clone, Copy)]
pub(super) struct Extras {
    collaborators: RwSignal<String>,
    pub(super) place: RwSignal<Option<PlaceView>>,
    ai_label: RwSignal<bool>,
    first_comment: RwSignal<String>,
    share_to_feed: RwSignal<bool>,
    cover_url: RwSignal<String>,
    cover_frame: RwSignal<String>,
    trial: RwSignal<String>,
}

impl Extras {
    pub(super) fn new() -> Self {
        Self {
            collaborators: RwSignal::new(String::new()),
            place: RwSignal::new(None),
            ai_label: RwSignal::new(false),
            first_comment: RwSignal::new(String::new()),
            share_to_feed: RwSignal::new(true),
            cover_url: RwSignal::new(String::new()),
            cover_frame: RwSignal::new(String::new()),
            trial: RwSignal::new(String::new()),
        }
    }

    pub(super) fn reset(self) {
        self.collaborators.set(String::new());
        self.place.set(None);
        self.ai_label.set(false);
        self.first_comment.set(String::new());
        self.share_to_feed.set(true);
        self.cover_url.set(String::new());
        self.cover_frame.set(String::new());
        self.trial.set(String::new());
    }
}

/// Collaborators as typed: separated by commas or spaces.
fn names(typed: &str) -> impl Iterator<Item = &str> {
    typed
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

/// What is wrong with the typed collaborators, before the server says it.
fn collaborators_problem(typed: &str) -> Option<String> {
    if let Some(bad) = names(typed).find(|n| instagram_username(n).is_none()) {
        return Some(format!(
            "\"{bad}\" is not an Instagram username (letters, digits, dots and underscores)."
        ));
    }
    let n = names(typed).count();
    (n > MAX_COLLABORATORS).then(|| {
        format!("Instagram allows at most {MAX_COLLABORATORS} collaborators; {n} were given.")
    })
}

/// The form's extras as the request's options; settings the kind does not show are left out.
#[cfg(feature = "ssr")]
pub(super) fn from_form(
    kind: PostKind,
    form: &super::ComposeForm,
) -> Result<crate::dto::PostOptions, super::FieldError> {
    use crate::dto::{Place, PostOptions, TrialReel};
    let text = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| s.trim().to_string())
    };
    let mut options = PostOptions {
        collaborators: names(&form.collaborators).map(str::to_string).collect(),
        location: text(&form.location_id).map(|id| Place {
            id,
            name: text(&form.location_name),
        }),
        is_ai_generated: form.is_ai_generated.is_some(),
        first_comment: text(&form.first_comment),
        ..PostOptions::default()
    };
    // The reel settings are on the page only for reels (a checkbox left unticked sends nothing).
    if kind == PostKind::Reel && form.reel_settings.is_some() {
        options.share_to_feed = Some(form.share_to_feed.is_some());
        options.cover_url = text(&form.cover_url);
        options.thumb_offset_ms = match text(&form.cover_frame_secs) {
            None => None,
            Some(secs) => Some(seconds_to_ms(&secs).ok_or_else(|| {
                (
                    Some("thumb_offset_ms".to_string()),
                    "Give the cover frame in seconds from the start of the video, e.g. 2.5."
                        .to_string(),
                )
            })?),
        };
        options.trial_reel = match form.trial_reel.as_deref() {
            Some("manual") => Some(TrialReel::Manual),
            Some("performance") => Some(TrialReel::Performance),
            _ => None,
        };
    }
    Ok(options)
}

#[cfg(feature = "ssr")]
fn seconds_to_ms(secs: &str) -> Option<u64> {
    let secs: f64 = secs.replace(',', ".").parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).round() as u64)
}

/// Collaborators, location, the AI label and a first comment: feed posts and reels.
#[component]
pub(super) fn PostExtras(form: Compose) -> AnyView {
    (move || {
        (form.kind.get() != PostKind::Story).then(|| {
            view! {
                <fieldset class="extras stack" data-testid="post-extras">
                    <legend>"More"</legend>
                    <Collaborators form/>
                    <LocationField form/>
                    <FirstComment form/>
                    <label class="inline-choice">
                        <input type="checkbox" name="form[is_ai_generated]" prop:checked=move || form.extras.ai_label.get()
                            on:change=move |ev| form.extras.ai_label.set(event_target_checked(&ev)) data-testid="ai-label"/>
                        " Made or edited with AI (Instagram shows its \"AI info\" label)"
                    </label>
                </fieldset>
            }
        })
    })
    .into_any()
}

#[component]
fn Collaborators(form: Compose) -> AnyView {
    let typed = form.extras.collaborators;
    view! {
        <label>"Collaborators"
            <input name="form[collaborators]" placeholder="Up to 3 usernames, separated by commas"
                prop:value=move || typed.get() on:input=move |ev| typed.set(event_target_value(&ev))
                data-testid="collaborators"/>
            <span class="hint">"They are invited; the post shows on their profile once they accept in Instagram."</span>
        </label>
        {move || typed.with(|t| collaborators_problem(t)).map(|p| view! {
            <span class="field-error" role="alert" data-testid="collaborators-error">{p}</span>
        })}
        <FieldError form field="collaborators"/>
    }
    .into_any()
}

#[component]
fn FirstComment(form: Compose) -> AnyView {
    let comment = form.extras.first_comment;
    let counts = move || CaptionCounts::of(&comment.get());
    let too_long = move || counts().characters > MAX_CAPTION_CHARS;
    let too_many_tags = move || counts().hashtags > MAX_HASHTAGS;
    let too_many_mentions = move || counts().mentions > MAX_MENTIONS;
    view! {
        <label>"First comment"
            <textarea name="form[first_comment]" rows="2" maxlength="4000" placeholder="Posted as a comment right after the post goes live (hashtags often go here)"
                prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))
                data-testid="first-comment"></textarea>
        </label>
        <p class="counters" class:hidden=move || comment.with(String::is_empty) data-testid="first-comment-counters">
            <span class:over=too_long>{move || counts().characters} " / " {MAX_CAPTION_CHARS} " characters"</span>
            <span class:over=too_many_tags>{move || counts().hashtags} " / " {MAX_HASHTAGS} " hashtags"</span>
            <span class:over=too_many_mentions>{move || counts().mentions} " / " {MAX_MENTIONS} " mentions"</span>
        </p>
        <FieldError form field="first_comment"/>
    }
    .into_any()
}

/// Reels: share to the feed, the cover, trial reels.
#[component]
pub(super) fn ReelSettings(form: Compose) -> AnyView {
    let x = form.extras;
    let both_covers =
        move || !x.cover_url.get().trim().is_empty() && !x.cover_frame.get().trim().is_empty();
    (move || {
        (form.kind.get() == PostKind::Reel).then(|| view! {
            <fieldset class="reel-settings stack" data-testid="reel-settings">
                <legend>"Reel"</legend>
                <input type="hidden" name="form[reel_settings]" value="shown"/>
                <label class="inline-choice">
                    <input type="checkbox" name="form[share_to_feed]" prop:checked=move || x.share_to_feed.get()
                        on:change=move |ev| x.share_to_feed.set(event_target_checked(&ev)) data-testid="share-to-feed"/>
                    " Also show it in the feed grid"
                </label>
                <div class="row">
                    <label class="grow">"Cover image (JPEG URL)"
                        <input type="url" name="form[cover_url]" placeholder="https://…/cover.jpg" inputmode="url"
                            prop:value=move || x.cover_url.get() on:input=move |ev| x.cover_url.set(event_target_value(&ev))
                            data-testid="cover-url"/>
                    </label>
                    <label>"or a frame at (seconds)"
                        <input type="number" name="form[cover_frame_secs]" min="0" step="0.1"
                            prop:value=move || x.cover_frame.get() on:input=move |ev| x.cover_frame.set(event_target_value(&ev))
                            data-testid="cover-frame"/>
                    </label>
                </div>
                {move || both_covers().then(|| view! {
                    <span class="field-error" role="alert">"Choose a cover image or a frame of the video, not both."</span>
                })}
                <FieldError form field="cover_url"/>
                <FieldError form field="thumb_offset_ms"/>
                <label>"Trial reel"
                    <select name="form[trial_reel]" on:change=move |ev| x.trial.set(event_target_value(&ev)) data-testid="trial-reel">
                        <option value="" selected=move || x.trial.get().is_empty()>"No: show it to followers"</option>
                        <option value="manual" selected=move || x.trial.get() == "manual">"Trial: non-followers first; I share it with followers in Instagram"</option>
                        <option value="performance" selected=move || x.trial.get() == "performance">"Trial: non-followers first; shared with followers if it does well"</option>
                    </select>
                </label>
                <FieldError form field="trial_reel"/>
            </fieldset>
        })
    })
    .into_any()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::dto::TrialReel;

    fn form(kind: &str) -> super::super::ComposeForm {
        serde_json::from_value(serde_json::json!({"account_id": "a", "kind": kind})).unwrap()
    }

    #[test]
    fn the_forms_extras_become_the_requests_options() {
        let mut f = form("image");
        f.collaborators = " @cara.creates,dan_d  eve ".into();
        f.location_id = Some("110000000000002".into());
        f.location_name = Some("Café Central".into());
        f.is_ai_generated = Some("on".into());
        f.first_comment = Some("   ".into());
        let o = from_form(PostKind::Image, &f).unwrap();
        assert_eq!(o.collaborators, ["@cara.creates", "dan_d", "eve"]);
        assert_eq!(o.location.unwrap().name.as_deref(), Some("Café Central"));
        assert!(o.is_ai_generated);
        assert_eq!(o.first_comment, None, "a blank comment is no comment");
    }

    #[test]
    fn reel_settings_count_only_when_the_page_showed_them() {
        let mut f = form("reel");
        f.cover_frame_secs = Some("2,5".into());
        f.trial_reel = Some("manual".into());
        // Shown, with the feed box unticked: the reel stays out of the grid.
        f.reel_settings = Some("shown".into());
        let o = from_form(PostKind::Reel, &f).unwrap();
        assert_eq!(
            (o.share_to_feed, o.thumb_offset_ms, o.trial_reel),
            (Some(false), Some(2500), Some(TrialReel::Manual))
        );
        // Not shown (a page without JavaScript): Instagram's defaults.
        f.reel_settings = None;
        let o = from_form(PostKind::Reel, &f).unwrap();
        assert_eq!(
            (o.share_to_feed, o.thumb_offset_ms, o.trial_reel),
            (None, None, None)
        );
        // And never for other kinds.
        f.reel_settings = Some("shown".into());
        assert_eq!(from_form(PostKind::Image, &f).unwrap().trial_reel, None);
    }

    #[test]
    fn a_cover_frame_that_is_not_seconds_is_refused_on_its_field() {
        let mut f = form("reel");
        f.reel_settings = Some("shown".into());
        f.cover_frame_secs = Some("soon".into());
        let (field, message) = from_form(PostKind::Reel, &f).unwrap_err();
        assert_eq!(field.as_deref(), Some("thumb_offset_ms"));
        assert!(message.contains("seconds"), "{message}");
    }

    #[test]
    fn collaborators_are_checked_while_typing() {
        assert_eq!(collaborators_problem("a, b c"), None);
        assert!(collaborators_problem("a, b, c, d")
            .unwrap()
            .contains("at most 3"));
        assert!(collaborators_problem("a, b!").unwrap().contains("\"b!\""));
    }
}
