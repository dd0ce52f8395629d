//! Meta's deauthorize and data deletion callbacks (graph-api.md §8): a genuine, fresh signed
//! request disconnects, or erases, every account the person connected, in every tenant and only
//! theirs; anything forged, stale, malformed or replayed is refused and changes nothing.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64URL, Engine};
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use social_media_uploader::{
    crypto::{new_id, KeyRing, TokenKey},
    domain::{
        accounts::{seal_token, Account, ConnectedAccount, LoginKind, TokenKind},
        clock,
        posts::{
            CreatedPost, MediaItem, MediaType, NewPost, Post, PostKind, PostOptions, PostStatus,
        },
        tenant::Tenant,
    },
};

use crate::{
    on_both_stores,
    support::{json, unique, Backend, TestApp, APP_ID, APP_SECRET, TOKEN_KEY},
};

const DEAUTHORIZE: &str = "/meta/deauthorize";
const DELETION: &str = "/meta/data-deletion";

/// A signed request as Meta makes it: HMAC-SHA256 of the base64url payload, keyed by `secret`.
fn signed_with(payload: &Value, secret: &str) -> String {
    let payload = B64URL.encode(payload.to_string());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    format!("{}.{payload}", B64URL.encode(mac.finalize().into_bytes()))
}

/// A genuine request about `person`, issued `ago` seconds ago.
fn signed(person: &str, ago: i64) -> String {
    signed_with(&payload(person, ago), APP_SECRET)
}

fn payload(person: &str, ago: i64) -> Value {
    json!({"algorithm": "HMAC-SHA256", "issued_at": clock::now().timestamp() - ago, "user_id": person})
}

async fn call(app: &TestApp, path: &str, signed_request: &str) -> (u16, Value) {
    let r = app
        .http
        .post(app.url(path))
        .form(&[("signed_request", signed_request)])
        .send()
        .await
        .unwrap();
    json(r).await
}

fn keys() -> KeyRing {
    let key: [u8; 32] = TOKEN_KEY.as_bytes().try_into().unwrap();
    KeyRing::new(TokenKey::new(key), vec![])
}

/// An account connected by `person` into the tenant, with a scheduled post.
struct Seeded {
    account: Account,
    post: Post,
}

async fn seed(app: &TestApp, tenant: &Tenant, person: &str) -> Seeded {
    let ig = format!("1784{}", rand_digits());
    let keys = keys();
    let connected = ConnectedAccount {
        new_id: new_id(),
        tenant: tenant.clone(),
        instagram_user_id: ig.clone(),
        instagram_username: format!("person_{ig}"),
        instagram_name: None,
        profile_picture_url: None,
        app_id: APP_ID.into(),
        login: LoginKind::Facebook,
        facebook_page_id: format!("page_{ig}"),
        facebook_page_name: "Page".into(),
        access_token: seal_token(&keys, tenant, &ig, TokenKind::User, "EAAG-user"),
        page_token: Some(seal_token(&keys, tenant, &ig, TokenKind::Page, "EAAG-page")),
        facebook_user_id: Some(person.into()),
        token_expires_at: Some(clock::now() + TimeDelta::days(60)),
        data_access_expires_at: None,
        scopes: vec!["instagram_basic".into()],
        now: clock::now(),
    };
    let account = app
        .storage()
        .accounts
        .upsert(connected)
        .await
        .unwrap()
        .account()
        .clone();
    let now = clock::now();
    let new = NewPost {
        id: new_id(),
        tenant: tenant.clone(),
        account_id: account.id.clone(),
        instagram_user_id: ig.clone(),
        instagram_username: account.instagram_username.clone(),
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
        caption: "a caption of the person".into(),
        options: PostOptions::default(),
        scheduled_at: Some(now + TimeDelta::days(3)),
        idempotency_key: new_id(),
        request_hash: "hash".into(),
        now,
    };
    let CreatedPost::New(post) = app.storage().posts.create(new).await.unwrap() else {
        panic!("a new post")
    };
    Seeded { account, post }
}

