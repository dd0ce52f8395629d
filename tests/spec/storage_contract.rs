//! One contract for both stores: what every storage adapter must guarantee, including under races.

use chrono::TimeDelta;
use futures::future::join_all;
use social_media_uploader::{
    auth::session::SessionRecord,
    crypto::new_id,
    domain::{
        accounts::{AuthCause, ConnectedAccount, HealthCheck, LoginKind, Upserted},
        clock,
        connect::{ConnectOutcome, OAuthState, PendingFlow, ReturnMode},
        library::{Asset, AssetKind, Rendition, Upload},
        posts::{
            ClaimedUpdate, CreatedPost, MediaItem, MediaType, NewPost, PostFilter, PostKind,
            PostOptions, PostStatus, Transition,
        },
        tenant::Tenant,
        StoreError,
    },
    dto::{Place, TrialReel, UserTag},
};

use crate::{
    on_both_stores,
    support::{unique, Backend, Store},
};

fn tenant(customer: &str, user: &str) -> Tenant {
    Tenant::new(customer, user).unwrap()
}

fn account(tenant: &Tenant, ig: &str) -> ConnectedAccount {
    ConnectedAccount {
        new_id: new_id(),
        tenant: tenant.clone(),
        instagram_user_id: ig.into(),
        instagram_username: format!("user_{ig}"),
        instagram_name: Some("Name".into()),
        profile_picture_url: None,
        app_id: "1".into(),
        login: LoginKind::Facebook,
        facebook_page_id: format!("page_{ig}"),
        facebook_page_name: "Page".into(),
        access_token: vec![1, 2, 3, ig.len() as u8],
        page_token: Some(vec![4, 5, 6]),
        facebook_user_id: Some(format!("fb_{ig}")),
        token_expires_at: Some(clock::now() + TimeDelta::days(60)),
        data_access_expires_at: None,
        scopes: vec!["instagram_basic".into()],
        now: clock::now(),
    }
}

async fn accounts_upsert_once_then_update_in_place(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u1");
    let created = s.accounts.upsert(account(&t, "1784")).await.unwrap();
    let Upserted::Created(first) = created else {
        panic!("first connect must create")
    };
    assert_eq!(first.tenant, t);
    assert!(first.is_active && first.is_authenticated);
    let mut again = account(&t, "1784");
    again.instagram_username = "renamed".into();
    let Upserted::Updated(second) = s.accounts.upsert(again).await.unwrap() else {
        panic!("reconnect must update")
    };
    assert_eq!(second.id, first.id, "reconnecting keeps the one document");
    assert_eq!(second.created_at, first.created_at);
    assert_eq!(second.instagram_username, "renamed");
    assert_eq!(s.accounts.list(&t).await.unwrap().len(), 1);
}

async fn racing_connects_leave_one_document(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u1");
    let results = join_all((0..8).map(|_| s.accounts.upsert(account(&t, "1799")))).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(
        results
            .iter()
            .filter(|r| matches!(r, Ok(Upserted::Created(_))))
            .count(),
        1
    );
    assert_eq!(s.accounts.list(&t).await.unwrap().len(), 1);
}

async fn another_user_of_the_customer_cannot_take_an_active_account(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let customer = unique("c");
    let (alice, bob) = (tenant(&customer, "alice"), tenant(&customer, "bob"));
    let Upserted::Created(held) = s.accounts.upsert(account(&alice, "1700")).await.unwrap() else {
        panic!()
    };
    assert!(matches!(
        s.accounts.upsert(account(&bob, "1700")).await,
        Err(StoreError::Conflict(_))
    ));
    // Once Alice disconnects it, Bob may connect it: the same document moves to him.
    assert!(s
        .accounts
        .disconnect(&alice, &held.id, clock::now())
        .await
        .unwrap());
    let Upserted::Updated(moved) = s.accounts.upsert(account(&bob, "1700")).await.unwrap() else {
        panic!()
    };
    assert_eq!(moved.id, held.id);
    assert_eq!(moved.tenant, bob);
    assert!(s.accounts.list(&alice).await.unwrap().is_empty());
    // Another customer connecting the same Instagram account gets its own document.
    let other = tenant(&unique("c"), "carol");
    assert!(matches!(
        s.accounts.upsert(account(&other, "1700")).await.unwrap(),
        Upserted::Created(_)
    ));
}

async fn accounts_are_read_only_with_their_tenant(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let a = tenant(&unique("a"), "u");
    let b = tenant(&unique("b"), "u");
    let same_customer_other_user = tenant(a.customer_id(), "someone-else");
    let cred = s
        .accounts
        .upsert(account(&a, "1701"))
        .await
        .unwrap()
        .account()
        .clone();
    assert!(s.accounts.get(&a, &cred.id).await.unwrap().is_some());
    for other in [&b, &same_customer_other_user] {
        assert!(s.accounts.get(other, &cred.id).await.unwrap().is_none());
        assert!(s.accounts.list(other).await.unwrap().is_empty());
        assert!(!s
            .accounts
            .disconnect(other, &cred.id, clock::now())
            .await
            .unwrap());
        assert!(!s
            .accounts
            .mark_needs_reconnect(other, &cred.id, AuthCause::Invalid, "x", clock::now())
            .await
            .unwrap());
    }
    assert!(
        s.accounts
            .get(&a, &cred.id)
            .await
            .unwrap()
            .unwrap()
            .is_active
    );
}

async fn disconnect_erases_the_token_and_reconnect_restores_it(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let cred = s
        .accounts
        .upsert(account(&t, "1702"))
        .await
        .unwrap()
        .account()
        .clone();
    assert!(s
        .accounts
        .disconnect(&t, &cred.id, clock::now())
        .await
        .unwrap());
    assert!(
        !s.accounts
            .disconnect(&t, &cred.id, clock::now())
            .await
            .unwrap(),
        "already disconnected"
    );
    let gone = s.accounts.get(&t, &cred.id).await.unwrap().unwrap();
    assert!(!gone.is_active && gone.access_token.is_none() && gone.token_expires_at.is_none());
    assert!(s.accounts.list(&t).await.unwrap().is_empty());
    let back = s.accounts.upsert(account(&t, "1702")).await.unwrap();
    assert!(matches!(back, Upserted::Updated(_)));
    assert!(back.account().is_active && back.account().access_token.is_some());
}

