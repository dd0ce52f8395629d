//! The service's specification, one file per capability. Every test that touches storage runs on
//! both stores: the embedded SQLite store and MongoDB (FerretDB, started by `scripts/test`).

mod support;

mod accounts_stay_connected;
mod anonymous_clients_are_bounded;
mod api_authentication;
mod browser_sessions;
mod connect_flows_belong_to_their_browser;
mod connect_instagram;
mod health_checks;
mod instagram_login_connects_and_renews;
mod leptos_config;
mod media_bytes_are_kept_on_every_backend;
mod media_is_checked_before_queueing;
mod media_library_keeps_copies_while_posts_need_them;
mod media_library_takes_uploads_and_serves_instagram;
mod metas_callbacks_erase_and_disconnect;
mod posts_carry_what_customers_ask_for;
mod publisher_resilience;
mod publishing;
mod publishing_exactly_once;
mod publishing_within_instagrams_limits;
mod secrets_stay_out_of_logs;
mod social_platform_page;
mod startup;
mod storage_contract;
mod tenant_isolation;
mod token_keys_rotate;
