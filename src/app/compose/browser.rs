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

/// Where on the clicked element the click fell, as fractions of its width and height (0 to 1,
/// three decimals): how a tag is placed on an image.
#[cfg(feature = "hydrate")]
pub fn click_fraction(ev: &leptos::ev::MouseEvent) -> Option<(f64, f64)> {
    use wasm_bindgen::JsCast;
    let element = ev
        .current_target()?
        .dyn_into::<web_sys::HtmlElement>()
        .ok()?;
    let (width, height) = (
        f64::from(element.offset_width()),
        f64::from(element.offset_height()),
    );
    if width <= 0.0 || height <= 0.0 {
        return None;
    }
    let fraction = |v: f64| (v.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
    Some((
        fraction(f64::from(ev.offset_x()) / width),
        fraction(f64::from(ev.offset_y()) / height),
    ))
}

#[cfg(not(feature = "hydrate"))]
pub fn click_fraction(_ev: &leptos::ev::MouseEvent) -> Option<(f64, f64)> {
    None
}
