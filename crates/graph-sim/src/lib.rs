//! # Graph simulator
//!
//! An axum server that stands in for `www.facebook.com` (the Login
//! dialog), `graph.facebook.com` (the Graph API) and, for Instagram Login,
//! `www.instagram.com`, `api.instagram.com` and `graph.instagram.com`, written from Meta's
//! documentation (`docs/graph-api.md`). Demo mode and every test
//! use it over real HTTP. It shares no types with the service's Graph client
//! and depends on nothing outside this module.
//!
//! ## Starting it
//! ```text
//! use graph_sim::{self as sim, SimApp};
//! // Bind first, so `public_base_url` (used in `paging.next` and picture URLs) has the real port:
//! let (sim, addr) = sim::spawn_new("127.0.0.1:0".parse()?).await?;
//! sim.register_app(SimApp {
//!     app_id: "1234".into(),
//!     app_secret: "secret".into(),
//!     redirect_uris: vec!["http://127.0.0.1:8097/oauth/callback".into()],
//!     require_appsecret_proof: true,
//! });
//! sim.seed_demo();
//! ```
//! `spawn(sim, addr)` serves an existing [`Simulator`]; `Simulator::router()`
//! gives the bare router (for `tower::ServiceExt::oneshot`).
//! `register_app_with(SimApp, SimAppOptions { business: true, login_configs:
//! vec![SimLoginConfig { config_id, permissions }], .. })` registers a Business-type app;
//! `register_instagram_app(SimInstagramApp { app_id, app_secret, redirect_uris })` an
//! Instagram app. `SimApp` itself is unchanged, so existing struct literals keep working.
//!
//! ## Hosts
//! One listener serves every host; point each base URL of the client at it:
//!
//! | Meta host | simulator | paths |
//! |---|---|---|
//! | `www.facebook.com` | `{base}` | `/{v}/dialog/oauth` |
//! | `graph.facebook.com` | `{base}` | everything else (versioned or not) |
//! | `www.instagram.com`, `api.instagram.com` (dialog) | `{base}` | `GET /oauth/authorize`, form `POST /oauth/authorize/confirm` |
//! | `api.instagram.com` (code exchange) | `{base}` | `POST /oauth/access_token` whose `client_id` is an Instagram app (a Facebook app's `client_id` gets the Facebook exchange) |
//! | `graph.instagram.com` | `{base}/_ig` (or any path with `Host: graph.instagram.com`) | `/access_token`, `/refresh_access_token` (unversioned), `/{v}/me`, `/{v}/{ig-user-id}/media`, `/media_publish`, `/content_publishing_limit`, `/{v}/{container-id}`, media, comments |
//!
//! Instagram Login tokens (`IGAA…`) work only on graph.instagram.com and Facebook tokens only
//! on graph.facebook.com: the other host answers a bare 190 "Cannot parse access token".
//!
//! ## Paths
//! Every path accepts a version prefix (`/v23.0/…`, any `vNN` or `vNN.N`) or none.
//! Parameters may come in the query string or a form/JSON body, for GET and POST.
//! Tokens may also come as `Authorization: OAuth <token>` or `Bearer <token>`.
//!
//! | path | spec row |
//! |---|---|
//! | `GET /{v}/dialog/oauth` (HTML), `POST /{v}/dialog/oauth/confirm` (form fields documented in `dialog.rs`) | A |
//! | `GET/POST /{v}/oauth/access_token` (code, `grant_type=fb_exchange_token`, `client_credentials`) | B1, B2 |
//! | `GET /{v}/debug_token` | C |
//! | `GET /{v}/me`, `/me/permissions`, `/me/accounts`, `/me/businesses` | D, E |
//! | `GET /{v}/{business-id}`, `/{business-id}/owned_pages`, `/client_pages` | E |
//! | `GET /{v}/{page-id}` | F |
//! | `GET /{v}/{ig-user-id}`, `GET\|POST /{ig-user-id}/media`, `POST /{ig-user-id}/media_publish`, `GET /{ig-user-id}/content_publishing_limit` | G, H, J, K |
//! | `GET /{v}/{ig-user-id}/stories` (stories of the last 24 h; `/media` leaves them out) | §5 "After publishing" |
//! | `GET /{v}/{container-id}`, `GET /{v}/{media-id}`, `GET /{media-id}/children` | I |
//! | `GET /{v}/{media-id}/collaborators` (`{data:[{id, username, invite_status}]}`) | §5 "After publishing" |
//! | `POST /{v}/{media-id}/comments?message=` → `{id}`, `GET /{v}/{media-id}/comments` | §5 "After publishing" |
//! | `GET /{v}/pages/search?q=&fields=id,name,location` (places for `location_id`) | §5 "Creating containers" |
//! | Instagram Login: `GET /oauth/authorize`, `POST /oauth/authorize/confirm`, `POST /oauth/access_token`, `GET /_ig/access_token`, `GET /_ig/refresh_access_token`, `GET /_ig/{v}/me` (module `instagram.rs`) | §1–§3 |
//!
//! ## Connecting and staying connected (§1–§4)
//! | behaviour | wire form | switch (default) |
//! |---|---|---|
//! | Business app without (or with an unknown) `config_id` | HTML error page "It looks like this app isn't available", HTTP 400, no redirect | app `app_type: "business"` |
//! | Business app with `config_id` | every configured permission granted; no permission boxes; Pages still picked | `login_configs` |
//! | declined permissions not offered again | the dialog notes "You declined earlier: …"; they stay declined; `auth_type=rerequest` offers them | `remember_declines` (true) |
//! | cancelled on the login step (`action=cancel_login`) | `302 {redirect_uri}?error_code=4201&error_message=User+canceled+the+Dialog+flow&state=…#_=_`, no `error` | `dialog_cancel_kind` (`access_denied`; `login_canceled` makes the plain Cancel do this too) |
//! | Page tokens | from a long-lived user token: `expires_at: 0` in debug_token, `data_access_expires_at` set; from a short-lived one: 1 h | `long_lived_page_tokens_never_expire` (true), `short_page_token_secs` (3600) |
//! | long-lived exchange without `expires_in` | `{access_token, token_type}` | `long_lived_expires_in_omitted` (false) |
//! | data access lapses `data_access_secs` after the last dialog run (or `POST /_sim/users/{id}/activity`) | token valid (debug_token `is_valid: true`); every call but `/me/permissions` and `debug_token` answers 400 `(#200) Data access for app … has expired …` [believed]; a dialog run with `auth_type=reauthorize` restores it | `data_access_secs` (90 d), `reauthorize_required_after_lapse` (true), `data_access_lapse_blocks_page_tokens` (false) |
//! | Pages reached through Business Manager (`via_business_manager`) without `ads_read`/`ads_management` | `instagram_business_account` left out; IG user, container, media, `/media`, `content_publishing_limit`: 400 code 10 [believed wording] | per Page |
//! | Pages whose `tasks` lack MANAGE and CREATE_CONTENT; Pages with `publishing_authorization_pending` | `POST /{ig}/media` and `/media_publish`: 400 code 10, `error_user_title` "Not allowed to publish" / "Page Publishing Authorization required" [believed wording] | per Page, `POST /_sim/pages/{id}` |
//! | `/{business}/owned_pages`, `/client_pages` list ungranted portfolio Pages | no `access_token`, `instagram_business_account{id}` only; reads of that IG account: 100/33 (or #10) | `business_edges_list_ungranted_pages` (true), `ungranted_ig_read_code` (100) |
//! | a portfolio the person does not administer | `owned_pages`/`client_pages`: 400 code 200 [believed] | `business_admin: false` on the Page spec |
//!
//! The dialog's form posts to `/{v}/dialog/oauth/confirm` (form-urlencoded)
//! with `client_id`, `redirect_uri`, `state`, `scope`, `response_type`,
//! `user_id`, `action=continue|cancel`, repeated `page` (page ids) and
//! `permission` (names) for the ticked boxes, and optionally `defaults=1`:
//! then a kind (`page` or `permission`) with no field at all takes the
//! dialog's initial ticks (every page; every requested permission except the
//! user's unticked-by-default ones, e.g. scenario `declined_publish`).
//! Without `defaults=1`, a missing kind means nothing ticked. The dialog
//! page switches user with `&sim_user=<user id>`.
//!
//! Every Graph response carries `facebook-api-version` and `x-fb-trace-id`.
//! `X-App-Usage` and `X-Business-Use-Case-Usage` come only once their
//! percentage reaches `usage_headers_from_percent` (default 50; 0 = always),
//! except that throttling errors (codes 4, 17, 32, 341, 613, 80000–80014)
//! always carry the BUC header at 100 % with `estimated_time_to_regain_access`
//! (an app-level code 4 also `X-App-Usage` at 100 %). Errors use Meta's
//! envelope with HTTP 400 unless a fault says otherwise.
//!
//! Per-media-URL hints (query parameters of `image_url`/`video_url`):
//!
//! | hint | effect |
//! |---|---|
//! | `sim_processing_ms=N` | the container is IN_PROGRESS for N ms (else `container_processing_ms`) |
//! | `sim_status=ERROR\|EXPIRED\|FINISHED` | where the container ends (else `container_final_status`) |
//! | `sim_subcode=2207xxx` | the subcode an ERROR container reports: Meta's `status` text naming it, and the code §6 pairs with it on `media_publish` (e.g. 2207003 → -2, 2207052 → 9004, 2207082 → -1) |
//! | `sim_error_times=N` | only the first N containers made for this exact URL end in ERROR; later ones are FINISHED |
//! | `sim_fetch=fail` | the create call fails with 9004/2207052 (no container) |
//!
//! A `video_url` on the simulator's own media host (`…/_sim/files/x.mp4?secs=…`, below) also
//! tells the video's length, so `thumb_offset` is checked against it; for other URLs any
//! offset ≥ 0 passes. The hints above work on media-host URLs too (the host ignores them).
//!
//! ## Creating containers: who may send what (§5 "Creating containers" and its bullets)
//! | parameter | image | reel | carousel image item | carousel video item | carousel | story |
//! |---|---|---|---|---|---|---|
//! | `caption` | ✓ | ✓ | ✗ | ✗ | ✓ | dropped silently |
//! | `alt_text` (≤ 1000) | ✓ | ✗ | ✓ | ✗ | ✗ | ✗ |
//! | `location_id` | ✓ | ✓ | ✗ | ✗ | ✓ | ✗ |
//! | `user_tags` | ✓ x, y required | ✓ x, y optional | ✓ x, y required | ✗ | ✗ | ✓ x, y optional |
//! | `collaborators` | ✓ | ✓ | ✗ | ✗ | ✓ | ✗ |
//! | `share_to_feed`, `cover_url`, `thumb_offset`, `audio_name`, `trial_params` | ✗ | ✓ | ✗ | ✗ | ✗ | ✗ |
//! | `is_ai_generated` | ✓ | ✓ | ✗ | ✗ | ✓ | ✗ |
//!
//! Values: `location_id` a Page with a `location` (the seeded places, or Pages made with one);
//! `user_tags` a JSON array `[{"username","x","y"}]`, x and y numbers in [0, 1];
//! `collaborators` a JSON array of at most 3 usernames; booleans `true|false|1|0`;
//! `thumb_offset` milliseconds, ignored when `cover_url` is given (the cover wins, and reads
//! back as `thumbnail_url`); `trial_params` `{"graduation_strategy":"MANUAL"|"SS_PERFORMANCE"}`.
//! Everything accepted is kept on the container and the media (`GET /_sim/media`,
//! `/_sim/containers`); Graph reads back `is_ai_generated`, `alt_text` (carousel children
//! too), `is_shared_to_feed`, `thumbnail_url` and the `collaborators` edge. IG Media has no
//! documented `location` field, so the place shows only in the control API.
//!
//! | refusal | wire form (HTTP 400, `OAuthException`) |
//! |---|---|
//! | a ✗ above | 100, no subcode, "(#100) Param {name} is not supported for {image posts\|reels\|carousel items\|carousel videos\|carousels\|stories}" [believed]; setting `refuse_misplaced_params` (true; false drops the parameter instead) |
//! | `location_id` not a Page with a location | 100, no subcode, message "INSTAGRAM_PLATFORM_API__INVALID_LOCATION_ID", user title "Invalid location" (the name is documented [code openpost], the envelope [believed]) |
//! | `user_tags` not such an array · x/y missing on an image · x/y outside [0, 1] | 100, "(#100) Param user_tags must be a JSON array of objects with username, x and y" · "(#100) Param user_tags[i] needs x and y between 0 and 1 on images" · "(#100) Param user_tags[i][x] must be a number between 0 and 1" [believed] |
//! | a collaborator with `@` | 110/2207018 "Invalid user id", user title "Invalid collaborator" (code and subcode [issue postiz#2088], wording [believed]) |
//! | `collaborators` not an array of names · more than 3 | 100, "(#100) Param collaborators must be a JSON array of usernames" · "(#100) Param collaborators can name at most 3 accounts" [believed] |
//! | `thumb_offset` not a whole number ≥ 0, or not below the video's length | 1/2207057 "An unknown error occurred", user message "Thumbnail offset must be greater than or equal to 0 and less than video duration, i.e. {ms}" (without ", i.e. …" when the length is unknown) [doc ig-errors] |
//! | `trial_params` malformed | 100, "(#100) Param trial_params must be {"graduation_strategy":"MANUAL"} or {"graduation_strategy":"SS_PERFORMANCE"}" [believed] |
//! | `trial_params` for an account without trial reels (`trial_reels_supported: false`) | 100/2207081 "Trial reels are not supported for this account" (subcode [code postiz]; code and wording [believed]) |
//! | a boolean that is none | 100, "(#100) Param {name} must be a boolean" [believed] |
//!
//! ## Comments (§5 "After publishing")
//! `POST /{ig-media-id}/comments?message=` answers `{"id"}`; the author is the publishing
//! account. `GET /{ig-media-id}/comments` lists them newest first, paged like other edges;
//! fields `id, text, username, timestamp, like_count, hidden, from, media` (default
//! `timestamp,text,id` [believed]). Both need `instagram_manage_comments` or
//! `instagram_business_manage_comments` among the granted scopes, else
//! 400 `(#10) Requires instagram_manage_comments permission to manage the object` (code 10; for
//! reads [believed]). A connect grants it only when the app asks for it in `scope`.
//! `comments_count` counts them. Faults match these paths like any other.
//!
//! ## Places
//! `GET /pages/search?q=…` finds Pages with a `location` whose name contains every word of `q`
//! (any case), sorted by name, paged; default fields `id,name`; also `location`
//! (`{street, city, zip, country, latitude, longitude}`), `category`, `link`, `picture`.
//! Any valid token may search [believed]. `seed_demo` and every scenario add these places
//! (fixed ids; nobody manages them): 110000000000001 Brandenburg Gate (Berlin),
//! 110000000000002 Café Central (Vienna), 110000000000003 Golden Gate Park (San Francisco),
//! 110000000000004 Sydney Opera House, 110000000000005 Shibuya Crossing (Tokyo),
//! 110000000000006 Central Park (New York). The demo's "Demo Café" Page has a location too.
//! `GET /{page-id}?fields=location` reads a Page's location.
//!
//! ## Publishing as Meta does it (on by default; the setting switches it)
//! | behaviour | wire form | setting (default) |
//! |---|---|---|
//! | GETs of a container or media object younger than the setting (any `fields`, also `/children`) fail although `media_publish` works | 400 `GraphMethodException` 100/33 "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api" | `fresh_object_invisible_ms` (1000; 0 = off) |
//! | `media_publish` before FINISHED | 400 9007/2207027 "Media ID is not available" | `container_processing_ms` (1500) |
//! | after a publish, `status_code` reads FINISHED, then PUBLISHED | | `publish_status_lag_ms` (1000) |
//! | `media_publish` of a published container (during the lag too): never a second media | 400 `OAuthException` 100, no subcode, "(#100) The media with creation id {creation_id} has already been published" [believed] | |
//! | ERROR containers: final (never EXPIRED or FINISHED later); `status` names the subcode, e.g. "Error: Media upload has failed with error code 2207082", "Error: Media download has failed. The media URI doesn't meet our requirements. (2207052)"; `media_publish` answers code/subcode | 400 with the failure's code and subcode, `error_user_msg` = the `status` text | `container_error_subcode` (2207052), `container_error_code` and `container_error_message` (`null`: follow the subcode) |
//! | containers not published within the TTL read EXPIRED; `media_publish` refuses them | 400 24/2207008 | `container_ttl_secs` (86400) |
//! | the account's next container after `container_limit_per_day` in a rolling 24 h (every container counts: carousel items, parents, re-uploads) | 400 code 4, `is_transient: true`, "(#4) Application request limit reached: the account has created 400 media containers in 24 hours" [believed]; `X-Business-Use-Case-Usage` at 100 % with `estimated_time_to_regain_access` = minutes until the oldest leaves the window | `container_limit_per_day` (400) |
//! | STORIES container for a CREATOR account | 400 `OAuthException` 10 "(#10) Stories are only available to business accounts" [believed wording] | `stories_business_only` (true) |
//! | published posts over `quota_total` in `quota_duration_secs` | 400 9/2207042; `content_publishing_limit` reports usage and config | `quota_total` (50), `quota_duration_secs` (86400) |
//! | `/{ig-user-id}/media` leaves stories out (so does `media_count`); `/{ig-user-id}/stories` lists stories for the lifetime; both newest first with `fields` and `limit` | media read `media_type` IMAGE/VIDEO/CAROUSEL_ALBUM (reels VIDEO), `media_product_type` FEED/REELS/STORY, `timestamp` like `2026-11-24T15:00:00+0000`; stories have no `caption` | `story_lifetime_secs` (86400) |
//! | captions read back without any `@` (the reader is not an admin of the app) | | `captions_without_at` (true) |
//! | a container's creation downloads `image_url` / `video_url` first (`download.rs`): unreachable (no answer, non-2xx) | 400 9004/2207052 "The media could not be fetched from this uri" | `fetch_media` (true; off in the simulator's own tests, which name made-up URLs) |
//! | ... a downloaded image that is not JPEG, over 8 MiB, or (not a story) outside 4:5 to 1.91:1; a video that is not MP4/MOV | the container ends in ERROR with 36001/2207005, 36000/2207004, 36003/2207009, 352/2207026 | `fetch_media` |
//!
//! ## Control API (JSON, no auth)
//! | route | effect |
//! |---|---|
//! | `GET /_sim/healthz` | 200 `ok` |
//! | `POST /_sim/reset` | 204; forgets everything: apps, users, tokens, media, faults, settings, clock |
//! | `POST /_sim/apps {app_id, app_secret, redirect_uris:[..], require_appsecret_proof?, name?, app_type?: "classic"\|"business", login_configs?: {"<config_id>": [permission, ..]}, deauthorize_callback_url?, data_deletion_url?}` | 201; registers or replaces an app (a business app needs a login configuration) |
//! | `POST /_sim/instagram_apps {app_id, app_secret, redirect_uris:[..], name?, deauthorize_callback_url?, data_deletion_url?}` | 201; an Instagram Login app |
//! | `POST /_sim/apps/{app_id}/deauthorize {user_id, url?}`, `POST /_sim/apps/{app_id}/data_deletion {user_id, url?}` | POSTs `signed_request=<sig>.<payload>` (form) to `url` (or the app's callback URL), as Meta does (§8): base64url without padding, `sig` = HMAC-SHA256(payload segment, app secret), payload `{"algorithm":"HMAC-SHA256","issued_at","user_id"}` (the app-scoped id `/me` returns; the IG account id for Instagram apps). 200 `{signed_request, url, status, body}` (`body` parsed JSON or text; `status: null` + `error` if the POST failed). `deauthorize` also removes the app: the person's tokens of it answer 190/458, the grant is forgotten |
//! | `POST /_sim/pages/{page_id} {tasks?, publishing_authorization_pending?, via_business_manager?}` | 200; changes a Page later |
//! | `POST /_sim/users/{user_id}/activity {app_id?}` | 204; the person used the app: data access runs `data_access_secs` from now (not once lapsed, unless `reauthorize_required_after_lapse` is false) |
//! | `POST /_sim/users {name?, default_unticked_permissions?:[..], pages:[{name?, category?, business?, business_name?, business_relation?: "owned"\|"client", business_admin?: bool (true), via_business_manager?: bool (false), publishing_authorization_pending?: bool (false), tasks?, location?:{street?, city?, zip?, country?, latitude?, longitude?}, instagram?:{username, account_type?: "BUSINESS"\|"CREATOR" (default BUSINESS), trial_reels_supported?: bool (default true), name?, profile_picture_url?, followers_count?, follows_count?, media_count?, biography?, website?}}]}` | 201 `{user_id, name, pages:[{id, name, business_id?, location?, instagram_business_account_id?, instagram_username?, instagram_account_type?, instagram_trial_reels_supported?}]}`; 409 if a username is taken. A Page with a `location` is a place |
//! | `GET /_sim/users` | the users, and who is signed in |
//! | `POST /_sim/scenarios/{name} {suffix?}` | 201, as users; `happy`, `no_pages`, `no_instagram`, `multi_instagram`, `declined_publish`, `business_portfolio`, `creator` (like `happy`, with a CREATOR account), `agency` (a client Page reached through Business Manager: needs `ads_read`), `analyst` (tasks ANALYZE, ADVERTISE: publishing fails). Without `suffix`, a taken username gets a random suffix. |
//! | `POST /_sim/login {user_id}` | 204; the dialog's signed-in user |
//! | `POST /_sim/faults {method?, path_contains, times?=1, http_status?, code?, subcode?, message?, type?, is_transient?, error_user_title?, error_user_msg?, delay_ms?, drop_response?, after_effect?}` | 201 `{id}`; see below |
//! | `GET /_sim/faults` | `{data:[{id, method, path_contains, remaining}]}` |
//! | `DELETE /_sim/faults` | 204 |
//! | `GET /_sim/settings`, `POST /_sim/settings {…}` | the current settings (after merging the given keys; unknown keys give 400) |
//! | `GET /_sim/clock`, `POST /_sim/clock/advance {seconds}` | `{now, offset_seconds}` |
//! | `POST /_sim/users/{user_id}/tokens/{action} {app_id?, page_id?, variant?}` | 204; the person's existing tokens (Page tokens too; only `app_id`'s if given) answer, on every later call and in debug_token (`is_valid: false`, `error{code, subcode, message}`): `expire` 190/463, `invalidate` or `password_changed` 190/460, `app_removed` 190/458 (grant forgotten), `checkpoint` 190/459 (`variant`: `instagram` "…log in to www.instagram.com…" (default), `facebook`, `session_key` "Session key is malformed because of invalid user id"), `unconfirmed` 190/464, `invalid` 190/467, `session_invalid` 102, `page_role_lost` 190/492 for Page tokens of `page_id` (default every Page; the Page also leaves the person); `lapse_data_access`: data access ends now. Tokens from a later login work. `{user_id}` may be an IG account id for Instagram Login tokens |
//! | `GET /_sim/media?ig_user_id=` | `{data:[{id, ig_user_id, container_id, media_type, media_product_type, caption, alt_text, permalink, children, published_at, share_to_feed, comments:[{id, text, username, timestamp}], is_ai_generated, location_id?, location_name?, user_tags?, collaborators?, cover_url?, thumb_offset?, audio_name?, trial_params?, items?:[{id, media_type, alt_text, is_ai_generated, user_tags?}]}]}`: one entry per post, oldest first; captions as sent; `items` for carousels; comments oldest first |
//! | `GET /_sim/containers?ig_user_id=` | `{data:[{id, ig_user_id, kind, is_carousel_item, children, status_code, created_at, published_media_id, caption, alt_text, share_to_feed, is_ai_generated, location_id?, …}]}` (the same extra keys as `/_sim/media`) |
//! | `GET /_sim/calls?path_contains=` | `{count, total, data:[{method, path, appsecret_proof: "valid"\|"invalid"\|"absent"}]}`: the last 20,000 calls (`count` of them match), `total` every call received; never tokens or query strings |
//! | `GET /_sim/avatar/{key}.svg` | an SVG avatar (profile pictures point here) |
//! | `GET\|HEAD /_sim/files/{name}` | the media host, below |
//!
//! The control API refuses requests that a browser marks as coming from another site
//! (`Sec-Fetch-Site` other than `same-origin`/`none`, or an `Origin` that is not this host):
//! 403 `{"error"}`. Requests without either header (servers, tests, curl) pass. The media host
//! and the avatars are the public web, not the control API: they answer every site.
//!
//! ## Media host: `GET|HEAD /_sim/files/{name}`
//! Real media made on the fly from the name's extension (the rest of the name is free) and
//! the query; the same query gives the same bytes. Every answer has `Content-Type`,
//! `Content-Length` and `Accept-Ranges: bytes`; one `Range: bytes=a-b`, `a-` or `-n` answers
//! 206 with `Content-Range: bytes a-b/total` (416 with `bytes */total` past the end; several
//! ranges get the whole file); HEAD sends the headers only. Padding and video samples are
//! zero bytes, streamed (a 300 MB file holds no memory). Unknown parameters (e.g. `sim_*`
//! hints) are ignored; a bad value answers 400 `text/plain` saying which.
//!
//! | extension | content | parameters |
//! |---|---|---|
//! | `.jpg`, `.jpeg` | `image/jpeg`: a baseline (SOF0) YCbCr JPEG of w×h, a flat-coloured gradient, JFIF APP0 | `w`, `h` (1080×1080; 1–65535, ≤ 50 Mpx); `bytes=N`: zeros after EOI so the body is exactly N bytes (400 if N is smaller than the image); `exif_bytes=N` (≥ 26): N bytes of APP1 right after SOI instead of APP0 (an `Exif` segment with an empty TIFF IFD; beyond 65,537 bytes more APP1 segments), so SOF0 sits at offset 2 + N + 69 |
//! | `.png` | `image/png`: 1-bit palette checkerboard (stored deflate) | `w`, `h` (1080×1080) |
//! | `.gif` | `image/gif`: GIF89a two-colour checkerboard | `w`, `h` (1080×1080; ≤ 4096) |
//! | `.webp` | `image/webp`: lossless (VP8L), one colour | `w`, `h` (1080×1080; ≤ 16384) |
//! | `.mp4`, `.mov` | `video/mp4` (`ftyp` isom, compatible isom/mp42) or `video/quicktime` (`ftyp` `qt  `): `moov` with `mvhd` (timescale 1000), a video `trak` (`tkhd` w×h, `mdhd` at 90 kHz, `hdlr` vide, `vmhd`, `dinf`/`dref`, `stbl` with `stsd`, `stts` = floor(fps × secs) frames of 90000/fps, `stsc`, `stsz`, `stco`) and an AAC-LC `trak` (`mp4a` 44.1 kHz stereo with `esds`, 1024-sample frames of 372 bytes), then `mdat` | `secs` (10; decimals; no track exceeds it), `fps` (30; 1–240, decimals), `w`, `h` (1080×1920; 16–8192), `codec=avc1` (default; `avcC` with a High-profile SPS/PPS for w×h) \| `hvc1` (`hvcC`, Main, no parameter-set arrays) \| `mp4v` (`esds`), `audio=0` (no audio track), `moov=start` (default: ftyp, moov, mdat) \| `end` (ftyp, mdat, moov), `bytes=N` (the mdat grows so the file is exactly N bytes; the video samples fill it; ≤ 4·10⁹; 400 if too small) |
//! | anything else | 404 | |
//!
//! Before any of that: `delay_ms=N` waits N ms (at most 10 minutes); `status=N` answers HTTP N
//! with an empty body; `redirect=URL` answers 302 with `Location: URL`.
//!
//! Faults match Graph calls (not the dialog, not `/_sim`) by method and a
//! substring of the path, first registered first, and each match uses one of
//! `times`. `delay_ms` waits, then the call goes on (or fails, when an error
//! field is set). An error field (`code`, `subcode`, `message`, or an
//! `http_status` ≥ 400) answers Meta's envelope instead of handling the call;
//! a missing `code` means 1, and known codes get Meta's message and
//! `is_transient`. `drop_response: true` handles the call normally (a publish
//! really happens) and then aborts the connection without a response.
//! `after_effect: true` handles the call normally too (a publish really
//! happens, a container is really made) and then answers the fault's error
//! envelope instead of the result (code 1 when no error field is given); it
//! cannot be combined with `drop_response`. A fault with code 4, 17, 32, 341,
//! 613 or 80000–80014 sends the BUC header with `estimated_time_to_regain_access`
//! = the `estimated_time_to_regain_access` setting (minutes).
//!
//! ## Instagram Login (§1–§3)
//! | call | answer |
//! |---|---|
//! | `GET /oauth/authorize?client_id&redirect_uri&response_type=code&scope&state` | HTML: the signed-in person's IG accounts (radio `ig_user_id`; `sim_user` picks another person); unknown app, redirect URI or scope (anything but `instagram_business_basic`, `_content_publish`, `_manage_comments`, `_manage_insights`, `_manage_messages`): error page, no redirect |
//! | `POST /oauth/authorize/confirm` (form `client_id, redirect_uri, state, scope, ig_user_id, action=allow\|cancel`) | `302 …?code=…&state=…#_`; cancel `302 …?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request&state=…#_` |
//! | `POST /oauth/access_token` (form `client_id, client_secret, grant_type=authorization_code, redirect_uri, code`) | `{access_token, user_id, permissions: "a,b"}` (1 h; `ig_exchange_data_wrapper` wraps it in `{"data":[…]}`); errors `{"error_type":"OAuthException","code":400,"error_message"}` [believed]; codes live 1 h, once |
//! | `GET /_ig/access_token?grant_type=ig_exchange_token&client_secret&access_token` | `{access_token, token_type:"bearer", expires_in:5184000}`; versioned: 400 `IGApiException` 100 "Unsupported request - method type: get" |
//! | `GET /_ig/refresh_access_token?grant_type=ig_refresh_token&access_token` | a new 60-day token if the long-lived token is ≥ `ig_refresh_min_age_secs` (24 h) old and unexpired; younger: 400 100 [believed wording]; expired: 190/463 |
//! | `GET /_ig/{v}/me?fields=user_id,username,name,profile_picture_url,account_type,…` | the IG account (`id` = `user_id` = the IG account id [simplified]) |
//! | `/_ig/{v}/{ig-user-id}/media`, `/media_publish`, `/content_publishing_limit`, `/{container-id}`, media, comments | as on graph.facebook.com; scopes `instagram_business_*` stand for `instagram_*` |
//!
//! Settings: every key, its meaning and default is documented on `Settings` in `state.rs`.
//! Among them `refuse_misplaced_params` (true): see "Creating containers" above.

