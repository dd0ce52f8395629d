//! Cursor paging for edges (row E):
//! `{"data":[…],"paging":{"cursors":{"before","after"},"next"?,"previous"?}}`.
//! `next` is an absolute URL on `public_base_url`, present only when more
//! items remain; it repeats the request's parameters (including the access
//! token, as Graph does) with the new `after` cursor.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::errors::{GraphError, GraphResult};
use super::graph::GraphRequest;
use super::state::Settings;

/// Opaque cursor for an item id.
pub(crate) fn cursor(id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim-cursor:{id}"))
}

fn decode_cursor(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim_end_matches('=')).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("sim-cursor:")
        .map(str::to_string)
}

/// The requested page size: `limit`, else the default, capped at the maximum.
fn limit(req: &GraphRequest, settings: &Settings) -> usize {
    req.params
        .non_empty("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(settings.default_page_limit)
        .min(settings.max_page_limit)
}

/// Finds the index of the item a cursor names.
fn position(items: &[(String, Value)], cursor: &str, which: &str) -> GraphResult<usize> {
    let id = decode_cursor(cursor)
        .ok_or_else(|| GraphError::new(100, format!("(#100) The {which} cursor is invalid")))?;
    items
        .iter()
        .position(|(item_id, _)| *item_id == id)
        .ok_or_else(|| GraphError::new(100, format!("(#100) The {which} cursor is invalid")))
}

/// One page of `items` (already rendered, each with its id) for this request.
pub(crate) fn paginate(
    req: &GraphRequest,
    settings: &Settings,
    items: Vec<(String, Value)>,
) -> GraphResult {
    let limit = limit(req, settings);
    let (start, end) = if let Some(after) = req.params.non_empty("after") {
        let start = position(&items, after, "after")? + 1;
        (start, (start + limit).min(items.len()))
    } else if let Some(before) = req.params.non_empty("before") {
        let end = position(&items, before, "before")?;
        (end.saturating_sub(limit), end)
    } else {
        (0, limit.min(items.len()))
    };
    let total = items.len();
    let window: Vec<(String, Value)> = items.into_iter().skip(start).take(end - start).collect();
    let (Some((first_id, _)), Some((last_id, _))) = (window.first(), window.last()) else {
        return Ok(json!({ "data": [] }));
    };
    let mut paging = Map::new();
    paging.insert(
        "cursors".into(),
        json!({ "before": cursor(first_id), "after": cursor(last_id) }),
    );
    if end < total {
        paging.insert(
            "next".into(),
            json!(page_url(req, limit, "after", &cursor(last_id))),
        );
    }
    if start > 0 {
        paging.insert(
            "previous".into(),
            json!(page_url(req, limit, "before", &cursor(first_id))),
        );
    }
    let data: Vec<Value> = window.into_iter().map(|(_, v)| v).collect();
    Ok(json!({ "data": data, "paging": Value::Object(paging) }))
}

fn page_url(req: &GraphRequest, limit: usize, direction: &str, cursor: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in req.params.without(&["after", "before", "limit"]) {
        query.append_pair(&k, &v);
    }
    query.append_pair("limit", &limit.to_string());
    query.append_pair(direction, cursor);
    format!(
        "{}{}?{}",
        req.base_url.trim_end_matches('/'),
        req.path,
        query.finish()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        assert_eq!(decode_cursor(&cursor("12345")).as_deref(), Some("12345"));
        assert_eq!(decode_cursor("garbage!"), None);
    }
}