async fn needs_reconnect_is_recorded_and_cleared_by_reconnecting(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let cred = s
        .accounts
        .upsert(account(&t, "1703"))
        .await
        .unwrap()
        .account()
        .clone();
    assert!(s
        .accounts
        .mark_needs_reconnect(
            &t,
            &cred.id,
            AuthCause::Expired,
            "token expired",
            clock::now()
        )
        .await
        .unwrap());
    let marked = s.accounts.get(&t, &cred.id).await.unwrap().unwrap();
    assert!(!marked.is_authenticated);
    assert_eq!(marked.auth_error.as_deref(), Some("token expired"));
    let fixed = s
        .accounts
        .upsert(account(&t, "1703"))
        .await
        .unwrap()
        .account()
        .clone();
    assert!(fixed.is_authenticated && fixed.auth_error.is_none());
}

fn state(t: &Tenant, hash: &str, expires_in: TimeDelta) -> OAuthState {
    let now = clock::now();
    OAuthState {
        state_hash: hash.into(),
        flow_id: unique("flow"),
        tenant: t.clone(),
        session_binding: Some("binding-hash".into()),
        return_mode: ReturnMode::Redirect,
        created_at: now,
        expires_at: now + expires_in,
        login: LoginKind::Facebook,
    }
}

async fn an_oauth_state_is_consumed_once(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    // Instagram Login's: the state keeps which login it was made for.
    let st = OAuthState {
        login: LoginKind::Instagram,
        ..state(&t, &unique("hash"), TimeDelta::minutes(10))
    };
    s.connect_states.insert(&st).await.unwrap();
    let results =
        join_all((0..10).map(|_| s.connect_states.consume(&st.state_hash, clock::now()))).await;
    let consumed: Vec<_> = results.into_iter().filter_map(|r| r.unwrap()).collect();
    assert_eq!(
        consumed,
        vec![st.clone()],
        "exactly one of ten racing callbacks gets the state"
    );
    assert!(s
        .connect_states
        .consume(&st.state_hash, clock::now())
        .await
        .unwrap()
        .is_none());
}

async fn an_expired_or_unknown_state_is_never_consumed(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let expired = state(&t, &unique("hash"), TimeDelta::seconds(-1));
    s.connect_states.insert(&expired).await.unwrap();
    assert!(s
        .connect_states
        .consume(&expired.state_hash, clock::now())
        .await
        .unwrap()
        .is_none());
    assert!(s
        .connect_states
        .consume("no-such-state", clock::now())
        .await
        .unwrap()
        .is_none());
    assert!(s.connect_states.purge_expired(clock::now()).await.unwrap() >= 1);
}

async fn a_flow_outcome_is_visible_to_its_tenant_only(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let st = state(&t, &unique("hash"), TimeDelta::minutes(10));
    s.connect_states.insert(&st).await.unwrap();
    assert!(s
        .connect_states
        .outcome(&t, &st.flow_id)
        .await
        .unwrap()
        .is_none());
    let outcome = ConnectOutcome {
        ok: true,
        message: "Connected @x.".into(),
        hint: None,
        usernames: vec!["x".into()],
        skipped: vec![],
    };
    s.connect_states
        .save_outcome(&t, &st.flow_id, &outcome)
        .await
        .unwrap();
    assert_eq!(
        s.connect_states.outcome(&t, &st.flow_id).await.unwrap(),
        Some(outcome)
    );
    assert!(s
        .connect_states
        .outcome(&tenant("other", "u"), &st.flow_id)
        .await
        .unwrap()
        .is_none());
}

async fn sessions_expire_and_ids_are_unique(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let live = SessionRecord {
        id_hash: unique("sid"),
        data: "{\"k\":1}".into(),
        expires_at: clock::now() + TimeDelta::hours(1),
        tenant: Some(tenant("c1", "u1")),
    };
    assert!(s.sessions.create(&live).await.unwrap());
    assert!(
        !s.sessions.create(&live).await.unwrap(),
        "a taken id is refused, not overwritten"
    );
    assert_eq!(
        s.sessions.load(&live.id_hash, clock::now()).await.unwrap(),
        Some(live.clone())
    );
    let changed = SessionRecord {
        data: "{\"k\":2}".into(),
        ..live.clone()
    };
    s.sessions.save(&changed).await.unwrap();
    assert_eq!(
        s.sessions.load(&live.id_hash, clock::now()).await.unwrap(),
        Some(changed)
    );
    let stale = SessionRecord {
        id_hash: unique("sid"),
        data: "{}".into(),
        expires_at: clock::now() - TimeDelta::seconds(1),
        tenant: None,
    };
    s.sessions.save(&stale).await.unwrap();
    assert!(
        s.sessions
            .load(&stale.id_hash, clock::now())
            .await
            .unwrap()
            .is_none(),
        "expired sessions do not load"
    );
    assert!(s.sessions.purge_expired(clock::now()).await.unwrap() >= 1);
    s.sessions.delete(&live.id_hash).await.unwrap();
    assert!(s
        .sessions
        .load(&live.id_hash, clock::now())
        .await
        .unwrap()
        .is_none());
}

/// The platform can end one user's sessions; others', and anonymous ones, stay.
async fn a_users_sessions_end_together(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let alice = tenant(&unique("c"), "alice");
    let bob = tenant(alice.customer_id(), "bob");
    let record = |who: Option<&Tenant>| SessionRecord {
        id_hash: unique("sid"),
        data: "{}".into(),
        expires_at: clock::now() + TimeDelta::hours(1),
        tenant: who.cloned(),
    };
    let (a1, a2, b, anonymous) = (
        record(Some(&alice)),
        record(Some(&alice)),
        record(Some(&bob)),
        record(None),
    );
    for r in [&a1, &a2, &b, &anonymous] {
        assert!(s.sessions.create(r).await.unwrap());
    }
    assert_eq!(s.sessions.delete_for(&alice).await.unwrap(), 2);
    let now = clock::now();
    assert!(s.sessions.load(&a1.id_hash, now).await.unwrap().is_none());
    assert!(s.sessions.load(&a2.id_hash, now).await.unwrap().is_none());
    assert_eq!(s.sessions.load(&b.id_hash, now).await.unwrap(), Some(b));
    assert!(s
        .sessions
        .load(&anonymous.id_hash, now)
        .await
        .unwrap()
        .is_some());
}

