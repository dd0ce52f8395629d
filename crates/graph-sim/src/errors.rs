//! The Graph error envelope and every error the simulator can answer with.
//!
//! Shape (docs/graph-api.md, "Error envelope"):
//! `{"error":{"message","type","code","error_subcode"?,"error_user_title"?,"error_user_msg"?,"is_transient","fbtrace_id"}}`,
//! usually with HTTP 400. Messages below are Meta's wording where the spec quotes it.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{json, Map, Value};

use super::ids;
use super::state::{CheckpointText, TokenDeath};

/// One Graph error, rendered as Meta's envelope. Boxed, so `Result`s stay small.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GraphError(Box<ErrorData>);

/// The fields of a [`GraphError`], reached through `Deref`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorData {
    pub status: StatusCode,
    pub message: String,
    pub kind: String,
    pub code: i64,
    pub subcode: Option<i64>,
    pub user_title: Option<String>,
    pub user_msg: Option<String>,
    pub is_transient: bool,
    /// Meta adds `WWW-Authenticate` to OAuth failures (row B1, and 190s).
    pub www_authenticate: Option<String>,
    /// For throttling errors that know when access returns: the minutes put in the BUC
    /// header's `estimated_time_to_regain_access` (instead of the setting).
    pub regain_access_minutes: Option<u64>,
    /// api.instagram.com's flat shape `{"error_type","code":400,"error_message"}` [believed]
    /// instead of the Graph envelope.
    pub instagram_flat: bool,
}

pub(crate) type GraphResult<T = Value> = Result<T, GraphError>;

impl std::ops::Deref for GraphError {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for GraphError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl GraphError {
    /// An `OAuthException` with HTTP 400, the common case.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        GraphError(Box::new(ErrorData {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "OAuthException".to_string(),
            code,
            subcode: None,
            user_title: None,
            user_msg: None,
            is_transient: false,
            www_authenticate: None,
            regain_access_minutes: None,
            instagram_flat: false,
        }))
    }

    /// An error of api.instagram.com (the Instagram code exchange), in its flat shape.
    pub fn instagram_api(message: impl Into<String>) -> Self {
        let mut error = GraphError::new(400, message);
        error.instagram_flat = true;
        error
    }

    pub fn subcode(mut self, subcode: i64) -> Self {
        self.subcode = Some(subcode);
        self
    }

    pub fn kind(mut self, kind: &str) -> Self {
        self.kind = kind.to_string();
        self
    }

    pub fn user(mut self, title: &str, msg: impl Into<String>) -> Self {
        self.user_title = Some(title.to_string());
        self.user_msg = Some(msg.into());
        self
    }

    pub fn transient(mut self, is_transient: bool) -> Self {
        self.is_transient = is_transient;
        self
    }

    pub fn regain_access_after(mut self, minutes: u64) -> Self {
        self.regain_access_minutes = Some(minutes);
        self
    }

    pub fn www_authenticate(mut self, error: &str) -> Self {
        self.www_authenticate = Some(format!(
            "OAuth \"Facebook Platform\" \"{error}\" \"{}\"",
            self.message.replace('"', "'")
        ));
        self
    }

    /// The JSON body with the given `fbtrace_id` (Meta repeats it in `x-fb-trace-id`).
    pub fn envelope_traced(&self, trace_id: &str) -> Value {
        if self.instagram_flat {
            return json!({
                "error_type": self.kind,
                "code": self.status.as_u16(),
                "error_message": self.message,
            });
        }
        let mut error = Map::new();
        error.insert("message".into(), json!(self.message));
        error.insert("type".into(), json!(self.kind));
        error.insert("code".into(), json!(self.code));
        if let Some(subcode) = self.subcode {
            error.insert("error_subcode".into(), json!(subcode));
        }
        if let Some(title) = &self.user_title {
            error.insert("error_user_title".into(), json!(title));
        }
        if let Some(msg) = &self.user_msg {
            error.insert("error_user_msg".into(), json!(msg));
        }
        error.insert("is_transient".into(), json!(self.is_transient));
        error.insert("fbtrace_id".into(), json!(trace_id));
        json!({ "error": Value::Object(error) })
    }
}

impl GraphError {
    /// The HTTP response, with `trace_id` as `fbtrace_id`.
    pub fn response_traced(&self, trace_id: &str) -> Response {
        let mut response =
            (self.status, axum::Json(self.envelope_traced(trace_id))).into_response();
        if let Some(value) = self
            .www_authenticate
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok())
        {
            response.headers_mut().insert("www-authenticate", value);
        }
        response
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        self.response_traced(&ids::fbtrace_id())
    }
}

