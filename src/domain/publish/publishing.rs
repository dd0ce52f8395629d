//! `media_publish` and what surrounds it: the publishing quota first, a recovery point before the
//! one call that cannot be repeated blindly, and reconciling with Instagram after any answer that
//! is not a clear refusal: an error answer does not mean nothing happened (docs/security.md R2,
//! R7, R9; docs/graph-api.md §5, §6).

use std::time::Duration;

use chrono::TimeDelta;

use super::{
    graph::{Comment, ContainerStatus, MediaEdge, RecentMedia},
    worker::{Job, Next, StepResult},
};
use crate::domain::{
    clock,
    graph::{ErrorClass, GraphError},
    posts::{PostError, PostKind, PostStatus},
};

/// How long a post waits when the account's publishing quota is used up.
const QUOTA_WAIT: Duration = Duration::from_secs(30 * 60);
/// The rolling window of Instagram's publishing limit.
const QUOTA_WINDOW: TimeDelta = TimeDelta::hours(24);
/// The wait between reads while reconciling.
const RECONCILE_WAIT: Duration = Duration::from_secs(3);
/// Reconciling gives up after this many reads that told nothing (100/33 every time), failing the
/// post honestly: whether it was published is unknown.
const MAX_RECONCILE_READS: u32 = 40;
/// The same container is published again at most this often (24/2207008: "try again 1-2 times
/// in the next 30 seconds to 2 minutes"), then new containers are made.
const MAX_REPUBLISHES: u32 = 2;
/// The pauses between reads of a fresh media's link while Instagram does not show it yet.
const PERMALINK_WAITS: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];
/// How far before the publish request a recovered media may have been timestamped (clock skew).
const MATCH_SLACK: TimeDelta = TimeDelta::minutes(5);

/// What to do when the first comment was refused.
fn comment_advice(e: &GraphError) -> &'static str {
    match e.class() {
        ErrorClass::PermissionMissing => "The account was connected without permission to comment: reconnect it, keeping every permission ticked, and later posts get their first comment.",
        ErrorClass::ReauthRequired => "Reconnect the account; the post itself is live.",
        _ => "The post itself is live; add the comment in the Instagram app.",
    }
}

/// What a `media_publish` error says about whether something was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PublishAnswer {
    /// A clear refusal: nothing was published (not ready, quota, no valid login or permission).
    Refused,
    /// Anything else: the publish may have happened; ask Instagram before anything else.
    Unclear,
}

pub(super) fn publish_answer(e: &GraphError) -> PublishAnswer {
    match e.class() {
        ErrorClass::NotReady
        | ErrorClass::QuotaReached
        | ErrorClass::ReauthRequired
        | ErrorClass::PermissionMissing => PublishAnswer::Refused,
        _ => PublishAnswer::Unclear,
    }
}

/// The media list and product type an unanswered publish of `kind` shows up in.
fn where_published(kind: PostKind) -> (MediaEdge, &'static str) {
    match kind {
        PostKind::Image | PostKind::Carousel => (MediaEdge::Media, "FEED"),
        PostKind::Reel => (MediaEdge::Media, "REELS"),
        PostKind::Story => (MediaEdge::Stories, "STORY"),
    }
}

/// Captions compared as readers who are not admins see them: without '@'.
fn same_caption(listed: Option<&str>, ours: &str) -> bool {
    let plain = |s: &str| s.replace('@', "").trim().to_string();
    plain(listed.unwrap_or("")) == plain(ours)
}

/// The one media among `recent` that the publish created, or none when it cannot be told apart.
pub(super) fn match_published(
    recent: &[RecentMedia],
    kind: PostKind,
    caption: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let (_, product) = where_published(kind);
    let mut found = recent.iter().filter(|m| {
        m.product_type.as_deref().is_none_or(|p| p == product)
            && m.timestamp.is_some_and(|t| t >= since - MATCH_SLACK)
            && (kind == PostKind::Story || same_caption(m.caption.as_deref(), caption))
    });
    match (found.next(), found.next()) {
        (Some(only), None) => Some(only.id.clone()),
        _ => None,
    }
}

