//! People, pages and Instagram accounts: `POST /_sim/users`, the named
//! scenarios, the demo seed and the SVG avatars the profile pictures point at.

use serde::Deserialize;
use serde_json::{json, Value};

use super::html::escape;
use super::ids;
use super::nodes::avatar_url;
use super::state::{AccountType, Business, BusinessRelation, IgUser, Location, Page, State, User};

/// Tasks a page admin has (row E).
const ALL_TASKS: &[&str] = &[
    "ANALYZE",
    "ADVERTISE",
    "MODERATE",
    "CREATE_CONTENT",
    "MANAGE",
];

/// Body of `POST /_sim/users`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserSpec {
    pub name: Option<String>,
    #[serde(default)]
    pub pages: Vec<PageSpec>,
    /// Permissions whose dialog checkbox starts unticked.
    #[serde(default)]
    pub default_unticked_permissions: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageSpec {
    pub name: Option<String>,
    pub category: Option<String>,
    /// Held by a business portfolio (then missing from `/me/accounts`).
    #[serde(default)]
    pub business: bool,
    /// Portfolio name; pages with the same name share one business.
    pub business_name: Option<String>,
    /// `owned` (default: `/owned_pages`) or `client` (`/client_pages`).
    pub business_relation: Option<String>,
    pub tasks: Option<Vec<String>>,
    pub instagram: Option<IgSpec>,
    /// `{street?, city?, zip?, country?, latitude?, longitude?}`: the Page is a place that
    /// `location_id` may name and `/pages/search` finds.
    pub location: Option<Location>,
    /// The person's role on the Page comes through Business Manager: Instagram calls need
    /// `ads_read` or `ads_management` (§4). Default false.
    #[serde(default)]
    pub via_business_manager: bool,
    /// Page Publishing Authorization pending: every publish fails (§4). Default false.
    #[serde(default)]
    pub publishing_authorization_pending: bool,
    /// Whether the person is an admin of the page's business portfolio (default true); a
    /// non-admin gets #200 on `/owned_pages` and `/client_pages`.
    pub business_admin: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IgSpec {
    pub username: String,
    /// `BUSINESS` (default) or `CREATOR`: Creators cannot post stories.
    pub account_type: Option<AccountType>,
    pub name: Option<String>,
    pub profile_picture_url: Option<String>,
    pub followers_count: Option<u64>,
    pub follows_count: Option<u64>,
    pub media_count: Option<u64>,
    pub biography: Option<String>,
    pub website: Option<String>,
    /// Whether the account may post trial reels (`trial_params`); default true.
    pub trial_reels_supported: Option<bool>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CreateError {
    /// HTTP 409: usernames are unique across the simulator.
    UsernameTaken(String),
    /// HTTP 400.
    Invalid(String),
}

/// Creates a person with pages, businesses and IG accounts; returns the
/// control API's description of what was created.
pub(crate) fn create_user(
    state: &mut State,
    base_url: &str,
    spec: &UserSpec,
) -> Result<Value, CreateError> {
    check_usernames(state, spec)?;
    let relations = spec
        .pages
        .iter()
        .map(|p| relation(p.business_relation.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    let user_id = state.new_id("10", 17);
    let name = spec
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("Sim User {}", &user_id[user_id.len() - 4..]));
    state.user_seq += 1;
    let mut user = User {
        id: user_id.clone(),
        name: name.clone(),
        page_ids: Vec::new(),
        business_ids: Vec::new(),
        default_unticked: spec.default_unticked_permissions.clone(),
        created_seq: state.user_seq,
    };
    let mut pages_out = Vec::new();
    for (index, (page_spec, relation)) in spec.pages.iter().zip(relations).enumerate() {
        let business = page_spec
            .business
            .then(|| business_for(state, &mut user, page_spec, relation));
        let out = create_page(state, base_url, &user, page_spec, index, business);
        user.page_ids
            .push(out["id"].as_str().unwrap_or_default().to_string());
        pages_out.push(out);
    }
    state.users.insert(user_id.clone(), user);
    Ok(json!({ "user_id": user_id, "name": name, "pages": pages_out }))
}

fn check_usernames(state: &State, spec: &UserSpec) -> Result<(), CreateError> {
    let mut seen: Vec<&str> = Vec::new();
    for ig in spec.pages.iter().filter_map(|p| p.instagram.as_ref()) {
        let username = ig.username.as_str();
        if username.is_empty() || username.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(CreateError::Invalid(format!(
                "invalid instagram username {username:?}"
            )));
        }
        if state.usernames.contains(username) || seen.contains(&username) {
            return Err(CreateError::UsernameTaken(username.to_string()));
        }
        seen.push(username);
    }
    Ok(())
}

fn relation(raw: Option<&str>) -> Result<BusinessRelation, CreateError> {
    match raw {
        None | Some("owned") => Ok(BusinessRelation::Owned),
        Some("client") => Ok(BusinessRelation::Client),
        Some(other) => Err(CreateError::Invalid(format!(
            "business_relation must be owned or client, not {other:?}"
        ))),
    }
}

/// The user's business with that name, created on first use.
fn business_for(
    state: &mut State,
    user: &mut User,
    spec: &PageSpec,
    relation: BusinessRelation,
) -> (String, BusinessRelation) {
    let name = spec
        .business_name
        .clone()
        .unwrap_or_else(|| format!("{} Business Portfolio", user.name));
    let existing = user
        .business_ids
        .iter()
        .find(|id| state.businesses.get(*id).is_some_and(|b| b.name == name))
        .cloned();
    let id = existing.unwrap_or_else(|| {
        let id = state.new_id("1", 16);
        state.businesses.insert(
            id.clone(),
            Business {
                name,
                admin: spec.business_admin.unwrap_or(true),
            },
        );
        user.business_ids.push(id.clone());
        id
    });
    (id, relation)
}

fn create_page(
    state: &mut State,
    base_url: &str,
    user: &User,
    spec: &PageSpec,
    index: usize,
    business: Option<(String, BusinessRelation)>,
) -> Value {
    let page_id = state.new_id("10", 15);
    let page_name = spec
        .name
        .clone()
        .unwrap_or_else(|| format!("{} Page {}", user.name, index + 1));
    let category = spec.category.clone().unwrap_or_else(|| "Brand".to_string());
    let mut out = json!({ "id": page_id, "name": page_name });
    if let Some((business_id, _)) = &business {
        out["business_id"] = json!(business_id);
    }
    let ig_user_id = spec.instagram.as_ref().map(|ig| {
        let id = create_ig_user(state, base_url, &page_id, &page_name, ig);
        out["instagram_business_account_id"] = json!(id);
        out["instagram_username"] = json!(ig.username);
        out["instagram_account_type"] =
            json!(ig.account_type.unwrap_or(AccountType::Business).name());
        out["instagram_trial_reels_supported"] = json!(ig.trial_reels_supported.unwrap_or(true));
        id
    });
    if let Some(location) = &spec.location {
        out["location"] = json!(location);
    }
    state.pages.insert(
        page_id.clone(),
        Page {
            id: page_id,
            name: page_name,
            category_id: category_id(&category),
            category,
            tasks: spec
                .tasks
                .clone()
                .unwrap_or_else(|| ALL_TASKS.iter().map(|t| t.to_string()).collect()),
            owner_user_id: user.id.clone(),
            business,
            ig_user_id,
            location: spec.location.clone(),
            via_business_manager: spec.via_business_manager,
            publishing_authorization_pending: spec.publishing_authorization_pending,
        },
    );
    out
}

fn create_ig_user(
    state: &mut State,
    base_url: &str,
    page_id: &str,
    page_name: &str,
    spec: &IgSpec,
) -> String {
    let id = state.new_id("17841", 17);
    state.usernames.insert(spec.username.clone());
    state.ig_users.insert(
        id.clone(),
        IgUser {
            id: id.clone(),
            account_type: spec.account_type.unwrap_or(AccountType::Business),
            ig_id: ids::digits(10).parse().unwrap_or(1_234_567_890),
            username: spec.username.clone(),
            name: spec.name.clone().unwrap_or_else(|| page_name.to_string()),
            profile_picture_url: spec
                .profile_picture_url
                .clone()
                .unwrap_or_else(|| avatar_url(base_url, &spec.username)),
            followers_count: spec.followers_count.unwrap_or(0),
            follows_count: spec.follows_count.unwrap_or(0),
            media_count: spec.media_count.unwrap_or(0),
            biography: spec.biography.clone().unwrap_or_default(),
            website: spec.website.clone().unwrap_or_default(),
            page_id: page_id.to_string(),
            trial_reels_supported: spec.trial_reels_supported.unwrap_or(true),
        },
    );
    id
}

/// A stable numeric id for a category name (Meta's ids are opaque numbers too).
fn category_id(category: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in category.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{}", 100_000_000_000_000 + hash % 900_000_000_000_000)
}

// ---- Scenarios ----

/// Names accepted by `POST /_sim/scenarios/{name}`.
pub(crate) const SCENARIOS: &[&str] = &[
    "happy",
    "no_pages",
    "no_instagram",
    "multi_instagram",
    "declined_publish",
    "business_portfolio",
    "creator",
    "agency",
    "analyst",
];

fn page(name: &str, category: &str, instagram: Option<(&str, &str, u64)>) -> PageSpec {
    PageSpec {
        name: Some(name.to_string()),
        category: Some(category.to_string()),
        instagram: instagram.map(|(username, ig_name, followers)| IgSpec {
            username: username.to_string(),
            name: Some(ig_name.to_string()),
            followers_count: Some(followers),
            follows_count: Some(180),
            media_count: Some(12),
            biography: Some(format!("{ig_name} on Instagram (simulated).")),
            ..IgSpec::default()
        }),
        ..PageSpec::default()
    }
}

/// The user a scenario creates, with `suffix` appended to every username.
pub(crate) fn scenario(name: &str, suffix: &str) -> Option<UserSpec> {
    let u = |base: &str| format!("{base}{suffix}");
    let (person, pages, unticked) = match name {
        "happy" => (
            "Hannah Happy",
            vec![page(
                "Happy Bakery",
                "Bakery",
                Some((&u("happy.bakery"), "Happy Bakery", 1520)),
            )],
            vec![],
        ),
        "creator" => {
            // Like `happy`, but a Creator account: everything works except stories.
            let mut studio = page(
                "Cara Creates",
                "Digital creator",
                Some((&u("cara.creates"), "Cara Creates", 8800)),
            );
            if let Some(ig) = studio.instagram.as_mut() {
                ig.account_type = Some(AccountType::Creator);
            }
            ("Cara Creator", vec![studio], vec![])
        }
        "no_pages" => ("Nora Nopages", vec![], vec![]),
        "no_instagram" => (
            "Nils Noinsta",
            vec![
                page("Nils Bikes", "Bicycle Shop", None),
                page("Nils Blog", "Blogger", None),
            ],
            vec![],
        ),
        "multi_instagram" => (
            "Mia Multi",
            vec![
                page(
                    "Mia Flowers",
                    "Florist",
                    Some((&u("mia.flowers"), "Mia Flowers", 2400)),
                ),
                page(
                    "Mia Books",
                    "Book Store",
                    Some((&u("mia.books"), "Mia Books", 860)),
                ),
                page("Mia Neighbourhood", "Community", None),
            ],
            vec![],
        ),
        "declined_publish" => (
            "Dana Declines",
            vec![page(
                "Dana Design",
                "Designer",
                Some((&u("dana.design"), "Dana Design", 730)),
            )],
            vec!["instagram_content_publish".to_string()],
        ),
        "business_portfolio" => {
            let mut shop = page(
                "Bea Shop",
                "Shopping & Retail",
                Some((&u("bea.shop"), "Bea Shop", 5100)),
            );
            shop.business = true;
            shop.business_name = Some("Bea Retail Group".to_string());
            (
                "Bea Business",
                vec![page("Bea Personal Blog", "Personal Blog", None), shop],
                vec![],
            )
        }
        "agency" => {
            // A client's Page reached through a Business Manager role: Instagram calls need
            // ads_read or ads_management (§4).
            let mut client = page(
                "Client Bistro",
                "Restaurant",
                Some((&u("client.bistro"), "Client Bistro", 3900)),
            );
            client.business = true;
            client.business_name = Some("Alex Agency Clients".to_string());
            client.business_relation = Some("client".to_string());
            client.via_business_manager = true;
            ("Alex Agency", vec![client], vec![])
        }
        "analyst" => {
            // Only ANALYZE and ADVERTISE: connects, reads, but every publish fails with #10.
            let mut shop = page(
                "Ana Analytics",
                "Consulting Agency",
                Some((&u("ana.analytics"), "Ana Analytics", 610)),
            );
            shop.tasks = Some(vec!["ANALYZE".to_string(), "ADVERTISE".to_string()]);
            ("Ana Analyst", vec![shop], vec![])
        }
        _ => return None,
    };
    Some(UserSpec {
        name: Some(person.to_string()),
        pages,
        default_unticked_permissions: unticked,
    })
}

/// Creates a scenario. Without a suffix, base usernames are used and, if
/// taken, a random suffix is added (so scenarios never fail with 409).
pub(crate) fn create_scenario(
    state: &mut State,
    base_url: &str,
    name: &str,
    suffix: Option<&str>,
) -> Option<Result<Value, CreateError>> {
    let spec = scenario(name, suffix.unwrap_or(""))?;
    seed_places(state);
    let result = create_user(state, base_url, &spec);
    Some(match (result, suffix) {
        (Err(CreateError::UsernameTaken(_)), None) => {
            let fresh = scenario(name, &format!(".{}", ids::username_suffix()))?;
            create_user(state, base_url, &fresh)
        }
        (other, _) => other,
    })
}

// ---- Demo ----

/// The demo person: "Demo Café" (@demo.cafe), "Demo Studio" (@demo.studio,
/// held by a business portfolio) and "Demo Community" (no Instagram), signed
/// in for the dialog. Calling it again only signs the demo person in.
pub(crate) fn seed_demo(state: &mut State, base_url: &str) {
    let existing = state
        .ig_users
        .values()
        .find(|ig| ig.username == "demo.cafe")
        .and_then(|ig| state.pages.get(&ig.page_id))
        .map(|p| p.owner_user_id.clone());
    seed_places(state);
    if let Some(user_id) = existing {
        state.signed_in = Some(user_id);
        return;
    }
    let ig =
        |username: &str, name: &str, followers: u64, media: u64, bio: &str, site: &str| IgSpec {
            username: username.to_string(),
            name: Some(name.to_string()),
            followers_count: Some(followers),
            follows_count: Some(312),
            media_count: Some(media),
            biography: Some(bio.to_string()),
            website: Some(site.to_string()),
            ..IgSpec::default()
        };
    let spec = UserSpec {
        name: Some("Demo Person".to_string()),
        pages: vec![
            PageSpec {
                name: Some("Demo Café".to_string()),
                category: Some("Coffee Shop".to_string()),
                location: Some(place_location(
                    "Market Square 1",
                    "Springfield",
                    "10115",
                    "Germany",
                    52.5301,
                    13.4025,
                )),
                instagram: Some(ig(
                    "demo.cafe",
                    "Demo Café",
                    1280,
                    42,
                    "Coffee, cake and the best window seat in town.",
                    "https://demo-cafe.example",
                )),
                ..PageSpec::default()
            },
            PageSpec {
                name: Some("Demo Studio".to_string()),
                category: Some("Photography Videography".to_string()),
                business: true,
                business_name: Some("Demo Studio Portfolio".to_string()),
                // Reached through Business Manager: the product asks for ads_read (§4).
                via_business_manager: true,
                instagram: Some(ig(
                    "demo.studio",
                    "Demo Studio",
                    5420,
                    118,
                    "Portraits and product shots.",
                    "https://demo-studio.example",
                )),
                ..PageSpec::default()
            },
            PageSpec {
                name: Some("Demo Community".to_string()),
                category: Some("Community".to_string()),
                ..PageSpec::default()
            },
        ],
        default_unticked_permissions: Vec::new(),
    };
    if let Ok(created) = create_user(state, base_url, &spec) {
        state.signed_in = created["user_id"].as_str().map(str::to_string);
    }
}

// ---- Places ----

/// (id, name, street, city, zip, country, latitude, longitude)
type Place = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
);

/// Public Pages with a location that nobody in the simulator manages: what `location_id`
/// names and `GET /pages/search` finds. Their ids are fixed, so a demo can name them.
pub(crate) const PLACES: &[Place] = &[
    // (id, name, street, city, zip, country, latitude, longitude)
    (
        "110000000000001",
        "Brandenburg Gate",
        "Pariser Platz",
        "Berlin",
        "10117",
        "Germany",
        52.516275,
        13.377704,
    ),
    (
        "110000000000002",
        "Café Central",
        "Herrengasse 14",
        "Vienna",
        "1010",
        "Austria",
        48.210430,
        16.365480,
    ),
    (
        "110000000000003",
        "Golden Gate Park",
        "501 Stanyan St",
        "San Francisco",
        "94117",
        "United States",
        37.769421,
        -122.486214,
    ),
    (
        "110000000000004",
        "Sydney Opera House",
        "Bennelong Point",
        "Sydney",
        "2000",
        "Australia",
        -33.856784,
        151.215297,
    ),
    (
        "110000000000005",
        "Shibuya Crossing",
        "2 Chome-2-1 Dogenzaka",
        "Tokyo",
        "150-0043",
        "Japan",
        35.659500,
        139.700500,
    ),
    (
        "110000000000006",
        "Central Park",
        "59th to 110th Street",
        "New York",
        "10022",
        "United States",
        40.782865,
        -73.965355,
    ),
];

fn place_location(
    street: &str,
    city: &str,
    zip: &str,
    country: &str,
    lat: f64,
    lon: f64,
) -> Location {
    Location {
        street: Some(street.to_string()),
        city: Some(city.to_string()),
        zip: Some(zip.to_string()),
        country: Some(country.to_string()),
        latitude: Some(lat),
        longitude: Some(lon),
    }
}

/// Adds the places of [`PLACES`] that are missing (after a reset, say). Idempotent.
pub(crate) fn seed_places(state: &mut State) {
    for &(id, name, street, city, zip, country, lat, lon) in PLACES {
        if state.pages.contains_key(id) {
            continue;
        }
        state.used_ids.insert(id.to_string());
        state.pages.insert(
            id.to_string(),
            Page {
                id: id.to_string(),
                name: name.to_string(),
                category: "Landmark & Historical Place".to_string(),
                category_id: category_id("Landmark & Historical Place"),
                tasks: Vec::new(),
                // Nobody in the simulator manages a place.
                owner_user_id: String::new(),
                business: None,
                ig_user_id: None,
                location: Some(place_location(street, city, zip, country, lat, lon)),
                via_business_manager: false,
                publishing_authorization_pending: false,
            },
        );
    }
}

// ---- Avatars ----

/// A 100×100 SVG with the initial of whoever `key` names (IG username, user or page id).
pub(crate) fn avatar_svg(state: &State, key: &str) -> String {
    let label = state
        .ig_users
        .values()
        .find(|ig| ig.username == key)
        .map(|ig| ig.name.clone())
        .or_else(|| state.users.get(key).map(|u| u.name.clone()))
        .or_else(|| state.pages.get(key).map(|p| p.name.clone()))
        .unwrap_or_else(|| key.to_string());
    let initial: String = label
        .chars()
        .find(|c| c.is_alphanumeric())
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_else(|| "?".to_string());
    let hue = key
        .bytes()
        .fold(0u32, |acc, b| (acc * 31 + u32::from(b)) % 360);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\" viewBox=\"0 0 100 100\" role=\"img\" aria-label=\"{label}\">\
<circle cx=\"50\" cy=\"50\" r=\"50\" fill=\"hsl({hue},55%,45%)\"/>\
<text x=\"50\" y=\"50\" dy=\".35em\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"44\" fill=\"#fff\">{initial}</text></svg>",
        label = escape(&label),
        initial = escape(&initial),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_unique_across_the_simulator() {
        let mut state = State::default();
        let spec = scenario("happy", "_1").unwrap();
        create_user(&mut state, "http://sim", &spec).unwrap();
        assert_eq!(
            create_user(&mut state, "http://sim", &spec),
            Err(CreateError::UsernameTaken("happy.bakery_1".into()))
        );
        // Without a suffix a scenario picks a fresh one instead of failing.
        let first = create_scenario(&mut state, "http://sim", "happy", None)
            .unwrap()
            .unwrap();
        let second = create_scenario(&mut state, "http://sim", "happy", None)
            .unwrap()
            .unwrap();
        assert_ne!(
            first["pages"][0]["instagram_username"],
            second["pages"][0]["instagram_username"]
        );
    }

    #[test]
    fn ids_look_like_meta_ids() {
        let mut state = State::default();
        let created = create_scenario(&mut state, "http://sim", "business_portfolio", Some("_x"))
            .unwrap()
            .unwrap();
        let ig_id = created["pages"][1]["instagram_business_account_id"]
            .as_str()
            .unwrap();
        assert!(ig_id.starts_with("17841") && ig_id.len() == 17);
        assert!(created["pages"][1]["business_id"].is_string());
        assert!(created["pages"][0].get("business_id").is_none());
        assert!(created["user_id"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn seed_demo_is_idempotent_and_signs_in() {
        let mut state = State::default();
        seed_demo(&mut state, "http://sim");
        seed_demo(&mut state, "http://sim");
        assert_eq!(state.users.len(), 1);
        assert_eq!(state.signed_in_user().unwrap().name, "Demo Person");
        assert!(avatar_svg(&state, "demo.cafe").contains(">D</text>"));
    }
}