fn rand_digits() -> String {
    new_id()[16..]
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| char::from(b'0' + (c as u8 % 10)))
        .collect()
}

async fn account_now(app: &TestApp, a: &Account) -> Option<Account> {
    app.storage().accounts.get(&a.tenant, &a.id).await.unwrap()
}

async fn post_now(app: &TestApp, p: &Post) -> Option<Post> {
    app.storage().posts.get(&p.tenant, &p.id).await.unwrap()
}

/// The person's accounts in two customers, and another person's account beside them.
struct World {
    theirs: Vec<Seeded>,
    other: Seeded,
    person: String,
}

async fn world(app: &TestApp) -> World {
    let person = format!("10{}", rand_digits());
    let acme = Tenant::new(unique("acme"), "u1").unwrap();
    let globex = Tenant::new(unique("globex"), "u9").unwrap();
    let theirs = vec![
        seed(app, &acme, &person).await,
        seed(app, &globex, &person).await,
    ];
    let other = seed(app, &acme, &format!("20{}", rand_digits())).await;
    World {
        theirs,
        other,
        person,
    }
}

async fn snapshot(app: &TestApp, w: &World) -> Vec<(Option<Account>, Option<Post>)> {
    let mut all = vec![];
    for s in w.theirs.iter().chain([&w.other]) {
        all.push((
            account_now(app, &s.account).await,
            post_now(app, &s.post).await,
        ));
    }
    all
}

async fn deauthorizing_disconnects_the_persons_accounts_in_every_tenant_and_only_theirs(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;

    let (status, body) = call(&app, DEAUTHORIZE, &signed(&w.person, 5)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "success");
    for s in &w.theirs {
        let a = account_now(&app, &s.account)
            .await
            .expect("the record stays");
        assert!(!a.is_active, "disconnected in {:?}", a.tenant);
        assert!(
            a.access_token.is_none() && a.page_token.is_none(),
            "tokens erased"
        );
        let post = post_now(&app, &s.post).await.unwrap();
        assert_eq!(
            post.state.status,
            PostStatus::Cancelled,
            "its waiting post stops"
        );
        assert!(post
            .state
            .steps
            .last()
            .unwrap()
            .detail
            .contains("removed this app"));
    }
    let other = account_now(&app, &w.other.account).await.unwrap();
    assert_eq!(
        other, w.other.account,
        "another person's account is untouched"
    );
    assert_eq!(
        post_now(&app, &w.other.post).await.unwrap().state.status,
        PostStatus::Scheduled
    );

    // Another genuine request about the same person: nothing left to do, still 200.
    let before = snapshot(&app, &w).await;
    let (status, body) = call(&app, DEAUTHORIZE, &signed(&w.person, 30)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(snapshot(&app, &w).await, before, "a repeat changes nothing");
}

async fn a_deletion_request_erases_the_person_and_answers_a_status_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;

    let (status, body) = call(&app, DELETION, &signed(&w.person, 5)).await;
    assert_eq!(status, 200, "{body}");
    let code = body["confirmation_code"].as_str().unwrap().to_string();
    assert!(
        code.len() >= 16 && code.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{code}"
    );
    let url = body["url"].as_str().unwrap();
    assert_eq!(
        url,
        app.url(&format!("{DELETION}/{code}")),
        "under the public origin"
    );
    for s in &w.theirs {
        assert!(
            account_now(&app, &s.account).await.is_none(),
            "account erased"
        );
        assert!(post_now(&app, &s.post).await.is_none(), "its posts erased");
    }
    assert_eq!(
        account_now(&app, &w.other.account).await.unwrap(),
        w.other.account
    );
    assert!(post_now(&app, &w.other.post).await.is_some());

    // The status page: public (no session), says when, and nothing about the person.
    let page = app.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&code) && html.contains("Received at") && html.contains("Completed at"),
        "{html}"
    );
    let username = &w.theirs[0].account.instagram_username;
    assert!(
        !html.contains(&w.person) && !html.contains(username.as_str()),
        "{html}"
    );
    let unknown = app
        .http
        .get(app.url(&format!("{DELETION}/NoSuchCode123")))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // Another request about the same person gets its own code; nothing is left to erase.
    let (status, again) = call(&app, DELETION, &signed(&w.person, 20)).await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["confirmation_code"], body["confirmation_code"]);
}

