//! Rate-limit headers on every Graph response (docs/graph-api.md "Rate-limit headers"):
//! `X-App-Usage: {"call_count","total_time","total_cputime"}` and
//! `X-Business-Use-Case-Usage: {"<id>":[{"type","call_count","total_cputime","total_time","estimated_time_to_regain_access"}]}`.
//!
//! Percentages come from the calls of the last hour: the app's budget is
//! `app_calls_per_user_per_hour` × its users (Meta's 200 × DAU), the
//! object's is `buc_calls_per_hour`. The `usage_percent` setting overrides both.

use std::collections::HashSet;

use chrono::Duration;
use serde_json::json;

use super::state::State;

pub(crate) struct UsageHeaders {
    pub app: String,
    pub business: String,
}

fn percent(calls: usize, budget: u64) -> u64 {
    if budget == 0 {
        return 100;
    }
    ((calls as u64 * 100) / budget).min(100)
}

pub(crate) fn headers(
    state: &State,
    app_id: Option<&str>,
    buc: Option<&(String, &'static str)>,
) -> UsageHeaders {
    let since = state.now() - Duration::hours(1);
    let recent = state.calls.iter().filter(|c| c.at > since);
    let settings = &state.settings;
    let (app_percent, buc_percent) = match settings.usage_percent {
        Some(forced) => (u64::from(forced), u64::from(forced)),
        None => {
            let app_calls = recent
                .clone()
                .filter(|c| app_id.is_some() && c.app_id.as_deref() == app_id)
                .count();
            let users: HashSet<&str> = state
                .tokens
                .values()
                .filter(|t| Some(t.app_id.as_str()) == app_id)
                .map(|t| t.user_id.as_str())
                .collect();
            let app_budget = settings.app_calls_per_user_per_hour * users.len().max(1) as u64;
            let buc_calls = recent
                .filter(|c| buc.is_some() && c.buc.as_ref() == buc)
                .count();
            (
                percent(app_calls, app_budget),
                percent(buc_calls, settings.buc_calls_per_hour),
            )
        }
    };
    let app = json!({
        "call_count": app_percent,
        "total_time": app_percent,
        "total_cputime": app_percent,
    });
    let (buc_id, buc_type) = buc
        .map(|(id, kind)| (id.clone(), *kind))
        .unwrap_or_else(|| (app_id.unwrap_or("0").to_string(), "pages"));
    let business = json!({
        buc_id: [{
            "type": buc_type,
            "call_count": buc_percent,
            "total_cputime": buc_percent,
            "total_time": buc_percent,
            "estimated_time_to_regain_access": settings.estimated_time_to_regain_access,
        }]
    });
    UsageHeaders {
        app: app.to_string(),
        business: business.to_string(),
    }
}
