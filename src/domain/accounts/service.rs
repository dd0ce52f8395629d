//! What a customer may do with their accounts; the same calls serve the API and the page.

use std::sync::Arc;

use chrono::Utc;

use super::{Account, AccountStore};
use crate::{
    domain::{tenant::Tenant, DomainError},
    dto::AccountView,
};

#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
}

impl Accounts {
    pub fn new(store: Arc<dyn AccountStore>) -> Self {
        Self { store }
    }

    pub async fn list(&self, tenant: &Tenant) -> Result<Vec<AccountView>, DomainError> {
        let now = Utc::now();
        Ok(self
            .store
            .list(tenant)
            .await?
            .iter()
            .map(|c| c.view(now))
            .collect())
    }

    /// One of the tenant's accounts, or NotFound (also for another tenant's id).
    pub async fn get(&self, tenant: &Tenant, id: &str) -> Result<Account, DomainError> {
        self.store
            .get(tenant, id)
            .await?
            .ok_or(DomainError::NotFound("Instagram account"))
    }

    pub async fn disconnect(&self, tenant: &Tenant, id: &str) -> Result<(), DomainError> {
        match self.store.disconnect(tenant, id, Utc::now()).await? {
            true => Ok(()),
            false => Err(DomainError::NotFound("Instagram account")),
        }
    }
}
