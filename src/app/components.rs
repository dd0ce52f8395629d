//! Small pieces shared by the pages.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::dto::ConnectOutcomeView;

/// A time in the reader's own time zone. The server renders UTC; the browser rewrites it in local
/// time once hydrated.
#[component]
pub fn LocalTime(at: DateTime<Utc>, #[prop(optional)] date_only: bool) -> impl IntoView {
    let utc = if date_only {
        at.format("%b %-d, %Y").to_string()
    } else {
        at.format("%b %-d, %Y %H:%M UTC").to_string()
    };
    let (text, set_text) = signal(utc);
    Effect::new(move |_| {
        if let Some(local) = local_time(at, date_only) {
            set_text.set(local);
        }
    });
    view! { <time datetime=at.to_rfc3339()>{text}</time> }
}

#[cfg(feature = "hydrate")]
fn local_time(at: DateTime<Utc>, date_only: bool) -> Option<String> {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.timestamp_millis() as f64
    ));
    let text = if date_only {
        date.to_locale_date_string("default", &wasm_bindgen::JsValue::UNDEFINED)
    } else {
        date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED)
    };
    text.as_string()
}

#[cfg(not(feature = "hydrate"))]
fn local_time(_at: DateTime<Utc>, _date_only: bool) -> Option<String> {
    None
}

/// How a connect flow ended, with what to do next.
#[component]
pub fn OutcomeBanner(outcome: ConnectOutcomeView) -> impl IntoView {
    let class = if outcome.ok {
        "alert success"
    } else {
        "alert error"
    };
    view! {
        <div class=class role="status" data-testid="connect-outcome">
            <strong>{outcome.message}</strong>
            {outcome.hint.map(|h| view! { <p>{h}</p> })}
        </div>
    }
}