fn pending_flow(t: &Tenant) -> PendingFlow {
    let now = clock::now();
    PendingFlow {
        flow_id: unique("flow"),
        tenant: t.clone(),
        secret_hash: "secret-hash".into(),
        bound_to: None,
        return_mode: ReturnMode::Popup,
        created_at: now,
        expires_at: now + TimeDelta::minutes(10),
        login: LoginKind::Facebook,
    }
}

/// A flow the platform started binds once, with its secret only, and starts once, even racing.
async fn a_pending_flow_binds_and_starts_once(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let flow = PendingFlow {
        login: LoginKind::Instagram,
        ..pending_flow(&t)
    };
    s.connect_states.insert_pending(&flow).await.unwrap();
    let now = clock::now();
    assert_eq!(
        s.connect_states.pending(&flow.flow_id, now).await.unwrap(),
        Some(flow.clone())
    );
    assert!(!s
        .connect_states
        .bind_pending(&flow.flow_id, "wrong-secret", "browser-a", now)
        .await
        .unwrap());
    let binds = join_all((0..6).map(|i| {
        let browser = format!("browser-{i}");
        let s = &s;
        let id = flow.flow_id.clone();
        async move {
            s.connect_states
                .bind_pending(&id, "secret-hash", &browser, now)
                .await
                .unwrap()
        }
    }))
    .await;
    assert_eq!(binds.iter().filter(|b| **b).count(), 1, "one bind wins");
    let bound = s
        .connect_states
        .pending(&flow.flow_id, now)
        .await
        .unwrap()
        .unwrap();
    assert!(bound
        .bound_to
        .as_deref()
        .is_some_and(|b| b.starts_with("browser-")));

    let starts = join_all((0..6).map(|_| s.connect_states.start_pending(&flow.flow_id, now))).await;
    assert_eq!(
        starts.iter().filter(|r| matches!(r, Ok(Some(_)))).count(),
        1,
        "one start wins"
    );
    assert!(
        s.connect_states
            .pending(&flow.flow_id, now)
            .await
            .unwrap()
            .is_none(),
        "a started flow is no longer pending"
    );
    assert!(!s
        .connect_states
        .bind_pending(&flow.flow_id, "secret-hash", "late", now)
        .await
        .unwrap());
}

/// An expired flow can be neither bound nor started.
async fn an_expired_pending_flow_is_gone(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let flow = pending_flow(&tenant(&unique("c"), "u"));
    s.connect_states.insert_pending(&flow).await.unwrap();
    let later = flow.expires_at + TimeDelta::seconds(1);
    assert!(s
        .connect_states
        .pending(&flow.flow_id, later)
        .await
        .unwrap()
        .is_none());
    assert!(!s
        .connect_states
        .bind_pending(&flow.flow_id, "secret-hash", "b", later)
        .await
        .unwrap());
    assert!(s
        .connect_states
        .start_pending(&flow.flow_id, later)
        .await
        .unwrap()
        .is_none());
}

fn new_post(t: &Tenant, key: &str, scheduled: Option<TimeDelta>) -> NewPost {
    let now = clock::now();
    NewPost {
        id: new_id(),
        tenant: t.clone(),
        account_id: "cred-1".into(),
        instagram_user_id: "1784".into(),
        instagram_username: "acct".into(),
        kind: PostKind::Image,
        media: vec![MediaItem {
            media_id: None,
            fit: None,
            focal_x: None,
            focal_y: None,
            url: "https://cdn.example.com/a.jpg".into(),
            media_type: MediaType::Image,
            alt_text: None,
            user_tags: vec![],
        }],
        caption: "hello".into(),
        options: PostOptions::default(),
        scheduled_at: scheduled.map(|d| now + d),
        idempotency_key: key.into(),
        request_hash: format!("hash-{key}"),
        now,
    }
}

async fn containers_are_counted_per_account_over_a_rolling_day(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let (ig, other) = (unique("ig"), unique("ig"));
    let now = clock::now();
    for hours_ago in [30, 20, 2] {
        s.posts
            .record_container(&ig, now - TimeDelta::hours(hours_ago))
            .await
            .unwrap();
    }
    s.posts.record_container(&other, now).await.unwrap();
    let made = s
        .posts
        .containers_since(&ig, now - TimeDelta::hours(24))
        .await
        .unwrap();
    assert_eq!(
        made.len(),
        2,
        "the day's two, not the older one nor another account's"
    );
    assert!(made[0] < made[1], "oldest first");
    assert!((made[0] - (now - TimeDelta::hours(20))).num_seconds().abs() <= 1);
}

async fn a_post_keeps_its_tags_and_options(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let mut post = new_post(&t, "options", None);
    post.media[0].user_tags = vec![UserTag {
        username: "ana".into(),
        x: Some(0.25),
        y: Some(0.75),
    }];
    post.options = PostOptions {
        collaborators: vec!["bea".into(), "cara.c".into()],
        location: Some(Place {
            id: "110000000000001".into(),
            name: Some("Lisbon".into()),
        }),
        is_ai_generated: true,
        first_comment: Some("More at the link".into()),
        share_to_feed: Some(false),
        cover_url: None,
        cover_media_id: None,
        thumb_offset_ms: Some(1500),
        trial_reel: Some(TrialReel::Performance),
    };
    let (media, options) = (post.media.clone(), post.options.clone());
    let CreatedPost::New(created) = s.posts.create(post).await.unwrap() else {
        panic!("a new post");
    };
    let read = s.posts.get(&t, &created.id).await.unwrap().unwrap();
    assert_eq!(read.media, media);
    assert_eq!(read.options, options);
}

