//! One tenant never sees or changes another's data, whatever ids it sends (docs/security.md A1).

use serde_json::Value;

use crate::{
    on_both_stores,
    support::{flows, json, token, unique, Backend, TestApp},
};

const API: &str = "/api/social-media/instagram";

async fn another_tenants_ids_find_nothing_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let victim = unique("victim");
    let (people, _) = flows::connect_scenario(&app, &victim, "owner", "happy").await;
    let canary = people["pages"][0]["instagram_username"]
        .as_str()
        .unwrap()
        .to_string();
    let victim_id = flows::accounts(&app, &victim, "owner").await[0]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let flow = flows::initiate_only(&app, &victim, "owner").await.flow_id;

    let attackers = [
        ("another customer", token(&unique("attacker"), "owner")),
        ("same customer, another user", token(&victim, "intruder")),
    ];
    let routes: Vec<(&str, String)> = vec![
        ("GET", format!("{API}/credentials/{victim_id}")),
        ("DELETE", format!("{API}/credentials/{victim_id}")),
        ("GET", format!("{API}/credentials")),
        ("GET", format!("{API}/oauth/flows/{flow}")),
        ("GET", format!("{API}/credentials/{{\"$ne\":null}}")),
        (
            "GET",
            format!("{API}/credentials/%7B%22%24gt%22%3A%22%22%7D"),
        ),
    ];
    for (who, t) in &attackers {
        for (method, path) in &routes {
            let response = match *method {
                "GET" => app.get(path, t).await,
                _ => app.delete(path, t).await,
            };
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            assert!(
                !body.contains(&canary) && !body.contains(&victim_id),
                "{who} {method} {path} leaked: {body}"
            );
            if path.ends_with(&victim_id) {
                assert_eq!(status, 404, "{who} {method} {path}");
            } else {
                assert!(
                    status == 200 || status == 404,
                    "{who} {method} {path}: {status}"
                );
            }
        }
        let (_, listed) = json(app.get(&format!("{API}/credentials"), t).await).await;
        assert_eq!(listed["credentials"], Value::Array(vec![]), "{who}");
    }
    let still = flows::accounts(&app, &victim, "owner").await;
    assert_eq!(still.len(), 1, "the victim's account is untouched");
    assert_eq!(still[0]["is_active"], true);
}

on_both_stores!(another_tenants_ids_find_nothing_and_change_nothing);
