//! One worker publishing one claimed post as far as it can go now: it decides the next step from
//! what is saved, runs it, saves the result before the next step (docs/security.md R2), and
//! releases the post when it must wait or is done. Every save carries the claim's epoch, so a
//! worker that lost its lease cannot overwrite the new owner.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;

use super::{
    failures::{fail, reconnect_failure, unreadable_login_failure},
    graph::{PublishingGraph, PublishingHosts},
};
use crate::{
    config::PublisherConfig,
    crypto::KeyRing,
    domain::{
        accounts::{Account, AccountStore, LoginKind},
        clock,
        graph::GraphError,
        library::Library,
        posts::{
            Claim, ClaimedUpdate, Post, PostError, PostKind, PostState, PostStatus, PostStore, Step,
        },
        DomainError, StoreError,
    },
    telemetry::chain,
};

/// Usage (percent of a rate limit, from Graph's headers) from which an account is slowed down,
/// and from which it pauses for longer.
const PACE_FROM: u32 = 80;
const PACE_HARD_FROM: u32 = 95;

/// What a step decided about the post.
pub(super) enum Next {
    /// Saved; carry on with the next step while the lease is ours.
    Continue,
    /// Saved and released; the publisher looks at it again after this long.
    Wait(Duration),
    /// Saved in a final state (published or failed).
    Done,
}

/// Why a step did not finish: Graph said no (the post's business), or our own store failed
/// (not the post's fault: the job stops and the lease hands the post to the next attempt).
pub(super) enum StepError {
    Graph(GraphError),
    Store(StoreError),
}

impl From<GraphError> for StepError {
    fn from(e: GraphError) -> Self {
        StepError::Graph(e)
    }
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        StepError::Store(e)
    }
}

pub(super) type StepResult = Result<Next, StepError>;

/// What one worker needs; shared by all of a publisher's workers.
pub struct Worker {
    /// Each account's calls go to the host of its login.
    pub graph: PublishingHosts,
    pub posts: Arc<dyn PostStore>,
    pub accounts: Arc<dyn AccountStore>,
    pub keys: KeyRing,
    pub config: PublisherConfig,
    pub stop: watch::Receiver<bool>,
    /// Signs the post's library files afresh: a post retried after its URLs expired still
    /// reaches Instagram.
    pub library: Library,
}

/// How long the URLs a publishing run hands Instagram stay valid: it downloads them while the
/// container processes, which a run waits for.
const LIBRARY_URL_LIFETIME: TimeDelta = TimeDelta::days(1);

/// Why a claimed post cannot be published with its account now.
enum AccountProblem {
    /// The store did not answer: try again shortly.
    Store(StoreError),
    /// The account cannot publish: the post fails with this reason and the advice to reconnect.
    Unusable(String),
    /// The saved login does not decrypt with this service's keys: the operator's problem, not the
    /// customer's (a key was removed too early), and the post fails saying so.
    Unreadable,
}

/// One claimed post being published.
pub(super) struct Job<'a> {
    pub(super) worker: &'a Worker,
    pub(super) claim: Claim,
    pub(super) state: PostState,
    pub(super) token: String,
    /// The host of the account's login.
    pub(super) graph: Arc<dyn PublishingGraph>,
}

impl Worker {
    /// Publishes the claimed post as far as it can go now, then leaves it saved and released.
    pub async fn run(&self, mut claim: Claim) {
        let post_id = claim.post.id.clone();
        let post = &mut claim.post;
        let lifetime = LIBRARY_URL_LIFETIME;
        let library = &self.library;
        library.refresh_urls(&post.tenant, &mut post.media, &mut post.options, lifetime);
        let (token, login) = match self.token(&claim.post).await {
            Ok(t) => t,
            Err(AccountProblem::Store(e)) => return self.release_for_now(claim, &e).await,
            Err(AccountProblem::Unusable(reason)) => {
                return self.fail_claimed(claim, reconnect_failure(reason)).await
            }
            Err(AccountProblem::Unreadable) => {
                return self.fail_claimed(claim, unreadable_login_failure()).await
            }
        };
        let mut job = Job {
            worker: self,
            state: claim.post.state.clone(),
            claim,
            token,
            graph: self.graph.for_login(login).clone(),
        };
        if let Err(e) = job.run().await {
            // Fenced: another worker owns the post now; its state is theirs to write. Otherwise the
            // store failed: the lease runs out and the post is taken again.
            tracing::warn!(post = %post_id, error = %chain(&e), "publishing step could not be saved");
        }
    }

