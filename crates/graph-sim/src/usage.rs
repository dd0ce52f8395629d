//! Rate-limit headers (docs/graph-api.md "Rate-limit headers"):
//! `X-App-Usage: {"call_count","total_time","total_cputime"}` and
//! `X-Business-Use-Case-Usage: {"<id>":[{"type","call_count","total_cputime","total_time","estimated_time_to_regain_access"}]}`.
//!
//! Percentages come from the calls of the last hour: the app's budget is
//! `app_calls_per_user_per_hour` × its users (Meta's 200 × DAU), the
//! object's is `buc_calls_per_hour`. The `usage_percent` setting overrides both.
//!
//! Meta sends a header only once enough calls were made: here, once its percentage reaches
//! `usage_headers_from_percent` (0 = always). Throttling errors (4, 17, 32, 341, 613,
//! 80000–80014) always carry the BUC header at 100 % with `estimated_time_to_regain_access`
//! (the error's own minutes, e.g. the container budget's, else the setting); an app-level
//! code 4 also carries `X-App-Usage` at 100 %.

use std::collections::HashSet;

use serde_json::json;

use super::errors::GraphError;
use super::state::{State, UsageKey};

/// The headers of one answer; `None` means the header is not sent.
pub(crate) struct UsageHeaders {
    pub app: Option<String>,
    pub business: Option<String>,
}

fn percent(calls: usize, budget: u64) -> u64 {
    if budget == 0 {
        return 100;
    }
    ((calls as u64 * 100) / budget).min(100)
}

/// Codes Meta uses for throttling ("What to do about an error": DEFER).
pub(crate) fn is_throttling(code: i64) -> bool {
    matches!(code, 4 | 17 | 32 | 341 | 613) || (80_000..=80_014).contains(&code)
}

/// Percentages of the app and of the BUC object over the last hour (or the forced value).
fn usage(state: &State, app_id: Option<&str>, buc: Option<&(String, &'static str)>) -> (u64, u64) {
    let settings = &state.settings;
    if let Some(forced) = settings.usage_percent {
        return (u64::from(forced), u64::from(forced));
    }
    let now = state.now();
    let app_calls = app_id.map_or(0, |id| {
        state.recent_calls(&UsageKey::App(id.to_string()), now)
    });
    let users: HashSet<&str> = state
        .tokens
        .values()
        .filter(|t| Some(t.app_id.as_str()) == app_id)
        .map(|t| t.user_id.as_str())
        .collect();
    let app_budget = settings.app_calls_per_user_per_hour * users.len().max(1) as u64;
    let buc_calls = buc.map_or(0, |(id, kind)| {
        state.recent_calls(&UsageKey::Business(id.clone(), kind), now)
    });
    (
        percent(app_calls, app_budget),
        percent(buc_calls, settings.buc_calls_per_hour),
    )
}

pub(crate) fn headers(
    state: &State,
    app_id: Option<&str>,
    buc: Option<&(String, &'static str)>,
    error: Option<&GraphError>,
) -> UsageHeaders {
    let settings = &state.settings;
    let threshold = u64::from(settings.usage_headers_from_percent);
    let (mut app_percent, mut buc_percent) = usage(state, app_id, buc);
    let throttle = error.filter(|e| is_throttling(e.code));
    let app_throttled = throttle.is_some_and(|e| e.code == 4 && e.regain_access_minutes.is_none());
    if throttle.is_some() {
        buc_percent = 100;
    }
    if app_throttled {
        app_percent = 100;
    }
    let eta = match throttle {
        Some(e) => e
            .regain_access_minutes
            .unwrap_or(settings.estimated_time_to_regain_access),
        None if buc_percent >= 100 => settings.estimated_time_to_regain_access,
        None => 0,
    };
    let app = (app_percent >= threshold || app_throttled).then(|| {
        json!({
            "call_count": app_percent,
            "total_time": app_percent,
            "total_cputime": app_percent,
        })
        .to_string()
    });
    let business = (buc_percent >= threshold || throttle.is_some()).then(|| {
        let (buc_id, buc_type) = buc
            .map(|(id, kind)| (id.clone(), *kind))
            .unwrap_or_else(|| (app_id.unwrap_or("0").to_string(), "pages"));
        json!({
            buc_id: [{
                "type": buc_type,
                "call_count": buc_percent,
                "total_cputime": buc_percent,
                "total_time": buc_percent,
                "estimated_time_to_regain_access": eta,
            }]
        })
        .to_string()
    });
    UsageHeaders { app, business }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_wait_for_the_threshold_unless_throttled() {
        let mut state = State::default();
        let buc = ("17841".to_string(), "instagram");
        let quiet = headers(&state, Some("1"), Some(&buc), None);
        assert!(quiet.app.is_none() && quiet.business.is_none());

        state.settings.estimated_time_to_regain_access = 9;
        let limited = GraphError::new(80002, "too many calls");
        let throttled = headers(&state, Some("1"), Some(&buc), Some(&limited));
        assert!(throttled.app.is_none());
        let business = throttled.business.unwrap();
        assert!(business.contains(r#""estimated_time_to_regain_access":9"#));
        assert!(business.contains(r#""call_count":100"#));

        let app_limit = GraphError::new(4, "(#4) Application request limit reached");
        assert!(headers(&state, Some("1"), Some(&buc), Some(&app_limit))
            .app
            .unwrap()
            .contains(r#""call_count":100"#));
        let own_eta = app_limit.regain_access_after(42);
        let budget = headers(&state, Some("1"), Some(&buc), Some(&own_eta));
        assert!(budget.app.is_none());
        assert!(budget
            .business
            .unwrap()
            .contains(r#""estimated_time_to_regain_access":42"#));

        state.settings.usage_headers_from_percent = 0;
        let always = headers(&state, Some("1"), Some(&buc), None);
        assert!(always.app.is_some());
        assert!(always
            .business
            .unwrap()
            .contains(r#""estimated_time_to_regain_access":0"#));
    }
}
