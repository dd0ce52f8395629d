//! What a Graph error does to a post, decided from its class, never from its text
//! (docs/security.md R3, R6, R9; docs/graph-api.md §6): wait, defer, upload again, retry with
//! backoff, ask for a reconnect, stop the account, or fail with advice.

use std::time::Duration;

use super::{
    backoff::retry_delay,
    worker::{Job, Next, Worker},
};
use crate::{
    domain::{
        accounts::AuthCause,
        clock,
        graph::{advice, ErrorClass, GraphError},
        posts::{Post, PostError, PostFilter, PostState, PostStatus, Step},
    },
    telemetry::chain,
};

const RETRY_CAP: Duration = Duration::from_secs(10 * 60);
/// A throttled account waits at least this long when Graph does not say how long (§6: 5-15 min).
const THROTTLE_MIN_WAIT: Duration = Duration::from_secs(5 * 60);
/// A temporary policy block (368) lasts hours.
const BLOCK_WAIT: Duration = Duration::from_secs(60 * 60);

/// What a post does about a Graph error of some class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reaction {
    /// The container is still processing: poll again, no attempt used.
    WaitForProcessing,
    /// The publishing quota is reached: wait for it, no attempt used.
    DeferForQuota,
    /// Throttled: wait as long as Graph says (or a sane minimum), no attempt used.
    Defer,
    /// The containers are gone or failed before publishing: make them again (bounded).
    NewContainers,
    /// A publish may have happened: ask Instagram again before anything else.
    Reconcile,
    /// The account's login no longer works: it needs reconnecting, and its waiting posts fail.
    Reconnect,
    /// A permission or Page role is missing: stop posting for the account, say what to fix.
    StopAccount,
    /// Try again later with backoff (counts an attempt); at least `min` from now.
    RetryLater { min: Duration },
    /// Retrying the same thing cannot help: fail with advice.
    Fail,
}

