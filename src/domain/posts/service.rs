//! What customers ask of their posts, shared by the JSON API and the page: create (idempotently),
//! list, get, cancel, retry. The background publisher (`domain::publish`) carries them out.

use std::sync::Arc;

use tokio::sync::Notify;

use super::{
    draft::check_idempotency_key, CreatedPost, MediaType, NewPost, Post, PostDraft, PostFilter,
    PostKind, PostStatus, PostStore, Transition,
};
use crate::{
    crypto::new_id,
    domain::{
        accounts::AccountStore,
        clock,
        library::{AssetKind, Library, Placement, Shape},
        media::{self, Format, MediaFacts, MediaProbe},
        tenant::Tenant,
        DomainError,
    },
    dto::{PostPageView, PostView},
};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 100;

/// What creating a post did.
#[derive(Debug, Clone)]
pub struct Created {
    pub post: PostView,
    /// True when the Idempotency-Key was seen before and this is the first request's post.
    pub replayed: bool,
}

/// How a customer filters the history.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub statuses: Vec<PostStatus>,
    pub account_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Clone)]
pub struct PostService {
    posts: Arc<dyn PostStore>,
    accounts: Arc<dyn AccountStore>,
    /// Looks at each media URL before a post is queued.
    media: Arc<dyn MediaProbe>,
    /// Wakes the publisher when a post becomes due now.
    wake: Arc<Notify>,
    /// Files of the media library a post may use in place of URLs.
    library: Option<Library>,
}

/// A library file's URL is valid this long past the post's time: retries and re-uploads of a
/// failed container happen within it.
const LIBRARY_URL_GRACE_DAYS: i64 = 7;