mod auth;
mod callbacks;
mod clock;
mod comments;
mod control;
mod demo;
mod dialog;
mod download;
mod errors;
mod faults;
mod files;
mod graph;
mod html;
mod ids;
mod instagram;
mod nodes;
mod oauth;
mod paging;
mod params;
mod permissions;
mod post_params;
mod publishing;
mod state;
mod timeline;
mod usage;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;

use state::{AppRecord, AppType, IgAppRecord, State};

/// How the simulator presents itself.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where clients reach the simulator, e.g. `http://127.0.0.1:8098`: used
    /// for `paging.next` URLs and profile picture URLs.
    pub public_base_url: String,
}

/// A Meta app as registered in the simulator.
#[derive(Clone)]
pub struct SimApp {
    pub app_id: String,
    pub app_secret: String,
    /// Valid OAuth redirect URIs (Strict Mode: exact match).
    pub redirect_uris: Vec<String>,
    /// "Require App Secret": user-token calls must carry `appsecret_proof`.
    pub require_appsecret_proof: bool,
}

impl std::fmt::Debug for SimApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimApp")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .field("require_appsecret_proof", &self.require_appsecret_proof)
            .finish()
    }
}

/// What else an app has, beyond [`SimApp`] (which stays as it is, so existing struct literals
/// keep compiling). `SimAppOptions::default()` is a classic Facebook Login app.
#[derive(Debug, Clone, Default)]
pub struct SimAppOptions {
    /// Shown in the dialog and as `application` in debug_token (default "App {app_id}").
    pub name: Option<String>,
    /// `true`: a Business-type app (Facebook Login for Business): the dialog needs a
    /// `config_id` naming one of `login_configs`.
    pub business: bool,
    /// Login configurations of a Business app: `config_id` → permissions granted together.
    pub login_configs: Vec<SimLoginConfig>,
    /// Default targets of the deauthorize and data deletion callbacks.
    pub deauthorize_callback_url: Option<String>,
    pub data_deletion_url: Option<String>,
}

