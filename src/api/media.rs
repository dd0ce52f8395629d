//! The media library over the JSON API: uploads (whole files as multipart, large ones in
//! resumable chunks), the tenant's files, their alt text, deleting them, and a preview of a photo
//! exactly as it would be posted.

use axum::{
    body::Body,
    extract::{Multipart, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::caller::{ApiCaller, Caller, SessionCaller};
use crate::{
    domain::{
        library::{Asset, Placement, Shape},
        store::StoreError,
        DomainError,
    },
    dto::{MediaView, UploadView},
    http::{ApiError, Path, Query, Success},
    server::{AppState, Services},
};

/// Routes whose bodies are small (JSON), under the API's usual body limit.
pub fn router() -> Router<AppState> {
    small::<ApiCaller>()
}

/// Routes that take file bytes, under the library's own limits (`server::router`).
pub fn upload_router() -> Router<AppState> {
    uploads::<ApiCaller>().route("/media", post(add::<ApiCaller>))
}

/// The same for a browser signed in here (the Media page), under `/library`.
pub fn page_router() -> Router<AppState> {
    small::<SessionCaller>()
}

pub fn page_upload_router() -> Router<AppState> {
    uploads::<SessionCaller>().route("/media", post(add_from_page))
}

fn small<C: Caller + 'static>() -> Router<AppState> {
    Router::new()
        .route("/media", get(list::<C>))
        .route(
            "/media/{id}",
            get(one::<C>).patch(edit::<C>).delete(remove::<C>),
        )
        .route("/media/{id}/preview", get(preview::<C>))
        .route("/media/uploads", post(start_upload::<C>))
        .route("/media/uploads/{id}", get(upload_status::<C>))
}

fn uploads<C: Caller + 'static>() -> Router<AppState> {
    Router::new().route("/media/uploads/{id}", axum::routing::patch(append::<C>))
}

/// A library file as the API and the page show it.
pub fn media_view(services: &Services, asset: Asset) -> MediaView {
    MediaView {
        thumbnail_url: services.library.thumbnail_url(&asset),
        id: asset.id,
        kind: asset.kind.as_str().into(),
        format: asset.format,
        file_name: asset.file_name,
        size: asset.size,
        width: asset.width,
        height: asset.height,
        duration_ms: asset.duration_ms,
        alt_text: asset.alt_text,
        created_at: asset.created_at,
    }
}

#[derive(Serialize)]
pub struct OneMedia {
    media: MediaView,
    /// `true` when the tenant had these exact bytes already: that file is returned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

/// `POST /media` (multipart: `file`, optional `alt_text`): 201 with the new file, or 200 with the
/// one the tenant already had.
pub async fn add<C: Caller>(
    State(services): State<Services>,
    caller: C,
    mut form: Multipart,
) -> Result<Success<OneMedia>, ApiError> {
    let tenant = caller.tenant();
    let (mut file, mut alt) = (None, None);
    while let Some(field) = form.next_field().await.map_err(multipart)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("upload").to_string();
                file = Some((name, field.bytes().await.map_err(multipart)?));
            }
            Some("alt_text") => alt = Some(field.text().await.map_err(multipart)?),
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| {
        ApiError::from(DomainError::invalid(
            "file",
            "Send the file in a multipart field named \"file\".",
        ))
    })?;
    let (mut asset, created) = services.library.add(&tenant, &name, bytes).await?;
    if let Some(alt) = alt.filter(|a| !a.trim().is_empty()) {
        asset = services
            .library
            .set_alt_text(&tenant, &asset.id, Some(&alt))
            .await?;
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(Success(
        status,
        OneMedia {
            media: media_view(&services, asset),
            duplicate: !created,
        },
    ))
}

/// Where the Media page's plain upload form posts: hydrated, the page sends files itself and
/// reads JSON; before its script runs (or without JavaScript) the drop zone is a plain form, and
/// that browser is sent back to the page, a refusal kept for the page to show.
pub async fn add_from_page(
    services: State<Services>,
    headers: HeaderMap,
    session: tower_sessions::Session,
    caller: SessionCaller,
    form: Multipart,
) -> Response {
    let result = add(services, caller, form).await;
    let plain_form = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !plain_form {
        return result.into_response();
    }
    if let Err(refused) = result {
        let flash = crate::dto::Flash {
            action: PAGE_UPLOAD_ACTION.into(),
            field: None,
            message: refused.message(),
        };
        if let Err(e) = crate::auth::session::keep_flash(&session, &flash).await {
            tracing::warn!(error = %e, "could not keep an upload's refusal for the page");
        }
    }
    axum::response::Redirect::to("/media").into_response()
}