// ---- Access tokens (docs/graph-api.md "Token errors", code 190) ----

/// Every user-token call without a token.
pub(crate) fn missing_token() -> GraphError {
    GraphError::new(
        2500,
        "An active access token must be used to query information about the current user.",
    )
}

/// A token the simulator never issued (190 without subcode).
pub(crate) fn unparsable_token() -> GraphError {
    GraphError::new(
        190,
        "Invalid OAuth access token - Cannot parse access token",
    )
    .www_authenticate("invalid_token")
}

/// 190/463: the token's lifetime ended.
pub(crate) fn expired_token(expired_at: DateTime<Utc>, now: DateTime<Utc>) -> GraphError {
    GraphError::new(
        190,
        format!(
            "Error validating access token: Session has expired on {}. The current time is {}.",
            pacific(expired_at),
            pacific(now)
        ),
    )
    .subcode(463)
    .www_authenticate("invalid_token")
}

/// 190/460: password change or security reset.
pub(crate) fn invalidated_token() -> GraphError {
    GraphError::new(
        190,
        "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
    )
    .subcode(460)
    .www_authenticate("invalid_token")
}

/// The error a token killed by the control API answers on every later call (§3 "What
/// invalidates tokens"). Subcodes are Meta's [doc errors]; the wording of 458, 464, 467, 492
/// and 102 is [believed].
pub(crate) fn dead_token(death: TokenDeath, app_id: &str, user_id: &str) -> GraphError {
    let (code, subcode, message) = match death {
        TokenDeath::AppRemoved => (
            190,
            Some(458),
            format!("Error validating access token: The user {user_id} has not authorized application {app_id}."),
        ),
        TokenDeath::Checkpoint(text) => (190, Some(459), checkpoint_message(text).to_string()),
        TokenDeath::PasswordChanged => return invalidated_token(),
        TokenDeath::Unconfirmed => (
            190,
            Some(464),
            format!("Error validating access token: Sessions for the user {user_id} are not allowed because the user is not a confirmed user."),
        ),
        TokenDeath::Invalid => (
            190,
            Some(467),
            "Error validating access token: The session is invalid because the user logged out.".to_string(),
        ),
        TokenDeath::PageRoleLost => (
            190,
            Some(492),
            "Error validating access token: The session is invalid because the user associated with this Page access token no longer has an appropriate role on the Page.".to_string(),
        ),
        TokenDeath::SessionInvalid => {
            return GraphError::new(102, "Session key invalid or no longer valid. Get a new access token.")
                .www_authenticate("invalid_token")
        }
    };
    let mut error = GraphError::new(code, message).www_authenticate("invalid_token");
    error.subcode = subcode;
    error
}

/// The texts of a 190/459 [issue postiz#2054].
pub(crate) fn checkpoint_message(text: CheckpointText) -> &'static str {
    match text {
        CheckpointText::Instagram => "Error validating access token: You cannot access the app till you log in to www.instagram.com and follow the instructions given.",
        CheckpointText::Facebook => "Error validating access token: You cannot access the app till you log in to www.facebook.com and follow the instructions given.",
        CheckpointText::SessionKey => "Error validating access token: Session key is malformed because of invalid user id.",
    }
}

/// Data access lapsed 90 days after the person's last activity (§3 "Data access"): the token
/// still validates, data calls fail. Meta's code and wording are not documented [believed]:
/// a permission-type #200, since the permissions must be granted again (`auth_type=reauthorize`).
pub(crate) fn data_access_expired(app_id: &str) -> GraphError {
    GraphError::new(
        200,
        format!("(#200) Data access for app {app_id} has expired for this user. The user must reauthorize the app (auth_type=reauthorize) before it can access their data."),
    )
    .user(
        "Data access expired",
        "Ask the person to log in again so the app can access their data.",
    )
}

pub(crate) fn appsecret_proof_missing() -> GraphError {
    GraphError::new(
        100,
        "API calls from the server require an appsecret_proof argument",
    )
    .kind("GraphMethodException")
}

pub(crate) fn appsecret_proof_invalid() -> GraphError {
    GraphError::new(100, "Invalid appsecret_proof provided in the API argument")
        .kind("GraphMethodException")
}

// ---- OAuth code exchange (row B1) ----

pub(crate) fn invalid_application() -> GraphError {
    GraphError::new(101, "Error validating application. Invalid application ID.")
}

