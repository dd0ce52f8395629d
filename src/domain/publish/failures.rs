//! What a Graph error does to a post, decided from its class, never from its text
//! (docs/security.md R3, R6): wait, defer, upload again, retry with backoff, ask for a reconnect,
//! or fail with advice.

use std::time::Duration;

use super::{
    backoff::retry_delay,
    worker::{Job, Next, Worker},
};
use crate::{
    domain::{
        clock,
        graph::{advice, ErrorClass, GraphError},
        posts::{Post, PostError, PostFilter, PostState, PostStatus, Step},
    },
    telemetry::chain,
};

const RETRY_CAP: Duration = Duration::from_secs(10 * 60);

/// What a post does about a Graph error of some class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reaction {
    /// The container is still processing: poll again, no attempt used.
    WaitForProcessing,
    /// The daily quota is reached: wait for it, no attempt used.
    DeferForQuota,
    /// The containers are gone before publishing: make them again (counts an attempt).
    NewContainers,
    /// The account's login no longer works: it needs reconnecting, and its waiting posts fail.
    Reconnect,
    /// Try again later with backoff (counts an attempt).
    RetryLater,
    /// Retrying the same thing cannot help: fail with advice.
    Fail,
}

/// The reaction to an error of `class`. `publish_requested` is whether `media_publish` may have
/// happened: then nothing is made again before the container is asked.
pub(super) fn reaction(class: ErrorClass, publish_requested: bool) -> Reaction {
    match class {
        ErrorClass::NotReady => Reaction::WaitForProcessing,
        ErrorClass::QuotaReached => Reaction::DeferForQuota,
        ErrorClass::ContainerGone if !publish_requested => Reaction::NewContainers,
        ErrorClass::ReauthRequired => Reaction::Reconnect,
        ErrorClass::Retryable | ErrorClass::Throttled | ErrorClass::ContainerGone => {
            Reaction::RetryLater
        }
        ErrorClass::Permanent => Reaction::Fail,
    }
}

impl Job<'_> {
    pub(super) async fn on_error(&mut self, e: GraphError) -> Next {
        let publish_requested = self.state.progress.publish_requested_at.is_some();
        match reaction(e.class(), publish_requested) {
            Reaction::WaitForProcessing => {
                self.state.progress.container_ready = false;
                self.wait_for_processing()
            }
            Reaction::DeferForQuota => self.defer_for_quota(0, 0),
            Reaction::NewContainers => {
                self.record(
                    "container",
                    "Instagram lost the upload; uploading again.".into(),
                );
                self.state.progress.reset_containers();
                self.count_attempt(&e).unwrap_or(Next::Continue)
            }
            Reaction::Reconnect => {
                self.needs_reconnect(&e).await;
                Next::Done
            }
            Reaction::RetryLater => self.retry_later(&e),
            Reaction::Fail => {
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

    pub(super) fn retry_later(&mut self, e: &GraphError) -> Next {
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
        if let Err(err) = self
            .worker
            .accounts
            .mark_needs_reconnect(&post.tenant, &post.account_id, &reason, clock::now())
            .await
        {
            tracing::warn!(error = %chain(&err), "could not mark the account as needing a reconnect");
        }
        fail(&mut self.state, graph_failure(e));
        fail_waiting_posts(self.worker, &post, graph_failure(e)).await;
    }
}

pub(super) fn fail(state: &mut PostState, error: PostError) {
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

/// A post whose account cannot publish: the reason, with the advice to reconnect.
pub(super) fn reconnect_failure(reason: String) -> PostError {
    PostError {
        message: reason,
        advice: advice(Some(190), None).into(),
        code: None,
        subcode: None,
    }
}

/// A post whose account's saved login this service cannot decrypt: not the customer's doing.
pub(super) fn unreadable_login_failure() -> PostError {
    PostError {
        message: "The service could not read this account's saved login.".into(),
        advice: "This is a problem on our side: contact support, who can restore it. Reconnecting the account on the accounts page also fixes it; then retry the post.".into(),
        code: None,
        subcode: None,
    }
}

/// Fails the account's posts that are waiting to publish, with the same reason.
async fn fail_waiting_posts(worker: &Worker, post: &Post, error: PostError) {
    let filter = PostFilter {
        statuses: vec![PostStatus::Scheduled, PostStatus::Queued],
        account_id: Some(post.account_id.clone()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_of_error_has_one_reaction() {
        use ErrorClass::*;
        let table = [
            (NotReady, false, Reaction::WaitForProcessing),
            (NotReady, true, Reaction::WaitForProcessing),
            (QuotaReached, false, Reaction::DeferForQuota),
            (ContainerGone, false, Reaction::NewContainers),
            // A publish may have happened: the container is asked before anything is remade.
            (ContainerGone, true, Reaction::RetryLater),
            (ReauthRequired, false, Reaction::Reconnect),
            (ReauthRequired, true, Reaction::Reconnect),
            (Retryable, false, Reaction::RetryLater),
            (Throttled, false, Reaction::RetryLater),
            (Permanent, false, Reaction::Fail),
            (Permanent, true, Reaction::Fail),
        ];
        for (class, publish_requested, expected) in table {
            assert_eq!(
                reaction(class, publish_requested),
                expected,
                "{class:?}, publish requested: {publish_requested}"
            );
        }
    }
}
