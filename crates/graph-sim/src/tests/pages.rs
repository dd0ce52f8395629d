//! Rows D–G: the person, pages with paging, businesses, IG users.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;

#[tokio::test]
async fn me_fields_picture_and_permissions() {
    let t = TestSim::start().await;
    let created = t.scenario("declined_publish").await;
    let user_id = created["user_id"].as_str().unwrap();
    let token = t.login(user_id).await;
    let (status, me) = t
        .graph_get(
            "/v23.0/me",
            &[("access_token", &token), ("fields", "id,name,picture")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id"], user_id);
    assert_eq!(me["name"], "Dana Declines");
    let picture = &me["picture"]["data"];
    assert!(picture["url"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/_sim/avatar/", t.base)));
    assert_eq!(picture["is_silhouette"], false);
    assert!(picture["height"].is_number() && picture["width"].is_number());

    let (_, perms) = t
        .graph_get("/v23.0/me/permissions", &[("access_token", &token)])
        .await;
    let data = perms["data"].as_array().unwrap();
    assert!(data.contains(&json!({"permission": "public_profile", "status": "granted"})));
    assert!(data.contains(&json!({"permission": "instagram_basic", "status": "granted"})));
    assert!(
        data.contains(&json!({"permission": "instagram_content_publish", "status": "declined"}))
    );

    let (_, body) = t
        .graph_get(
            "/v23.0/me",
            &[("access_token", &token), ("fields", "id,bogus")],
        )
        .await;
    assert_eq!(
        body["error"]["message"],
        "(#100) Tried accessing nonexisting field (bogus) on node type (User)"
    );
    let (_, body) = t
        .graph_get("/v23.0/me/feedz", &[("access_token", &token)])
        .await;
    assert_error(&body, 2500, None);
}

fn ids_of(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn accounts_pages_through_thirty_pages() {
    let t = TestSim::start().await;
    let pages: Vec<Value> = (0..30)
        .map(|i| {
            if i % 3 == 0 {
                json!({ "name": format!("Page {i}"), "instagram": { "username": format!("paging_{i}") } })
            } else {
                json!({ "name": format!("Page {i}") })
            }
        })
        .collect();
    let created = t
        .create_user(json!({ "name": "Paula Pager", "pages": pages }))
        .await;
    let expected: Vec<String> = created["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let token = t.login(created["user_id"].as_str().unwrap()).await;

    let fields = "id,name,category,category_list,tasks,access_token,instagram_business_account";
    let (status, first) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &token), ("fields", fields)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["data"].as_array().unwrap().len(), 25);
    let cursors = &first["paging"]["cursors"];
    assert!(cursors["before"].is_string() && cursors["after"].is_string());
    assert!(first["paging"].get("previous").is_none());
    let next = first["paging"]["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/v23.0/me/accounts?", t.base)),
        "{next}"
    );

    // Page 0 has an IG account, page 1 has none: the key is there only when linked.
    let data = first["data"].as_array().unwrap();
    assert!(data[0]["instagram_business_account"]["id"]
        .as_str()
        .unwrap()
        .starts_with("17841"));
    assert!(data[1].get("instagram_business_account").is_none());
    assert_eq!(data[0]["tasks"].as_array().unwrap().len(), 5);
    assert_eq!(data[0]["category_list"][0]["name"], data[0]["category"]);
    assert!(data[0]["access_token"]
        .as_str()
        .unwrap()
        .starts_with("EAAG"));

    // Follow `next` verbatim.
    let second: Value = t.http.get(next).send().await.unwrap().json().await.unwrap();
    assert_eq!(second["data"].as_array().unwrap().len(), 5);
    assert!(second["paging"].get("next").is_none());
    assert!(second["paging"]["previous"].is_string());
    let mut all = ids_of(&first);
    all.extend(ids_of(&second));
    assert_eq!(all, expected);

    // Without the field, no page has the key; an unknown field fails.
    let (_, plain) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[
                ("access_token", &token),
                ("fields", "id,name"),
                ("limit", "10"),
            ],
        )
        .await;
    assert_eq!(plain["data"].as_array().unwrap().len(), 10);
    assert!(plain["data"][0].get("instagram_business_account").is_none());
    assert!(plain["paging"]["next"]
        .as_str()
        .unwrap()
        .contains("limit=10"));
    let (_, bad) = t
        .graph_get(
            "/v23.0/me/accounts",
            &[("access_token", &token), ("fields", "id,x")],
        )
        .await;
    assert_error(&bad, 100, None);
    assert_eq!(
        bad["error"]["message"],
        "(#100) Tried accessing nonexisting field (x) on node type (Page)"
    );
}

#[tokio::test]
async fn unticked_pages_are_invisible_and_pages_show_list_is_needed() {
    let t = TestSim::start().await;
    let created = t.scenario("multi_instagram").await;
    let user_id = created["user_id"].as_str().unwrap();
    let first = created["pages"][0]["id"].as_str().unwrap();
    let second = created["pages"][1]["id"].as_str().unwrap();
    let code = t
        .code_with(
            user_id,
            &[
                ("page", first),
                ("permission", "pages_show_list"),
                ("permission", "instagram_basic"),
            ],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    assert_eq!(ids_of(&accounts), [first]);
    let (_, body) = t
        .graph_get(&format!("/v23.0/{second}"), &[("access_token", &token)])
        .await;
    assert_error(&body, 100, Some(33));
    assert_eq!(body["error"]["type"], "GraphMethodException");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!(
            "Unsupported get request. Object with ID '{second}' does not exist"
        )));

    // Pages ticked but pages_show_list declined: empty list.
    let code = t.code_with(user_id, &[("page", first)]).await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    assert_eq!(accounts, json!({ "data": [] }));
}

