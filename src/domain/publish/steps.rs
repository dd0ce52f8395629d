//! Publishing one claimed post, step by step: containers, processing, quota, `media_publish`,
//! permalink. Each step's result is saved before the next step (security.md R2), and every save
//! carries the claim's epoch, so a worker that lost its lease cannot overwrite the new owner.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

use super::backoff::{poll_delay, retry_delay};
use crate::{
    config::PublisherConfig,
    crypto::KeyRing,
    domain::{
        clock,
        credentials::Credential,
        posts::{
            Claim, ClaimedUpdate, MediaType, Post, PostError, PostFilter, PostKind, PostState,
            PostStatus, Step,
        },
    },
    graph::{error::advice, ContainerSpec, ContainerStatus, ErrorClass, GraphClient, GraphError},
    storage::{CredentialStore, PostStore, StorageError},
};

/// Processing that takes longer than this fails the post (Postiz gives up after ~30 minutes too).
const MAX_PROCESSING: TimeDelta = TimeDelta::minutes(30);
/// How long a post waits when the account's daily publishing limit is reached.
const QUOTA_WAIT: Duration = Duration::from_secs(30 * 60);
const RETRY_CAP: Duration = Duration::from_secs(10 * 60);
/// The rolling window of Instagram's publishing limit.
const QUOTA_WINDOW: TimeDelta = TimeDelta::hours(24);

/// What a step decided about the post.
enum Next {
    /// Saved; carry on with the next step while the lease is ours.
    Continue,
    /// Saved and released; the publisher looks at it again after this long.
    Wait(Duration),
    /// Saved in a final state (published or failed).
    Done,
}

/// What one worker needs; shared by all of a publisher's workers.
pub struct Worker {
    pub graph: GraphClient,
    pub posts: Arc<dyn PostStore>,
    pub credentials: Arc<dyn CredentialStore>,
    pub keys: KeyRing,
    pub config: PublisherConfig,
    pub stop: watch::Receiver<bool>,
}

/// One claimed post being published.
struct Job<'a> {
    worker: &'a Worker,
    claim: Claim,
    state: PostState,
    token: String,
}

impl Worker {
    /// Publishes the claimed post as far as it can go now, then leaves it saved and released.
    pub async fn run(&self, claim: Claim) {
        let post_id = claim.post.id.clone();
        let credential = match self.credential(&claim.post).await {
            Ok(c) => c,
            Err(reason) => return self.fail_unclaimable(claim, reason).await,
        };
        let token = match credential.open_token(&self.keys) {
            Ok(t) => t,
            Err(e) => return self.fail_unclaimable(claim, e.to_string()).await,
        };
        let mut job = Job {
            worker: self,
            state: claim.post.state.clone(),
            claim,
            token,
        };
        if let Err(e) = job.run().await {
            // Fenced: another worker owns the post now; its state is theirs to write.
            tracing::warn!(post = %post_id, error = %e, "publishing step could not be saved");
        }
    }

    async fn credential(&self, post: &Post) -> Result<Credential, String> {
        match self
            .credentials
            .get(&post.tenant, &post.credential_id)
            .await
        {
            Ok(Some(c)) if c.is_usable(clock::now()) => Ok(c),
            Ok(Some(c)) => Err(format!(
                "@{} needs reconnecting: {}",
                c.instagram_username,
                c.auth_error
                    .clone()
                    .unwrap_or_else(|| "its saved login no longer works.".into())
            )),
            Ok(None) => Err("The Instagram account was removed.".into()),
            Err(e) => Err(format!("storage: {e}")),
        }
    }