/// The name a refused plain upload is kept under.
const PAGE_UPLOAD_ACTION: &str = "/library/media";

fn multipart(e: axum::extract::multipart::MultipartError) -> ApiError {
    match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => DomainError::TooLarge(
            "The file is larger than a single upload may be: send it in chunks (POST /media/uploads)."
                .into(),
        )
        .into(),
        _ => ApiError::BadRequest(format!("The multipart body could not be read: {}", e.body_text())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    file_name: String,
    size: u64,
}

#[derive(Serialize)]
pub struct UploadBody {
    upload: UploadView,
    #[serde(skip_serializing_if = "Option::is_none")]
    media: Option<MediaView>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

fn upload_view(services: &Services, upload: &crate::domain::library::Upload) -> UploadView {
    UploadView {
        id: upload.id.clone(),
        file_name: upload.file_name.clone(),
        size: upload.size,
        offset: upload.received,
        chunk_size: services.library.config().max_chunk_bytes,
        expires_at: upload.expires_at,
    }
}

/// `POST /media/uploads {file_name, size}`: a resumable upload; send its bytes in chunks with
/// `PATCH /media/uploads/{id}` and `Upload-Offset`.
pub async fn start_upload<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Json(body): Json<NewUpload>,
) -> Result<Success<UploadBody>, ApiError> {
    let tenant = caller.tenant();
    let upload = services
        .library
        .start_upload(&tenant, &body.file_name, body.size)
        .await?;
    Ok(Success(
        StatusCode::CREATED,
        UploadBody {
            upload: upload_view(&services, &upload),
            media: None,
            duplicate: false,
        },
    ))
}

/// `GET /media/uploads/{id}`: how far it is, to resume after a dropped connection.
pub async fn upload_status<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Path(id): Path<String>,
) -> Result<Success<UploadBody>, ApiError> {
    let tenant = caller.tenant();
    let upload = services.library.upload(&tenant, &id).await?;
    Ok(Success::ok(UploadBody {
        upload: upload_view(&services, &upload),
        media: None,
        duplicate: false,
    }))
}

