//! What customers ask for on `POST /{ig-user-id}/media` (docs/graph-api.md §5 "Creating
//! containers" and its bullets): places, user tags, collaborators, the reel options,
//! `is_ai_generated` and `alt_text`, each where the table allows it and nowhere else.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::publishing::{container_id, create, publish};
use super::*;

fn quick(name: &str) -> String {
    format!("https://cdn.test/{name}.jpg?sim_processing_ms=0")
}

const REEL: &str = "https://cdn.test/reel.mp4?sim_processing_ms=0";
const BERLIN_GATE: &str = "110000000000001";

async fn logged_in() -> (TestSim, String, String) {
    let t = TestSim::start().await;
    let (token, ig, ..) = t.happy_login().await;
    t.settings(json!({ "fresh_object_invisible_ms": 0 })).await;
    (t, token, ig)
}

/// Creates and publishes; returns the media id.
async fn post(t: &TestSim, token: &str, ig: &str, params: &[(&str, &str)]) -> String {
    let container = container_id(t, token, ig, params).await;
    let (status, body) = publish(t, token, ig, &container).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn sim_media(t: &TestSim, ig: &str) -> Vec<Value> {
    t.get_json(&format!("/_sim/media?ig_user_id={ig}")).await["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[track_caller]
fn assert_misplaced(body: &Value, param: &str, what: &str) {
    assert_error(body, 100, None);
    assert_eq!(
        body["error"]["message"],
        format!("(#100) Param {param} is not supported for {what}"),
        "{body}"
    );
}

/// Two finished carousel items (an image and a video) on `ig`.
async fn items(t: &TestSim, token: &str, ig: &str) -> String {
    let image = container_id(
        t,
        token,
        ig,
        &[("image_url", &quick("i1")), ("is_carousel_item", "true")],
    )
    .await;
    let video = container_id(
        t,
        token,
        ig,
        &[
            ("video_url", REEL),
            ("media_type", "VIDEO"),
            ("is_carousel_item", "true"),
        ],
    )
    .await;
    format!("{image},{video}")
}

// ---- Places ----

#[tokio::test]
async fn pages_search_finds_places_by_name_and_pages_like_other_edges() {
    let (t, token, _) = logged_in().await;
    let (status, found) = t
        .graph_get(
            "/v23.0/pages/search",
            &[
                ("access_token", &token),
                ("q", "park"),
                ("fields", "id,name,location"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let names: Vec<&str> = found["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Central Park", "Golden Gate Park"]);
    let park = &found["data"][1];
    assert_eq!(park["id"], "110000000000003");
    assert_eq!(park["location"]["city"], "San Francisco");
    assert!(park["location"]["latitude"].is_f64());

    // Every word must match, in any case; default fields are id and name; limit pages.
    let (_, found) = t
        .graph_get(
            "/v23.0/pages/search",
            &[("access_token", &token), ("q", "GATE brandenburg")],
        )
        .await;
    assert_eq!(
        found["data"],
        json!([{ "id": BERLIN_GATE, "name": "Brandenburg Gate" }])
    );
    let (_, first) = t
        .graph_get(
            "/pages/search",
            &[("access_token", &token), ("q", "a"), ("limit", "2")],
        )
        .await;
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let next = first["paging"]["next"].as_str().unwrap();
    let second: Value = t.http.get(next).send().await.unwrap().json().await.unwrap();
    assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);

    // Pages without a location are not places; a Page made with one is.
    t.create_user(json!({ "pages": [
        { "name": "Harbour Kiosk", "location": { "city": "Hamburg", "country": "Germany" } },
        { "name": "Harbour Blog" },
    ] }))
    .await;
    let (_, found) = t
        .graph_get(
            "/pages/search",
            &[
                ("access_token", &token),
                ("q", "harbour"),
                ("fields", "name,location"),
            ],
        )
        .await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        found["data"][0]["location"],
        json!({ "city": "Hamburg", "country": "Germany" })
    );

    let (_, body) = t
        .graph_get("/pages/search", &[("access_token", &token)])
        .await;
    assert_error(&body, 100, None);
    let (_, body) = t.graph_get("/pages/search", &[("q", "park")]).await;
    assert_error(&body, 2500, None);
}

#[tokio::test]
async fn location_id_must_name_a_page_with_a_location() {
    let (t, token, ig) = logged_in().await;
    let media = post(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("location_id", BERLIN_GATE)],
    )
    .await;
    let listed = sim_media(&t, &ig).await;
    assert_eq!(listed[0]["id"], media);
    assert_eq!(listed[0]["location_id"], BERLIN_GATE);
    assert_eq!(listed[0]["location_name"], "Brandenburg Gate");
    // Reels and carousels may carry a place too.
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("location_id", BERLIN_GATE),
        ],
    )
    .await;
    let children = items(&t, &token, &ig).await;
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children),
            ("location_id", BERLIN_GATE),
        ],
    )
    .await;

    // The happy scenario's own Page has no location; an unknown id is no Page at all.
    let own_page = t.get_json("/_sim/users").await["data"][0]["page_ids"][0]
        .as_str()
        .unwrap()
        .to_string();
    for id in [own_page.as_str(), "123456789"] {
        let (status, body) = create(
            &t,
            &token,
            &ig,
            &[("image_url", &quick("b")), ("location_id", id)],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, 100, None);
        assert_eq!(
            body["error"]["message"],
            "INSTAGRAM_PLATFORM_API__INVALID_LOCATION_ID"
        );
        assert_eq!(body["error"]["type"], "OAuthException");
    }

    // Not on carousel items, not on stories.
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("c")),
            ("is_carousel_item", "true"),
            ("location_id", BERLIN_GATE),
        ],
    )
    .await;
    assert_misplaced(&body, "location_id", "carousel items");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("d")),
            ("location_id", BERLIN_GATE),
        ],
    )
    .await;
    assert_misplaced(&body, "location_id", "stories");
}