    async fn fail_unclaimable(&self, claim: Claim, reason: String) {
        if reason.starts_with("storage:") {
            // Not the post's fault: let it go and try again shortly.
            tracing::warn!(post = %claim.post.id, %reason, "credential unavailable");
            let mut state = claim.post.state.clone();
            state.run_at = clock::now() + TimeDelta::seconds(30);
            let _ = self
                .posts
                .save_claimed(
                    &claim,
                    &ClaimedUpdate {
                        state,
                        lease_until: None,
                    },
                )
                .await;
            return;
        }
        let mut state = claim.post.state.clone();
        fail(
            &mut state,
            PostError {
                message: reason,
                advice: advice(Some(190), None).into(),
                code: None,
                subcode: None,
            },
        );
        let _ = self
            .posts
            .save_claimed(
                &claim,
                &ClaimedUpdate {
                    state,
                    lease_until: None,
                },
            )
            .await;
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

impl Job<'_> {
    fn post(&self) -> &Post {
        &self.claim.post
    }

    async fn run(&mut self) -> Result<(), StorageError> {
        loop {
            if self.worker.stopping() {
                // Shutting down: leave the post claimable at once by the next process.
                return self.save_released(Duration::ZERO).await;
            }
            let next = match self.step().await {
                Ok(next) => next,
                Err(e) => self.on_error(e).await,
            };
            match next {
                Next::Continue => self.save_kept().await?,
                Next::Wait(after) => return self.save_released(after).await,
                Next::Done => return self.save_released(Duration::ZERO).await,
            }
        }
    }

    /// The next step, decided from what is saved.
    async fn step(&mut self) -> Result<Next, GraphError> {
        let p = &self.state.progress;
        if self.state.status == PostStatus::Published {
            return Ok(Next::Done);
        }
        if p.media_id.is_some() {
            // Published by a worker that stopped before it could say so.
            return Ok(self.finish_published().await);
        }
        if p.publish_requested_at.is_some() {
            return self.reconcile().await;
        }
        if self.post().kind == PostKind::Carousel {
            if p.item_containers.len() < self.post().media.len() {
                return self.create_item(p.item_containers.len()).await;
            }
            if !p.items_ready {
                return self.check_items().await;
            }
        }
        if p.container_id.is_none() {
            return self.create_container().await;
        }
        if !p.container_ready {
            return self.check_container().await;
        }
        self.publish().await
    }

    async fn create_item(&mut self, i: usize) -> Result<Next, GraphError> {
        let item = &self.post().media[i];
        let spec = match item.media_type {
            MediaType::Image => ContainerSpec {
                image_url: Some(item.url.clone()),
                alt_text: item.alt_text.clone(),
                ..Default::default()
            },
            MediaType::Video => ContainerSpec {
                video_url: Some(item.url.clone()),
                media_type: Some("VIDEO"),
                ..Default::default()
            },
        };
        let spec = ContainerSpec {
            is_carousel_item: true,
            ..spec
        };
        let id = self
            .worker
            .graph
            .create_container(&self.token, &self.post().instagram_user_id, &spec)
            .await?;
        self.record(
            "container",
            format!(
                "Uploaded item {} of {} to Instagram (container {id}).",
                i + 1,
                self.post().media.len()
            ),
        );
        let p = &mut self.state.progress;
        p.item_containers.push(id);
        p.processing_since.get_or_insert(clock::now());
        Ok(Next::Continue)
    }

    async fn check_items(&mut self) -> Result<Next, GraphError> {
        for id in self.state.progress.item_containers.clone() {
            let status = self.worker.graph.container_status(&self.token, &id).await?;
            match self.on_status(&status)? {
                Next::Continue => {}
                other => return Ok(other),
            }
        }
        self.state.progress.items_ready = true;
        self.state.progress.polls = 0;
        Ok(Next::Continue)
    }

    async fn create_container(&mut self) -> Result<Next, GraphError> {
        let post = self.post();
        let first = &post.media[0];
        let caption = (!post.caption.is_empty() && post.kind != PostKind::Story)
            .then(|| post.caption.clone());
        let url = |t: MediaType| (first.media_type == t).then(|| first.url.clone());
        let spec = match post.kind {
            PostKind::Image => ContainerSpec {
                image_url: Some(first.url.clone()),
                alt_text: first.alt_text.clone(),
                caption,
                ..Default::default()
            },
            PostKind::Reel => ContainerSpec {
                video_url: Some(first.url.clone()),
                media_type: Some("REELS"),
                caption,
                ..Default::default()
            },
            PostKind::Story => ContainerSpec {
                image_url: url(MediaType::Image),
                video_url: url(MediaType::Video),
                media_type: Some("STORIES"),
                ..Default::default()
            },
            PostKind::Carousel => ContainerSpec {
                media_type: Some("CAROUSEL"),
                children: self.state.progress.item_containers.clone(),
                caption,
                ..Default::default()
            },
        };
        let id = self
            .worker
            .graph
            .create_container(&self.token, &post.instagram_user_id, &spec)
            .await?;
        self.record(
            "container",
            format!(
                "Instagram accepted the post (container {id}); waiting for it to be processed."
            ),
        );
        let p = &mut self.state.progress;
        p.container_id = Some(id);
        p.processing_since.get_or_insert(clock::now());
        p.polls = 0;
        Ok(Next::Continue)
    }

    async fn check_container(&mut self) -> Result<Next, GraphError> {
        let id = self.state.progress.container_id.clone().unwrap_or_default();
        let status = self.worker.graph.container_status(&self.token, &id).await?;
        let next = self.on_status(&status)?;
        if matches!(next, Next::Continue) {
            self.state.progress.container_ready = true;
            self.state.progress.polls = 0;
        }
        Ok(next)
    }

    /// What a container's status means for the post (graph-api.md row I).
    fn on_status(&mut self, status: &ContainerStatus) -> Result<Next, GraphError> {
        match status.status_code.as_str() {
            "FINISHED" => Ok(Next::Continue),
            "IN_PROGRESS" => Ok(self.wait_for_processing()),
            "ERROR" => {
                let detail = status
                    .status
                    .clone()
                    .unwrap_or_else(|| "no reason given".into());
                fail(
                    &mut self.state,
                    PostError {
                        message: format!("Instagram could not process the media: {detail}"),
                        advice: advice(Some(9004), Some(2207052)).into(),
                        code: None,
                        subcode: None,
                    },
                );
                Ok(Next::Done)
            }
            "EXPIRED" => {
                self.record(
                    "container",
                    "Instagram's upload expired before publishing; uploading again.".into(),
                );
                self.state.progress.reset_containers();
                Ok(Next::Continue)
            }
            "PUBLISHED" => {
                // Published by an earlier attempt whose answer never arrived.
                self.state
                    .progress
                    .publish_requested_at
                    .get_or_insert(clock::now());
                Ok(Next::Continue)
            }
            other => Err(GraphError::Unreadable {
                status: 200,
                detail: format!("unknown container status {other}"),
            }),
        }
    }

    fn wait_for_processing(&mut self) -> Next {
        let since = self
            .state
            .progress
            .processing_since
            .unwrap_or_else(clock::now);
        if clock::now() - since > MAX_PROCESSING {
            fail(
                &mut self.state,
                PostError {
                    message: "Instagram was still processing the media after 30 minutes.".into(),
                    advice: "Check that the video meets Instagram's format rules (MP4 or MOV, H.264, AAC), then retry.".into(),
                    code: None,
                    subcode: None,
                },
            );
            return Next::Done;
        }
        let p = &mut self.state.progress;
        let wait = poll_delay(p.polls, self.worker.config.poll_interval);
        p.polls += 1;
        if p.polls == 1 {
            self.record("processing", "Instagram is processing the media.".into());
        }
        Next::Wait(wait)
    }

    async fn publish(&mut self) -> Result<Next, GraphError> {
        if let Some(wait) = self.quota_wait().await? {
            return Ok(wait);
        }
        let container = self.state.progress.container_id.clone().unwrap_or_default();
        // The recovery point before the one call that cannot be repeated blindly.
        self.state.progress.publish_requested_at = Some(clock::now());
        self.save_kept()
            .await
            .map_err(|e| GraphError::Transport(format!("could not save before publishing: {e}")))?;
        match self
            .worker
            .graph
            .publish(&self.token, &self.post().instagram_user_id, &container)
            .await
        {
            Ok(media_id) => self.published(Some(media_id)).await,
            Err(e) if e.is_ambiguous() => {
                // The publish may have happened. Next time the container is asked first.
                self.record("publish", format!("No clear answer from Instagram after publishing ({e}); checking before trying again."));
                Ok(self.retry_later(&e))
            }
            Err(e) => {
                // A clear refusal: nothing was published.
                self.state.progress.publish_requested_at = None;
                if e.class() == ErrorClass::NotReady {
                    self.state.progress.container_ready = false;
                }
                Err(e)
            }
        }
    }

    /// After an unanswered publish: the container says whether it happened.
    async fn reconcile(&mut self) -> Result<Next, GraphError> {
        let container = self.state.progress.container_id.clone().unwrap_or_default();
        let status = self
            .worker
            .graph
            .container_status(&self.token, &container)
            .await?;
        match status.status_code.as_str() {
            "PUBLISHED" => {
                let media_id = self.find_published_media().await;
                self.published(media_id).await
            }
            "FINISHED" => {
                self.record(
                    "publish",
                    "The earlier publish did not happen; publishing now.".into(),
                );
                self.state.progress.publish_requested_at = None;
                Ok(Next::Continue)
            }
            _ => {
                self.state.progress.publish_requested_at = None;
                self.state.progress.container_ready = false;
                self.on_status(&status)
            }
        }
    }

    /// The media an unanswered publish created, from the account's newest media.
    async fn find_published_media(&self) -> Option<String> {
        let since = self.state.progress.publish_requested_at? - TimeDelta::minutes(5);
        let recent = self
            .worker
            .graph
            .recent_media(&self.token, &self.post().instagram_user_id)
            .await
            .ok()?;
        recent
            .into_iter()
            .find(|m| {
                m.timestamp.is_none_or(|t| t >= since)
                    && m.caption.as_deref().unwrap_or("") == self.post().caption
            })
            .map(|m| m.id)
    }

    /// The publish happened. The media id is saved first (from then on the post counts as
    /// published whatever happens next), then the permalink is read: its failure never fails a
    /// published post.
    async fn published(&mut self, media_id: Option<String>) -> Result<Next, GraphError> {
        if media_id.is_some() {
            self.state.progress.media_id = media_id;
            self.save_kept().await.map_err(|e| {
                GraphError::Transport(format!("could not save the published media: {e}"))
            })?;
        }
        Ok(self.finish_published().await)
    }

    async fn finish_published(&mut self) -> Next {
        if let Some(id) = self.state.progress.media_id.clone() {
            match self.worker.graph.permalink(&self.token, &id).await {
                Ok(Some(link)) => self.state.progress.permalink = Some(link),
                Ok(None) | Err(_) => self.record(
                    "permalink",
                    "Published, but Instagram did not return its link yet.".into(),
                ),
            }
        }
        self.state.status = PostStatus::Published;
        self.state.published_at = Some(clock::now());
        self.state.error = None;
        self.record("published", "Published on Instagram.".into());
        Next::Done
    }

    /// Defers the post when the account's daily publishing limit is reached (security.md R7):
    /// Graph's own count, our rolling 24-hour count, whichever is higher.
    async fn quota_wait(&mut self) -> Result<Option<Next>, GraphError> {
        let post = self.post();
        let own = self
            .worker
            .posts
            .published_count_since(&post.instagram_user_id, clock::now() - QUOTA_WINDOW)
            .await
            .unwrap_or(0) as u32;
        let (used, total) = match self
            .worker
            .graph
            .publishing_limit(&self.token, &post.instagram_user_id)
            .await
        {
            Ok(limit) => (
                limit.quota_usage.max(own),
                limit
                    .config
                    .and_then(|c| c.quota_total)
                    .unwrap_or(self.worker.config.daily_quota),
            ),
            Err(e) if e.class() == ErrorClass::ReauthRequired => return Err(e),
            Err(_) => (own, self.worker.config.daily_quota),
        };
        if used < total {
            return Ok(None);
        }
        Ok(Some(self.defer_for_quota(used, total)))
    }

    fn defer_for_quota(&mut self, used: u32, total: u32) -> Next {
        self.state.status = PostStatus::Queued;
        self.record(
            "quota",
            format!("@{} reached Instagram's limit of {total} posts a day ({used} used); the post waits until it frees up.", self.post().instagram_username),
        );
        Next::Wait(QUOTA_WAIT)
    }

    /// Decides from the error's class, never from its text (R3, R6).
    async fn on_error(&mut self, e: GraphError) -> Next {
        match e.class() {
            ErrorClass::NotReady => {
                self.state.progress.container_ready = false;
                self.wait_for_processing()
            }
            ErrorClass::QuotaReached => self.defer_for_quota(0, 0),
            ErrorClass::ContainerGone if self.state.progress.publish_requested_at.is_none() => {
                self.record(
                    "container",
                    "Instagram lost the upload; uploading again.".into(),
                );
                self.state.progress.reset_containers();
                self.count_attempt(&e).unwrap_or(Next::Continue)
            }
            ErrorClass::ReauthRequired => {
                self.needs_reconnect(&e).await;
                Next::Done
            }
            ErrorClass::Retryable | ErrorClass::Throttled | ErrorClass::ContainerGone => {
                self.retry_later(&e)
            }
            ErrorClass::Permanent => {
                fail(&mut self.state, graph_failure(&e));
                Next::Done
            }
        }
    }

    /// Counts a failed attempt; fails the post once the attempts are used up.
    fn count_attempt(&mut self, e: &GraphError) -> Option<Next> {
        self.state.attempts += 1;
        if self.state.attempts >= self.worker.config.max_attempts {
            let mut error = graph_failure(e);
            error.message = format!(
                "Gave up after {} attempts: {}",
                self.state.attempts, error.message
            );
            fail(&mut self.state, error);
            return Some(Next::Done);
        }
        None
    }

    fn retry_later(&mut self, e: &GraphError) -> Next {
        if let Some(done) = self.count_attempt(e) {
            return done;
        }
        let backoff = retry_delay(
            self.state.attempts,
            self.worker.config.retry_base,
            RETRY_CAP,
        );
        let wait = e.retry_after().map_or(backoff, |after| after.max(backoff));
        // Still publishing while a publish may have happened: cancelling then would be a lie.
        if self.state.progress.publish_requested_at.is_none() {
            self.state.status = PostStatus::Queued;
        }
        self.state.error = Some(graph_failure(e));
        self.record(
            "retry",
            format!(
                "Attempt {} failed ({}); trying again in {} s.",
                self.state.attempts,
                e.message(),
                wait.as_secs()
            ),
        );
        Next::Wait(wait)
    }

    /// Graph refused the token (190): the account needs reconnecting, and so do its other posts.
    async fn needs_reconnect(&mut self, e: &GraphError) {
        let post = self.post().clone();
        let reason = format!("Instagram refused the saved login: {}", e.message());
        let now = clock::now();
        if let Err(err) = self
            .worker
            .credentials
            .mark_needs_reconnect(&post.tenant, &post.credential_id, &reason, now)
            .await
        {
            tracing::warn!(error = %err, "could not mark the credential");
        }
        fail(&mut self.state, graph_failure(e));
        fail_waiting_posts(self.worker, &post, graph_failure(e)).await;
    }

    fn record(&mut self, step: &str, detail: String) {
        self.state.steps.push(Step {
            at: clock::now(),
            step: step.into(),
            detail,
        });
    }

    async fn save_kept(&mut self) -> Result<(), StorageError> {
        let lease = self.worker.config.lease;
        self.save(Some(
            clock::now() + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(60)),
        ))
        .await
    }

