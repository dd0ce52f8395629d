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
    /// Pages (or portfolios) that were not connected, and why.
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

/// A Page or business portfolio the flow could not connect, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub what: String,
    pub why: String,
}

impl Skipped {
    pub fn new(what: impl Into<String>, why: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            why: why.into(),
        }
    }

    pub fn page(page: &super::Page, why: &str) -> Self {
        Self::new(format!("Page {}", page.name), why)
    }

    fn sentence(&self) -> String {
        format!("Skipped {}: {}", self.what, self.why)
    }
}

impl ConnectOutcome {
    /// "Connected @a, @b." and a sentence per Page skipped.
    pub fn connected(usernames: Vec<String>, skipped: Vec<Skipped>) -> Self {
        let list = usernames
            .iter()
            .map(|u| format!("@{u}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut message = format!("Connected {list}.");
        for s in &skipped {
            message.push(' ');
            message.push_str(&s.sentence());
        }
        Self {
            ok: true,
            message,
            hint: None,
            usernames,
            skipped,
        }
    }

    /// Pages with Instagram accounts were found, and none could be connected.
    pub fn nothing_connected(skipped: Vec<Skipped>) -> Self {
        Self {
            ok: false,
            message: "No Instagram account could be connected.".into(),
            hint: Some(
                skipped
                    .iter()
                    .map(Skipped::sentence)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            usernames: vec![],
            skipped,
        }
    }

    pub fn failed(message: &str, hint: &str) -> Self {
        Self {
            ok: false,
            message: message.into(),
            hint: Some(hint.into()),
            usernames: vec![],
            skipped: vec![],
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
