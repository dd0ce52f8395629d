//! Posts: create (idempotently), list with filters and pagination, get, cancel, retry.

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};

use super::caller::ApiCaller;
use crate::{
    domain::posts::{ListQuery, PostDraft},
    dto::{PostRequest, PostStatus, PostView},
    http::{limits::Action, ApiError, Json, Path, Query, Success},
    server::{AppState, Services},
};

const IDEMPOTENCY_KEY: &str = "idempotency-key";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/posts", post(create).get(list))
        .route("/posts/{id}", get(get_one))
        .route("/posts/{id}/cancel", post(cancel))
        .route("/posts/{id}/retry", post(retry))
}

#[derive(Serialize)]
pub struct OnePost {
    post: PostView,
}

#[derive(Serialize)]
pub struct PostList {
    posts: Vec<PostView>,
    next_cursor: Option<String>,
}

/// `POST /api/social-media/instagram/posts`: 201 with the new post, or 200 with
/// `Idempotent-Replayed: true` when the Idempotency-Key was used before with the same body.
pub async fn create(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    headers: HeaderMap,
    Json(req): Json<PostRequest>,
) -> Result<Response, ApiError> {
    // Per tenant only: every tenant's posts come from the platform server's one address.
    services.limits.check(Action::Post, None, Some(&tenant))?;
    let key = idempotency_key(&headers)?;
    let draft = PostDraft::try_from(req)?;
    let created = services.posts.create(&tenant, draft, key).await?;
    let status = match created.replayed {
        true => StatusCode::OK,
        false => StatusCode::CREATED,
    };
    let mut response = Success(status, OnePost { post: created.post }).into_response();
    if created.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The optional `Idempotency-Key` header: at most one, printable.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut keys = headers.get_all(IDEMPOTENCY_KEY).iter();
    match (keys.next(), keys.next()) {
        (None, _) => Ok(None),
        (Some(k), None) => k.to_str().map(|k| Some(k.to_string())).map_err(|_| {
            ApiError::BadRequest("The Idempotency-Key must be printable ASCII.".into())
        }),
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "Send one Idempotency-Key header.".into(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Comma-separated statuses.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /api/social-media/instagram/posts?status=failed,published&account_id=&limit=&cursor=`
pub async fn list(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Query(params): Query<ListParams>,
) -> Result<Success<PostList>, ApiError> {
    let statuses = match params.status.as_deref().filter(|s| !s.is_empty()) {
        None => vec![],
        Some(list) => list
            .split(',')
            .map(|s| {
                PostStatus::parse(s.trim()).ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "Unknown status `{s}`: use scheduled, queued, publishing, published, failed or cancelled."
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let query = ListQuery {
        statuses,
        account_id: params.account_id,
        limit: params.limit,
        cursor: params.cursor,
    };
    let page = services.posts.list(&tenant, query).await?;
    Ok(Success::ok(PostList {
        posts: page.posts,
        next_cursor: page.next_cursor,
    }))
}

/// `GET /api/social-media/instagram/posts/{id}`
pub async fn get_one(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Success<OnePost>, ApiError> {
    let post = services.posts.get(&tenant, &id).await?;
    Ok(Success::ok(OnePost { post }))
}

/// `POST /api/social-media/instagram/posts/{id}/cancel`
pub async fn cancel(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Success<OnePost>, ApiError> {
    let post = services.posts.cancel(&tenant, &id).await?;
    Ok(Success::ok(OnePost { post }))
}

/// `POST /api/social-media/instagram/posts/{id}/retry`
pub async fn retry(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Success<OnePost>, ApiError> {
    let post = services.posts.retry(&tenant, &id).await?;
    Ok(Success::ok(OnePost { post }))
}
