//! Posts: create (idempotently), list with filters and pagination, get, cancel, retry.

use axum::{
    extract::{rejection::JsonRejection, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::json;

use super::{caller::ApiCaller, error::ApiError};
use crate::{
    domain::publish::ListQuery,
    dto::{PostRequest, PostStatus},
    server::Services,
};

const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `POST /api/social-media/instagram/posts`: 201 with the new post, or 200 with
/// `Idempotent-Replayed: true` when the Idempotency-Key was used before with the same body.
pub async fn create(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    headers: HeaderMap,
    body: Result<Json<PostRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body?;
    let mut keys = headers.get_all(IDEMPOTENCY_KEY).iter();
    let key = match (keys.next(), keys.next()) {
        (None, _) => None,
        (Some(k), None) => Some(
            k.to_str()
                .map_err(|_| {
                    ApiError::BadRequest("The Idempotency-Key must be printable ASCII.".into())
                })?
                .to_string(),
        ),
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "Send one Idempotency-Key header.".into(),
            ))
        }
    };
    let created = services.posts.create(&tenant, req, key).await?;
    let status = if created.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut response = (
        status,
        Json(json!({"status": "success", "post": created.post})),
    )
        .into_response();
    if created.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
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
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(params) = params?;
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
    let page = services
        .posts
        .list(
            &tenant,
            ListQuery {
                statuses,
                account_id: params.account_id,
                limit: params.limit,
                cursor: params.cursor,
            },
        )
        .await?;
    Ok(Json(
        json!({"status": "success", "posts": page.posts, "next_cursor": page.next_cursor}),
    ))
}

/// `GET /api/social-media/instagram/posts/{id}`
pub async fn get(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let post = services.posts.get(&tenant, &id).await?;
    Ok(Json(json!({"status": "success", "post": post})))
}

/// `POST /api/social-media/instagram/posts/{id}/cancel`
pub async fn cancel(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let post = services.posts.cancel(&tenant, &id).await?;
    Ok(Json(json!({"status": "success", "post": post})))
}

/// `POST /api/social-media/instagram/posts/{id}/retry`
pub async fn retry(
    State(services): State<Services>,
    ApiCaller(tenant): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let post = services.posts.retry(&tenant, &id).await?;
    Ok(Json(json!({"status": "success", "post": post})))
}
