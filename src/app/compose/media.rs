//! The composer's media rows: a URL, its type and alt text, a preview; carousels have 2 to 10.

use leptos::prelude::*;

use super::{
    form::{Compose, FieldError},
    tags::{self, PeopleTags, TagMarkers, Tagging},
    ComposeError,
};
use crate::dto::{MediaType, PostKind, UserTag, MAX_CAROUSEL_ITEMS, MIN_CAROUSEL_ITEMS};

/// One media row of the composer.
#[derive(Clone, Copy)]
pub(super) struct Row {
    pub(super) key: u32,
    pub(super) url: RwSignal<String>,
    pub(super) media_type: RwSignal<MediaType>,
    pub(super) alt: RwSignal<String>,
    pub(super) tags: RwSignal<Vec<UserTag>>,
    /// The tag a click on the preview places.
    pub(super) placing: RwSignal<usize>,
}

impl Row {
    pub(super) fn new(key: u32, media_type: MediaType) -> Self {
        Self {
            key,
            url: RwSignal::new(String::new()),
            media_type: RwSignal::new(media_type),
            alt: RwSignal::new(String::new()),
            tags: RwSignal::new(vec![]),
            placing: RwSignal::new(0),
        }
    }
}

#[component]
pub(super) fn MediaRows(form: Compose) -> AnyView {
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
                <PeopleTags index row kind/>
            </div>
            <MediaPreview row kind/>
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

/// What the URL shows, once it looks like one; on feed images, where the people tagged are.
#[component]
fn MediaPreview(row: Row, kind: RwSignal<PostKind>) -> AnyView {
    let preview = move || {
        let url = row.url.get();
        // Plain http shows too: the server says whether the URL may be used (MEDIA_PRIVATE_ORIGINS).
        (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
    };
    let place = move |ev: leptos::ev::MouseEvent| {
        if Tagging::of(kind.get_untracked(), row.media_type.get_untracked()) == Tagging::Positioned
        {
            tags::place_on_click(row, &ev);
        }
    };
    view! {
        <div class="preview" aria-hidden="true" data-testid="media-preview">
            {move || match (preview(), row.media_type.get() == MediaType::Image) {
                (Some(url), true) => view! {
                    <img src=url alt="" referrerpolicy="no-referrer" on:click=place/>
                    <TagMarkers row kind/>
                }.into_any(),
                (Some(url), false) => view! { <video src=url muted preload="metadata"></video> }.into_any(),
                (None, _) => view! { <span class="muted small">"Preview"</span> }.into_any(),
            }}
        </div>
    }
    .into_any()
}
