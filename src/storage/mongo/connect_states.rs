use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mongodb::bson::{doc, DateTime as BsonTime, Document};
use serde::{Deserialize, Serialize};

use super::{
    bson_time, chrono_time, is_duplicate_key, unavailable, MongoStore, CONNECT_FLOWS,
    CONNECT_FLOW_STEPS, OAUTH_STATES, OAUTH_STATE_USES,
};
use crate::domain::{
    accounts::LoginKind,
    connect::{ConnectOutcome, ConnectStateStore, OAuthState, PendingFlow, ReturnMode},
    store::{StoreError, StoreResult as Result},
    tenant::Tenant,
};

/// A flow the platform started, waiting for its browser.
#[derive(Serialize, Deserialize)]
struct FlowDoc {
    #[serde(rename = "_id")]
    flow_id: String,
    customer_id: String,
    user_id: String,
    secret_hash: String,
    bound_to: Option<String>,
    return_mode: String,
    created_at: BsonTime,
    expires_at: BsonTime,
    started: bool,
    /// Absent (Facebook Login) in flows from before Instagram Login.
    #[serde(default)]
    login: Option<String>,
}

impl FlowDoc {
    fn into_flow(self) -> Result<PendingFlow> {
        Ok(PendingFlow {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            flow_id: self.flow_id,
            secret_hash: self.secret_hash,
            bound_to: self.bound_to,
            return_mode: ReturnMode::parse(&self.return_mode).unwrap_or(ReturnMode::Popup),
            created_at: chrono_time(self.created_at),
            expires_at: chrono_time(self.expires_at),
            login: LoginKind::parse(self.login.as_deref()),
        })
    }
}

