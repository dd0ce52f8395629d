//! Finishing a key rotation: tokens sealed under a previous key are sealed again under the
//! current `TOKEN_ENCRYPTION_KEY`, in batches, resumable after an interruption, by a command that
//! reports its counts and by a job at start-up; afterwards the old key can go.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chrono::TimeDelta;
use social_media_uploader::{
    crypto::{new_id, random_bytes, KeyRing, TokenKey},
    domain::{
        accounts::{seal_token, Account, ConnectedAccount, LoginKind, TokenKind},
        clock,
        keys::Rotation,
        tenant::Tenant,
    },
    storage::Storage,
};

use crate::{
    on_both_stores,
    support::{
        unique, Backend, Options, Store, TestApp, APP_ID, APP_SECRET, JWT_SECRET, TOKEN_KEY,
    },
};

fn current_key() -> TokenKey {
    TokenKey::new(TOKEN_KEY.as_bytes().try_into().unwrap())
}

/// An old key and the rings around a rotation from it to the current test key.
struct Keys {
    old_raw: [u8; 32],
    old: KeyRing,
    rotating: KeyRing,
    new_only: KeyRing,
}

fn keys() -> Keys {
    let old_raw = random_bytes::<32>();
    Keys {
        old_raw,
        old: KeyRing::new(TokenKey::new(old_raw), vec![]),
        rotating: KeyRing::new(current_key(), vec![TokenKey::new(old_raw)]),
        new_only: KeyRing::new(current_key(), vec![]),
    }
}

/// `n` accounts in two tenants with both tokens sealed under `ring`; the plaintext names the account.
async fn seed(storage: &Storage, ring: &KeyRing, n: usize) -> Vec<Account> {
    let tenants = [
        Tenant::new(unique("acme"), "u1").unwrap(),
        Tenant::new(unique("globex"), "u2").unwrap(),
    ];
    let mut accounts = vec![];
    for i in 0..n {
        let tenant = &tenants[i % 2];
        let ig = format!("1784{i}{}", &new_id()[18..]);
        let connected = ConnectedAccount {
            new_id: new_id(),
            tenant: tenant.clone(),
            instagram_user_id: ig.clone(),
            instagram_username: format!("acct_{i}"),
            instagram_name: None,
            profile_picture_url: None,
            app_id: APP_ID.into(),
            login: LoginKind::Facebook,
            facebook_page_id: format!("page_{i}"),
            facebook_page_name: "Page".into(),
            access_token: seal_token(
                ring,
                tenant,
                &ig,
                TokenKind::User,
                &format!("EAAG-user-{ig}"),
            ),
            page_token: Some(seal_token(
                ring,
                tenant,
                &ig,
                TokenKind::Page,
                &format!("EAAG-page-{ig}"),
            )),
            facebook_user_id: None,
            token_expires_at: Some(clock::now() + TimeDelta::days(60)),
            data_access_expires_at: None,
            scopes: vec![],
            now: clock::now(),
        };
        accounts.push(
            storage
                .accounts
                .upsert(connected)
                .await
                .unwrap()
                .account()
                .clone(),
        );
    }
    accounts
}

/// Every account's tokens open with `ring` to what was sealed.
async fn all_open_with(storage: &Storage, accounts: &[Account], ring: &KeyRing) -> bool {
    for a in accounts {
        let now = storage
            .accounts
            .get(&a.tenant, &a.id)
            .await
            .unwrap()
            .unwrap();
        let user = now.open(ring, TokenKind::User);
        let page = now.open(ring, TokenKind::Page);
        let ig = &a.instagram_user_id;
        if user.ok() != Some(format!("EAAG-user-{ig}"))
            || page.ok() != Some(format!("EAAG-page-{ig}"))
        {
            return false;
        }
    }
    true
}

async fn old_key_tokens_open_with_only_the_new_key_after_an_interrupted_then_resumed_rotation(
    backend: Backend,
) {
    let store = Store::new(backend);
    let storage = store.open().await;
    let k = keys();
    let accounts = seed(&storage, &k.old, 5).await;
    // One account already under the current key, one disconnected (no tokens at all).
    let current = seed(&storage, &k.new_only, 2).await;
    storage
        .accounts
        .disconnect(&current[1].tenant, &current[1].id, clock::now())
        .await
        .unwrap();
    assert!(!all_open_with(&storage, &accounts, &k.new_only).await);

    let rotation = Rotation::new(storage.accounts.clone(), k.rotating.clone(), 2);
    // Interrupted after its first batch.
    let batches = Arc::new(AtomicUsize::new(0));
    let counted = batches.clone();
    let first = rotation
        .run(
            None,
            move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            },
            || batches.load(Ordering::SeqCst) >= 1,
        )
        .await
        .unwrap();
    assert_eq!(
        (first.total, first.done, first.left()),
        (6, 2, 4),
        "{first:?}"
    );
    assert!(first.resealed > 0 && first.resealed <= 4, "{first:?}");
    assert!(rotation.old_key_tokens().await.unwrap().old_key_tokens > 0);

    // Resumed from where it stopped.
    let rest = rotation
        .run(first.cursor.clone(), |_| {}, || false)
        .await
        .unwrap();
    assert_eq!(
        first.resealed + rest.resealed,
        10,
        "both tokens of the five old accounts: {rest:?}"
    );
    assert_eq!(rotation.old_key_tokens().await.unwrap().old_key_tokens, 0);
    assert!(
        all_open_with(&storage, &accounts, &k.new_only).await,
        "the old key is no longer needed"
    );
    assert!(all_open_with(&storage, &current[..1], &k.new_only).await);

    // Running again changes nothing.
    let again = rotation.run(None, |_| {}, || false).await.unwrap();
    assert_eq!((again.resealed, again.unreadable, again.done), (0, 0, 6));
}