#[tokio::test]
async fn the_demo_cafe_is_a_place_and_places_survive_a_reset() {
    let t = TestSim::start().await;
    t.sim.seed_demo();
    let created = t.get_json("/_sim/users").await;
    let user_id = created["data"][0]["user_id"].as_str().unwrap().to_string();
    let token = t.login(&user_id).await;
    let (_, found) = t
        .graph_get(
            "/pages/search",
            &[
                ("access_token", &token),
                ("q", "demo"),
                ("fields", "name,location"),
            ],
        )
        .await;
    assert_eq!(found["data"][0]["name"], "Demo Café");
    assert_eq!(found["data"][0]["location"]["city"], "Springfield");

    assert_eq!(
        t.http
            .post(t.url("/_sim/reset"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    t.sim.register_app(SimApp {
        app_id: APP_ID.into(),
        app_secret: APP_SECRET.into(),
        redirect_uris: vec![REDIRECT.into()],
        require_appsecret_proof: false,
    });
    let (token, ..) = t.happy_login().await;
    let (_, found) = t
        .graph_get("/pages/search", &[("access_token", &token), ("q", "opera")])
        .await;
    assert_eq!(found["data"][0]["name"], "Sydney Opera House");
}

// ---- User tags ----

#[tokio::test]
async fn user_tags_need_positions_on_images_and_never_go_on_carousel_videos() {
    let (t, token, ig) = logged_in().await;
    let tags =
        r#"[{"username":"friend_one","x":0.25,"y":0.75},{"username":"friend_two","x":1,"y":0}]"#;
    post(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("user_tags", tags)],
    )
    .await;
    let listed = sim_media(&t, &ig).await;
    assert_eq!(
        listed[0]["user_tags"],
        json!([
            { "username": "friend_one", "x": 0.25, "y": 0.75 },
            { "username": "friend_two", "x": 1.0, "y": 0.0 },
        ])
    );

    let no_position = r#"[{"username":"friend_one"}]"#;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("b")), ("user_tags", no_position)],
    )
    .await;
    assert_error(&body, 100, None);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("needs x and y"));
    for bad in [
        r#"[{"username":"a","x":1.2,"y":0.5}]"#,
        r#"[{"username":"a","x":-0.1,"y":0.5}]"#,
        r#"[{"x":0.1,"y":0.5}]"#,
        r#"{"username":"a","x":0.1,"y":0.5}"#,
        "friend_one",
    ] {
        let (status, body) = create(
            &t,
            &token,
            &ig,
            &[("image_url", &quick("c")), ("user_tags", bad)],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&body, 100, None);
    }

    // Stories (since 2025-07-09) and reels: x and y optional.
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("s")),
            ("user_tags", no_position),
        ],
    )
    .await;
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("user_tags", no_position),
        ],
    )
    .await;
    // Carousel image items yes (with positions), carousel videos never.
    container_id(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("i")),
            ("is_carousel_item", "true"),
            ("user_tags", tags),
        ],
    )
    .await;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("video_url", REEL),
            ("media_type", "VIDEO"),
            ("is_carousel_item", "true"),
            ("user_tags", no_position),
        ],
    )
    .await;
    assert_misplaced(&body, "user_tags", "carousel videos");
}

