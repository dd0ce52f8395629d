//! Small pieces shared by the pages.

use std::sync::LazyLock;

use chrono::{
    format::{Item, StrftimeItems},
    DateTime, Utc,
};
use leptos::prelude::*;

use crate::dto::ConnectOutcomeView;

/// A time in the reader's own time zone. The server renders UTC; the browser rewrites it in local
/// time once hydrated.
#[component]
pub fn LocalTime(at: DateTime<Utc>, #[prop(optional)] date_only: bool) -> impl IntoView {
    let items = if date_only { &*DATE } else { &*DATE_TIME };
    let (text, set_text) = signal(at.format_with_items(items.iter()).to_string());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(local) = local_time(at, date_only) {
            set_text.set(local);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = set_text;
    view! { <time datetime=at.to_rfc3339()>{text}</time> }
}

/// The server's formats, parsed once: parsing a format string for every time shown was a tenth
/// of the history page's rendering.
static DATE: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| parse("%b %-d, %Y"));
static DATE_TIME: LazyLock<Vec<Item<'static>>> = LazyLock::new(|| parse("%b %-d, %Y %H:%M UTC"));

fn parse(format: &'static str) -> Vec<Item<'static>> {
    StrftimeItems::new(format).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_in_utc_with_the_preparsed_formats() {
        let at = DateTime::parse_from_rfc3339("2026-12-07T21:05:09Z")
            .unwrap()
            .to_utc();
        assert_eq!(at.format_with_items(DATE.iter()).to_string(), "Dec 7, 2026");
        assert_eq!(
            at.format_with_items(DATE_TIME.iter()).to_string(),
            "Dec 7, 2026 21:05 UTC"
        );
    }
}
