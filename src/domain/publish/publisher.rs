//! The background publisher: claims due posts with a lease, publishes them with bounded
//! concurrency, and sleeps until the next post is due instead of polling the database.
//!
//! Several processes may run it against one MongoDB: a claim is exclusive (one lease epoch per
//! worker) and every write is fenced by the epoch, so each post is published exactly once.

use std::{sync::Arc, time::Duration};

use chrono::TimeDelta;
use tokio::{
    sync::{watch, Notify, Semaphore},
    task::{JoinHandle, JoinSet},
};

use super::worker::Worker;
use crate::{
    domain::{clock, posts::PostStore},
    telemetry::chain,
};

/// The longest the publisher sleeps: posts created by other processes are noticed within this.
const IDLE_WAIT: Duration = Duration::from_secs(15);
/// The shortest, so that a post due "now" that another worker holds cannot make it spin.
const MIN_WAIT: Duration = Duration::from_millis(100);
/// How long shutdown waits for in-flight steps before leaving the rest to lease expiry.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

pub struct Publisher {
    worker: Arc<Worker>,
    posts: Arc<dyn PostStore>,
    owner: String,
    wake: Arc<Notify>,
    concurrency: usize,
    lease: Duration,
}

impl Publisher {
    pub fn new(worker: Worker, posts: Arc<dyn PostStore>, wake: Arc<Notify>) -> Self {
        let owner = format!("{}-{}", std::process::id(), crate::crypto::random_token(6));
        Self {
            concurrency: worker.config.concurrency,
            lease: worker.config.lease,
            worker: Arc::new(worker),
            posts,
            owner,
            wake,
        }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(self, mut stop: watch::Receiver<bool>) {
        tracing::info!(owner = %self.owner, concurrency = self.concurrency, "publisher started");
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks = JoinSet::new();
        while !*stop.borrow() {
            self.fill(&slots, &mut tasks).await;
            let wait = match slots.available_permits() {
                0 => IDLE_WAIT,
                _ => self.until_next_due().await,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = stop.changed() => {}
            }
        }
        // Workers see the stop between steps and release their posts; wait for them a while.
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("shutdown: some posts were still mid-step; their leases will expire and another process takes them");
        }
        tracing::info!(owner = %self.owner, "publisher stopped");
    }

    /// Claims due posts while there are free slots.
    async fn fill(&self, slots: &Arc<Semaphore>, tasks: &mut JoinSet<()>) {
        while let Ok(permit) = slots.clone().try_acquire_owned() {
            let now = clock::now();
            let lease_until =
                now + TimeDelta::from_std(self.lease).unwrap_or(TimeDelta::seconds(60));
            match self.posts.claim_due(&self.owner, now, lease_until).await {
                Ok(Some(claim)) => {
                    let worker = self.worker.clone();
                    tasks.spawn(async move {
                        worker.run(claim).await;
                        drop(permit);
                    });
                }
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %chain(&e), "claiming posts failed; trying again soon");
                    return;
                }
            }
        }
    }

    /// How long until the next post is due (bounded both ways).
    async fn until_next_due(&self) -> Duration {
        match self.posts.next_due_at().await {
            Ok(Some(at)) => (at - clock::now())
                .to_std()
                .unwrap_or(MIN_WAIT)
                .clamp(MIN_WAIT, IDLE_WAIT),
            Ok(None) => IDLE_WAIT,
            Err(e) => {
                tracing::warn!(error = %chain(&e), "reading the next due post failed");
                Duration::from_secs(5)
            }
        }
    }
}