pub(crate) fn invalid_client_secret() -> GraphError {
    GraphError::new(1, "Error validating client secret.")
}

pub(crate) fn code_used() -> GraphError {
    GraphError::new(100, "This authorization code has been used.")
        .subcode(36009)
        .www_authenticate("invalid_code")
}

pub(crate) fn code_redirect_mismatch() -> GraphError {
    GraphError::new(
        100,
        "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
    )
    .subcode(36008)
    .www_authenticate("invalid_code")
}

/// 36007 is [B] in the spec; the wording follows the other code errors.
pub(crate) fn code_expired() -> GraphError {
    GraphError::new(100, "This authorization code has expired.")
        .subcode(36007)
        .www_authenticate("invalid_code")
}

pub(crate) fn code_invalid() -> GraphError {
    GraphError::new(100, "Invalid verification code format.").www_authenticate("invalid_code")
}

pub(crate) fn missing_parameter(name: &str) -> GraphError {
    GraphError::new(100, format!("Missing {name} parameter."))
}

pub(crate) fn required_parameter(name: &str) -> GraphError {
    GraphError::new(100, format!("(#100) The parameter {name} is required"))
}

// ---- Nodes and edges ----

/// 100/33, the GraphMethodException for unknown or unreachable objects.
pub(crate) fn unsupported_request(method: &str, id: &str) -> GraphError {
    let verb = match method {
        "POST" => "post",
        "DELETE" => "delete",
        _ => "get",
    };
    GraphError::new(
        100,
        format!(
            "Unsupported {verb} request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api"
        ),
    )
    .subcode(33)
    .kind("GraphMethodException")
}

pub(crate) fn nonexisting_field(field: &str, node_type: &str) -> GraphError {
    GraphError::new(
        100,
        format!("(#100) Tried accessing nonexisting field ({field}) on node type ({node_type})"),
    )
}

pub(crate) fn unknown_path(components: &str) -> GraphError {
    GraphError::new(2500, format!("Unknown path components: {components}"))
}

/// `(#10) Requires <perm> permission to manage the object` (code 10) or the
/// code 200 form used for business_management.
pub(crate) fn requires_permission(code: i64, permission: &str) -> GraphError {
    GraphError::new(
        code,
        format!("(#{code}) Requires {permission} permission to manage the object"),
    )
}

// ---- Time formatting for 190/463 ----

/// Meta prints expiry times in Pacific time, e.g. "Tuesday, 01-Dec-25 06:00:00 PST".
pub(crate) fn pacific(at: DateTime<Utc>) -> String {
    let dst = is_us_dst(at);
    let (offset, zone) = if dst { (-7, "PDT") } else { (-8, "PST") };
    let local = at + Duration::hours(offset);
    format!("{} {zone}", local.format("%A, %d-%b-%y %H:%M:%S"))
}

/// US daylight saving time: second Sunday of March 10:00 UTC to first Sunday
/// of November 09:00 UTC (2 a.m. local in Pacific time).
fn is_us_dst(at: DateTime<Utc>) -> bool {
    let year = at.year();
    let start = nth_sunday(year, 3, 2).and_hms_opt(10, 0, 0);
    let end = nth_sunday(year, 11, 1).and_hms_opt(9, 0, 0);
    match (start, end) {
        (Some(start), Some(end)) => {
            let naive = at.naive_utc();
            naive >= start && naive < end
        }
        _ => false,
    }
}

fn nth_sunday(year: i32, month: u32, n: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n as u8)
        .unwrap_or_else(|| NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn pacific_time_uses_pst_and_pdt() {
        let winter = Utc.with_ymd_and_hms(2025, 12, 1, 14, 0, 0).unwrap();
        assert_eq!(pacific(winter), "Monday, 01-Dec-25 06:00:00 PST");
        let summer = Utc.with_ymd_and_hms(2025, 7, 1, 14, 0, 0).unwrap();
        assert_eq!(pacific(summer), "Tuesday, 01-Jul-25 07:00:00 PDT");
    }

    #[test]
    fn envelope_omits_absent_optional_keys() {
        let body = GraphError::new(1, "x").envelope_traced("A1b2C3d4E5f");
        let error = body["error"].as_object().unwrap();
        assert!(!error.contains_key("error_subcode"));
        assert!(!error.contains_key("error_user_title"));
        assert_eq!(error["is_transient"], json!(false));
        assert_eq!(error["fbtrace_id"].as_str().unwrap().len(), 11);
    }
}