/// One Facebook Login for Business configuration.
#[derive(Debug, Clone)]
pub struct SimLoginConfig {
    pub config_id: String,
    pub permissions: Vec<String>,
}

/// An Instagram app (Business Login for Instagram): its own id, secret and redirect URIs.
#[derive(Clone)]
pub struct SimInstagramApp {
    pub app_id: String,
    pub app_secret: String,
    pub redirect_uris: Vec<String>,
}

impl std::fmt::Debug for SimInstagramApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimInstagramApp")
            .field("app_id", &self.app_id)
            .field("app_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

/// The simulator: cheap to clone, all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    options: SimOptions,
    state: Mutex<State>,
    /// Instagram's fetcher of containers' media: one connection pool for every download, as a
    /// real fetcher keeps (building a client per download reads the system's certificates).
    downloader: reqwest::Client,
}

impl Simulator {
    pub fn new(options: SimOptions) -> Simulator {
        Simulator {
            inner: Arc::new(Inner {
                options,
                state: Mutex::new(State::default()),
                downloader: download::client(),
            }),
        }
    }

    /// Dialog, Graph and control API on one host.
    pub fn router(&self) -> Router {
        control::routes()
            .fallback(graph::entry)
            .with_state(self.clone())
    }

    /// Same as `POST /_sim/apps`: a classic Facebook Login app.
    pub fn register_app(&self, app: SimApp) {
        self.register_app_with(app, SimAppOptions::default());
    }

