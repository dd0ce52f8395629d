//! The Media page: the tenant's photos and videos, uploads by drag and drop or a file picker
//! (several at once, a progress bar each, cancel), large files in resumable chunks that survive a
//! dropped connection, and deleting a file no scheduled post needs.

use leptos::{form::ActionForm, prelude::*};

use super::{
    components::LocalTime, error_text, layout::SignInPrompt, when_signed_in, SessionResource,
};
use crate::dto::MediaView;

#[server(prefix = "/app/fn", endpoint = "list_media")]
pub async fn list_media() -> Result<Vec<MediaView>, ServerFnError> {
    use super::server;
    let tenant = server::tenant().await?;
    let services = server::services()?;
    let assets = services
        .library
        .list(&tenant, None, 100)
        .await
        .map_err(server::domain_error)?;
    Ok(assets
        .into_iter()
        .map(|a| crate::api::media::media_view(&services, a))
        .collect())
}

#[server(prefix = "/app/fn", endpoint = "delete_media")]
pub async fn delete_media(id: String) -> Result<(), ServerFnError> {
    use super::server;
    let result = async {
        let tenant = server::tenant().await?;
        server::services()?
            .library
            .delete(&tenant, &id)
            .await
            .map_err(server::domain_error)
    };
    server::form_result(
        <DeleteMedia as leptos::server_fn::ServerFn>::PATH,
        result.await,
    )
    .await
}

#[server(prefix = "/app/fn", endpoint = "set_media_alt")]
pub async fn set_media_alt(id: String, alt_text: String) -> Result<(), ServerFnError> {
    use super::server;
    let result = async {
        let tenant = server::tenant().await?;
        server::services()?
            .library
            .set_alt_text(&tenant, &id, Some(&alt_text))
            .await
            .map(|_| ())
            .map_err(server::domain_error)
    };
    server::form_result(
        <SetMediaAlt as leptos::server_fn::ServerFn>::PATH,
        result.await,
    )
    .await
}

#[component]
pub fn MediaPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    let state = LibraryState::new(session);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || session.get().map(|s| match s {
                Ok(info) if info.signed_in.is_some() => view! { <Library state/> }.into_any(),
                Ok(info) => view! { <SignInPrompt demo=info.demo/> }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Suspense>
    }
}

/// What the Media page reads and does, made once per page ([`super::when_signed_in`]).
#[derive(Clone, Copy)]
struct LibraryState {
    delete: ServerAction<DeleteMedia>,
    describe: ServerAction<SetMediaAlt>,
    /// Bumped when an upload finishes, so the list is read again.
    refresh: RwSignal<u32>,
    media: Resource<Result<Vec<MediaView>, ServerFnError>>,
    rows: RwSignal<Vec<UploadRow>>,
}

impl LibraryState {
    fn new(session: SessionResource) -> Self {
        let delete = ServerAction::<DeleteMedia>::new();
        let refresh = RwSignal::new(0u32);
        let media = Resource::new(
            move || (refresh.get(), delete.version().get()),
            move |_| when_signed_in(session, list_media()),
        );
        Self {
            delete,
            describe: ServerAction::<SetMediaAlt>::new(),
            refresh,
            media,
            rows: RwSignal::new(Vec::new()),
        }
    }
}

/// One file being uploaded, as the page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct UploadRow {
    pub key: u32,
    pub name: String,
    pub size: f64,
    pub sent: f64,
    /// `uploading`, `done`, `failed` or `cancelled`.
    pub state: &'static str,
    pub message: Option<String>,
}