impl MongoStore {
    /// Records that `step` happened to a flow; `false` when it already had (a unique `_id`
    /// decides, atomically on MongoDB and FerretDB alike).
    async fn flow_step_once(&self, step: &str, flow: &FlowDoc, now: DateTime<Utc>) -> Result<bool> {
        let mark = doc! {"_id": format!("{step}:{}", flow.flow_id), "at": bson_time(now), "expires_at": flow.expires_at};
        match self
            .collection::<Document>(CONNECT_FLOW_STEPS)
            .insert_one(mark)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_duplicate_key(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn live_flow(&self, flow_id: &str, now: DateTime<Utc>) -> Result<Option<FlowDoc>> {
        self.collection::<FlowDoc>(CONNECT_FLOWS)
            .find_one(
                doc! {"_id": flow_id, "started": false, "expires_at": {"$gt": bson_time(now)}},
            )
            .await
            .map_err(unavailable)
    }
}

#[derive(Serialize, Deserialize)]
struct StateDoc {
    #[serde(rename = "_id")]
    state_hash: String,
    flow_id: String,
    customer_id: String,
    user_id: String,
    session_binding: Option<String>,
    return_mode: String,
    created_at: BsonTime,
    expires_at: BsonTime,
    used: bool,
    /// JSON of the outcome, once the flow has ended.
    outcome: Option<String>,
    #[serde(default)]
    login: Option<String>,
}

impl StateDoc {
    fn into_state(self) -> Result<OAuthState> {
        Ok(OAuthState {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            state_hash: self.state_hash,
            flow_id: self.flow_id,
            session_binding: self.session_binding,
            return_mode: ReturnMode::parse(&self.return_mode).unwrap_or(ReturnMode::Popup),
            created_at: chrono_time(self.created_at),
            expires_at: chrono_time(self.expires_at),
            login: LoginKind::parse(self.login.as_deref()),
        })
    }
}

#[async_trait]
impl ConnectStateStore for MongoStore {
    async fn insert(&self, s: &OAuthState) -> Result<()> {
        let doc = StateDoc {
            state_hash: s.state_hash.clone(),
            flow_id: s.flow_id.clone(),
            customer_id: s.tenant.customer_id().into(),
            user_id: s.tenant.user_id().into(),
            session_binding: s.session_binding.clone(),
            return_mode: s.return_mode.as_str().into(),
            created_at: bson_time(s.created_at),
            expires_at: bson_time(s.expires_at),
            used: false,
            outcome: None,
            login: Some(s.login.as_str().into()),
        };
        self.collection::<StateDoc>(OAUTH_STATES)
            .insert_one(doc)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn consume(&self, state_hash: &str, now: DateTime<Utc>) -> Result<Option<OAuthState>> {
        let found = self
            .collection::<StateDoc>(OAUTH_STATES)
            .find_one(
                doc! {"_id": state_hash, "used": false, "expires_at": {"$gt": bson_time(now)}},
            )
            .await
            .map_err(unavailable)?;
        let Some(state) = found else {
            return Ok(None);
        };
        // The use is an insert under the state's own id: a unique index decides which of two racing
        // callbacks consumed it. (MongoDB's findAndModify would be atomic too, but FerretDB 1.x runs
        // it as a read then a write; inserts are atomic on both.)
        let mark =
            doc! {"_id": state_hash, "used_at": bson_time(now), "expires_at": state.expires_at};
        match self
            .collection::<Document>(OAUTH_STATE_USES)
            .insert_one(mark)
            .await
        {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        }
        self.collection::<Document>(OAUTH_STATES)
            .update_one(doc! {"_id": state_hash}, doc! {"$set": {"used": true}})
            .await
            .map_err(unavailable)?;
        state.into_state().map(Some)
    }

    async fn save_outcome(
        &self,
        tenant: &Tenant,
        flow_id: &str,
        outcome: &ConnectOutcome,
    ) -> Result<()> {
        let json = serde_json::to_string(outcome)
            .map_err(|e| StoreError::corrupt("a connect outcome", e))?;
        self.collection::<Document>(OAUTH_STATES)
            .update_many(
                doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "flow_id": flow_id},
                doc! {"$set": {"outcome": json}},
            )
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn outcome(&self, tenant: &Tenant, flow_id: &str) -> Result<Option<ConnectOutcome>> {
        let found = self
            .collection::<StateDoc>(OAUTH_STATES)
            .find_one(doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "flow_id": flow_id})
            .sort(doc! {"created_at": -1})
            .await
            .map_err(unavailable)?;
        found
            .and_then(|d| d.outcome)
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::corrupt("a stored connect outcome", e))
            })
            .transpose()
    }

    async fn purge_expired(&self, before: DateTime<Utc>) -> Result<u64> {
        for collection in [OAUTH_STATE_USES, CONNECT_FLOWS, CONNECT_FLOW_STEPS] {
            self.collection::<Document>(collection)
                .delete_many(doc! {"expires_at": {"$lt": bson_time(before)}})
                .await
                .map_err(unavailable)?;
        }
        let result = self
            .collection::<Document>(OAUTH_STATES)
            .delete_many(doc! {"expires_at": {"$lt": bson_time(before)}})
            .await
            .map_err(unavailable)?;
        Ok(result.deleted_count)
    }

    async fn insert_pending(&self, f: &PendingFlow) -> Result<()> {
        let doc = FlowDoc {
            flow_id: f.flow_id.clone(),
            customer_id: f.tenant.customer_id().into(),
            user_id: f.tenant.user_id().into(),
            secret_hash: f.secret_hash.clone(),
            bound_to: f.bound_to.clone(),
            return_mode: f.return_mode.as_str().into(),
            created_at: bson_time(f.created_at),
            expires_at: bson_time(f.expires_at),
            started: false,
            login: Some(f.login.as_str().into()),
        };
        self.collection::<FlowDoc>(CONNECT_FLOWS)
            .insert_one(doc)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn pending(&self, flow_id: &str, now: DateTime<Utc>) -> Result<Option<PendingFlow>> {
        self.live_flow(flow_id, now)
            .await?
            .map(FlowDoc::into_flow)
            .transpose()
    }

    async fn bind_pending(
        &self,
        flow_id: &str,
        secret_hash: &str,
        browser_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(flow) = self.live_flow(flow_id, now).await? else {
            return Ok(false);
        };
        if flow.secret_hash != secret_hash
            || flow.bound_to.is_some()
            || !self.flow_step_once("bind", &flow, now).await?
        {
            return Ok(false);
        }
        self.collection::<Document>(CONNECT_FLOWS)
            .update_one(
                doc! {"_id": flow_id},
                doc! {"$set": {"bound_to": browser_hash}},
            )
            .await
            .map_err(unavailable)?;
        Ok(true)
    }

    async fn start_pending(
        &self,
        flow_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingFlow>> {
        let Some(flow) = self.live_flow(flow_id, now).await? else {
            return Ok(None);
        };
        if !self.flow_step_once("start", &flow, now).await? {
            return Ok(None);
        }
        self.collection::<Document>(CONNECT_FLOWS)
            .update_one(doc! {"_id": flow_id}, doc! {"$set": {"started": true}})
            .await
            .map_err(unavailable)?;
        flow.into_flow().map(Some)
    }
}
