//! The composer's media rows: a URL, its type and alt text, a preview; carousels have 2 to 10.

use leptos::prelude::*;

use super::{
    form::{Compose, FieldError},
    tags::{self, PeopleTags, TagMarkers, Tagging},
    ComposeError,
};
use crate::{
    app::library::{list_media, InlineUploadZone, UploadLines, UploadRow},
    dto::{MediaType, MediaView, PostKind, UserTag, MAX_CAROUSEL_ITEMS, MIN_CAROUSEL_ITEMS},
};

/// The tenant's library for every row's picker, read once per page and again after an upload
/// here (made by the page: [`crate::app::when_signed_in`]).
#[derive(Clone, Copy)]
pub(super) struct LibraryFiles {
    pub(super) files: Resource<Result<Vec<MediaView>, ServerFnError>>,
    pub(super) uploaded: RwSignal<u32>,
}

impl LibraryFiles {
    pub(super) fn new(session: crate::app::SessionResource) -> Self {
        let uploaded = RwSignal::new(0u32);
        let files = Resource::new(
            move || uploaded.get(),
            move |_| crate::app::when_signed_in(session, list_media()),
        );
        Self { files, uploaded }
    }
}

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
    /// A file of the media library chosen in place of the URL.
    pub(super) media_id: RwSignal<String>,
    /// `crop` or `pad`: how a library photo takes the post's shape.
    pub(super) fit: RwSignal<String>,
    /// Which part a crop keeps: `top`, `centre` or `bottom` (left, centre, right for wide ones).
    pub(super) keep: RwSignal<String>,
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
            media_id: RwSignal::new(String::new()),
            fit: RwSignal::new("crop".into()),
            keep: RwSignal::new("centre".into()),
        }
    }

    /// The focal point a crop keeps, from the row's choice.
    pub(super) fn focal(self) -> (f32, f32) {
        match self.keep.get().as_str() {
            "top" => (0.5, 0.0),
            "bottom" => (0.5, 1.0),
            _ => (0.5, 0.5),
        }
    }
}

#[component]
pub(super) fn MediaRows(form: Compose) -> AnyView {
    let rows = form.rows;
    let uploaded = expect_context::<LibraryFiles>().uploaded;
    let uploads = RwSignal::new(Vec::<UploadRow>::new());
    let no_more_rows = move || {
        !(form.kind.get() == PostKind::Carousel && rows.with(|r| r.len()) < MAX_CAROUSEL_ITEMS)
    };
    view! {
        <div class="media-rows">
            <InlineUploadZone rows=uploads refresh=uploaded/>
            <UploadLines rows=uploads/>
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
    let from_library = move || !row.media_id.get().is_empty();
    view! {
        <div class="media-row" data-testid="media-row">
            <div class="media-fields stack">
                <LibraryPicker index row/>
                <label class:hidden=from_library>{label}
                    <input type="url" name=format!("form[media][{index}][url]") required=move || !from_library() inputmode="url" placeholder="https://…/photo.jpg"
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

/// A file of the media library instead of a URL; for a photo, how it takes the post's shape.
#[component]
fn LibraryPicker(index: usize, row: Row) -> AnyView {
    let library = expect_context::<LibraryFiles>().files;
    let wanted = move || match row.media_type.get() {
        MediaType::Image => "image",
        MediaType::Video => "video",
    };
    let is_photo =
        move || !row.media_id.get().is_empty() && row.media_type.get() == MediaType::Image;
    view! {
        <div class="row library-pick">
            <label class="small">"From your library"
                <select name=format!("form[media][{index}][media_id]") data-testid="library-pick"
                    on:change=move |ev| row.media_id.set(event_target_value(&ev))>
                    <option value="" selected=move || row.media_id.get().is_empty()>"— a URL instead —"</option>
                    <Transition fallback=|| ()>
                        {move || library.get().and_then(Result::ok).map(|files| {
                            files.into_iter().filter(|f| f.kind == wanted()).map(|f| {
                                let id = f.id.clone();
                                let chosen = move || row.media_id.get() == id;
                                view! { <option value=f.id.clone() selected=chosen>{f.file_name.clone()}</option> }
                            }).collect_view()
                        })}
                    </Transition>
                </select>
            </label>
            {move || is_photo().then(|| view! {
                <label class="small">"Shape"
                    <select name=format!("form[media][{index}][fit]") data-testid="library-fit"
                        on:change=move |ev| row.fit.set(event_target_value(&ev))>
                        <option value="crop" selected=move || row.fit.get() == "crop">"Crop to fit"</option>
                        <option value="pad" selected=move || row.fit.get() == "pad">"Fit whole, white bars"</option>
                    </select>
                </label>
                <label class="small" class:hidden=move || row.fit.get() != "crop">"Keep"
                    <select data-testid="library-keep" on:change=move |ev| row.keep.set(event_target_value(&ev))>
                        <option value="top" selected=move || row.keep.get() == "top">"the top"</option>
                        <option value="centre" selected=move || row.keep.get() == "centre">"the centre"</option>
                        <option value="bottom" selected=move || row.keep.get() == "bottom">"the bottom"</option>
                    </select>
                </label>
                <input type="hidden" name=format!("form[media][{index}][focal_x]") value=move || row.focal().0.to_string()/>
                <input type="hidden" name=format!("form[media][{index}][focal_y]") value=move || row.focal().1.to_string()/>
            })}
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

/// What the URL shows, once it looks like one, or the library photo exactly as it will be
/// posted; on feed images, where the people tagged are.
#[component]
fn MediaPreview(row: Row, kind: RwSignal<PostKind>) -> AnyView {
    let prepared = Resource::new(
        move || {
            let id = row.media_id.get();
            let photo = row.media_type.get() == MediaType::Image;
            (!id.is_empty() && photo).then(|| (id, kind.get(), row.fit.get(), row.focal()))
        },
        |asked| async move {
            let (id, kind, fit, (x, y)) = asked?;
            super::preview_media(id, kind_name(kind).into(), fit, x, y)
                .await
                .ok()
        },
    );
    let preview = move || {
        if !row.media_id.get().is_empty() {
            return prepared.get().flatten();
        }
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

fn kind_name(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Image => "image",
        PostKind::Carousel => "carousel",
        PostKind::Reel => "reel",
        PostKind::Story => "story",
    }
}