    /// Same as `POST /_sim/apps` with `app_type`, `login_configs` and callback URLs.
    pub fn register_app_with(&self, app: SimApp, options: SimAppOptions) {
        self.with_state(|s| {
            control::insert_app(
                s,
                AppRecord {
                    name: options
                        .name
                        .unwrap_or_else(|| control::default_app_name(&app.app_id)),
                    app_id: app.app_id,
                    app_secret: app.app_secret,
                    redirect_uris: app.redirect_uris,
                    require_appsecret_proof: app.require_appsecret_proof,
                    app_type: if options.business {
                        AppType::Business
                    } else {
                        AppType::Classic
                    },
                    login_configs: options
                        .login_configs
                        .into_iter()
                        .map(|c| (c.config_id, c.permissions))
                        .collect(),
                    deauthorize_callback_url: options.deauthorize_callback_url,
                    data_deletion_url: options.data_deletion_url,
                },
            )
        });
    }

    /// Same as `POST /_sim/instagram_apps`.
    pub fn register_instagram_app(&self, app: SimInstagramApp) {
        self.with_state(|s| {
            control::insert_instagram_app(
                s,
                IgAppRecord {
                    name: control::default_app_name(&app.app_id),
                    app_id: app.app_id,
                    app_secret: app.app_secret,
                    redirect_uris: app.redirect_uris,
                    deauthorize_callback_url: None,
                    data_deletion_url: None,
                },
            )
        });
    }