impl Job<'_> {
    pub(super) async fn publish(&mut self) -> StepResult {
        if let Some(wait) = self.quota_wait().await? {
            return Ok(wait);
        }
        let container = self.state.progress.container_id.clone().unwrap_or_default();
        // The recovery point before the one call that cannot be repeated blindly.
        let p = &mut self.state.progress;
        p.publish_requested_at = Some(clock::now());
        p.reconcile_reads = 0;
        self.save_kept().await?;
        let answer = self
            .graph
            .publish(&self.token, &self.post().instagram_user_id, &container)
            .await;
        let e = match answer {
            Ok(media_id) => return self.published(Some(media_id)).await,
            Err(e) => e,
        };
        if publish_answer(&e) == PublishAnswer::Refused {
            self.state.progress.publish_requested_at = None;
            if e.class() == ErrorClass::NotReady {
                self.state.progress.container_ready = false;
            }
            return Err(e.into());
        }
        self.state.progress.retry_same_container = e.class() == ErrorClass::RetrySameContainer;
        self.record(
            "publish",
            format!("No clear answer from Instagram after publishing ({}); checking whether it was published before anything else.", e.message()),
        );
        self.state.error = Some(PostError {
            message: e.message(),
            advice:
                "Checking with Instagram whether the post went out; nothing is published twice."
                    .into(),
            code: e.code(),
            subcode: e.subcode(),
        });
        Ok(Next::Wait(e.retry_after().unwrap_or(RECONCILE_WAIT)))
    }

    /// After a publish whose answer was not a clear refusal: Instagram says whether it happened.
    pub(super) async fn reconcile(&mut self) -> StepResult {
        let container = self.state.progress.container_id.clone().unwrap_or_default();
        match self.graph.container_status(&self.token, &container).await {
            Ok(status) => self.reconcile_with(status).await,
            // Our fresh container may be unreadable for a while: its media may already be listed.
            Err(e) if e.is_unknown_object() => match self.find_published_media().await {
                Some(id) => self.published(Some(id)).await,
                None => Ok(self.reconcile_later(RECONCILE_WAIT)),
            },
            Err(e) => Err(e.into()),
        }
    }

    async fn reconcile_with(&mut self, status: ContainerStatus) -> StepResult {
        match status.status_code.as_str() {
            "PUBLISHED" => {
                let media_id = self.find_published_media().await;
                self.published(media_id).await
            }
            "FINISHED" => {
                // It may have been published while the status lags: the media lists say.
                if let Some(id) = self.find_published_media().await {
                    return self.published(Some(id)).await;
                }
                let since = self
                    .state
                    .progress
                    .publish_requested_at
                    .unwrap_or_else(clock::now);
                let lag = TimeDelta::from_std(self.worker.config.status_lag)
                    .unwrap_or(TimeDelta::seconds(20));
                if clock::now() - since < lag {
                    return Ok(self.reconcile_later(RECONCILE_WAIT));
                }
                Ok(self.publish_again())
            }
            _ => {
                // Not published: the container is still processing, failed or expired.
                let p = &mut self.state.progress;
                p.publish_requested_at = None;
                p.container_ready = false;
                Ok(self.on_status(&status)?)
            }
        }
    }

    /// Asks again after `wait`; after too many reads that told nothing, fails honestly.
    pub(super) fn reconcile_later(&mut self, wait: Duration) -> Next {
        let p = &mut self.state.progress;
        p.reconcile_reads += 1;
        if p.reconcile_reads <= MAX_RECONCILE_READS {
            return Next::Wait(wait);
        }
        super::failures::fail(
            &mut self.state,
            PostError {
                message: "Instagram did not confirm whether the post was published.".into(),
                advice: "Check the account on Instagram: if the post is there, nothing more is needed; if not, retry it here (it will not be published twice)."
                    .into(),
                code: None,
                subcode: None,
            },
        );
        Next::Done
    }

    /// The unclear publish did not happen: publish the same container again (a couple of times),
    /// then make new containers.
    fn publish_again(&mut self) -> Next {
        let p = &mut self.state.progress;
        p.publish_requested_at = None;
        p.reconcile_reads = 0;
        if p.republishes < MAX_REPUBLISHES {
            p.republishes += 1;
            p.retry_same_container = false;
            self.record(
                "publish",
                "The earlier publish did not happen; publishing again.".into(),
            );
            return Next::Continue;
        }
        self.remake(
            "Publishing the upload kept failing; uploading it again.",
            PostError {
                message: "Instagram kept failing to publish the post.".into(),
                advice: crate::domain::graph::advice(None, Some(2207008)).into(),
                code: None,
                subcode: Some(2207008),
            },
        )
    }

    /// The media an unanswered publish created: the one post of its kind, time and caption in
    /// the account's newest media (stories are listed apart); none when it cannot be told.
    async fn find_published_media(&self) -> Option<String> {
        let since = self.state.progress.publish_requested_at?;
        let post = self.post();
        let (edge, _) = where_published(post.kind);
        let recent = self
            .graph
            .recent_media(&self.token, &post.instagram_user_id, edge)
            .await
            .ok()?;
        match_published(&recent, post.kind, &post.caption, since)
    }

    /// The publish happened. The media id is saved first (from then on the post counts as
    /// published whatever happens next), then the permalink is read: its failure never fails a
    /// published post.
    async fn published(&mut self, media_id: Option<String>) -> StepResult {
        if media_id.is_some() {
            self.state.progress.media_id = media_id;
            self.save_kept().await?;
        }
        Ok(self.finish_published().await)
    }

    pub(super) async fn finish_published(&mut self) -> Next {
        if let Some(id) = self.state.progress.media_id.clone() {
            match self.read_permalink(&id).await {
                Some(link) => self.state.progress.permalink = Some(link),
                None => self.record(
                    "permalink",
                    "Published, but Instagram did not return its link yet.".into(),
                ),
            }
        }
        self.state.status = PostStatus::Published;
        self.state.published_at = Some(clock::now());
        self.state.error = None;
        self.record("published", "Published on Instagram.".into());
        self.first_comment().await;
        Next::Done
    }

    /// Posts the first comment once the post is live. Its failure never fails a published post:
    /// the history says what happened and what to do.
    async fn first_comment(&mut self) {
        let (Some(media_id), Some(text)) = (
            self.state.progress.media_id.clone(),
            self.post().options.first_comment.clone(),
        ) else {
            return;
        };
        if self.state.progress.comment_id.is_some() {
            return;
        }
        match self.place_comment(&media_id, &text).await {
            Ok(id) => {
                self.state.progress.comment_id = Some(id);
                self.record("comment", "Posted the first comment.".into());
            }
            Err(e) => self.record(
                "comment",
                format!(
                    "The first comment could not be posted ({}). {}",
                    e.message(),
                    comment_advice(&e)
                ),
            ),
        }
    }

    /// Comments once: our own comment, if an earlier try left one, is found before commenting
    /// again (a lost answer does not mean the comment was not made); a fresh media that Graph
    /// does not show yet (100/33) is waited for, briefly.
    async fn place_comment(&self, media_id: &str, text: &str) -> Result<String, GraphError> {
        let graph = &self.graph;
        let mut last = None;
        for wait in PERMALINK_WAITS {
            match graph.comments(&self.token, media_id).await {
                Ok(existing) => {
                    if let Some(ours) = existing.iter().find(|c| self.is_ours(c, text)) {
                        return Ok(ours.id.clone());
                    }
                }
                Err(e) if e.is_unknown_object() || e.is_ambiguous() => {
                    last = Some(e);
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => return Err(e),
            }
            match graph.comment(&self.token, media_id, text).await {
                Ok(id) => return Ok(id),
                Err(e) if e.is_unknown_object() || e.is_ambiguous() => {
                    last = Some(e);
                    tokio::time::sleep(wait).await;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| GraphError::Transport("no answer".into())))
    }

    /// A comment with our text by the post's account.
    fn is_ours(&self, comment: &Comment, text: &str) -> bool {
        let plain = |s: &str| s.replace('@', "").trim().to_string();
        comment
            .username
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(&self.post().instagram_username))
            && plain(&comment.text) == plain(text)
    }

    /// The new media's link. A media just published is often unreadable for a few seconds
    /// (100/33, Meta's long-standing bug), so a refusal of that kind is read again, briefly.
    async fn read_permalink(&self, media_id: &str) -> Option<String> {
        for wait in PERMALINK_WAITS {
            match self.graph.permalink(&self.token, media_id).await {
                Ok(link) => return link,
                Err(e) if e.is_unknown_object() => tokio::time::sleep(wait).await,
                Err(_) => return None,
            }
        }
        None
    }

    /// Defers the post when the account's publishing limit is reached (docs/security.md R7):
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
            .graph
            .publishing_limit(&self.token, &post.instagram_user_id)
            .await
        {
            Ok(limit) => (
                limit.used.max(own),
                limit.total.unwrap_or(self.worker.config.daily_quota),
            ),
            Err(e) if e.class() == ErrorClass::ReauthRequired => return Err(e),
            Err(_) => (own, self.worker.config.daily_quota),
        };
        if used < total {
            return Ok(None);
        }
        Ok(Some(self.defer_for_quota(used, total)))
    }

    pub(super) fn defer_for_quota(&mut self, used: u32, total: u32) -> Next {
        self.state.status = PostStatus::Queued;
        let detail = match total {
            0 => format!(
                "@{} reached Instagram's publishing limit; the post waits until it frees up.",
                self.post().instagram_username
            ),
            _ => format!(
                "@{} reached Instagram's limit of {total} posts a day ({used} used); the post waits until it frees up.",
                self.post().instagram_username
            ),
        };
        self.record("quota", detail);
        Next::Wait(QUOTA_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(http_status: u16, code: i64, subcode: Option<i64>) -> GraphError {
        GraphError::Api {
            http_status,
            code,
            subcode,
            message: "m".into(),
            user_message: None,
            is_transient: false,
            retry_after: None,
        }
    }

    #[test]
    fn only_a_clear_refusal_means_nothing_was_published() {
        let table = [
            (
                GraphError::Transport("timed out".into()),
                PublishAnswer::Unclear,
            ),
            (api(500, 2, None), PublishAnswer::Unclear),
            (api(400, 2, None), PublishAnswer::Unclear),
            (api(400, 1, None), PublishAnswer::Unclear),
            (api(400, -1, Some(2207001)), PublishAnswer::Unclear),
            (api(400, 24, Some(2207008)), PublishAnswer::Unclear),
            (api(400, 4, None), PublishAnswer::Unclear),
            (api(400, 100, None), PublishAnswer::Unclear),
            (
                GraphError::Unreadable {
                    status: 502,
                    detail: "<html>".into(),
                },
                PublishAnswer::Unclear,
            ),
            (api(400, 9007, Some(2207027)), PublishAnswer::Refused),
            (api(400, 9, Some(2207042)), PublishAnswer::Refused),
            (api(400, 190, Some(463)), PublishAnswer::Refused),
            (api(400, 10, None), PublishAnswer::Refused),
        ];
        for (e, expected) in table {
            assert_eq!(publish_answer(&e), expected, "{e}");
        }
    }

    fn media(id: &str, product: &str, caption: Option<&str>, minutes_ago: i64) -> RecentMedia {
        RecentMedia {
            id: id.into(),
            caption: caption.map(String::from),
            timestamp: Some(clock::now() - TimeDelta::minutes(minutes_ago)),
            product_type: Some(product.into()),
        }
    }

    #[test]
    fn the_published_media_is_recovered_only_when_it_is_unambiguous() {
        let since = clock::now() - TimeDelta::minutes(1);
        let caption = "Hello @friend #sun";
        let listed = [
            media("old", "FEED", Some("Hello friend #sun"), 60),
            media("reel", "REELS", Some("Hello friend #sun"), 0),
            media("ours", "FEED", Some("Hello friend #sun"), 0),
        ];
        assert_eq!(
            match_published(&listed, PostKind::Image, caption, since).as_deref(),
            Some("ours"),
            "captions compared without '@', kind and time considered"
        );
        assert_eq!(
            match_published(&listed, PostKind::Reel, caption, since).as_deref(),
            Some("reel")
        );
        let twins = [
            media("a", "FEED", Some("Same"), 0),
            media("b", "FEED", Some("Same"), 0),
        ];
        assert_eq!(
            match_published(&twins, PostKind::Image, "Same", since),
            None,
            "two candidates: keep none rather than guess"
        );
        let stories = [media("s1", "STORY", None, 0)];
        assert_eq!(
            match_published(&stories, PostKind::Story, "", since).as_deref(),
            Some("s1")
        );
        assert_eq!(match_published(&[], PostKind::Image, caption, since), None);
    }
}
