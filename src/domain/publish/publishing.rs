//! `media_publish` and what surrounds it: the daily quota first, a recovery point before the one
//! call that cannot be repeated blindly, and reconciling with the container after an unanswered
//! publish (docs/security.md R2, R7).

use std::time::Duration;

use chrono::TimeDelta;

use super::worker::{Job, Next, StepResult};
use crate::domain::{
    clock,
    graph::{ErrorClass, GraphError},
    posts::PostStatus,
};

/// How long a post waits when the account's daily publishing limit is reached.
const QUOTA_WAIT: Duration = Duration::from_secs(30 * 60);
/// The rolling window of Instagram's publishing limit.
const QUOTA_WINDOW: TimeDelta = TimeDelta::hours(24);

/// What a `media_publish` error says about whether something was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PublishAnswer {
    /// No clear answer: the publish may have happened; ask the container before anything else.
    Unclear,
    /// A clear refusal: nothing was published.
    Refused,
}

pub(super) fn publish_answer(e: &GraphError) -> PublishAnswer {
    if e.is_ambiguous() {
        PublishAnswer::Unclear
    } else {
        PublishAnswer::Refused
    }
}

impl Job<'_> {
    pub(super) async fn publish(&mut self) -> StepResult {
        if let Some(wait) = self.quota_wait().await? {
            return Ok(wait);
        }
        let container = self.state.progress.container_id.clone().unwrap_or_default();
        // The recovery point before the one call that cannot be repeated blindly.
        self.state.progress.publish_requested_at = Some(clock::now());
        self.save_kept().await?;
        let answer = self
            .worker
            .graph
            .publish(&self.token, &self.post().instagram_user_id, &container)
            .await;
        match answer {
            Ok(media_id) => self.published(Some(media_id)).await,
            Err(e) => match publish_answer(&e) {
                PublishAnswer::Unclear => {
                    // Next time the container is asked first.
                    self.record("publish", format!("No clear answer from Instagram after publishing ({e}); checking before trying again."));
                    Ok(self.retry_later(&e))
                }
                PublishAnswer::Refused => {
                    self.state.progress.publish_requested_at = None;
                    if e.class() == ErrorClass::NotReady {
                        self.state.progress.container_ready = false;
                    }
                    Err(e.into())
                }
            },
        }
    }

    /// After an unanswered publish: the container says whether it happened.
    pub(super) async fn reconcile(&mut self) -> StepResult {
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
                Ok(self.on_status(&status)?)
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
    async fn published(&mut self, media_id: Option<String>) -> StepResult {
        if media_id.is_some() {
            self.state.progress.media_id = media_id;
            self.save_kept().await?;
        }
        Ok(self.finish_published().await)
    }

    pub(super) async fn finish_published(&mut self) -> Next {
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

    /// Defers the post when the account's daily publishing limit is reached (docs/security.md
    /// R7): Graph's own count, our rolling 24-hour count, whichever is higher.
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
        self.record(
            "quota",
            format!("@{} reached Instagram's limit of {total} posts a day ({used} used); the post waits until it frees up.", self.post().instagram_username),
        );
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
    fn only_a_missing_answer_leaves_a_publish_unclear() {
        let table = [
            (
                GraphError::Transport("timed out".into()),
                PublishAnswer::Unclear,
            ),
            (api(500, 2, None), PublishAnswer::Unclear),
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
        ];
        for (e, expected) in table {
            assert_eq!(publish_answer(&e), expected, "{e}");
        }
    }
}