impl PostService {
    pub fn new(
        posts: Arc<dyn PostStore>,
        accounts: Arc<dyn AccountStore>,
        media: Arc<dyn MediaProbe>,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            posts,
            accounts,
            media,
            wake,
            library: None,
        }
    }

    /// Lets posts use files of the media library (`media_id`).
    pub fn with_library(mut self, library: Library) -> Self {
        self.library = Some(library);
        self
    }

    /// Queues a post. With an idempotency key, a repeat of the same request returns the first
    /// request's post; the same key with another request is refused.
    pub async fn create(
        &self,
        tenant: &Tenant,
        draft: PostDraft,
        idempotency_key: Option<String>,
    ) -> Result<Created, DomainError> {
        if let Some(key) = &idempotency_key {
            check_idempotency_key(key)?;
            if let Some(existing) = self.posts.get_by_idempotency_key(tenant, key).await? {
                return replay(existing, &draft.request_hash);
            }
        }
        let now = clock::now();
        draft.check_schedule(now)?;
        let account = self
            .accounts
            .get(tenant, &draft.account_id)
            .await?
            .filter(|a| a.is_active)
            .ok_or_else(|| {
                DomainError::invalid(
                    "account_id",
                    "No connected Instagram account has this id. Pick one of your accounts.",
                )
            })?;
        if !account.is_usable(now) {
            return Err(DomainError::invalid(
                "account_id",
                format!("@{} needs reconnecting before it can publish. Reconnect it on the accounts page.", account.instagram_username),
            ));
        }
        if draft.kind == PostKind::Story && account.stories_refused {
            return Err(DomainError::invalid(
                "kind",
                format!(
                    "@{} cannot publish stories: Instagram refused one because stories are for Business accounts only. Switch the account to Business in the Instagram app and reconnect it, or post to the feed.",
                    account.instagram_username
                ),
            ));
        }
        let (draft, known) = self.resolve_library_files(tenant, draft, now).await?;
        self.check_media(&draft, &known).await?;
        let id = new_id();
        let request_hash = draft.request_hash.clone();
        let new = NewPost {
            idempotency_key: idempotency_key.unwrap_or_else(|| format!("auto:{id}")),
            id,
            tenant: tenant.clone(),
            account_id: account.id,
            instagram_user_id: account.instagram_user_id,
            instagram_username: account.instagram_username,
            kind: draft.kind,
            media: draft.media,
            caption: draft.caption,
            options: draft.options,
            scheduled_at: draft.scheduled_at.map(clock::to_millis),
            request_hash: request_hash.clone(),
            now,
        };
        match self.posts.create(new).await? {
            CreatedPost::New(post) => {
                self.wake.notify_one();
                tracing::info!(post = %post.id, tenant = ?post.tenant, kind = ?post.kind, status = ?post.state.status, "post created");
                Ok(Created {
                    post: post.view(),
                    replayed: false,
                })
            }
            // A racing request with the same key won.
            CreatedPost::Existing(post) => replay(post, &request_hash),
        }
    }

    /// Looks at every media URL at once (each within the probe's time limit), a reel's cover
    /// too, and refuses the post, naming the field and the rule, when Instagram would refuse one.
    async fn check_media(
        &self,
        draft: &PostDraft,
        known: &[Option<MediaFacts>],
    ) -> Result<(), DomainError> {
        let items = draft.media.iter().enumerate().map(|(i, item)| {
            (
                format!("media[{i}].url"),
                item.url.as_str(),
                draft.kind,
                item.media_type,
                known.get(i).cloned().flatten(),
            )
        });
        // A cover is a JPEG of any shape, as a story image is.
        let cover = draft.options.cover_url.as_deref().map(|url| {
            (
                "cover_url".to_string(),
                url,
                PostKind::Story,
                MediaType::Image,
                known.get(draft.media.len()).cloned().flatten(),
            )
        });
        let checks = items
            .chain(cover)
            .map(|(field, url, kind, media_type, known)| async move {
                let facts = match known {
                    Some(facts) => Ok(facts),
                    None => self.look(url).await,
                };
                let verdict = facts
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|f| media::check(kind, media_type, f));
                (field, facts.ok(), verdict)
            });
        let mut duration = None;
        for (field, facts, verdict) in futures::future::join_all(checks).await {
            verdict.map_err(|message| DomainError::invalid(field, message))?;
            duration = duration.or(facts.and_then(|f| f.video?.duration_secs));
        }
        if let (Some(ms), Some(secs), PostKind::Reel) =
            (draft.options.thumb_offset_ms, duration, draft.kind)
        {
            if ms as f64 > secs * 1000.0 {
                return Err(DomainError::invalid(
                    "thumb_offset_ms",
                    format!("The cover frame at {:.1} s lies past the end of the video ({secs:.1} s). Pick a moment within it.", ms as f64 / 1000.0),
                ));
            }
        }
        Ok(())
    }

    /// Replaces each library file of the draft by the URL of its prepared copy (photos shaped
    /// for the post's kind as the customer chose), with what is known about it; other items keep
    /// their URL and are looked at over the network.
    async fn resolve_library_files(
        &self,
        tenant: &Tenant,
        mut draft: PostDraft,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(PostDraft, Vec<Option<MediaFacts>>), DomainError> {
        let mut known = vec![None; draft.media.len() + 1];
        if draft.media.iter().all(|m| m.media_id.is_none())
            && draft.options.cover_media_id.is_none()
        {
            return Ok((draft, known));
        }
        let library = self.library.as_ref().ok_or_else(|| {
            DomainError::NotConfigured("The media library is not available on this service.".into())
        })?;
        let valid_until =
            draft.scheduled_at.unwrap_or(now) + chrono::TimeDelta::days(LIBRARY_URL_GRACE_DAYS);
        let placement = match draft.kind {
            PostKind::Story | PostKind::Reel => Placement::Vertical,
            _ => Placement::Feed,
        };
        for (i, item) in draft.media.iter_mut().enumerate() {
            let Some(id) = item.media_id.clone() else {
                continue;
            };
            let field = format!("media[{i}].media_id");
            let asset = library.get(tenant, &id).await.map_err(|e| match e {
                DomainError::NotFound(_) => DomainError::invalid(
                    &field,
                    "No file of your library has this id. Upload it first (POST /media).",
                ),
                other => other,
            })?;
            let expected = match item.media_type {
                MediaType::Image => AssetKind::Image,
                MediaType::Video => AssetKind::Video,
            };
            if asset.kind != expected {
                return Err(DomainError::invalid(
                    &field,
                    format!(
                        "This file is a {}, but the item says {}.",
                        asset.kind.as_str(),
                        expected.as_str()
                    ),
                ));
            }
            let shape = match item.fit.as_deref() {
                Some("pad") => Shape::Pad { rgb: [255; 3] },
                _ => Shape::Crop {
                    x: item.focal_x.unwrap_or(0.5),
                    y: item.focal_y.unwrap_or(0.5),
                },
            };
            let prepared = library
                .prepare(&asset, placement, shape, valid_until)
                .await
                .map_err(|e| match e {
                    DomainError::Invalid { message, .. } => DomainError::invalid(&field, message),
                    other => other,
                })?;
            known[i] = Some(match asset.kind {
                AssetKind::Image => MediaFacts {
                    format: Format::Jpeg {
                        multi_picture: false,
                    },
                    bytes: Some(prepared.bytes),
                    width: Some(prepared.width),
                    height: Some(prepared.height),
                    video: None,
                },
                AssetKind::Video => library.facts(&asset).await?,
            });
            item.url = prepared.url;
            if item.alt_text.is_none() && draft.kind != PostKind::Story {
                item.alt_text = asset
                    .alt_text
                    .clone()
                    .filter(|_| asset.kind == AssetKind::Image);
            }
        }
        // A reel's cover from the library: a photo in the reel's 9:16.
        if let Some(id) = draft.options.cover_media_id.clone() {
            let asset = library
                .get(tenant, &id)
                .await
                .ok()
                .filter(|a| a.kind == AssetKind::Image)
                .ok_or_else(|| {
                    DomainError::invalid(
                        "cover_media_id",
                        "No photo of your library has this id. Upload the cover first (POST /media).",
                    )
                })?;
            let shape = Shape::Crop { x: 0.5, y: 0.5 };
            let prepared = library
                .prepare(&asset, Placement::Vertical, shape, valid_until)
                .await?;
            known[draft.media.len()] = Some(MediaFacts {
                format: Format::Jpeg {
                    multi_picture: false,
                },
                bytes: Some(prepared.bytes),
                width: Some(prepared.width),
                height: Some(prepared.height),
                video: None,
            });
            draft.options.cover_url = Some(prepared.url);
        }
        Ok((draft, known))
    }

    /// What the URL holds, or why it cannot be told, in the customer's words.
    async fn look(&self, url: &str) -> Result<media::MediaFacts, String> {
        let url = url::Url::parse(url).map_err(|_| "This is not a valid URL.".to_string())?;
        self.media.probe(&url).await.map_err(|e| e.to_string())
    }

    pub async fn get(&self, tenant: &Tenant, id: &str) -> Result<PostView, DomainError> {
        Ok(self.present(&self.find(tenant, id).await?))
    }

    pub async fn list(
        &self,
        tenant: &Tenant,
        query: ListQuery,
    ) -> Result<PostPageView, DomainError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("limit must be between 1 and {MAX_PAGE_SIZE}."),
            ));
        }
        let filter = PostFilter {
            statuses: query.statuses,
            account_id: query.account_id,
            before_id: query.cursor,
            limit,
        };
        let page = self.posts.list(tenant, &filter).await?;
        Ok(PostPageView {
            posts: page.posts.iter().map(|p| self.present(p)).collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// A post as its customer sees it, with the library's files at URLs that work now (those
    /// made for Instagram expire some days after the post).
    fn present(&self, post: &Post) -> PostView {
        let mut view = post.view();
        if let Some(library) = &self.library {
            let hours = chrono::TimeDelta::hours(12);
            library.refresh_urls(&post.tenant, &mut view.media, &mut view.options, hours);
        }
        view
    }

    /// Cancels a scheduled or queued post.
    pub async fn cancel(&self, tenant: &Tenant, id: &str) -> Result<PostView, DomainError> {
        self.transition(tenant, id, Transition::Cancel).await
    }

    /// Queues a failed post again, now.
    pub async fn retry(&self, tenant: &Tenant, id: &str) -> Result<PostView, DomainError> {
        let post = self.find(tenant, id).await?;
        let usable = self
            .accounts
            .get(tenant, &post.account_id)
            .await?
            .is_some_and(|a| a.is_usable(clock::now()));
        if !usable && post.state.status == PostStatus::Failed {
            return Err(DomainError::NeedsReconnect(format!(
                "@{} needs reconnecting before this post can be retried. Reconnect it on the accounts page, then retry.",
                post.instagram_username
            )));
        }
        let view = self.transition(tenant, id, Transition::Retry).await?;
        self.wake.notify_one();
        Ok(view)
    }

    async fn find(&self, tenant: &Tenant, id: &str) -> Result<Post, DomainError> {
        self.posts
            .get(tenant, id)
            .await?
            .ok_or(DomainError::NotFound("Post"))
    }

    /// Read, check, write-if-unchanged; a concurrent claim by the publisher makes the write miss,
    /// and the next read explains why.
    async fn transition(
        &self,
        tenant: &Tenant,
        id: &str,
        t: Transition,
    ) -> Result<PostView, DomainError> {
        for _ in 0..3 {
            let post = self.find(tenant, id).await?;
            if !t.allowed_from().contains(&post.state.status) {
                return Err(DomainError::Conflict(refusal(t, post.state.status)));
            }
            let next = t.apply(&post.state, clock::now());
            if self
                .posts
                .replace_state(tenant, id, post.state.status, post.lease_epoch, &next)
                .await?
            {
                let mut done = post;
                done.state = next;
                return Ok(self.present(&done));
            }
        }
        Err(DomainError::Conflict(
            "The post changed while we were updating it. Reload and try again.".into(),
        ))
    }
}

fn refusal(t: Transition, status: PostStatus) -> String {
    match t {
        Transition::Cancel => format!(
            "Only scheduled or queued posts can be cancelled; this one is {}.",
            status.as_str()
        ),
        Transition::Retry => format!(
            "Only failed posts can be retried; this one is {}.",
            status.as_str()
        ),
    }
}

fn replay(existing: Post, request_hash: &str) -> Result<Created, DomainError> {
    if existing.request_hash != request_hash {
        return Err(DomainError::Conflict(
            "This Idempotency-Key was already used with a different request. Use a new key for a new post.".into(),
        ));
    }
    Ok(Created {
        post: existing.view(),
        replayed: true,
    })
}