/// The reaction to an error of `class`. `publish_requested` is whether `media_publish` may have
/// happened: then nothing is made again before Instagram is asked.
pub(super) fn reaction(class: ErrorClass, publish_requested: bool) -> Reaction {
    let later = Reaction::RetryLater {
        min: Duration::ZERO,
    };
    match class {
        ErrorClass::NotReady => Reaction::WaitForProcessing,
        ErrorClass::QuotaReached => Reaction::DeferForQuota,
        ErrorClass::Throttled => Reaction::Defer,
        ErrorClass::ReauthRequired => Reaction::Reconnect,
        ErrorClass::PermissionMissing => Reaction::StopAccount,
        ErrorClass::TemporarilyBlocked => Reaction::RetryLater { min: BLOCK_WAIT },
        _ if publish_requested => Reaction::Reconcile,
        ErrorClass::ContainerGone | ErrorClass::MediaNotFetched => Reaction::NewContainers,
        ErrorClass::Retryable | ErrorClass::RetrySameContainer => later,
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
            Reaction::Defer => self.defer_throttled(&e),
            Reaction::NewContainers => self.remake(
                "Instagram lost or could not take the upload; uploading again.",
                graph_failure(&e),
            ),
            Reaction::Reconcile => {
                let reads = self.state.progress.reconcile_reads;
                let wait = retry_delay(reads.min(10), self.worker.config.retry_base, RETRY_CAP);
                self.record(
                    "publish",
                    format!(
                        "Instagram did not answer clearly ({}); asking again before anything else.",
                        e.message()
                    ),
                );
                self.reconcile_later(wait)
            }
            Reaction::Reconnect => {
                self.needs_reconnect(&e).await;
                Next::Done
            }
            Reaction::StopAccount => {
                self.stop_account(&e).await;
                Next::Done
            }
            Reaction::RetryLater { min } => self.retry_later(&e, min),
            Reaction::Fail => {
                fail(&mut self.state, graph_failure(&e));
                Next::Done
            }
        }
    }

    /// Throttled: the post waits, it does not fail (docs/graph-api.md §6, DEFER).
    fn defer_throttled(&mut self, e: &GraphError) -> Next {
        let wait = e.retry_after().unwrap_or(THROTTLE_MIN_WAIT);
        if self.state.progress.publish_requested_at.is_none() {
            self.state.status = PostStatus::Queued;
        }
        self.record(
            "throttled",
            format!(
                "Instagram asked to slow down ({}); trying again in {} minutes.",
                e.message(),
                wait.as_secs().div_ceil(60)
            ),
        );
        Next::Wait(wait)
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

    pub(super) fn retry_later(&mut self, e: &GraphError, min: Duration) -> Next {
        if let Some(done) = self.count_attempt(e) {
            return done;
        }
        let backoff = retry_delay(
            self.state.attempts,
            self.worker.config.retry_base,
            RETRY_CAP,
        )
        .max(min);
        let wait = e.retry_after().map_or(backoff, |after| after.max(backoff));
        self.state.status = PostStatus::Queued;
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

    /// Graph refused the token (190, 102): the account needs reconnecting, and so do its other
    /// posts.
    async fn needs_reconnect(&mut self, e: &GraphError) {
        let cause = AuthCause::from_graph(e.code(), e.subcode()).unwrap_or(AuthCause::Invalid);
        let reason = format!(
            "{} {} (Instagram said: {})",
            cause.message(),
            cause.advice(),
            e.message()
        );
        self.flag_account(cause, &reason, graph_failure(e)).await;
    }

    /// A permission or Page role publishing needs is gone (10, 200-299): posting stops for the
    /// account, with advice that says what to fix.
    async fn stop_account(&mut self, e: &GraphError) {
        let reason = format!(
            "Instagram refused to publish for lack of a permission or Page role: {}",
            e.message()
        );
        self.flag_account(AuthCause::PermissionRemoved, &reason, graph_failure(e))
            .await;
    }

    /// Marks the account unusable for `cause`, and fails this post and its waiting ones.
    async fn flag_account(&mut self, cause: AuthCause, reason: &str, error: PostError) {
        let post = self.post().clone();
        if let Err(err) = self
            .worker
            .accounts
            .mark_needs_reconnect(&post.tenant, &post.account_id, cause, reason, clock::now())
            .await
        {
            tracing::warn!(error = %chain(&err), "could not flag the account");
        }
        fail(&mut self.state, error.clone());
        fail_waiting_posts(self.worker, &post, error).await;
    }
}

/// A story Instagram refused for want of a permission: stories are for Business accounts only
/// (docs/graph-api.md §1), so the account is remembered as one that cannot post stories and the
/// composer says so before anything else is queued. Feed posts go on.
pub(super) async fn stories_refused(job: &mut Job<'_>, e: &GraphError) -> Next {
    let post = job.post().clone();
    if let Err(err) = job
        .worker
        .accounts
        .mark_stories_refused(&post.tenant, &post.account_id, clock::now())
        .await
    {
        tracing::warn!(error = %chain(&err), "could not record that the account cannot post stories");
    }
    fail(
        &mut job.state,
        PostError {
            message: format!(
                "Instagram refused a story for @{}: {}",
                post.instagram_username,
                e.message()
            ),
            advice: STORIES_ADVICE.into(),
            code: e.code(),
            subcode: e.subcode(),
        },
    );
    Next::Done
}

/// What to do when stories are refused.
pub const STORIES_ADVICE: &str = "Instagram publishes stories only from Business accounts, not Creator accounts. Switch the account to Business in the Instagram app (Settings > Account type), then reconnect it; feed posts and reels work either way.";

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
        let later = Reaction::RetryLater {
            min: Duration::ZERO,
        };
        let table = [
            (NotReady, false, Reaction::WaitForProcessing),
            (NotReady, true, Reaction::WaitForProcessing),
            (QuotaReached, false, Reaction::DeferForQuota),
            (Throttled, false, Reaction::Defer),
            (Throttled, true, Reaction::Defer),
            (ContainerGone, false, Reaction::NewContainers),
            (MediaNotFetched, false, Reaction::NewContainers),
            // A publish may have happened: Instagram is asked before anything is remade or retried.
            (ContainerGone, true, Reaction::Reconcile),
            (Retryable, true, Reaction::Reconcile),
            (RetrySameContainer, true, Reaction::Reconcile),
            (Permanent, true, Reaction::Reconcile),
            (ReauthRequired, false, Reaction::Reconnect),
            (ReauthRequired, true, Reaction::Reconnect),
            (PermissionMissing, false, Reaction::StopAccount),
            (
                TemporarilyBlocked,
                false,
                Reaction::RetryLater { min: BLOCK_WAIT },
            ),
            (Retryable, false, later),
            (RetrySameContainer, false, later),
            (Permanent, false, Reaction::Fail),
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