#[tokio::test]
async fn business_portfolio_pages_come_through_businesses() {
    let t = TestSim::start().await;
    let created = t.scenario("business_portfolio").await;
    let blog = created["pages"][0]["id"].as_str().unwrap();
    let shop = created["pages"][1]["id"].as_str().unwrap();
    let business_id = created["pages"][1]["business_id"].as_str().unwrap();
    let ig_id = created["pages"][1]["instagram_business_account_id"]
        .as_str()
        .unwrap();
    let token = t.login(created["user_id"].as_str().unwrap()).await;

    let (_, accounts) = t
        .graph_get("/v23.0/me/accounts", &[("access_token", &token)])
        .await;
    assert_eq!(ids_of(&accounts), [blog]);

    let (status, businesses) = t
        .graph_get("/v23.0/me/businesses", &[("access_token", &token)])
        .await;
    assert_eq!(status, StatusCode::OK, "{businesses}");
    assert_eq!(businesses["data"][0]["id"], business_id);
    assert_eq!(businesses["data"][0]["name"], "Bea Retail Group");

    let (_, owned) = t
        .graph_get(
            &format!("/v23.0/{business_id}/owned_pages"),
            &[
                ("access_token", &token),
                ("fields", "id,name,instagram_business_account{id,username}"),
            ],
        )
        .await;
    assert_eq!(ids_of(&owned), [shop]);
    assert_eq!(owned["data"][0]["instagram_business_account"]["id"], ig_id);
    assert_eq!(
        owned["data"][0]["instagram_business_account"]["username"],
        "bea.shop_t"
    );
    let (_, client) = t
        .graph_get(
            &format!("/v23.0/{business_id}/client_pages"),
            &[("access_token", &token)],
        )
        .await;
    assert_eq!(client, json!({ "data": [] }));

    // Without business_management: code 200.
    let code = t
        .code_with(
            created["user_id"].as_str().unwrap(),
            &[("page", shop), ("permission", "pages_show_list")],
        )
        .await;
    let token = t.exchange(&code, REDIRECT).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, body) = t
        .graph_get("/v23.0/me/businesses", &[("access_token", &token)])
        .await;
    assert_error(&body, 200, None);
    assert_eq!(
        body["error"]["message"],
        "(#200) Requires business_management permission to manage the object"
    );
}

#[tokio::test]
async fn page_node_and_ig_user_fields() {
    let t = TestSim::start().await;
    let created = t.scenario("multi_instagram").await;
    let token = t.login(created["user_id"].as_str().unwrap()).await;
    let linked = created["pages"][0]["id"].as_str().unwrap();
    let unlinked = created["pages"][2]["id"].as_str().unwrap();
    let ig_id = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap();

    let (_, page) = t
        .graph_get(
            &format!("/v23.0/{linked}"),
            &[
                ("access_token", &token),
                ("fields", "instagram_business_account,name"),
            ],
        )
        .await;
    assert_eq!(page["id"], linked);
    assert_eq!(page["instagram_business_account"], json!({ "id": ig_id }));
    let (_, page) = t
        .graph_get(
            &format!("/{unlinked}"),
            &[
                ("access_token", &token),
                ("fields", "instagram_business_account"),
            ],
        )
        .await;
    assert_eq!(page, json!({ "id": unlinked }));

    let fields = "id,username,name,profile_picture_url,followers_count,follows_count,media_count,biography,website,ig_id";
    let (status, ig) = t
        .graph_get(
            &format!("/v23.0/{ig_id}"),
            &[("access_token", &token), ("fields", fields)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{ig}");
    assert_eq!(ig["username"], "mia.flowers_t");
    assert_eq!(ig["followers_count"], 2400);
    assert!(ig["ig_id"].is_number());
    assert!(ig["profile_picture_url"]
        .as_str()
        .unwrap()
        .ends_with("/_sim/avatar/mia.flowers_t.svg"));
    let avatar = t
        .http
        .get(ig["profile_picture_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.headers()["content-type"], "image/svg+xml");
    assert!(avatar.text().await.unwrap().contains(">M</text>"));

    let (_, bad) = t
        .graph_get(
            &format!("/v23.0/{ig_id}"),
            &[("access_token", &token), ("fields", "id,email")],
        )
        .await;
    assert_eq!(
        bad["error"]["message"],
        "(#100) Tried accessing nonexisting field (email) on node type (IGUser)"
    );
}
