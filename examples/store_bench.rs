//! How the store's two hot queries grow with the data (issue: performance, items 4 and 5): the
//! publisher's claim of the next due post with few or many posts due, and the history's filters
//! (a rare status, one account, both) with a small or a large history. Flat is the aim: each
//! size's time is printed with its ratio to the smallest size, measured in the same run.
//!
//! `store_bench [mongodb-uri]`: the embedded store in a temporary directory, or MongoDB.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use social_media_uploader::{
    crypto::new_id,
    domain::{
        clock,
        posts::{
            CreatedPost, MediaItem, MediaType, NewPost, Post, PostFilter, PostKind, PostOptions,
            PostStatus,
        },
        tenant::Tenant,
    },
    storage::Storage,
};

/// Claims timed per size, and history reads per filter.
const CLAIMS: usize = 100;
const READS: usize = 200;

#[tokio::main]
async fn main() {
    let mongo = std::env::args().nth(1);
    println!("| what | small | large | large ÷ small |");
    println!("|---|---|---|---|");
    let (few, many) = match mongo {
        Some(_) => (100, 10_000),
        None => (100, 50_000),
    };
    let small = claim(&mongo, few).await;
    let large = claim(&mongo, many).await;
    row(
        &format!("claim the next due post ({few} / {many} due)"),
        small,
        large,
    );

    let (short, long) = match mongo {
        Some(_) => (1_000, 10_000),
        None => (1_000, 100_000),
    };
    let small = history(&mongo, short).await;
    let large = history(&mongo, long).await;
    for (i, what) in [
        "a rare status",
        "one account",
        "a rare status of one account",
    ]
    .iter()
    .enumerate()
    {
        row(
            &format!("history filtered by {what} ({short} / {long} posts)"),
            small[i],
            large[i],
        );
    }
}

fn row(what: &str, small: Duration, large: Duration) {
    println!(
        "| {what} | {:.0} µs | {:.0} µs | {:.2}× |",
        small.as_secs_f64() * 1e6,
        large.as_secs_f64() * 1e6,
        large.as_secs_f64() / small.as_secs_f64()
    );
}

/// A fresh store (its directory or database is left to the system's temporary files).
async fn open(mongo: &Option<String>) -> Storage {
    match mongo {
        Some(uri) => Storage::mongo(uri, &format!("bench_{}", new_id()))
            .await
            .expect("mongodb"),
        None => {
            let dir = std::env::temp_dir().join(format!("smu-store-bench-{}", new_id()));
            std::fs::create_dir_all(&dir).expect("temporary directory");
            Storage::embedded(&dir).await.expect("embedded store")
        }
    }
}

/// The mean time of one claim with `due` posts due.
async fn claim(mongo: &Option<String>, due: usize) -> Duration {
    let store = open(mongo).await;
    let tenant = Tenant::new("bench", "u").expect("tenant");
    for n in 0..due {
        create(&store, &tenant, n, "acct-1").await;
    }
    let now = clock::now() + TimeDelta::seconds(1);
    let started = Instant::now();
    for n in 0..CLAIMS {
        let claimed = store
            .posts
            .claim_due(&format!("w{n}"), now, now + TimeDelta::minutes(5))
            .await
            .expect("claim");
        assert!(claimed.is_some(), "a due post is claimed");
    }
    started.elapsed() / CLAIMS as u32
}

/// The mean time of a history page for each filter, in a history of `posts` posts where one in
/// a hundred failed and they alternate between two accounts.
async fn history(mongo: &Option<String>, posts: usize) -> [Duration; 3] {
    let store = open(mongo).await;
    let tenant = Tenant::new("bench", "u").expect("tenant");
    for n in 0..posts {
        let account = if n % 2 == 0 { "acct-1" } else { "acct-2" };
        let post = create(&store, &tenant, n, account).await;
        let status = if n % 100 == 0 {
            PostStatus::Failed
        } else {
            PostStatus::Published
        };
        let mut state = post.state.clone();
        state.status = status;
        let done = store
            .posts
            .replace_state(
                &tenant,
                &post.id,
                post.state.status,
                post.lease_epoch,
                &state,
            )
            .await
            .expect("state");
        assert!(done);
    }
    let filters = [
        PostFilter {
            statuses: vec![PostStatus::Failed],
            limit: 20,
            ..Default::default()
        },
        PostFilter {
            account_id: Some("acct-2".into()),
            limit: 20,
            ..Default::default()
        },
        PostFilter {
            statuses: vec![PostStatus::Failed],
            account_id: Some("acct-1".into()),
            limit: 20,
            ..Default::default()
        },
    ];
    let mut times = [Duration::ZERO; 3];
    for (i, filter) in filters.iter().enumerate() {
        let started = Instant::now();
        for _ in 0..READS {
            let page = store.posts.list(&tenant, filter).await.expect("list");
            assert!(!page.posts.is_empty());
        }
        times[i] = started.elapsed() / READS as u32;
    }
    times
}

async fn create(store: &Storage, tenant: &Tenant, n: usize, account: &str) -> Post {
    let now = clock::now();
    let new = NewPost {
        id: new_id(),
        tenant: tenant.clone(),
        account_id: account.into(),
        instagram_user_id: format!("ig-{account}"),
        instagram_username: account.into(),
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
        caption: "a post".into(),
        options: PostOptions::default(),
        scheduled_at: None,
        idempotency_key: format!("k{n}"),
        request_hash: format!("h{n}"),
        now,
    };
    match store.posts.create(new).await.expect("create") {
        CreatedPost::New(post) => post,
        CreatedPost::Existing(_) => unreachable!("keys are unique"),
    }
}
