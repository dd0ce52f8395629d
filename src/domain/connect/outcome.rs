//! How a connect flow ended: kept with the flow for the page or the platform to ask, and shown to
//! the person in the callback page.

use serde::{Deserialize, Serialize};

use crate::dto::ConnectOutcomeView;

/// The outcome of one flow. Stored as JSON with the flow, so its field names are a storage
/// format: add fields with `#[serde(default)]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectOutcome {
    pub ok: bool,
    pub message: String,
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(default)]
    pub usernames: Vec<String>,
}

impl ConnectOutcome {
    pub fn connected(usernames: Vec<String>) -> Self {
        let list = usernames
            .iter()
            .map(|u| format!("@{u}"))
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            ok: true,
            message: format!("Connected {list}."),
            hint: None,
            usernames,
        }
    }

    pub fn failed(message: &str, hint: &str) -> Self {
        Self {
            ok: false,
            message: message.into(),
            hint: Some(hint.into()),
            usernames: vec![],
        }
    }

    pub fn view(&self) -> ConnectOutcomeView {
        ConnectOutcomeView {
            ok: self.ok,
            message: self.message.clone(),
            hint: self.hint.clone(),
            usernames: self.usernames.clone(),
        }
    }
}
