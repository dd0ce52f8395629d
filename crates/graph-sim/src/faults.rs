//! Injected faults (`POST /_sim/faults`): errors, delays and dropped
//! connections on chosen Graph calls, so the client's retry and recovery
//! rules (docs/security.md R2, R3, R8) can be tested.

use std::io;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::errors::{self, GraphError};
use super::state::{CheckpointText, State, TokenDeath};

/// The control API's fault description.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    pub method: Option<String>,
    pub path_contains: String,
    pub times: Option<u32>,
    pub http_status: Option<u16>,
    pub code: Option<i64>,
    pub subcode: Option<i64>,
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub is_transient: Option<bool>,
    pub error_user_title: Option<String>,
    pub error_user_msg: Option<String>,
    pub delay_ms: Option<u64>,
    pub drop_response: Option<bool>,
    /// Handle the call (a publish really happens), then answer the error anyway.
    pub after_effect: Option<bool>,
}

/// A registered fault with its remaining uses.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    pub id: u64,
    pub spec: FaultSpec,
    pub remaining: u32,
}

/// What one matched fault does to a call.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultEffect {
    pub delay_ms: u64,
    /// Answer with this error instead of handling the call.
    pub error: Option<GraphError>,
    /// Handle the call, then drop the connection without an answer.
    pub drop_response: bool,
    /// Handle the call, then answer `error` instead of its result.
    pub after_effect: bool,
}

impl FaultSpec {
    /// Checks the spec and builds its error up front, so a bad status fails the control call.
    pub fn validate(&self) -> Result<(), String> {
        if self.path_contains.is_empty() {
            return Err("path_contains must not be empty".into());
        }
        if let Some(status) = self.http_status {
            StatusCode::from_u16(status).map_err(|_| format!("invalid http_status {status}"))?;
        }
        if self.after_effect == Some(true) && self.drop_response == Some(true) {
            return Err("after_effect and drop_response exclude each other".into());
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        method_ok && path.contains(&self.path_contains)
    }

    /// An error is injected when any error field (or `after_effect`) is set and the response
    /// is not dropped.
    fn error(&self) -> Option<GraphError> {
        if self.drop_response == Some(true) {
            return None;
        }
        let wants_error = self.after_effect == Some(true)
            || self.code.is_some()
            || self.message.is_some()
            || self.subcode.is_some()
            || self.http_status.is_some_and(|s| s >= 400);
        if !wants_error {
            return None;
        }
        let code = self.code.unwrap_or(1);
        let mut error = default_error(code, self.subcode);
        if let Some(message) = &self.message {
            error.message = message.clone();
        }
        if let Some(subcode) = self.subcode {
            error.subcode = Some(subcode);
        }
        if let Some(kind) = &self.kind {
            error.kind = kind.clone();
        }
        if let Some(is_transient) = self.is_transient {
            error.is_transient = is_transient;
        }
        if let Some(title) = &self.error_user_title {
            error.user_title = Some(title.clone());
        }
        if let Some(msg) = &self.error_user_msg {
            error.user_msg = Some(msg.clone());
        }
        if let Some(status) = self.http_status.and_then(|s| StatusCode::from_u16(s).ok()) {
            error.status = status;
        }
        Some(error)
    }
}

/// Meta's usual message and transience for a code, so a fault needs only `code`.
fn default_error(code: i64, subcode: Option<i64>) -> GraphError {
    match (code, subcode) {
        (100, Some(33)) => errors::unsupported_request("GET", "0"),
        (190, Some(460)) => errors::invalidated_token(),
        (190, Some(458)) => errors::dead_token(TokenDeath::AppRemoved, "0", "0"),
        (190, Some(459)) => {
            errors::dead_token(TokenDeath::Checkpoint(CheckpointText::Instagram), "0", "0")
        }
        (190, Some(464)) => errors::dead_token(TokenDeath::Unconfirmed, "0", "0"),
        (190, Some(467)) => errors::dead_token(TokenDeath::Invalid, "0", "0"),
        (190, Some(492)) => errors::dead_token(TokenDeath::PageRoleLost, "0", "0"),
        (102, _) => errors::dead_token(TokenDeath::SessionInvalid, "0", "0"),
        (190, _) => errors::unparsable_token(),
        (1, _) => GraphError::new(1, "An unknown error occurred").transient(true),
        (2, _) => GraphError::new(
            2,
            "An unexpected error has occurred. Please retry your request later.",
        )
        .transient(true),
        (4, _) => GraphError::new(4, "(#4) Application request limit reached").transient(true),
        (17, _) => GraphError::new(17, "(#17) User request limit reached").transient(true),
        (32, _) => GraphError::new(32, "(#32) Page request limit reached").transient(true),
        (341, _) => GraphError::new(341, "(#341) Application limit reached").transient(true),
        (613, _) => GraphError::new(
            613,
            "(#613) Calls to this api have exceeded the rate limit.",
        )
        .transient(true),
        (80002, _) => GraphError::new(
            80002,
            "There have been too many calls to this Instagram account. Wait a bit and try again.",
        )
        .transient(true),
        (-1 | -2, _) => GraphError::new(code, "Instagram server error. Try again.").transient(true),
        (code, _) => GraphError::new(code, "Simulated fault"),
    }
}

impl State {
    pub fn add_fault(&mut self, spec: FaultSpec) -> u64 {
        self.next_fault_id += 1;
        let id = self.next_fault_id;
        let remaining = spec.times.unwrap_or(1).max(1);
        self.faults.push(Fault {
            id,
            spec,
            remaining,
        });
        id
    }