// ---- Collaborators ----

#[tokio::test]
async fn collaborators_are_at_most_three_usernames_without_at() {
    let (t, token, ig) = logged_in().await;
    t.create_user(json!({ "pages": [{ "instagram": { "username": "cara.collab" } }] }))
        .await;
    let media = post(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("a")),
            ("collaborators", r#"["cara.collab","someone.else"]"#),
        ],
    )
    .await;
    assert_eq!(
        sim_media(&t, &ig).await[0]["collaborators"],
        json!(["cara.collab", "someone.else"])
    );
    // The edge lists accounts that accept collaborator tags (here: those the simulator has).
    let (status, edge) = t
        .graph_get(
            &format!("/v23.0/{media}/collaborators"),
            &[("access_token", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edge}");
    assert_eq!(edge["data"].as_array().unwrap().len(), 1);
    assert_eq!(edge["data"][0]["username"], "cara.collab");
    assert_eq!(edge["data"][0]["invite_status"], "Pending");
    assert!(edge["data"][0]["id"].as_str().unwrap().starts_with("17841"));

    let (status, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("b")),
            ("collaborators", r#"["ok_name","@cara.collab"]"#),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 110, Some(2207018));
    assert_eq!(body["error"]["message"], "Invalid user id");

    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("c")),
            ("collaborators", r#"["a","b","c","d"]"#),
        ],
    )
    .await;
    assert_error(&body, 100, None);
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("d")), ("collaborators", "a,b")],
    )
    .await;
    assert_error(&body, 100, None);

    // Reels and carousels yes; carousel items and stories no.
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("collaborators", r#"["a","b","c"]"#),
        ],
    )
    .await;
    let children = items(&t, &token, &ig).await;
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children),
            ("collaborators", r#"["a"]"#),
        ],
    )
    .await;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("e")),
            ("is_carousel_item", "true"),
            ("collaborators", r#"["a"]"#),
        ],
    )
    .await;
    assert_misplaced(&body, "collaborators", "carousel items");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("f")),
            ("collaborators", r#"["a"]"#),
        ],
    )
    .await;
    assert_misplaced(&body, "collaborators", "stories");
}

// ---- Reels ----

#[tokio::test]
async fn thumb_offset_must_lie_within_the_video_and_cover_url_wins() {
    let (t, token, ig) = logged_in().await;
    let video = format!(
        "{}/_sim/files/reel.mp4?secs=5&audio=0&sim_processing_ms=0",
        t.base
    );
    let reel = |offset: &'static str| {
        vec![
            ("media_type", "REELS"),
            ("video_url", video.as_str()),
            ("thumb_offset", offset),
        ]
    };
    let (status, body) = create(&t, &token, &ig, &reel("5000")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 1, Some(2207057));
    assert_eq!(
        body["error"]["error_user_msg"],
        "Thumbnail offset must be greater than or equal to 0 and less than video duration, i.e. 5000"
    );
    assert_error(
        &create(&t, &token, &ig, &reel("-1")).await.1,
        1,
        Some(2207057),
    );
    assert_error(
        &create(&t, &token, &ig, &reel("soon")).await.1,
        1,
        Some(2207057),
    );
    post(&t, &token, &ig, &reel("4999")).await;
    assert_eq!(sim_media(&t, &ig).await[0]["thumb_offset"], 4999);

    // With a cover, thumb_offset is not looked at; the cover is the thumbnail.
    let cover = "https://cdn.test/cover.jpg";
    let mut with_cover = reel("999999");
    with_cover.push(("cover_url", cover));
    with_cover.push(("share_to_feed", "false"));
    with_cover.push(("audio_name", "Morning tune"));
    let media = post(&t, &token, &ig, &with_cover).await;
    let listed = sim_media(&t, &ig).await;
    assert_eq!(listed[1]["cover_url"], cover);
    assert!(listed[1].get("thumb_offset").is_none());
    assert_eq!(listed[1]["share_to_feed"], false);
    assert_eq!(listed[1]["audio_name"], "Morning tune");
    let (_, read) = t
        .graph_get(
            &format!("/v23.0/{media}"),
            &[
                ("access_token", &token),
                (
                    "fields",
                    "thumbnail_url,is_shared_to_feed,media_product_type",
                ),
            ],
        )
        .await;
    assert_eq!(read["thumbnail_url"], cover);
    assert_eq!(read["is_shared_to_feed"], false);
    assert_eq!(read["media_product_type"], "REELS");

    // Videos the simulator does not host: any offset ≥ 0 passes.
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("thumb_offset", "86400000"),
        ],
    )
    .await;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("share_to_feed", "maybe"),
        ],
    )
    .await;
    assert_error(&body, 100, None);
    // Reel options belong to reels.
    for (param, value) in [
        ("share_to_feed", "true"),
        ("cover_url", cover),
        ("thumb_offset", "0"),
        ("audio_name", "x"),
    ] {
        let (_, body) = create(
            &t,
            &token,
            &ig,
            &[
                ("media_type", "STORIES"),
                ("video_url", REEL),
                (param, value),
            ],
        )
        .await;
        assert_misplaced(&body, param, "stories");
    }
}

