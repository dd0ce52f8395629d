//! What Meta requires of an app that holds people's data (graph-api.md §8, App Review): the
//! deauthorize callback (a person removed the app from their Facebook account) and the data
//! deletion callback (a person asked for their data to be deleted). Both name the person by their
//! app-scoped Facebook user id inside a `signed_request` ([`SignedRequest`]); the accounts they
//! connected carry that id (`Account::facebook_user_id`), in every tenant.
//!
//! Each signed request works once, at one of the two callbacks (docs/security.md MC2): its
//! signature is remembered until it would be refused as stale anyway.

mod signed_request;
mod store;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::StatusCode;
use secrecy::ExposeSecret;

pub use signed_request::{SignedRequest, SignedRequestError, MAX_AGE, MAX_SKEW};
pub use store::{ComplianceStore, DeletionRequest};

use super::{
    accounts::{Account, AccountStore},
    clock,
    posts::{PostFilter, PostStatus, PostStore, Transition},
    DomainError,
};
use crate::config::InstagramApp;

/// Where a deletion request's status page lives, under the public origin.
pub const DELETION_STATUS_PATH: &str = "/meta/data-deletion";
/// Length of a confirmation code: 20 characters of 62, about 119 bits.
const CODE_LEN: usize = 20;
/// Waiting posts cancelled per read.
const PAGE: u32 = 100;

/// Why a callback was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    /// The request is not a genuine, fresh, first use of a signed request from Meta.
    #[error("{0}")]
    Refused(#[from] SignedRequestError),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl CallbackError {
    /// 403 for a signature that does not match, 400 for every other refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            CallbackError::Refused(SignedRequestError::BadSignature) => StatusCode::FORBIDDEN,
            CallbackError::Refused(_) => StatusCode::BAD_REQUEST,
            CallbackError::Domain(e) => e.status(),
        }
    }
}

impl From<crate::domain::StoreError> for CallbackError {
    fn from(e: crate::domain::StoreError) -> Self {
        CallbackError::Domain(e.into())
    }
}

/// What answering a data deletion request gives Meta.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionReceipt {
    /// The status page's address.
    pub url: String,
    pub confirmation_code: String,
}

/// Meta's two callbacks, and the status of deletion requests.
#[derive(Clone)]
pub struct MetaCallbacks {
    accounts: Arc<dyn AccountStore>,
    posts: Arc<dyn PostStore>,
    store: Arc<dyn ComplianceStore>,
    app: Option<InstagramApp>,
    /// The service's public origin, for the status page's address.
    public_origin: String,
}