    async fn save_released(&mut self, after: Duration) -> Result<(), StorageError> {
        self.state.run_at = clock::now() + TimeDelta::from_std(after).unwrap_or(TimeDelta::zero());
        self.save(None).await
    }

    async fn save(&mut self, lease_until: Option<DateTime<Utc>>) -> Result<(), StorageError> {
        self.state.updated_at = clock::now();
        self.worker
            .posts
            .save_claimed(
                &self.claim,
                &ClaimedUpdate {
                    state: self.state.clone(),
                    lease_until,
                },
            )
            .await
    }
}

fn fail(state: &mut PostState, error: PostError) {
    state.status = PostStatus::Failed;
    state.steps.push(Step {
        at: clock::now(),
        step: "failed".into(),
        detail: error.message.clone(),
    });
    state.error = Some(error);
}

fn graph_failure(e: &GraphError) -> PostError {
    PostError {
        message: e.message(),
        advice: advice(e.code(), e.subcode()).into(),
        code: e.code(),
        subcode: e.subcode(),
    }
}

/// Fails the account's posts that are waiting to publish, with the same reason.
async fn fail_waiting_posts(worker: &Worker, post: &Post, error: PostError) {
    let filter = PostFilter {
        statuses: vec![PostStatus::Scheduled, PostStatus::Queued],
        credential_id: Some(post.credential_id.clone()),
        before_id: None,
        limit: 100,
    };
    let Ok(page) = worker.posts.list(&post.tenant, &filter).await else {
        return;
    };
    for other in page.posts.into_iter().filter(|p| p.id != post.id) {
        let mut state = other.state.clone();
        fail(&mut state, error.clone());
        let _ = worker
            .posts
            .replace_state(
                &other.tenant,
                &other.id,
                other.state.status,
                other.lease_epoch,
                &state,
            )
            .await;
    }
}
