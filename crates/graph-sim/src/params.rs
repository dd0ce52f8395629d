//! Request parameters and the `fields` syntax.
//!
//! Graph takes parameters from the query string or the body (form-urlencoded
//! or JSON) for GET and POST alike; a body value overrides the query.

use axum::http::{header, HeaderMap};
use serde_json::Value;

/// All parameters of one request, in arrival order (query first, then body).
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    pub fn parse(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Params {
        let mut pairs: Vec<(String, String)> = query
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/json") {
            pairs.extend(json_pairs(body));
        } else if !body.is_empty() && !content_type.starts_with("multipart/") {
            // Form bodies, and bodies sent without a content type, as curl -d does.
            pairs.extend(url::form_urlencoded::parse(body).into_owned());
        }
        Params { pairs }
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Params {
        Params {
            pairs: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The last value given for `name` (so the body beats the query).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Like `get`, but an empty value counts as absent.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.trim().is_empty())
    }

    /// Every value given for `name`, for repeated form fields.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    /// These parameters without any value for `name`.
    pub fn without_param(&self, name: &str) -> Params {
        Params {
            pairs: self
                .pairs
                .iter()
                .filter(|(k, _)| k != name)
                .cloned()
                .collect(),
        }
    }

    /// All pairs except the named ones, de-duplicated (last value wins), for `paging.next`.
    pub fn without(&self, names: &[&str]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for (k, v) in &self.pairs {
            if names.contains(&k.as_str()) {
                continue;
            }
            out.retain(|(existing, _)| existing != k);
            out.push((k.clone(), v.clone()));
        }
        out
    }
}

fn json_pairs(body: &[u8]) -> Vec<(String, String)> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, value)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// One entry of a `fields` list: `picture.type(large)`, `instagram_business_account{id,username}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldSel {
    pub name: String,
    pub modifiers: Vec<(String, String)>,
    pub nested: Option<Vec<FieldSel>>,
}

impl FieldSel {
    pub fn modifier(&self, name: &str) -> Option<&str> {
        self.modifiers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the `fields` parameter; `None` or empty gives `defaults`.
pub(crate) fn parse_fields(raw: Option<&str>, defaults: &[&str]) -> Vec<FieldSel> {
    let parsed = raw.map(parse_field_list).unwrap_or_default();
    if parsed.is_empty() {
        defaults
            .iter()
            .map(|name| FieldSel {
                name: name.to_string(),
                modifiers: Vec::new(),
                nested: None,
            })
            .collect()
    } else {
        parsed
    }
}

fn parse_field_list(raw: &str) -> Vec<FieldSel> {
    split_top_level(raw)
        .into_iter()
        .filter_map(|part| parse_field(part.trim()))
        .collect()
}

/// Splits on commas that are not inside `{}` or `()`.
fn split_top_level(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in raw.char_indices() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&raw[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&raw[start..]);
    parts
}

fn parse_field(part: &str) -> Option<FieldSel> {
    if part.is_empty() {
        return None;
    }
    let name_end = part.find(['.', '{']).unwrap_or(part.len());
    let name = part[..name_end].trim().to_string();
    let mut rest = &part[name_end..];
    let mut modifiers = Vec::new();
    // `.type(large).width(200)` modifiers
    while let Some(after_dot) = rest.strip_prefix('.') {
        let open = after_dot.find('(')?;
        let close = after_dot.find(')')?;
        if close < open {
            return None;
        }
        modifiers.push((
            after_dot[..open].trim().to_string(),
            after_dot[open + 1..close].trim().to_string(),
        ));
        rest = &after_dot[close + 1..];
    }
    let nested = rest
        .strip_prefix('{')
        .and_then(|inner| inner.strip_suffix('}'))
        .map(parse_field_list);
    Some(FieldSel {
        name,
        modifiers,
        nested,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_modifiers_and_nesting() {
        let fields = parse_fields(
            Some("id,picture.type(large),instagram_business_account{id,username},name"),
            &["id"],
        );
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["id", "picture", "instagram_business_account", "name"]
        );
        assert_eq!(fields[1].modifier("type"), Some("large"));
        let nested = fields[2].nested.as_ref().unwrap();
        assert_eq!(nested.len(), 2);
        assert_eq!(nested[1].name, "username");
    }

    #[test]
    fn empty_fields_use_defaults() {
        let fields = parse_fields(Some(""), &["id", "name"]);
        assert_eq!(fields.len(), 2);
    }

    #[test]
    fn body_overrides_query() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded".parse().unwrap(),
        );
        let params = Params::parse(Some("a=1&b=2"), &headers, b"a=3&c=4");
        assert_eq!(params.get("a"), Some("3"));
        assert_eq!(params.get("b"), Some("2"));
        assert_eq!(params.all("a"), ["1", "3"]);
        let json_headers = {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
            h
        };
        let params = Params::parse(None, &json_headers, br#"{"limit":5,"x":"y"}"#);
        assert_eq!(params.get("limit"), Some("5"));
    }
}
