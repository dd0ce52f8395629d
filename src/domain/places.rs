//! Places a post can be tagged with: Facebook Pages that have a location, searched by name with
//! the account's own login (docs/graph-api.md §5, `location_id` and `GET /pages/search`).

use std::sync::Arc;

use crate::{
    crypto::KeyRing,
    domain::{
        accounts::{AccountStore, LoginKind, TokenKind},
        clock,
        graph::{ErrorClass, GraphError},
        publish::{FoundPlace, PublishingGraph},
        tenant::Tenant,
        DomainError,
    },
    dto::PlaceView,
};

const MIN_QUERY_CHARS: usize = 2;
const MAX_QUERY_CHARS: usize = 100;

#[derive(Clone)]
pub struct Places {
    accounts: Arc<dyn AccountStore>,
    graph: Arc<dyn PublishingGraph>,
    keys: KeyRing,
}

impl Places {
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        graph: Arc<dyn PublishingGraph>,
        keys: KeyRing,
    ) -> Self {
        Self {
            accounts,
            graph,
            keys,
        }
    }

    /// Places whose name matches `query`, as `account_id` sees them.
    pub async fn search(
        &self,
        tenant: &Tenant,
        account_id: &str,
        query: &str,
    ) -> Result<Vec<PlaceView>, DomainError> {
        let query = query.trim();
        let n = query.chars().count();
        if !(MIN_QUERY_CHARS..=MAX_QUERY_CHARS).contains(&n) {
            return Err(DomainError::invalid(
                "q",
                format!(
                    "Type {MIN_QUERY_CHARS} to {MAX_QUERY_CHARS} characters of the place's name."
                ),
            ));
        }
        let account = self
            .accounts
            .get(tenant, account_id)
            .await?
            .filter(|a| a.is_active)
            .ok_or_else(|| {
                DomainError::invalid(
                    "account_id",
                    "No connected Instagram account has this id. Pick one of your accounts.",
                )
            })?;
        if account.login == LoginKind::Instagram {
            // `pages/search` is Facebook's, and needs a Facebook login (docs/graph-api.md §1,
            // "Only with Facebook Login").
            return Err(DomainError::invalid(
                "account_id",
                format!(
                    "@{} is connected with Instagram Login, which cannot search places. Connect it \
                     with Facebook to tag places, or post without one.",
                    account.instagram_username
                ),
            ));
        }
        if !account.is_usable(clock::now()) {
            return Err(DomainError::NeedsReconnect(format!(
                "@{} needs reconnecting before it can search places.",
                account.instagram_username
            )));
        }
        // A search is the person's, not the Page's: the user token.
        let token = account.open(&self.keys, TokenKind::User)?;
        let found = self
            .graph
            .search_places(&token, query)
            .await
            .map_err(|e| graph_failure(&account.instagram_username, e))?;
        Ok(found.into_iter().map(view).collect())
    }
}

fn view(p: FoundPlace) -> PlaceView {
    let address = [p.street, p.city, p.country]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    PlaceView {
        id: p.id,
        name: p.name,
        address: (!address.is_empty()).then_some(address),
    }
}

fn graph_failure(username: &str, e: GraphError) -> DomainError {
    match e.class() {
        ErrorClass::ReauthRequired => DomainError::NeedsReconnect(format!(
            "@{username} needs reconnecting: Instagram refused its saved login."
        )),
        ErrorClass::Throttled => DomainError::Upstream(
            "Instagram asked to slow down. Search again in a few minutes.".into(),
        ),
        _ => DomainError::Upstream(format!(
            "Instagram could not search places: {}",
            e.message()
        )),
    }
}