#[tokio::test]
async fn trial_reels_need_a_strategy_and_an_account_that_supports_them() {
    let (t, token, ig) = logged_in().await;
    for strategy in ["MANUAL", "SS_PERFORMANCE"] {
        let trial = format!(r#"{{"graduation_strategy":"{strategy}"}}"#);
        post(
            &t,
            &token,
            &ig,
            &[
                ("media_type", "REELS"),
                ("video_url", REEL),
                ("trial_params", &trial),
            ],
        )
        .await;
    }
    let listed = sim_media(&t, &ig).await;
    assert_eq!(
        listed[1]["trial_params"],
        json!({ "graduation_strategy": "SS_PERFORMANCE" })
    );
    for bad in [r#"{"graduation_strategy":"AUTO"}"#, r#"{}"#, "MANUAL"] {
        let (_, body) = create(
            &t,
            &token,
            &ig,
            &[
                ("media_type", "REELS"),
                ("video_url", REEL),
                ("trial_params", bad),
            ],
        )
        .await;
        assert_error(&body, 100, None);
    }
    let manual = r#"{"graduation_strategy":"MANUAL"}"#;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("trial_params", manual)],
    )
    .await;
    assert_misplaced(&body, "trial_params", "image posts");

    // An account marked as not supporting trial reels.
    let created = t
        .create_user(json!({ "pages": [{ "instagram": {
            "username": "no.trials", "trial_reels_supported": false
        } }] }))
        .await;
    assert_eq!(
        created["pages"][0]["instagram_trial_reels_supported"],
        false
    );
    let other_ig = created["pages"][0]["instagram_business_account_id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_token = t.login(created["user_id"].as_str().unwrap()).await;
    let (status, body) = create(
        &t,
        &other_token,
        &other_ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("trial_params", manual),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&body, 100, Some(2207081));
    // Without trial_params the same reel is fine.
    post(
        &t,
        &other_token,
        &other_ig,
        &[("media_type", "REELS"), ("video_url", REEL)],
    )
    .await;
}

// ---- is_ai_generated and alt_text ----

#[tokio::test]
async fn is_ai_generated_is_kept_on_feed_posts_and_reels_and_read_back() {
    let (t, token, ig) = logged_in().await;
    let image = post(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("is_ai_generated", "true")],
    )
    .await;
    let reel = post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("is_ai_generated", "true"),
        ],
    )
    .await;
    let plain = post(&t, &token, &ig, &[("image_url", &quick("b"))]).await;
    for (media, expected) in [(&image, true), (&reel, true), (&plain, false)] {
        let (_, read) = t
            .graph_get(
                &format!("/v23.0/{media}"),
                &[("access_token", &token), ("fields", "is_ai_generated")],
            )
            .await;
        assert_eq!(read["is_ai_generated"], expected, "{read}");
    }
    let listed = sim_media(&t, &ig).await;
    assert_eq!(listed[0]["is_ai_generated"], true);
    assert_eq!(listed[2]["is_ai_generated"], false);

    // On the carousel, never on its items; never on stories.
    let children = items(&t, &token, &ig).await;
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children),
            ("is_ai_generated", "true"),
        ],
    )
    .await;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("c")),
            ("is_carousel_item", "true"),
            ("is_ai_generated", "true"),
        ],
    )
    .await;
    assert_misplaced(&body, "is_ai_generated", "carousel items");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("d")),
            ("is_ai_generated", "true"),
        ],
    )
    .await;
    assert_misplaced(&body, "is_ai_generated", "stories");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("e")), ("is_ai_generated", "yes")],
    )
    .await;
    assert_error(&body, 100, None);
}