#[component]
fn Library(state: LibraryState) -> impl IntoView {
    let LibraryState {
        delete,
        describe,
        refresh,
        media,
        rows,
    } = state;
    view! {
        <section class="page-head">
            <div>
                <h1>"Media library"</h1>
                <p class="muted">"Photos and videos you can post. Instagram downloads them from this service when a post goes out."</p>
            </div>
        </section>
        <UploadZone rows=rows refresh=refresh/>
        <UploadLines rows=rows/>
        {move || delete.value().get().and_then(|r| r.err()).map(|e| view! {
            <p class="alert error" role="alert" data-testid="delete-error">{error_text(&e)}</p>
        })}
        {move || describe.value().get().map(|r| match r {
            Ok(()) => view! { <p class="alert success" role="status" data-testid="alt-saved">"Alt text saved: it goes with the photo whenever it is posted."</p> }.into_any(),
            Err(e) => view! { <p class="alert error" role="alert" data-testid="alt-error">{error_text(&e)}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading your files…"</p> }>
            {move || media.get().map(|r| match r {
                Ok(list) if list.is_empty() => view! {
                    <p class="card empty" data-testid="media-empty">"No files yet. Drop photos or videos above."</p>
                }.into_any(),
                Ok(list) => view! {
                    <ul class="media-grid" data-testid="media">
                        {list.into_iter().map(|m| view! { <MediaCard media=m delete=delete describe=describe/> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="alert error">{error_text(&e)}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// The uploads in flight, each with its progress bar.
#[component]
pub(crate) fn UploadLines(rows: RwSignal<Vec<UploadRow>>) -> impl IntoView {
    view! {
        <Show when=move || !rows.with(Vec::is_empty)>
            <ul class="uploads" data-testid="uploads">
                <For each=move || rows.get() key=|r| (r.key, r.state, r.sent as u64) let:row>
                    <UploadLine row=row rows=rows/>
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn UploadLine(row: UploadRow, rows: RwSignal<Vec<UploadRow>>) -> impl IntoView {
    let percent = if row.size > 0.0 {
        (row.sent / row.size * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    };
    let key = row.key;
    let uploading = row.state == "uploading";
    view! {
        <li class="upload" data-testid="upload" data-name=row.name.clone() data-state=row.state>
            <span class="upload-name">{row.name.clone()}</span>
            <progress max="100" value=percent.round().to_string() aria-label=format!("{} uploaded", row.name)></progress>
            <span class="small muted">{format!("{}%", percent.round())}</span>
            {row.message.clone().map(|m| view! { <span class="small error-text" data-testid="upload-message">{m}</span> })}
            {uploading.then(|| view! {
                <button type="button" class="button ghost small" data-testid="upload-cancel"
                    on:click=move |_| upload::cancel(key, rows)>"Cancel"</button>
            })}
        </li>
    }
}

#[component]
fn MediaCard(
    media: MediaView,
    delete: ServerAction<DeleteMedia>,
    describe: ServerAction<SetMediaAlt>,
) -> impl IntoView {
    let MediaView {
        id,
        kind,
        file_name,
        width,
        height,
        duration_ms,
        thumbnail_url,
        created_at,
        alt_text,
        ..
    } = media;
    let alt = alt_text.unwrap_or_default();
    let size = match (width, height) {
        (Some(w), Some(h)) => format!("{w}×{h}"),
        _ => String::new(),
    };
    let kind_attr = kind.clone();
    let is_image = kind == "image";
    let alt_form_id = id.clone();
    let length = duration_ms
        .map(|ms| format!(" · {} s", ms / 1000))
        .unwrap_or_default();
    view! {
        <li class="card media-card" data-testid="media-card" data-name=file_name.clone() data-kind=kind_attr>
            {match thumbnail_url {
                Some(url) => view! { <img class="thumb" src=url alt=alt.clone() loading="lazy" data-testid="media-thumb"/> }.into_any(),
                None => view! { <span class="thumb placeholder" aria-hidden="true">"▶"</span> }.into_any(),
            }}
            <p class="small"><strong>{file_name.clone()}</strong></p>
            <p class="muted small">{kind} " · " {size} {length} " · " <LocalTime at=created_at date_only=true/></p>
            {is_image.then(|| view! {
                <ActionForm action=describe attr:class="alt-form">
                    <input type="hidden" name="id" value=alt_form_id/>
                    <label class="small">"Alt text"
                        <textarea name="alt_text" rows="2" maxlength="1000" data-testid="media-alt"
                            placeholder="What the photo shows, for people who cannot see it">{alt.clone()}</textarea>
                    </label>
                    <button type="submit" class="button ghost small" data-testid="media-alt-save">"Save alt text"</button>
                </ActionForm>
            })}
            <ActionForm action=delete>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button ghost small" data-testid="media-delete">"Delete"</button>
            </ActionForm>
        </li>
    }
}

/// The drop zone and file picker inside another form (the composer): no form of its own, and a
/// picker that submits nothing with the post.
#[component]
pub(crate) fn InlineUploadZone(
    rows: RwSignal<Vec<UploadRow>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let over = RwSignal::new(false);
    view! {
        <div class=move || if over.get() { "dropzone compact over" } else { "dropzone compact" } data-testid="compose-dropzone"
            on:dragover=move |ev| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| { ev.prevent_default(); over.set(false); upload::dropped(ev, rows, refresh); }>
            <p class="small"><strong>"Upload to your library:"</strong> " drop files here or "
                <label class="button small picker">"choose files"
                    <input type="file" multiple accept="image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime"
                        data-testid="compose-file-input" class="visually-hidden"
                        on:change=move |ev| upload::picked(ev, rows, refresh)/>
                </label>
            </p>
        </div>
    }
}

/// The drop zone and file picker. Before the wasm arrives it is a plain form; hydrated, each
/// file goes up on its own with a progress bar.
#[component]
fn UploadZone(rows: RwSignal<Vec<UploadRow>>, refresh: RwSignal<u32>) -> impl IntoView {
    let over = RwSignal::new(false);
    view! {
        <form class=move || if over.get() { "dropzone over" } else { "dropzone" } data-testid="dropzone"
            method="post" action="/library/media" enctype="multipart/form-data"
            on:dragover=move |ev| { ev.prevent_default(); over.set(true); }
            on:dragleave=move |_| over.set(false)
            on:drop=move |ev| { ev.prevent_default(); over.set(false); upload::dropped(ev, rows, refresh); }
            on:submit=move |ev| ev.prevent_default()>
            <p><strong>"Drop photos and videos here"</strong> " or "
                <label class="button small picker">"choose files"
                    <input type="file" name="file" multiple accept="image/jpeg,image/png,image/gif,image/webp,video/mp4,video/quicktime"
                        data-testid="file-input" class="visually-hidden"
                        on:change=move |ev| upload::picked(ev, rows, refresh)/>
                </label>
            </p>
            <p class="muted small">"JPEG, PNG, GIF or WebP photos; MP4 or MOV videos. Large videos go up in parts and resume if the connection drops."</p>
        </form>
    }
}

/// Uploads from the browser (hydrated only; the server renders the same page without them).
mod upload {
    #[cfg(not(feature = "hydrate"))]
    use leptos::prelude::*;

    use super::UploadRow;

    #[cfg(feature = "hydrate")]
    pub use browser::{cancel, dropped, picked};

    #[cfg(not(feature = "hydrate"))]
    pub fn cancel(_key: u32, _rows: RwSignal<Vec<UploadRow>>) {}
    #[cfg(not(feature = "hydrate"))]
    pub fn dropped(_ev: leptos::ev::DragEvent, _rows: RwSignal<Vec<UploadRow>>, _r: RwSignal<u32>) {
    }
    #[cfg(not(feature = "hydrate"))]
    pub fn picked(_ev: leptos::ev::Event, _rows: RwSignal<Vec<UploadRow>>, _r: RwSignal<u32>) {}

    #[cfg(feature = "hydrate")]
    mod browser {
        use std::{cell::RefCell, collections::HashMap};

        use leptos::prelude::*;
        use wasm_bindgen::{closure::Closure, JsCast, JsValue};
        use web_sys::{
            Blob, File, FileList, FormData, HtmlInputElement, ProgressEvent, XmlHttpRequest,
        };

        /// What a request carries.
        enum Payload {
            Nothing,
            Json(String),
            Part(Blob),
            Form(FormData),
        }

        use super::UploadRow;

        /// Files up to this size go up whole; larger ones in chunks of this size.
        const WHOLE_MAX: f64 = 8.0 * 1024.0 * 1024.0;
        /// Tries of one chunk when the connection drops.
        const CHUNK_TRIES: u32 = 4;

        thread_local! {
            /// The request in flight for each upload, to abort it on Cancel.
            static IN_FLIGHT: RefCell<HashMap<u32, XmlHttpRequest>> = RefCell::new(HashMap::new());
            static NEXT_KEY: RefCell<u32> = const { RefCell::new(0) };
        }

        pub fn picked(
            ev: leptos::ev::Event,
            rows: RwSignal<Vec<UploadRow>>,
            refresh: RwSignal<u32>,
        ) {
            let input: Option<HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
            if let Some(input) = input {
                if let Some(files) = input.files() {
                    start_all(files, rows, refresh);
                }
                input.set_value("");
            }
        }

        pub fn dropped(
            ev: leptos::ev::DragEvent,
            rows: RwSignal<Vec<UploadRow>>,
            refresh: RwSignal<u32>,
        ) {
            if let Some(files) = ev.data_transfer().and_then(|d| d.files()) {
                start_all(files, rows, refresh);
            }
        }

        pub fn cancel(key: u32, rows: RwSignal<Vec<UploadRow>>) {
            set(rows, key, |r| {
                r.state = "cancelled";
                r.message = Some("Cancelled.".into());
            });
            if let Some(xhr) = IN_FLIGHT.with(|m| m.borrow_mut().remove(&key)) {
                let _ = xhr.abort();
            }
        }

        fn start_all(files: FileList, rows: RwSignal<Vec<UploadRow>>, refresh: RwSignal<u32>) {
            for i in 0..files.length() {
                let Some(file) = files.item(i) else { continue };
                let key = NEXT_KEY.with(|k| {
                    let mut k = k.borrow_mut();
                    *k += 1;
                    *k
                });
                rows.update(|list| {
                    list.push(UploadRow {
                        key,
                        name: file.name(),
                        size: file.size(),
                        sent: 0.0,
                        state: "uploading",
                        message: None,
                    })
                });
                leptos::task::spawn_local(async move {
                    let result = if file.size() <= WHOLE_MAX {
                        whole(key, &file, rows).await
                    } else {
                        chunked(key, &file, rows).await
                    };
                    IN_FLIGHT.with(|m| m.borrow_mut().remove(&key));
                    if cancelled(rows, key) {
                        return;
                    }
                    match result {
                        Ok(()) => {
                            set(rows, key, |r| {
                                r.state = "done";
                                r.sent = r.size;
                            });
                            refresh.update(|n| *n += 1);
                        }
                        Err(message) => set(rows, key, |r| {
                            r.state = "failed";
                            r.message = Some(message);
                        }),
                    }
                });
            }
        }

        fn cancelled(rows: RwSignal<Vec<UploadRow>>, key: u32) -> bool {
            rows.with_untracked(|list| list.iter().any(|r| r.key == key && r.state == "cancelled"))
        }

        fn set(rows: RwSignal<Vec<UploadRow>>, key: u32, change: impl FnOnce(&mut UploadRow)) {
            rows.update(|list| {
                if let Some(row) = list.iter_mut().find(|r| r.key == key) {
                    change(row);
                }
            });
        }

        /// A small file in one multipart request.
        async fn whole(
            key: u32,
            file: &File,
            rows: RwSignal<Vec<UploadRow>>,
        ) -> Result<(), String> {
            let form = FormData::new().map_err(js_error)?;
            form.append_with_blob_and_filename("file", file, &file.name())
                .map_err(js_error)?;
            let (status, body) = send(
                key,
                "POST",
                "/library/media",
                &[],
                Payload::Form(form),
                move |loaded| set(rows, key, |r| r.sent = loaded),
            )
            .await?;
            answer(status, &body).map(|_| ())
        }

        /// A large file in chunks, each resent (from where the server says it is) when the
        /// connection drops.
        async fn chunked(
            key: u32,
            file: &File,
            rows: RwSignal<Vec<UploadRow>>,
        ) -> Result<(), String> {
            let start = serde_json::json!({"file_name": file.name(), "size": file.size() as u64});
            let (status, body) = send(
                key,
                "POST",
                "/library/media/uploads",
                &[("content-type", "application/json")],
                Payload::Json(start.to_string()),
                |_| {},
            )
            .await?;
            let upload = answer(status, &body)?;
            let id = upload["upload"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let chunk = upload["upload"]["chunk_size"].as_f64().unwrap_or(WHOLE_MAX);
            let mut offset = 0.0;
            let mut tries = 0;
            while offset < file.size() {
                if cancelled(rows, key) {
                    return Ok(());
                }
                let end = (offset + chunk).min(file.size());
                let part = file.slice_with_f64_and_f64(offset, end).map_err(js_error)?;
                let base = offset;
                let sent = send(
                    key,
                    "PATCH",
                    &format!("/library/media/uploads/{id}"),
                    &[("upload-offset", &format!("{}", offset as u64))],
                    Payload::Part(part),
                    move |loaded| set(rows, key, |r| r.sent = base + loaded),
                )
                .await;
                match sent {
                    Ok((status, body)) if status < 300 => {
                        let done = answer(status, &body)?;
                        offset = done["upload"]["offset"].as_f64().unwrap_or(end);
                        tries = 0;
                    }
                    // Dropped, or the server has a different offset: ask where it is and go on.
                    _ if tries + 1 < CHUNK_TRIES && !cancelled(rows, key) => {
                        tries += 1;
                        let (status, body) = send(
                            key,
                            "GET",
                            &format!("/library/media/uploads/{id}"),
                            &[],
                            Payload::Nothing,
                            |_| {},
                        )
                        .await?;
                        offset = answer(status, &body)?["upload"]["offset"]
                            .as_f64()
                            .unwrap_or(offset);
                    }
                    Ok((status, body)) => return answer(status, &body).map(|_| ()),
                    Err(e) => return Err(e),
                }
            }
            Ok(())
        }

        /// The JSON answer, or its error message.
        fn answer(status: u16, body: &str) -> Result<serde_json::Value, String> {
            let value: serde_json::Value = serde_json::from_str(body)
                .map_err(|_| format!("The service answered {status}."))?;
            match status {
                200..=299 => Ok(value),
                _ => Err(value["message"]
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| format!("The service answered {status}."))),
            }
        }

        fn js_error(e: JsValue) -> String {
            e.as_string()
                .unwrap_or_else(|| "The browser refused the file.".into())
        }

        /// One request with upload progress; resolves with its status and body.
        async fn send(
            key: u32,
            method: &str,
            url: &str,
            headers: &[(&str, &str)],
            body: Payload,
            progress: impl Fn(f64) + 'static,
        ) -> Result<(u16, String), String> {
            let xhr = XmlHttpRequest::new().map_err(js_error)?;
            xhr.open(method, url).map_err(js_error)?;
            for (name, value) in headers {
                xhr.set_request_header(name, value).map_err(js_error)?;
            }
            let on_progress = Closure::<dyn Fn(ProgressEvent)>::new(move |e: ProgressEvent| {
                if e.length_computable() {
                    progress(e.loaded());
                }
            });
            if let Ok(upload) = xhr.upload() {
                upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            }
            let done = js_sys::Promise::new(&mut |resolve, _reject| {
                let finish = Closure::once_into_js(move || {
                    let _ = resolve.call0(&JsValue::NULL);
                });
                xhr.set_onloadend(Some(finish.unchecked_ref()));
            });
            IN_FLIGHT.with(|m| m.borrow_mut().insert(key, xhr.clone()));
            match &body {
                Payload::Nothing => xhr.send(),
                Payload::Json(text) => xhr.send_with_opt_str(Some(text)),
                Payload::Part(blob) => xhr.send_with_opt_blob(Some(blob)),
                Payload::Form(form) => xhr.send_with_opt_form_data(Some(form)),
            }
            .map_err(js_error)?;
            let _ = wasm_bindgen_futures::JsFuture::from(done).await;
            drop(on_progress);
            match xhr.status().unwrap_or(0) {
                0 => Err("The connection dropped. Try again.".into()),
                status => Ok((
                    status,
                    xhr.response_text().ok().flatten().unwrap_or_default(),
                )),
            }
        }
    }
}