    /// The account's token and how it was connected, when the account can publish.
    async fn token(&self, post: &Post) -> Result<(String, LoginKind), AccountProblem> {
        let account = self
            .accounts
            .get(&post.tenant, &post.account_id)
            .await
            .map_err(AccountProblem::Store)?;
        let account = match account {
            Some(a) if a.is_usable(clock::now()) => a,
            Some(a) => return Err(AccountProblem::Unusable(unusable_reason(&a))),
            None => {
                return Err(AccountProblem::Unusable(
                    "The Instagram account was removed.".into(),
                ))
            }
        };
        let token = account.open_token(&self.keys).map_err(|e| match e {
            DomainError::Internal { .. } => {
                tracing::error!(post = %post.id, error = %chain(&e), "an account's saved login does not decrypt");
                AccountProblem::Unreadable
            }
            other => AccountProblem::Unusable(other.public_message()),
        })?;
        Ok((token, account.login))
    }

    /// The store failed before anything happened: let the post go and look again shortly.
    async fn release_for_now(&self, claim: Claim, e: &StoreError) {
        tracing::warn!(post = %claim.post.id, error = %chain(e), "account unavailable; the post waits");
        let mut state = claim.post.state.clone();
        state.run_at = clock::now() + TimeDelta::seconds(30);
        self.save_released(&claim, state).await;
    }

    async fn fail_claimed(&self, claim: Claim, error: PostError) {
        let mut state = claim.post.state.clone();
        fail(&mut state, error);
        self.save_released(&claim, state).await;
    }

    async fn save_released(&self, claim: &Claim, state: PostState) {
        let update = ClaimedUpdate {
            state,
            lease_until: None,
        };
        if let Err(e) = self.posts.save_claimed(claim, &update).await {
            tracing::warn!(post = %claim.post.id, error = %chain(&e), "could not release the post");
        }
    }

    pub(super) fn stopping(&self) -> bool {
        *self.stop.borrow()
    }
}

fn unusable_reason(account: &Account) -> String {
    format!(
        "@{} needs reconnecting: {}",
        account.instagram_username,
        account
            .auth_error
            .clone()
            .unwrap_or_else(|| "its saved login no longer works.".into())
    )
}

impl Job<'_> {
    pub(super) fn post(&self) -> &Post {
        &self.claim.post
    }

    async fn run(&mut self) -> Result<(), StoreError> {
        loop {
            if self.worker.stopping() {
                // Shutting down: leave the post claimable at once by the next process.
                return self.save_released(Duration::ZERO).await;
            }
            let next = match self.step().await {
                Ok(next) => next,
                Err(StepError::Graph(e)) => self.on_error(e).await,
                Err(StepError::Store(e)) => return Err(e),
            };
            match next {
                Next::Continue => self.save_kept().await?,
                Next::Wait(after) => return self.save_released(after).await,
                Next::Done => return self.save_released(Duration::ZERO).await,
            }
        }
    }

    /// The next step, decided from what is saved.
    async fn step(&mut self) -> StepResult {
        let p = &self.state.progress;
        if self.state.status == PostStatus::Published {
            return Ok(Next::Done);
        }
        if p.media_id.is_some() {
            // Published by a worker that stopped before it could say so.
            return Ok(self.finish_published().await);
        }
        if let Some(wait) = self.pacing() {
            return Ok(wait);
        }
        let p = &self.state.progress;
        if p.publish_requested_at.is_some() {
            return self.reconcile().await;
        }
        let needs_container = p.container_id.is_none()
            && !(self.post().kind == PostKind::Carousel
                && p.item_containers.len() == self.post().media.len()
                && !p.items_ready);
        if needs_container {
            if let Some(wait) = self.container_room().await {
                return Ok(wait);
            }
        }
        let p = &self.state.progress;
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

    /// Slows the account down when the usage headers of Graph's answers (successful ones too)
    /// pass [`PACE_FROM`] percent, before Graph has to throttle it (docs/graph-api.md §6).
    fn pacing(&mut self) -> Option<Next> {
        let used = self.graph.usage(&self.token)?;
        let wait = match used {
            u if u >= PACE_HARD_FROM => Duration::from_secs(15 * 60),
            u if u >= PACE_FROM => Duration::from_secs(2 * 60),
            _ => return None,
        };
        if self.state.progress.publish_requested_at.is_none() {
            self.state.status = PostStatus::Queued;
        }
        if self.state.steps.last().is_none_or(|s| s.step != "pacing") {
            self.record(
                "pacing",
                format!("Instagram reports {used}% of this account's rate limit used; slowing down before it throttles."),
            );
        }
        Some(Next::Wait(wait))
    }

    pub(super) fn record(&mut self, step: &str, detail: String) {
        self.state.steps.push(Step {
            at: clock::now(),
            step: step.into(),
            detail,
        });
    }

    /// Saves and keeps the lease (a recovery point before the next step).
    pub(super) async fn save_kept(&mut self) -> Result<(), StoreError> {
        let lease = self.worker.config.lease;
        self.save(Some(
            clock::now() + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(60)),
        ))
        .await
    }

    async fn save_released(&mut self, after: Duration) -> Result<(), StoreError> {
        self.state.run_at = clock::now() + TimeDelta::from_std(after).unwrap_or(TimeDelta::zero());
        self.save(None).await
    }

    async fn save(&mut self, lease_until: Option<DateTime<Utc>>) -> Result<(), StoreError> {
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
