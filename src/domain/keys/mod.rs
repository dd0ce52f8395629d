//! Finishing a key rotation (docs/security.md C3): every stored token sealed under an older key is
//! sealed again under the current `TOKEN_ENCRYPTION_KEY`, after which the old key can leave
//! `TOKEN_ENCRYPTION_PREVIOUS_KEYS`.
//!
//! The walk goes through the accounts in id order, a batch at a time, and can stop anywhere:
//! - every write is a compare-and-swap on the blobs it read ([`AccountStore::reseal`]), so a
//!   reconnect or a disconnect racing it wins and is never overwritten with an older token;
//! - a blob already under the current key is skipped, so running again (from the start, or from
//!   the last id a run printed) only finishes what is left.
//!
//! Every server must already run with the new key as current before a rotation, or tokens it
//! writes meanwhile are sealed under the old key again; [`Rotation::old_key_tokens`] tells.

use std::sync::Arc;

use super::{
    accounts::{token_context, Account, AccountStore, TokenKind},
    DomainError,
};
use crate::crypto::KeyRing;

/// Accounts read per batch.
pub const DEFAULT_BATCH: usize = 200;
/// How often one account is read again when a racing write changed it under the rotation.
const RACE_RETRIES: usize = 3;

/// How far a rotation got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Accounts holding a token when the run started.
    pub total: u64,
    /// Accounts looked at so far.
    pub done: u64,
    /// Tokens sealed again under the current key.
    pub resealed: u64,
    /// Tokens that could not be opened (a key no longer configured, or damage): left as they are.
    pub unreadable: u64,
    /// The last account id looked at: where a run resumes.
    pub cursor: Option<String>,
}

impl Progress {
    /// Accounts not looked at yet (accounts connected during the run may make it undercount).
    pub fn left(&self) -> u64 {
        self.total.saturating_sub(self.done)
    }
}

/// What is left under old keys, found by reading every token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remaining {
    /// Tokens not sealed under the current key.
    pub old_key_tokens: u64,
}

#[derive(Clone)]
pub struct Rotation {
    accounts: Arc<dyn AccountStore>,
    keys: KeyRing,
    batch: usize,
}

impl Rotation {
    pub fn new(accounts: Arc<dyn AccountStore>, keys: KeyRing, batch: usize) -> Self {
        Self {
            accounts,
            keys,
            batch: batch.max(1),
        }
    }

    /// Re-seals every token not under the current key, from the account after `from` (the
    /// start when `None`). Calls `on_batch` after each batch; stops early, with what it did so
    /// far, when `stop` says so (checked between batches).
    pub async fn run(
        &self,
        from: Option<String>,
        mut on_batch: impl FnMut(&Progress),
        stop: impl Fn() -> bool,
    ) -> Result<Progress, DomainError> {
        let mut progress = Progress {
            total: self.accounts.count_with_tokens().await?,
            cursor: from,
            ..Progress::default()
        };
        loop {
            if stop() {
                return Ok(progress);
            }
            let batch = self
                .accounts
                .with_tokens_after(progress.cursor.as_deref(), self.batch)
                .await?;
            let Some(last) = batch.last() else {
                return Ok(progress);
            };
            progress.cursor = Some(last.id.clone());
            for account in batch {
                self.reseal_account(account, &mut progress).await?;
                progress.done += 1;
            }
            on_batch(&progress);
        }
    }

    /// Counts the tokens still sealed under an old key (or unreadable), reading them all.
    pub async fn old_key_tokens(&self) -> Result<Remaining, DomainError> {
        let mut remaining = Remaining::default();
        let mut cursor: Option<String> = None;
        loop {
            let batch = self
                .accounts
                .with_tokens_after(cursor.as_deref(), self.batch)
                .await?;
            let Some(last) = batch.last() else {
                return Ok(remaining);
            };
            cursor = Some(last.id.clone());
            for account in &batch {
                let blobs = [
                    account.access_token.as_deref(),
                    account.page_token.as_deref(),
                ];
                remaining.old_key_tokens += blobs
                    .into_iter()
                    .flatten()
                    .filter(|b| self.keys.is_stale(b))
                    .count() as u64;
            }
        }
    }

    /// Seals the account's old-key tokens again and writes them if they are still what was read;
    /// on a race, reads the account again.
    async fn reseal_account(
        &self,
        mut account: Account,
        progress: &mut Progress,
    ) -> Result<(), DomainError> {
        for _ in 0..RACE_RETRIES {
            let access = self.resealed(&account, TokenKind::User);
            let page = self.resealed(&account, TokenKind::Page);
            let unreadable = [&access, &page]
                .iter()
                .filter(|r| matches!(r, Resealed::Unreadable))
                .count();
            let (new_access, new_page) = (
                access.or(&account.access_token),
                page.or(&account.page_token),
            );
            if new_access == account.access_token && new_page == account.page_token {
                progress.unreadable += unreadable as u64;
                return Ok(());
            }
            let written = self
                .accounts
                .reseal(
                    &account.tenant,
                    &account.id,
                    account.access_token.as_deref(),
                    new_access.as_deref(),
                    account.page_token.as_deref(),
                    new_page.as_deref(),
                )
                .await?;
            if written {
                progress.unreadable += unreadable as u64;
                progress.resealed += [
                    new_access != account.access_token,
                    new_page != account.page_token,
                ]
                .into_iter()
                .filter(|changed| *changed)
                .count() as u64;
                return Ok(());
            }
            match self.accounts.get(&account.tenant, &account.id).await? {
                Some(now) => account = now,
                None => return Ok(()),
            }
        }
        tracing::warn!(account = %account.id, "an account kept changing during the key rotation; a later run will finish it");
        Ok(())
    }

    fn resealed(&self, account: &Account, kind: TokenKind) -> Resealed {
        let sealed = match kind {
            TokenKind::User => account.access_token.as_deref(),
            TokenKind::Page => account.page_token.as_deref(),
        };
        let Some(sealed) = sealed.filter(|s| self.keys.is_stale(s)) else {
            return Resealed::Unchanged;
        };
        let ctx = token_context(
            account.tenant.customer_id(),
            &account.instagram_user_id,
            kind,
        );
        match self.keys.open(sealed, &ctx) {
            Ok(token) => Resealed::New(self.keys.seal(&token, &ctx)),
            Err(e) => {
                tracing::warn!(account = %account.id, ?kind, error = %e, "a token does not open with any configured key; left as it is");
                Resealed::Unreadable
            }
        }
    }
}

/// One token's fate in a rotation.
enum Resealed {
    /// Already under the current key, or absent.
    Unchanged,
    /// Does not open: left as it is.
    Unreadable,
    New(Vec<u8>),
}

impl Resealed {
    /// The blob to store: the new one, or the one there was.
    fn or(&self, stored: &Option<Vec<u8>>) -> Option<Vec<u8>> {
        match self {
            Resealed::New(blob) => Some(blob.clone()),
            _ => stored.clone(),
        }
    }
}