async fn an_idempotency_key_makes_one_post(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let results = join_all((0..20).map(|_| s.posts.create(new_post(&t, "key-1", None)))).await;
    let posts: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(
        posts
            .iter()
            .filter(|p| matches!(p, CreatedPost::New(_)))
            .count(),
        1
    );
    let ids: std::collections::HashSet<_> = posts
        .iter()
        .map(|p| match p {
            CreatedPost::New(p) | CreatedPost::Existing(p) => p.id.clone(),
        })
        .collect();
    assert_eq!(ids.len(), 1, "20 racing creates with one key give one post");
    // The same key belongs to each tenant separately.
    let other = tenant(&unique("c"), "u");
    assert!(matches!(
        s.posts
            .create(new_post(&other, "key-1", None))
            .await
            .unwrap(),
        CreatedPost::New(_)
    ));
}

async fn posts_list_newest_first_with_filters_and_cursor(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let mut ids = vec![];
    for i in 0..5 {
        let scheduled = (i % 2 == 0).then_some(TimeDelta::hours(2));
        let CreatedPost::New(p) = s
            .posts
            .create(new_post(&t, &format!("k{i}"), scheduled))
            .await
            .unwrap()
        else {
            panic!()
        };
        ids.push(p.id);
    }
    ids.reverse();
    let page = s
        .posts
        .list(
            &t,
            &PostFilter {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.posts.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids[..2]
    );
    let next = s
        .posts
        .list(
            &t,
            &PostFilter {
                limit: 2,
                before_id: page.next_cursor.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        next.posts.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        ids[2..4]
    );
    let last = s
        .posts
        .list(
            &t,
            &PostFilter {
                limit: 2,
                before_id: next.next_cursor,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(last.posts.len(), 1);
    assert!(last.next_cursor.is_none());
    let scheduled = s
        .posts
        .list(
            &t,
            &PostFilter {
                limit: 10,
                statuses: vec![PostStatus::Scheduled],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(scheduled.posts.len(), 3);
    // Several statuses are read as one newest-first list, page after page.
    let mut seen = vec![];
    let mut cursor = None;
    loop {
        let page = s
            .posts
            .list(
                &t,
                &PostFilter {
                    limit: 2,
                    statuses: vec![PostStatus::Queued, PostStatus::Scheduled],
                    before_id: cursor,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen.extend(page.posts.iter().map(|p| p.id.clone()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, ids, "merged in order, none twice, none lost");
    assert!(s
        .posts
        .list(
            &tenant(&unique("x"), "u"),
            &PostFilter {
                limit: 10,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .posts
        .is_empty());
    assert!(s
        .posts
        .get(&tenant(&unique("x"), "u"), &ids[0])
        .await
        .unwrap()
        .is_none());
}

/// A post stored before the claim had its own index (MongoDB's `state.claim_at`) is given its
/// place when the store opens, and is published like any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_from_before_the_claim_index_are_still_claimed() {
    use mongodb::bson::{doc, Document};
    let store = Store::new(Backend::Mongo);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    s.posts.create(new_post(&t, "old", None)).await.unwrap();
    let Store::Mongo { uri, database } = &store else {
        unreachable!()
    };
    let client = mongodb::Client::with_uri_str(uri).await.unwrap();
    let posts = client
        .database(database)
        .collection::<Document>("instagram_posts");
    posts
        .update_many(doc! {}, doc! {"$unset": {"state.claim_at": ""}})
        .await
        .unwrap();
    let now = clock::now() + TimeDelta::seconds(1);
    let lease = now + TimeDelta::seconds(30);
    assert!(s.posts.claim_due("w", now, lease).await.unwrap().is_none());
    let reopened = store.open().await;
    let claim = reopened.posts.claim_due("w", now, lease).await.unwrap();
    assert!(claim.is_some(), "claimed after the store gave it its place");
}

async fn a_due_post_is_claimed_by_one_worker(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    for i in 0..3 {
        s.posts
            .create(new_post(&t, &format!("due{i}"), None))
            .await
            .unwrap();
    }
    s.posts
        .create(new_post(&t, "later", Some(TimeDelta::hours(1))))
        .await
        .unwrap();
    let now = clock::now() + TimeDelta::seconds(1);
    let lease = now + TimeDelta::seconds(30);
    let claims = join_all((0..8).map(|i| {
        let posts = s.posts.clone();
        async move {
            posts
                .claim_due(&format!("worker-{i}"), now, lease)
                .await
                .unwrap()
        }
    }))
    .await;
    let claimed: Vec<_> = claims.into_iter().flatten().collect();
    let ids: std::collections::HashSet<_> = claimed.iter().map(|c| c.post.id.clone()).collect();
    assert_eq!(
        claimed.len(),
        3,
        "three due posts, eight workers: three claims: {:?}",
        claimed
            .iter()
            .map(|c| (c.post.id.clone(), c.epoch, c.owner.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(ids.len(), 3, "no post claimed twice");
    assert!(claimed
        .iter()
        .all(|c| c.post.state.status == PostStatus::Publishing && c.epoch == 1));
    assert!(
        s.posts
            .claim_due("late", now, lease)
            .await
            .unwrap()
            .is_none(),
        "the scheduled post is not due"
    );
}

async fn a_stale_worker_cannot_write_after_its_lease_is_taken(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    s.posts.create(new_post(&t, "k", None)).await.unwrap();
    let now = clock::now() + TimeDelta::seconds(1);
    let first = s
        .posts
        .claim_due("a", now, now + TimeDelta::seconds(5))
        .await
        .unwrap()
        .unwrap();
    assert!(
        s.posts
            .claim_due("b", now, now + TimeDelta::seconds(5))
            .await
            .unwrap()
            .is_none(),
        "the lease holds"
    );
    // The lease expires; another worker claims the post.
    let later = now + TimeDelta::seconds(10);
    let second = s
        .posts
        .claim_due("b", later, later + TimeDelta::seconds(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.post.id, first.post.id);
    assert_eq!(second.epoch, first.epoch + 1);
    let mut state = first.post.state.clone();
    state.status = PostStatus::Published;
    let stale = s
        .posts
        .save_claimed(
            &first,
            &ClaimedUpdate {
                state: state.clone(),
                lease_until: None,
            },
        )
        .await;
    assert!(matches!(stale, Err(StoreError::Fenced)), "{stale:?}");
    s.posts
        .save_claimed(
            &second,
            &ClaimedUpdate {
                state,
                lease_until: None,
            },
        )
        .await
        .unwrap();
    let saved = s.posts.get(&t, &first.post.id).await.unwrap().unwrap();
    assert_eq!(saved.state.status, PostStatus::Published);
    assert!(
        saved.lease_owner.is_none() && saved.lease_until.is_none(),
        "released"
    );
}

async fn a_released_post_waits_for_its_run_at(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    s.posts.create(new_post(&t, "k", None)).await.unwrap();
    let now = clock::now() + TimeDelta::seconds(1);
    let claim = s
        .posts
        .claim_due("a", now, now + TimeDelta::seconds(30))
        .await
        .unwrap()
        .unwrap();
    let mut state = claim.post.state.clone();
    state.run_at = now + TimeDelta::seconds(60);
    s.posts
        .save_claimed(
            &claim,
            &ClaimedUpdate {
                state,
                lease_until: None,
            },
        )
        .await
        .unwrap();
    assert!(s
        .posts
        .claim_due("b", now, now + TimeDelta::seconds(30))
        .await
        .unwrap()
        .is_none());
    let next = s.posts.next_due_at().await.unwrap().unwrap();
    assert!(next <= now + TimeDelta::seconds(60));
    let resumed = s
        .posts
        .claim_due(
            "b",
            now + TimeDelta::seconds(61),
            now + TimeDelta::seconds(90),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resumed.post.id, claim.post.id);
}

/// The stores' claim queries select exactly the posts the domain calls due (`Post::is_due`):
/// pending, `run_at` reached, no live lease.
async fn the_claim_takes_exactly_the_posts_the_domain_calls_due(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let mut ids = Vec::new();
    for (key, scheduled) in [
        ("now", None),
        ("soon", Some(TimeDelta::hours(1))),
        ("leased", None),
        ("cancelled", None),
        ("also-now", None),
    ] {
        let CreatedPost::New(p) = s.posts.create(new_post(&t, key, scheduled)).await.unwrap()
        else {
            panic!("{key} was created before")
        };
        ids.push(p.id);
    }
    let now = clock::now() + TimeDelta::seconds(1);
    // "leased": held by a live worker; "cancelled": by its customer.
    let cancelled = s.posts.get(&t, &ids[3]).await.unwrap().unwrap();
    let gone = Transition::Cancel.apply(&cancelled.state, now);
    assert!(s
        .posts
        .replace_state(&t, &ids[3], cancelled.state.status, 0, &gone)
        .await
        .unwrap());
    // Claim until "leased" is held, then let the others go again, unleased and due.
    let mut others = Vec::new();
    let claim = loop {
        let c = s
            .posts
            .claim_due("holder", now, now + TimeDelta::minutes(5))
            .await
            .unwrap()
            .expect("the leased post is among the due ones");
        if c.post.id == ids[2] {
            break c;
        }
        others.push(c);
    };
    for c in others {
        let mut state = c.post.state.clone();
        state.status = PostStatus::Queued;
        let release = ClaimedUpdate {
            state,
            lease_until: None,
        };
        s.posts.save_claimed(&c, &release).await.unwrap();
    }
    assert_eq!(claim.post.id, ids[2]);

    let mut expected: Vec<String> = Vec::new();
    for id in &ids {
        let post = s.posts.get(&t, id).await.unwrap().unwrap();
        if post.is_due(now) {
            expected.push(post.id);
        }
    }
    let mut claimed = Vec::new();
    while let Some(c) = s
        .posts
        .claim_due("worker", now, now + TimeDelta::minutes(5))
        .await
        .unwrap()
    {
        claimed.push(c.post.id);
    }
    expected.sort();
    claimed.sort();
    assert_eq!(claimed, expected, "the store's due posts are the domain's");
    assert_eq!(
        claimed.len(),
        2,
        "the two posts queued now, not the scheduled, leased or cancelled ones"
    );
}

async fn customer_transitions_lose_to_a_concurrent_claim(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let CreatedPost::New(post) = s
        .posts
        .create(new_post(&t, "k", Some(TimeDelta::seconds(0))))
        .await
        .unwrap()
    else {
        panic!()
    };
    let cancelled = Transition::Cancel.apply(&post.state, clock::now());
    // A claim lands between the customer's read and write: the write must not apply.
    let now = clock::now() + TimeDelta::seconds(1);
    s.posts
        .claim_due("w", now, now + TimeDelta::seconds(30))
        .await
        .unwrap()
        .unwrap();
    assert!(!s
        .posts
        .replace_state(
            &t,
            &post.id,
            post.state.status,
            post.lease_epoch,
            &cancelled
        )
        .await
        .unwrap());
    assert!(
        !s.posts
            .replace_state(
                &tenant("x", "y"),
                &post.id,
                PostStatus::Publishing,
                1,
                &cancelled
            )
            .await
            .unwrap(),
        "other tenants never match"
    );
    let current = s.posts.get(&t, &post.id).await.unwrap().unwrap();
    assert_eq!(current.state.status, PostStatus::Publishing);
}

async fn published_posts_count_towards_the_rolling_quota(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u");
    let ig = unique("1784");
    for i in 0..2 {
        let mut p = new_post(&t, &format!("k{i}"), None);
        p.instagram_user_id = ig.clone();
        s.posts.create(p).await.unwrap();
    }
    let now = clock::now() + TimeDelta::seconds(1);
    while let Some(claim) = s
        .posts
        .claim_due("w", now, now + TimeDelta::seconds(30))
        .await
        .unwrap()
    {
        let mut state = claim.post.state.clone();
        state.status = PostStatus::Published;
        state.published_at = Some(clock::now());
        s.posts
            .save_claimed(
                &claim,
                &ClaimedUpdate {
                    state,
                    lease_until: None,
                },
            )
            .await
            .unwrap();
    }
    assert_eq!(
        s.posts
            .published_count_since(&ig, clock::now() - TimeDelta::hours(24))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        s.posts
            .published_count_since(&ig, clock::now() + TimeDelta::hours(1))
            .await
            .unwrap(),
        0
    );
}

async fn data_survives_reopening_the_store(backend: Backend) {
    let store = Store::new(backend);
    let t = tenant(&unique("c"), "u");
    let id = {
        let s = store.open().await;
        s.accounts
            .upsert(account(&t, "1790"))
            .await
            .unwrap()
            .account()
            .id
            .clone()
    };
    let reopened = store.open().await;
    let cred = reopened
        .accounts
        .get(&t, &id)
        .await
        .unwrap()
        .expect("still there after reopening");
    assert_eq!(cred.access_token, Some(vec![1, 2, 3, 4]));
}

/// The health sweep reads every tenant's accounts, least recently checked first, and skips
/// those checked lately, disconnected or already needing a reconnect.
async fn the_health_sweep_finds_accounts_least_recently_checked_first(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let (a, b) = (tenant(&unique("c"), "u1"), tenant(&unique("c"), "u2"));
    let ig = |n: &str| format!("{}{n}", unique("9"));
    let (ig1, ig2, ig3, ig4) = (ig("1"), ig("2"), ig("3"), ig("4"));
    let first = s
        .accounts
        .upsert(account(&a, &ig1))
        .await
        .unwrap()
        .account()
        .clone();
    let second = s
        .accounts
        .upsert(account(&b, &ig2))
        .await
        .unwrap()
        .account()
        .clone();
    let gone = s
        .accounts
        .upsert(account(&b, &ig3))
        .await
        .unwrap()
        .account()
        .clone();
    let broken = s
        .accounts
        .upsert(account(&a, &ig4))
        .await
        .unwrap()
        .account()
        .clone();
    assert_eq!(
        first.checked_at,
        Some(first.created_at),
        "connecting is a check"
    );
    s.accounts
        .disconnect(&b, &gone.id, clock::now())
        .await
        .unwrap();
    s.accounts
        .mark_needs_reconnect(
            &a,
            &broken.id,
            AuthCause::PasswordChanged,
            "changed",
            clock::now(),
        )
        .await
        .unwrap();
    let earlier = clock::now() - TimeDelta::days(2);
    let check = |at| HealthCheck {
        checked_at: at,
        token_expires_at: None,
        data_access_expires_at: Some(clock::now() + TimeDelta::days(80)),
        scopes: vec!["instagram_basic".into(), "ads_read".into()],
        renewal_error: None,
    };
    assert!(s
        .accounts
        .record_check(&b, &second.id, &check(earlier))
        .await
        .unwrap());
    assert!(s
        .accounts
        .record_check(&a, &first.id, &check(earlier - TimeDelta::hours(1)))
        .await
        .unwrap());
    assert!(
        !s.accounts
            .record_check(&b, &first.id, &check(earlier))
            .await
            .unwrap(),
        "tenant-bound"
    );

    let due = s
        .accounts
        .due_for_check(clock::now() - TimeDelta::days(1), 1000)
        .await
        .unwrap();
    let ours: Vec<&str> = due
        .iter()
        .filter(|d| [&first.id, &second.id, &gone.id, &broken.id].contains(&&d.id))
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(
        ours,
        [first.id.as_str(), second.id.as_str()],
        "oldest check first; no disconnected or broken one"
    );
    let held = s.accounts.get(&b, &second.id).await.unwrap().unwrap();
    assert_eq!(held.scopes, ["instagram_basic", "ads_read"]);
    assert!(held.data_access_expires_at.is_some());
    let marked = s.accounts.get(&a, &broken.id).await.unwrap().unwrap();
    assert_eq!(marked.auth_cause, Some(AuthCause::PasswordChanged));
    assert!(s
        .accounts
        .due_for_check(earlier - TimeDelta::days(1), 1000)
        .await
        .unwrap()
        .iter()
        .all(|d| d.id != first.id));
}

/// Meta's callbacks name a Facebook user: every tenant's accounts of that person are found, and
/// data deletion removes a record for good.
async fn accounts_are_found_by_their_facebook_user_and_erased(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let (a, b) = (tenant(&unique("c"), "u1"), tenant(&unique("c"), "u2"));
    let person = unique("fb");
    let with_person = |t: &Tenant, ig: &str| ConnectedAccount {
        facebook_user_id: Some(person.clone()),
        ..account(t, ig)
    };
    let one = s
        .accounts
        .upsert(with_person(&a, &unique("7")))
        .await
        .unwrap()
        .account()
        .clone();
    let two = s
        .accounts
        .upsert(with_person(&b, &unique("7")))
        .await
        .unwrap()
        .account()
        .clone();
    s.accounts.upsert(account(&b, &unique("7"))).await.unwrap();
    assert_eq!(
        one.page_token,
        Some(vec![4, 5, 6]),
        "the Page token is kept"
    );
    let found = s.accounts.by_facebook_user("1", &person).await.unwrap();
    let mut ids: Vec<&str> = found.iter().map(|f| f.id.as_str()).collect();
    ids.sort();
    let mut expected = [one.id.as_str(), two.id.as_str()];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        s.accounts
            .by_facebook_user("2", &person)
            .await
            .unwrap()
            .is_empty(),
        "another app's"
    );
    assert!(
        !s.accounts.erase(&a, &two.id).await.unwrap(),
        "tenant-bound"
    );
    assert!(s.accounts.erase(&b, &two.id).await.unwrap());
    assert!(s.accounts.get(&b, &two.id).await.unwrap().is_none());
    assert!(!s.accounts.erase(&b, &two.id).await.unwrap(), "once");
    s.accounts
        .disconnect(&a, &one.id, clock::now())
        .await
        .unwrap();
    let off = s.accounts.get(&a, &one.id).await.unwrap().unwrap();
    assert_eq!(
        (off.access_token, off.page_token),
        (None, None),
        "disconnect erases both tokens"
    );
}

/// An Instagram Login account keeps its kind; a renewal replaces the token only while it is the
/// one the renewal started from, and clears a renewal error that a check recorded; a reconnect
/// through the other login switches the kind.
async fn an_instagram_login_is_kept_renewed_by_compare_and_swap_and_switched(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u1");
    let ig = unique("9");
    let by_instagram = ConnectedAccount {
        login: LoginKind::Instagram,
        page_token: None,
        facebook_page_id: String::new(),
        facebook_page_name: String::new(),
        facebook_user_id: None,
        ..account(&t, &ig)
    };
    let held = s
        .accounts
        .upsert(by_instagram.clone())
        .await
        .unwrap()
        .account()
        .clone();
    assert_eq!(held.login, LoginKind::Instagram);
    assert_eq!(held.renewal_error, None);
    let check = HealthCheck {
        checked_at: clock::now(),
        token_expires_at: held.token_expires_at,
        data_access_expires_at: None,
        scopes: held.scopes.clone(),
        renewal_error: Some("Instagram did not renew the login.".into()),
    };
    assert!(s.accounts.record_check(&t, &held.id, &check).await.unwrap());
    let failing = s.accounts.get(&t, &held.id).await.unwrap().unwrap();
    assert_eq!(failing.renewal_error, check.renewal_error);

    let old = held.access_token.clone().unwrap();
    let later = clock::now() + TimeDelta::days(60);
    assert!(
        !s.accounts
            .renew_token(
                &t,
                &held.id,
                b"not-the-token",
                b"new",
                Some(later),
                clock::now()
            )
            .await
            .unwrap(),
        "a token that changed meanwhile is not replaced"
    );
    assert!(s
        .accounts
        .renew_token(&t, &held.id, &old, b"new", Some(later), clock::now())
        .await
        .unwrap());
    let renewed = s.accounts.get(&t, &held.id).await.unwrap().unwrap();
    assert_eq!(renewed.access_token.as_deref(), Some(&b"new"[..]));
    assert_eq!(renewed.token_expires_at, Some(later));
    assert_eq!(renewed.renewal_error, None);
    assert!(
        !s.accounts
            .renew_token(&t, &held.id, &old, b"newer", Some(later), clock::now())
            .await
            .unwrap(),
        "once"
    );

    let by_facebook = s.accounts.upsert(account(&t, &ig)).await.unwrap();
    assert_eq!(by_facebook.account().id, held.id, "the same account");
    assert_eq!(by_facebook.account().login, LoginKind::Facebook);
    assert_eq!(by_facebook.account().page_token, Some(vec![4, 5, 6]));
}

fn asset(t: &Tenant, sha: &str) -> Asset {
    Asset {
        id: new_id(),
        tenant: t.clone(),
        kind: AssetKind::Image,
        format: "jpeg".into(),
        file_name: "door.jpg".into(),
        size: 1234,
        sha256: sha.into(),
        width: Some(1080),
        height: Some(1350),
        duration_ms: None,
        alt_text: Some("A red door".into()),
        created_at: clock::now(),
    }
}

/// The library keeps each file once per tenant (by its SHA-256), lists newest first with a
/// cursor, counts what a tenant stores, and never shows one tenant's files to another.
async fn the_library_keeps_each_file_once_per_tenant(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let (a, b) = (tenant(&unique("c"), "u1"), tenant(&unique("c"), "u1"));
    let first = asset(&a, "sha-1");
    let (held, new) = s.assets.insert_asset(&first).await.unwrap();
    assert!(new);
    assert_eq!(held, first);
    let (again, new) = s.assets.insert_asset(&asset(&a, "sha-1")).await.unwrap();
    assert!(!new, "the same bytes are kept once");
    assert_eq!(again.id, first.id);
    let (other, new) = s.assets.insert_asset(&asset(&b, "sha-1")).await.unwrap();
    assert!(new, "another tenant's copy is their own");
    assert!(s.assets.asset(&a, &other.id).await.unwrap().is_none());

    let mut ids = vec![first.id.clone()];
    for n in 2..=4 {
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let (made, _) = s
            .assets
            .insert_asset(&asset(&a, &format!("sha-{n}")))
            .await
            .unwrap();
        ids.push(made.id);
    }
    ids.reverse();
    let page = s.assets.assets(&a, None, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|x| &x.id).collect::<Vec<_>>(),
        vec![&ids[0], &ids[1]]
    );
    let rest = s.assets.assets(&a, Some(&ids[1]), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|x| &x.id).collect::<Vec<_>>(),
        vec![&ids[2], &ids[3]]
    );
    assert_eq!(s.assets.bytes_used(&a).await.unwrap(), 4 * 1234);

    assert!(s
        .assets
        .set_alt_text(&a, &first.id, Some("A blue door"))
        .await
        .unwrap());
    assert!(
        !s.assets.set_alt_text(&b, &first.id, None).await.unwrap(),
        "tenant-bound"
    );
    let changed = s.assets.asset(&a, &first.id).await.unwrap().unwrap();
    assert_eq!(changed.alt_text.as_deref(), Some("A blue door"));
    assert!(!s.assets.delete_asset(&b, &first.id).await.unwrap());
    assert!(s.assets.delete_asset(&a, &first.id).await.unwrap());
    assert!(s.assets.asset(&a, &first.id).await.unwrap().is_none());
}

/// Prepared copies are found when due, soonest first, across tenants; moving or forgetting one
/// works only while its time is the one read (a post may just have kept it); deleting the asset
/// forgets its copies; an asset is found by id alone only for signed URLs.
async fn prepared_copies_are_swept_by_compare_and_swap(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let (a, b) = (tenant(&unique("c"), "u1"), tenant(&unique("c"), "u1"));
    let (photo, other) = (asset(&a, "sha-r1"), asset(&b, "sha-r2"));
    s.assets.insert_asset(&photo).await.unwrap();
    s.assets.insert_asset(&other).await.unwrap();
    // Far in the past, so copies other tests keep are not among the first.
    let at = clock::to_millis(chrono::Utc::now() - TimeDelta::days(5000));
    let copy = |asset: &Asset, name: &str, due: TimeDelta| Rendition {
        tenant: asset.tenant.clone(),
        asset_id: asset.id.clone(),
        name: name.into(),
        width: 1440,
        height: 1800,
        bytes: 345_678,
        due_at: at + due,
    };
    let feed = copy(&photo, "feed-pad-ffffff.jpg", TimeDelta::minutes(2));
    let story = copy(&photo, "vertical-crop-500-500.jpg", TimeDelta::days(9000));
    let theirs = copy(&other, "feed-crop-500-500.jpg", TimeDelta::minutes(1));
    for r in [&feed, &story, &theirs] {
        s.assets.keep_rendition(r).await.unwrap();
    }
    let due = s
        .assets
        .due_renditions(at + TimeDelta::minutes(3), 2)
        .await
        .unwrap();
    assert_eq!(
        due,
        vec![theirs.clone(), feed.clone()],
        "soonest first, of every tenant"
    );

    // Kept again (a new post): the old time no longer moves or forgets it.
    let kept = Rendition {
        due_at: at + TimeDelta::minutes(10),
        ..feed.clone()
    };
    s.assets.keep_rendition(&kept).await.unwrap();
    assert!(!s
        .assets
        .postpone_rendition(&feed, at + TimeDelta::days(1))
        .await
        .unwrap());
    assert!(!s.assets.forget_rendition(&feed).await.unwrap());
    assert!(s
        .assets
        .postpone_rendition(&kept, at + TimeDelta::minutes(20))
        .await
        .unwrap());
    let mut mine = s.assets.renditions(&a, &photo.id).await.unwrap();
    mine.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(mine[0].due_at, at + TimeDelta::minutes(20));
    assert_eq!(
        (mine[0].width, mine[0].height, mine[0].bytes),
        (1440, 1800, 345_678)
    );
    assert_eq!(mine[1], story);
    assert!(
        s.assets.renditions(&b, &photo.id).await.unwrap().is_empty(),
        "tenant-bound"
    );

    assert!(s.assets.forget_rendition(&theirs).await.unwrap());
    assert!(s.assets.renditions(&b, &other.id).await.unwrap().is_empty());
    assert_eq!(
        s.assets.asset_by_id(&photo.id).await.unwrap(),
        Some(photo.clone())
    );
    assert!(s.assets.delete_asset(&a, &photo.id).await.unwrap());
    assert!(s.assets.renditions(&a, &photo.id).await.unwrap().is_empty());
    assert!(s.assets.asset_by_id(&photo.id).await.unwrap().is_none());
}

/// A chunked upload advances only from the offset it is at: of two racing chunks for the same
/// offset one lands; it never passes its size; it expires.
async fn an_upload_advances_once_per_offset_and_expires(backend: Backend) {
    let store = Store::new(backend);
    let s = store.open().await;
    let t = tenant(&unique("c"), "u1");
    let now = clock::now();
    let upload = Upload {
        id: new_id(),
        tenant: t.clone(),
        file_name: "clip.mp4".into(),
        size: 100,
        received: 0,
        parts: 0,
        created_at: now,
        expires_at: now + TimeDelta::hours(24),
    };
    s.assets.insert_upload(&upload).await.unwrap();
    let racing = join_all((0..5).map(|_| s.assets.advance_upload(&t, &upload.id, 0, 40))).await;
    let landed: Vec<_> = racing.into_iter().filter_map(|r| r.unwrap()).collect();
    assert_eq!(landed.len(), 1, "one chunk per offset");
    assert_eq!((landed[0].received, landed[0].parts), (40, 1));
    assert!(
        s.assets
            .advance_upload(&t, &upload.id, 40, 61)
            .await
            .unwrap()
            .is_none(),
        "never past its size"
    );
    let done = s
        .assets
        .advance_upload(&t, &upload.id, 40, 60)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((done.received, done.parts), (100, 2));
    let other = tenant(&unique("c"), "u1");
    assert!(s
        .assets
        .upload(&other, &upload.id, now)
        .await
        .unwrap()
        .is_none());
    assert!(s
        .assets
        .upload(&t, &upload.id, now)
        .await
        .unwrap()
        .is_some());
    let later = now + TimeDelta::hours(25);
    assert!(
        s.assets
            .upload(&t, &upload.id, later)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    let expired = s.assets.expired_uploads(later, 1000).await.unwrap();
    assert!(expired.iter().any(|u| u.id == upload.id));
    assert!(s.assets.delete_upload(&t, &upload.id).await.unwrap());
}

on_both_stores!(
    the_library_keeps_each_file_once_per_tenant,
    prepared_copies_are_swept_by_compare_and_swap,
    an_upload_advances_once_per_offset_and_expires,
    an_instagram_login_is_kept_renewed_by_compare_and_swap_and_switched,
    the_health_sweep_finds_accounts_least_recently_checked_first,
    accounts_are_found_by_their_facebook_user_and_erased,
    containers_are_counted_per_account_over_a_rolling_day,
    a_post_keeps_its_tags_and_options,
    accounts_upsert_once_then_update_in_place,
    racing_connects_leave_one_document,
    another_user_of_the_customer_cannot_take_an_active_account,
    accounts_are_read_only_with_their_tenant,
    disconnect_erases_the_token_and_reconnect_restores_it,
    needs_reconnect_is_recorded_and_cleared_by_reconnecting,
    an_oauth_state_is_consumed_once,
    an_expired_or_unknown_state_is_never_consumed,
    a_flow_outcome_is_visible_to_its_tenant_only,
    sessions_expire_and_ids_are_unique,
    a_users_sessions_end_together,
    a_pending_flow_binds_and_starts_once,
    an_expired_pending_flow_is_gone,
    an_idempotency_key_makes_one_post,
    posts_list_newest_first_with_filters_and_cursor,
    a_due_post_is_claimed_by_one_worker,
    a_stale_worker_cannot_write_after_its_lease_is_taken,
    a_released_post_waits_for_its_run_at,
    the_claim_takes_exactly_the_posts_the_domain_calls_due,
    customer_transitions_lose_to_a_concurrent_claim,
    published_posts_count_towards_the_rolling_quota,
    data_survives_reopening_the_store,
);