    /// Consumes one use of the first fault matching this call.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultEffect> {
        let index = self
            .faults
            .iter()
            .position(|f| f.remaining > 0 && f.spec.matches(method, path))?;
        let fault = &mut self.faults[index];
        fault.remaining -= 1;
        let effect = FaultEffect {
            delay_ms: fault.spec.delay_ms.unwrap_or(0),
            error: fault.spec.error(),
            drop_response: fault.spec.drop_response == Some(true),
            after_effect: fault.spec.after_effect == Some(true),
        };
        if fault.remaining == 0 {
            self.faults.remove(index);
        }
        Some(effect)
    }
}

/// Keeps status and headers but makes the body fail at once, so hyper aborts
/// the connection instead of sending a response: the client sees a transport error.
pub(crate) fn drop_connection(response: Response) -> Response {
    let (parts, _) = response.into_parts();
    let failing = futures::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "graph simulator: response dropped by fault",
        ))
    });
    Response::from_parts(parts, Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn fault_is_consumed_times_then_gone() {
        let mut state = State::default();
        state.add_fault(spec(
            r#"{"path_contains":"/media_publish","times":2,"code":2}"#,
        ));
        for _ in 0..2 {
            let effect = state.take_fault("POST", "/v23.0/1/media_publish").unwrap();
            let error = effect.error.unwrap();
            assert_eq!(error.code, 2);
            assert!(error.is_transient);
        }
        assert!(state.take_fault("POST", "/v23.0/1/media_publish").is_none());
    }

    #[test]
    fn delay_only_fault_has_no_error_and_method_filters() {
        let mut state = State::default();
        state.add_fault(spec(
            r#"{"method":"GET","path_contains":"/me","delay_ms":5}"#,
        ));
        assert!(state.take_fault("POST", "/me").is_none());
        let effect = state.take_fault("get", "/v23.0/me").unwrap();
        assert_eq!(effect.delay_ms, 5);
        assert!(effect.error.is_none());
    }

    #[test]
    fn after_effect_alone_answers_code_one_and_excludes_drop_response() {
        let mut state = State::default();
        state.add_fault(spec(r#"{"path_contains":"x","after_effect":true}"#));
        let effect = state.take_fault("POST", "/x").unwrap();
        assert!(effect.after_effect);
        assert_eq!(effect.error.unwrap().code, 1);
        let both = spec(r#"{"path_contains":"x","after_effect":true,"drop_response":true}"#);
        assert!(both.validate().is_err());
    }

    #[test]
    fn http_status_without_code_gives_code_one() {
        let error = spec(r#"{"path_contains":"x","http_status":500}"#)
            .error()
            .unwrap();
        assert_eq!(error.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.code, 1);
    }
}