impl MetaCallbacks {
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        posts: Arc<dyn PostStore>,
        store: Arc<dyn ComplianceStore>,
        app: Option<InstagramApp>,
        public_origin: String,
    ) -> Self {
        Self {
            accounts,
            posts,
            store,
            app,
            public_origin,
        }
    }

    /// The deauthorize callback: every account the person connected through our app, in every
    /// tenant, is disconnected (its tokens erased) and its waiting posts are cancelled. A second
    /// request about the same person finds nothing left to do. Returns how many accounts were
    /// disconnected now.
    pub async fn deauthorize(&self, signed_request: &str) -> Result<usize, CallbackError> {
        let now = clock::now();
        let (app_id, request) = self.accept(signed_request, now).await?;
        let done = self.disconnect_person(&app_id, &request.user_id, now).await;
        self.settle(&request, done).await
    }

    /// The data deletion callback: the person's accounts are erased with every post made with
    /// them, in every tenant, and the request is recorded under a new confirmation code.
    ///
    /// Posts are erased whatever their status: a published post's record holds the caption, the
    /// media addresses and the Instagram ids of what the person published, which are their data;
    /// the tenant's platform can read its history back from Instagram if it still may. Pending
    /// posts go with them, so nothing is published for the person afterwards.
    ///
    /// Every request gets its own code, a repeat included (the erasure is idempotent: a repeat
    /// finds nothing left and is completed at once); the record holds only the code and the
    /// times, nothing about the person.
    pub async fn delete_data(
        &self,
        signed_request: &str,
    ) -> Result<DeletionReceipt, CallbackError> {
        let received_at = clock::now();
        let (app_id, request) = self.accept(signed_request, received_at).await?;
        let done = self.erase_person(&app_id, &request.user_id).await;
        self.settle(&request, done).await?;
        let deletion = DeletionRequest {
            confirmation_code: confirmation_code(),
            received_at,
            completed_at: Some(clock::now()),
        };
        self.store.record_deletion(&deletion).await?;
        Ok(DeletionReceipt {
            url: format!(
                "{}{DELETION_STATUS_PATH}/{}",
                self.public_origin, deletion.confirmation_code
            ),
            confirmation_code: deletion.confirmation_code,
        })
    }

    /// The deletion request behind a confirmation code, for its public status page.
    pub async fn deletion_status(&self, code: &str) -> Result<DeletionRequest, DomainError> {
        let well_formed =
            (1..=64).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return Err(DomainError::NotFound("Deletion request"));
        }
        self.store
            .deletion(code)
            .await?
            .ok_or(DomainError::NotFound("Deletion request"))
    }

    /// Verifies the signed request with the app's secret and records its first use.
    async fn accept(
        &self,
        raw: &str,
        now: DateTime<Utc>,
    ) -> Result<(String, SignedRequest), CallbackError> {
        let app = self.app.as_ref().ok_or_else(|| {
            DomainError::NotConfigured("Instagram API credentials not configured.".into())
        })?;
        let request = SignedRequest::verify(raw, app.app_secret.expose_secret().as_bytes(), now)?;
        let first = self
            .store
            .first_use(&request.replay_key(), request.remember_until(), now)
            .await?;
        match first {
            true => Ok((app.app_id.clone(), request)),
            false => Err(SignedRequestError::Replayed.into()),
        }
    }

    /// When the work failed, forgets the request's use, so that Meta's retry is carried out.
    async fn settle<T>(
        &self,
        request: &SignedRequest,
        done: Result<T, DomainError>,
    ) -> Result<T, CallbackError> {
        if done.is_err() {
            if let Err(e) = self.store.forget_use(&request.replay_key()).await {
                tracing::warn!(error = %crate::telemetry::chain(&e), "could not forget a failed signed request's use");
            }
        }
        Ok(done?)
    }

    async fn disconnect_person(
        &self,
        app_id: &str,
        person: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, DomainError> {
        let mut disconnected = 0;
        for account in self.accounts.by_facebook_user(app_id, person).await? {
            if self
                .accounts
                .disconnect(&account.tenant, &account.id, now)
                .await?
            {
                disconnected += 1;
            }
            self.cancel_waiting_posts(&account, now).await?;
        }
        Ok(disconnected)
    }

    /// Cancels the account's scheduled and queued posts. A post the publisher claims meanwhile
    /// is left to it: it finds the account disconnected and fails the post, asking to reconnect.
    async fn cancel_waiting_posts(
        &self,
        account: &Account,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let mut before_id = None;
        loop {
            let filter = PostFilter {
                statuses: vec![PostStatus::Scheduled, PostStatus::Queued],
                account_id: Some(account.id.clone()),
                before_id,
                limit: PAGE,
            };
            let page = self.posts.list(&account.tenant, &filter).await?;
            for post in &page.posts {
                let mut next = Transition::Cancel.apply(&post.state, now);
                if let Some(step) = next.steps.last_mut() {
                    step.detail = format!(
                        "Cancelled: the person who connected @{} removed this app from their Facebook account.",
                        account.instagram_username
                    );
                }
                self.posts
                    .replace_state(
                        &post.tenant,
                        &post.id,
                        post.state.status,
                        post.lease_epoch,
                        &next,
                    )
                    .await?;
            }
            match page.next_cursor {
                Some(cursor) => before_id = Some(cursor),
                None => return Ok(()),
            }
        }
    }

    /// Erases the person's accounts and every post made with them. Posts go first, so that an
    /// interruption leaves the account to find again on Meta's retry.
    async fn erase_person(&self, app_id: &str, person: &str) -> Result<(), DomainError> {
        for account in self.accounts.by_facebook_user(app_id, person).await? {
            let posts = self
                .store
                .erase_account_posts(account.tenant.customer_id(), &account.id)
                .await?;
            self.accounts.erase(&account.tenant, &account.id).await?;
            tracing::info!(account = %account.id, posts, "account erased at its owner's request");
        }
        Ok(())
    }
}

/// A random alphanumeric code (Meta asks for alphanumeric), from the CSPRNG.
fn confirmation_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut code = String::with_capacity(CODE_LEN);
    while code.len() < CODE_LEN {
        // Rejection sampling keeps every character equally likely: 248 = 4 * 62.
        for b in crate::crypto::random_bytes::<32>() {
            if b < 248 && code.len() < CODE_LEN {
                code.push(ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    #[test]
    fn confirmation_codes_are_alphanumeric_and_fresh() {
        let a = super::confirmation_code();
        assert_eq!(a.len(), super::CODE_LEN);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, super::confirmation_code());
    }
}