#[tokio::test]
async fn alt_text_goes_on_images_and_carousel_image_items_only() {
    let (t, token, ig) = logged_in().await;
    let item = container_id(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("i")),
            ("is_carousel_item", "true"),
            ("alt_text", "A red door"),
        ],
    )
    .await;
    let video = container_id(
        &t,
        &token,
        &ig,
        &[
            ("video_url", REEL),
            ("media_type", "VIDEO"),
            ("is_carousel_item", "true"),
        ],
    )
    .await;
    let children = format!("{item},{video}");
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children),
            ("caption", "Doors"),
        ],
    )
    .await;
    post(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("a")), ("alt_text", "A blue window")],
    )
    .await;
    let listed = sim_media(&t, &ig).await;
    assert_eq!(listed[0]["items"][0]["alt_text"], "A red door");
    let carousel = listed[0]["id"].as_str().unwrap();
    let (_, read) = t
        .graph_get(
            &format!("/v23.0/{carousel}"),
            &[
                ("access_token", &token),
                ("fields", "children{alt_text,media_type}"),
            ],
        )
        .await;
    assert_eq!(read["children"]["data"][0]["alt_text"], "A red door");
    assert!(
        read["children"]["data"][1].get("alt_text").is_none(),
        "{read}"
    );
    assert_eq!(listed[0]["items"][1]["alt_text"], Value::Null);
    assert_eq!(listed[1]["alt_text"], "A blue window");

    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "REELS"),
            ("video_url", REEL),
            ("alt_text", "x"),
        ],
    )
    .await;
    assert_misplaced(&body, "alt_text", "reels");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("video_url", REEL),
            ("media_type", "VIDEO"),
            ("is_carousel_item", "true"),
            ("alt_text", "x"),
        ],
    )
    .await;
    assert_misplaced(&body, "alt_text", "carousel videos");
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("s")),
            ("alt_text", "x"),
        ],
    )
    .await;
    assert_misplaced(&body, "alt_text", "stories");
    let children = items(&t, &token, &ig).await;
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &children),
            ("alt_text", "x"),
        ],
    )
    .await;
    assert_misplaced(&body, "alt_text", "carousels");
    let long = "x".repeat(1001);
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[("image_url", &quick("b")), ("alt_text", &long)],
    )
    .await;
    assert_error(&body, 100, None);
    // A caption on a carousel item is refused too.
    let (_, body) = create(
        &t,
        &token,
        &ig,
        &[
            ("image_url", &quick("c")),
            ("is_carousel_item", "true"),
            ("caption", "x"),
        ],
    )
    .await;
    assert_misplaced(&body, "caption", "carousel items");
}

#[tokio::test]
async fn misplaced_parameters_are_dropped_when_the_setting_is_off() {
    let (t, token, ig) = logged_in().await;
    assert_eq!(
        t.get_json("/_sim/settings").await["refuse_misplaced_params"],
        true
    );
    t.settings(json!({ "refuse_misplaced_params": false }))
        .await;
    post(
        &t,
        &token,
        &ig,
        &[
            ("media_type", "STORIES"),
            ("image_url", &quick("s")),
            ("location_id", BERLIN_GATE),
            ("alt_text", "kept nowhere"),
            ("collaborators", r#"["@not_even_checked"]"#),
        ],
    )
    .await;
    let listed = t.get_json(&format!("/_sim/media?ig_user_id={ig}")).await;
    let story = &listed["data"][0];
    assert!(story.get("location_id").is_none(), "{story}");
    assert!(story.get("collaborators").is_none(), "{story}");
    assert_eq!(story["alt_text"], Value::Null);
}