async fn a_token_changed_meanwhile_is_never_overwritten(backend: Backend) {
    let store = Store::new(backend);
    let storage = store.open().await;
    let k = keys();
    let a = seed(&storage, &k.old, 1).await.remove(0);
    let stale = vec![1u8, 2, 3];
    let written = storage
        .accounts
        .reseal(
            &a.tenant,
            &a.id,
            Some(&stale),
            Some(&[9, 9]),
            a.page_token.as_deref(),
            Some(&[8, 8]),
        )
        .await
        .unwrap();
    assert!(
        !written,
        "the stored token is not the one the rotation read"
    );
    let other = Tenant::new(unique("other"), "u1").unwrap();
    let written = storage
        .accounts
        .reseal(
            &other,
            &a.id,
            a.access_token.as_deref(),
            Some(&[9, 9]),
            a.page_token.as_deref(),
            Some(&[8, 8]),
        )
        .await
        .unwrap();
    assert!(!written, "another tenant's id changes nothing");
    assert_eq!(
        storage
            .accounts
            .get(&a.tenant, &a.id)
            .await
            .unwrap()
            .unwrap(),
        a
    );
    let written = storage
        .accounts
        .reseal(
            &a.tenant,
            &a.id,
            a.access_token.as_deref(),
            Some(&[9, 9]),
            a.page_token.as_deref(),
            None,
        )
        .await
        .unwrap();
    assert!(written);
    let now = storage
        .accounts
        .get(&a.tenant, &a.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((now.access_token, now.page_token), (Some(vec![9, 9]), None));
}

async fn the_server_finishes_the_rotation_at_start_up(backend: Backend) {
    let store = Store::new(backend);
    let k = keys();
    let accounts = {
        let storage = store.open().await;
        seed(&storage, &k.old, 3).await
    };
    let options = Options {
        extra: vec![("TOKEN_ENCRYPTION_PREVIOUS_KEYS", B64.encode(k.old_raw))],
        ..Options::default()
    };
    let app = TestApp::spawn_with_store_and(store, options).await;
    for _ in 0..100 {
        if all_open_with(app.storage(), &accounts, &k.new_only).await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the start-up job did not re-encrypt the tokens");
}

/// Runs `social-media-uploader rotate-token-keys` on the test's store.
async fn command(store: &Store, previous: Option<&[u8; 32]>, args: &[&str]) -> (i32, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_social-media-uploader"));
    command
        .arg("rotate-token-keys")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DEMO_MODE", "false")
        .env("INSTAGRAM_APP_ID", APP_ID)
        .env("INSTAGRAM_APP_SECRET", APP_SECRET)
        .env("JWT_SECRET", JWT_SECRET)
        .env("TOKEN_ENCRYPTION_KEY", B64.encode(TOKEN_KEY.as_bytes()));
    if let Some(old) = previous {
        command.env("TOKEN_ENCRYPTION_PREVIOUS_KEYS", B64.encode(old));
    }
    for (k, v) in store.vars() {
        command.env(k, v);
    }
    let out = command.output().await.unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

async fn the_command_reports_progress_and_whether_old_key_tokens_remain(backend: Backend) {
    let store = Store::new(backend);
    let k = keys();
    let accounts = {
        let storage = store.open().await;
        seed(&storage, &k.old, 5).await
    };
    let (code, out) = command(&store, Some(&k.old_raw), &["--batch", "2"]).await;
    assert_eq!(code, 0, "{out}");
    for line in [
        "progress: 2/5 accounts done, 3 left",
        "progress: 4/5 accounts done, 1 left",
        "progress: 5/5 accounts done, 0 left, 10 tokens re-encrypted",
        "done: no token remains under an old key",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    let storage = store.open().await;
    assert!(all_open_with(&storage, &accounts, &k.new_only).await);

    // A token under a key nobody configured any more: reported, exit 1.
    let lost = KeyRing::new(TokenKey::new(random_bytes::<32>()), vec![]);
    seed(&storage, &lost, 1).await;
    let (code, out) = command(&store, Some(&k.old_raw), &[]).await;
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("2 unreadable") && out.contains("done: 2 tokens remain"),
        "{out}"
    );
}

on_both_stores!(
    old_key_tokens_open_with_only_the_new_key_after_an_interrupted_then_resumed_rotation,
    a_token_changed_meanwhile_is_never_overwritten,
    the_server_finishes_the_rotation_at_start_up,
    the_command_reports_progress_and_whether_old_key_tokens_remain,
);