/// `PATCH /media/uploads/{id}` with `Upload-Offset: n` and the bytes from `n`: 200 with the new
/// offset; the last chunk answers 201 with the file. A chunk for another offset: 409, resume from
/// the upload's offset.
pub async fn append<C: Caller>(
    state: State<Services>,
    caller: C,
    id: Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match store_chunk(state, caller, id, headers, body).await {
        Ok(stored) => stored.into_response(),
        // A refused chunk is not read: the connection cannot carry another request after it.
        Err(refused) => {
            let mut response = refused.into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

async fn store_chunk<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Success<UploadBody>, ApiError> {
    let tenant = caller.tenant();
    let offset = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::BadRequest("Say where the chunk starts in an Upload-Offset header.".into())
        })?;
    let chunk = body
        .into_data_stream()
        .map_err(|e| StoreError::unavailable("the upload's connection", e))
        .boxed();
    let progress = services.library.append(&tenant, &id, offset, chunk).await?;
    let upload = upload_view(&services, &progress.upload);
    Ok(match progress.asset {
        Some((asset, created)) => Success(
            if created {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            },
            UploadBody {
                upload,
                media: Some(media_view(&services, asset)),
                duplicate: !created,
            },
        ),
        None => Success::ok(UploadBody {
            upload,
            media: None,
            duplicate: false,
        }),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

#[derive(Serialize)]
pub struct MediaList {
    media: Vec<MediaView>,
    /// Pass as `before` for the next page.
    next_cursor: Option<String>,
}

/// `GET /media?before=&limit=`: the tenant's files, newest first.
pub async fn list<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Query(params): Query<ListParams>,
) -> Result<Success<MediaList>, ApiError> {
    let tenant = caller.tenant();
    let limit = params.limit.unwrap_or(50).clamp(1, 100);
    let assets = services
        .library
        .list(&tenant, params.before.as_deref(), limit)
        .await?;
    let next_cursor = (assets.len() == limit)
        .then(|| assets.last().map(|a| a.id.clone()))
        .flatten();
    Ok(Success::ok(MediaList {
        media: assets
            .into_iter()
            .map(|a| media_view(&services, a))
            .collect(),
        next_cursor,
    }))
}

pub async fn one<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Path(id): Path<String>,
) -> Result<Success<OneMedia>, ApiError> {
    let tenant = caller.tenant();
    let asset = services.library.get(&tenant, &id).await?;
    Ok(Success::ok(OneMedia {
        media: media_view(&services, asset),
        duplicate: false,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edit {
    alt_text: Option<String>,
}

/// `PATCH /media/{id} {"alt_text"}`: kept with the photo, offered whenever it is posted.
pub async fn edit<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Path(id): Path<String>,
    Json(edit): Json<Edit>,
) -> Result<Success<OneMedia>, ApiError> {
    let tenant = caller.tenant();
    let asset = services
        .library
        .set_alt_text(&tenant, &id, edit.alt_text.as_deref())
        .await?;
    Ok(Success::ok(OneMedia {
        media: media_view(&services, asset),
        duplicate: false,
    }))
}

#[derive(Serialize)]
pub struct Deleted {
    deleted: bool,
}

pub async fn remove<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Path(id): Path<String>,
) -> Result<Success<Deleted>, ApiError> {
    let tenant = caller.tenant();
    services.library.delete(&tenant, &id).await?;
    Ok(Success::ok(Deleted { deleted: true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewParams {
    /// `feed` (default) or `story` (9:16).
    #[serde(default)]
    placement: Option<String>,
    /// `crop` (default) or `pad`.
    #[serde(default)]
    fit: Option<String>,
    #[serde(default)]
    x: Option<f32>,
    #[serde(default)]
    y: Option<f32>,
}

/// Reads how the customer wants a photo shaped.
pub fn shape_of(
    placement: Option<&str>,
    fit: Option<&str>,
    x: Option<f32>,
    y: Option<f32>,
) -> Result<(Placement, Shape), DomainError> {
    let placement = match placement {
        None | Some("feed") => Placement::Feed,
        Some("story" | "reel" | "vertical") => Placement::Vertical,
        Some(_) => {
            return Err(DomainError::invalid(
                "placement",
                "placement must be feed or story.",
            ))
        }
    };
    let shape = match fit {
        None | Some("crop") => Shape::Crop {
            x: x.unwrap_or(0.5),
            y: y.unwrap_or(0.5),
        },
        Some("pad") => Shape::Pad { rgb: [255; 3] },
        Some(_) => return Err(DomainError::invalid("fit", "fit must be crop or pad.")),
    };
    Ok((placement, shape))
}

#[derive(Serialize)]
pub struct PreviewBody {
    preview: PreviewView,
}

#[derive(Serialize)]
pub struct PreviewView {
    /// The prepared JPEG, at a signed URL valid for an hour.
    url: String,
    width: u32,
    height: u32,
    bytes: u64,
}

/// `GET /media/{id}/preview?placement=feed&fit=crop&x=0.5&y=0.3`: the photo exactly as it would
/// be posted (the same file the post will use).
pub async fn preview<C: Caller>(
    State(services): State<Services>,
    caller: C,
    Path(id): Path<String>,
    Query(params): Query<PreviewParams>,
) -> Result<Success<PreviewBody>, ApiError> {
    let tenant = caller.tenant();
    let (placement, shape) = shape_of(
        params.placement.as_deref(),
        params.fit.as_deref(),
        params.x,
        params.y,
    )?;
    let asset = services.library.get(&tenant, &id).await?;
    let until = crate::domain::clock::now() + chrono::TimeDelta::hours(1);
    let prepared = services
        .library
        .prepare(&asset, placement, shape, until)
        .await?;
    Ok(Success::ok(PreviewBody {
        preview: PreviewView {
            url: prepared.url,
            width: prepared.width,
            height: prepared.height,
            bytes: prepared.bytes,
        },
    }))
}
