//! Browser-only helpers; on the server they give what a page without JavaScript needs.

#[cfg(feature = "hydrate")]
pub fn new_key() -> String {
    let a = (js_sys::Math::random() * 1e15) as u64;
    let b = (js_sys::Math::random() * 1e15) as u64;
    format!("compose-{a:x}{b:x}")
}

#[cfg(not(feature = "hydrate"))]
pub fn new_key() -> String {
    String::new()
}

/// A `datetime-local` value (the person's local time) as UTC, converted by the browser, which
/// knows the time zone and its daylight-saving rules.
#[cfg(feature = "hydrate")]
pub fn local_to_utc(local: &str) -> String {
    if local.is_empty() {
        return String::new();
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(local));
    if date.get_time().is_nan() {
        return String::new();
    }
    date.to_iso_string().as_string().unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
pub fn local_to_utc(_local: &str) -> String {
    String::new()
}

#[cfg(feature = "hydrate")]
pub fn zone_label() -> String {
    let zone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    let name = js_sys::Reflect::get(&zone, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    format!("Your time zone: {name}")
}

/// What the page says before the browser takes over: without JavaScript the server reads
/// the time as UTC.
pub const SERVER_ZONE_LABEL: &str = "Time in UTC";

#[cfg(not(feature = "hydrate"))]
pub fn zone_label() -> String {
    SERVER_ZONE_LABEL.into()
}