    /// Creates the demo person (pages "Demo Café" @demo.cafe, "Demo Studio"
    /// @demo.studio in a business portfolio, "Demo Community" without
    /// Instagram) and signs them in for the dialog; adds the places (Pages with
    /// a location). Idempotent.
    pub fn seed_demo(&self) {
        let base = self.public_base_url().to_string();
        self.with_state(|s| demo::seed_demo(s, &base));
    }

    pub fn public_base_url(&self) -> &str {
        &self.inner.options.public_base_url
    }

    pub(crate) fn downloader(&self) -> &reqwest::Client {
        &self.inner.downloader
    }

    /// Runs `f` under the state lock. Never call it across an `.await`.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        // A panic in one handler must not wedge every later test request.
        let mut guard = self
            .inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

/// Binds `addr` (port 0 picks a free port), serves the simulator in a
/// background tokio task and returns the bound address.
pub async fn spawn(sim: Simulator, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_in_background(sim, listener)
}

/// Binds `addr`, creates a simulator whose `public_base_url` is
/// `http://{bound address}`, serves it in the background and returns both.
pub async fn spawn_new(addr: SocketAddr) -> std::io::Result<(Simulator, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let sim = Simulator::new(SimOptions {
        public_base_url: format!("http://{bound}"),
    });
    serve_in_background(sim.clone(), listener)?;
    Ok((sim, bound))
}

fn serve_in_background(
    sim: Simulator,
    listener: tokio::net::TcpListener,
) -> std::io::Result<SocketAddr> {
    let bound = listener.local_addr()?;
    let router = sim.router();
    // Graph answers promptly; Nagle's algorithm would add a delayed-ACK wait to every call.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "graph simulator stopped");
        }
    });
    Ok(bound)
}