async fn forged_stale_malformed_and_replayed_requests_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let person = w.person.as_str();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut p = payload(person, 5);
        change(&mut p);
        signed_with(&p, APP_SECRET)
    };
    let genuine = signed(person, 5);
    let (sig, body) = genuine.split_once('.').unwrap();
    let flipped = match sig.starts_with('A') {
        true => format!("B{}", &sig[1..]),
        false => format!("A{}", &sig[1..]),
    };
    let cases: Vec<(&str, String, u16)> = vec![
        (
            "another app's secret",
            signed_with(&payload(person, 5), "not-our-secret"),
            403,
        ),
        (
            "a payload swapped under a genuine signature",
            format!("{sig}.{}", B64URL.encode(payload("999", 5).to_string())),
            403,
        ),
        ("a flipped signature", format!("{flipped}.{body}"), 403),
        (
            "another algorithm",
            with(&|p| p["algorithm"] = "HMAC-SHA1".into()),
            400,
        ),
        (
            "no algorithm",
            with(&|p| {
                p.as_object_mut().unwrap().remove("algorithm");
            }),
            400,
        ),
        ("issued two hours ago", signed(person, 7200), 400),
        ("issued in an hour", signed(person, -3600), 400),
        (
            "no issued_at",
            with(&|p| {
                p.as_object_mut().unwrap().remove("issued_at");
            }),
            400,
        ),
        (
            "no user_id",
            with(&|p| {
                p.as_object_mut().unwrap().remove("user_id");
            }),
            400,
        ),
        ("no dot", "abcdef".into(), 400),
        ("not base64", "!!!.???".into(), 400),
        ("not JSON", signed_with_raw("not json"), 400),
        ("empty", String::new(), 400),
    ];
    let before = snapshot(&app, &w).await;
    for path in [DEAUTHORIZE, DELETION] {
        for (case, raw, expected) in &cases {
            let (status, body) = call(&app, path, raw).await;
            assert_eq!(status, *expected, "{path}, {case}: {body}");
            assert_eq!(body["status"], "error", "{path}, {case}: {body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        for bad_body in [
            "",
            "signed_request=",
            "something=else",
            "{\"signed_request\":1}",
        ] {
            let r = app
                .http
                .post(app.url(path))
                .body(bad_body)
                .header("content-type", "application/x-www-form-urlencoded")
                .send()
                .await
                .unwrap();
            let (status, body) = json(r).await;
            assert_eq!(
                (status, &body["status"]),
                (400, &json!("error")),
                "{path}, body {bad_body:?}"
            );
        }
    }
    assert_eq!(
        snapshot(&app, &w).await,
        before,
        "no refusal changed anything"
    );

    // A genuine request works once: replayed at either callback it is refused.
    let (status, _) = call(&app, DEAUTHORIZE, &genuine).await;
    assert_eq!(status, 200);
    let after_first = snapshot(&app, &w).await;
    let padded = format!("{sig}=.{body}");
    for (path, raw) in [
        (DEAUTHORIZE, &genuine),
        (DELETION, &genuine),
        (DELETION, &padded),
    ] {
        let (status, reply) = call(&app, path, raw).await;
        assert_eq!(status, 400, "replay at {path}: {reply}");
        assert!(
            reply["message"].as_str().unwrap().contains("already used"),
            "{reply}"
        );
    }
    assert_eq!(
        snapshot(&app, &w).await,
        after_first,
        "a replay erased nothing"
    );
}

fn signed_with_raw(payload: &str) -> String {
    let payload = B64URL.encode(payload);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    format!("{}.{payload}", B64URL.encode(mac.finalize().into_bytes()))
}

on_both_stores!(
    deauthorizing_disconnects_the_persons_accounts_in_every_tenant_and_only_theirs,
    a_deletion_request_erases_the_person_and_answers_a_status_page,
    forged_stale_malformed_and_replayed_requests_change_nothing,
);
