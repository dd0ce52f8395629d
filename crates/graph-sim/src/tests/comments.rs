//! Comments on published media (docs/graph-api.md §5 "After publishing", first comment).

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::publishing::{container_id, publish};
use super::*;

/// `SCOPES` plus the comment permission, which a connect grants only when asked for.
const WITH_COMMENTS: &str = "public_profile,email,pages_show_list,pages_read_engagement,business_management,instagram_basic,instagram_content_publish,instagram_manage_comments";

/// Happy scenario logged in with `scope`: (token, ig user id, a published media id).
async fn published(t: &TestSim, scope: &str) -> (String, String, String) {
    let created = t.scenario("happy").await;
    let user_id = created["user_id"].as_str().unwrap();
    let ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap()
        .to_string();
    let code = t
        .code_with(user_id, &[("defaults", "1"), ("scope", scope)])
        .await;
    let (status, body) = t.exchange(&code, REDIRECT).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;
    let image = "https://cdn.test/c.jpg?sim_processing_ms=0";
    let container = container_id(t, &token, &ig, &[("image_url", image)]).await;
    let (status, body) = publish(t, &token, &ig, &container).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (token, ig, body["id"].as_str().unwrap().to_string())
}

async fn comment(t: &TestSim, token: &str, media: &str, message: &str) -> (StatusCode, Value) {
    t.graph_post(
        &format!("/v23.0/{media}/comments"),
        &[("access_token", token), ("message", message)],
    )
    .await
}

#[tokio::test]
async fn comments_need_a_comment_permission() {
    let t = TestSim::start().await;
    let (token, _, media) = published(&t, SCOPES).await;
    for (status, body) in [
        comment(&t, &token, &media, "First!").await,
        t.graph_get(
            &format!("/v23.0/{media}/comments"),
            &[("access_token", &token)],
        )
        .await,
    ] {
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, 10, None);
        assert_eq!(
            body["error"]["message"],
            "(#10) Requires instagram_manage_comments permission to manage the object"
        );
    }
    assert_eq!(
        t.get_json("/_sim/media").await["data"][0]["comments"],
        json!([])
    );
}

#[tokio::test]
async fn comments_come_from_the_publishing_account_newest_first() {
    let t = TestSim::start().await;
    let (token, ig, media) = published(&t, WITH_COMMENTS).await;
    let mut ids = Vec::new();
    for text in ["one", "two", "three"] {
        let (status, body) = comment(&t, &token, &media, text).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        ids.push(body["id"].as_str().unwrap().to_string());
        t.advance(1.0).await;
    }
    let (status, listed) = t
        .graph_get(
            &format!("/v23.0/{media}/comments"),
            &[
                ("access_token", &token),
                ("fields", "id,text,username,timestamp"),
                ("limit", "2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let texts: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["three", "two"]);
    assert_eq!(listed["data"][0]["id"], ids[2]);
    assert_eq!(listed["data"][0]["username"], "happy.bakery_t");
    assert!(listed["data"][0]["timestamp"]
        .as_str()
        .unwrap()
        .ends_with("+0000"));
    let next = listed["paging"]["next"].as_str().unwrap();
    let older: Value = t.http.get(next).send().await.unwrap().json().await.unwrap();
    assert_eq!(older["data"][0]["text"], "one");
    assert!(older["paging"].get("next").is_none());

    // Default fields; comments_count; the control API, oldest first.
    let (_, plain) = t
        .graph_get(
            &format!("/v23.0/{media}/comments"),
            &[("access_token", &token)],
        )
        .await;
    let keys: Vec<&String> = plain["data"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "{plain}");
    let (_, read) = t
        .graph_get(
            &format!("/v23.0/{media}"),
            &[("access_token", &token), ("fields", "comments_count")],
        )
        .await;
    assert_eq!(read["comments_count"], 3);
    let listed = t.get_json(&format!("/_sim/media?ig_user_id={ig}")).await;
    let comments = &listed["data"][0]["comments"];
    assert_eq!(comments[0]["text"], "one");
    assert_eq!(comments[2]["id"], ids[2]);
    assert_eq!(comments[0]["username"], "happy.bakery_t");

    let (_, body) = comment(&t, &token, &media, "").await;
    assert_error(&body, 100, None);
    let (_, body) = comment(&t, &token, "17890000000000000", "lost").await;
    assert_error(&body, 100, Some(33));
}

#[tokio::test]
async fn faults_apply_to_comment_calls() {
    let t = TestSim::start().await;
    let (token, ig, media) = published(&t, WITH_COMMENTS).await;
    let count = || async {
        t.get_json(&format!("/_sim/media?ig_user_id={ig}")).await["data"][0]["comments"]
            .as_array()
            .unwrap()
            .len()
    };
    // A plain fault: nothing happens.
    let response = t
        .post_json(
            "/_sim/faults",
            json!({ "method": "POST", "path_contains": "/comments", "code": 2 }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (_, body) = comment(&t, &token, &media, "lost").await;
    assert_error(&body, 2, None);
    assert_eq!(count().await, 0);
    // after_effect: the comment is made, the answer is an error anyway.
    t.post_json(
        "/_sim/faults",
        json!({ "method": "POST", "path_contains": "/comments", "after_effect": true }),
    )
    .await;
    let (_, body) = comment(&t, &token, &media, "made").await;
    assert_error(&body, 1, None);
    assert_eq!(count().await, 1);
    // Reads can fail too.
    t.post_json(
        "/_sim/faults",
        json!({ "method": "GET", "path_contains": "/comments", "code": 4 }),
    )
    .await;
    let (_, body) = t
        .graph_get(
            &format!("/v23.0/{media}/comments"),
            &[("access_token", &token)],
        )
        .await;
    assert_error(&body, 4, None);
    let (status, _) = t
        .graph_get(
            &format!("/v23.0/{media}/comments"),
            &[("access_token", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
