use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::{
    bson::{doc, spec::BinarySubtype, Binary, DateTime as BsonTime, Document},
    options::ReturnDocument,
};
use serde::{Deserialize, Serialize};

use super::{bson_time, chrono_time, is_duplicate_key, unavailable, MongoStore, CREDENTIALS};
use crate::domain::{
    accounts::{
        already_connected, Account, AccountStore, AuthCause, ConnectedAccount, HealthCheck,
        LoginKind, Upserted,
    },
    store::{StoreError, StoreResult as Result},
    tenant::Tenant,
};

/// How often a reconnect reads again when a racing write changed the record under it.
const RACE_RETRIES: usize = 5;

/// An account as MongoDB keeps it (`instagram_credentials`): the seed's fields, the token as
/// BinData.
#[derive(Serialize, Deserialize)]
struct AccountDoc {
    #[serde(rename = "_id")]
    id: String,
    customer_id: String,
    user_id: String,
    instagram_user_id: String,
    instagram_username: String,
    instagram_name: Option<String>,
    profile_picture_url: Option<String>,
    app_id: String,
    facebook_page_id: String,
    facebook_page_name: String,
    access_token: Option<Binary>,
    token_expires_at: Option<BsonTime>,
    data_access_expires_at: Option<BsonTime>,
    scopes: Vec<String>,
    is_active: bool,
    is_authenticated: bool,
    auth_error: Option<String>,
    /// Instagram refused a story for the account (absent in documents from before).
    #[serde(default)]
    stories_refused: bool,
    // Added later than the seed's fields, hence defaults.
    #[serde(default)]
    page_token: Option<Binary>,
    #[serde(default)]
    facebook_user_id: Option<String>,
    #[serde(default)]
    auth_cause: Option<String>,
    #[serde(default)]
    checked_at: Option<BsonTime>,
    /// `facebook` or `instagram`; absent (Facebook Login) in documents from before.
    #[serde(default)]
    login: Option<String>,
    #[serde(default)]
    renewal_error: Option<String>,
    created_at: BsonTime,
    updated_at: BsonTime,
    created_by: String,
    updated_by: String,
}

impl AccountDoc {
    fn into_account(self) -> Result<Account> {
        Ok(Account {
            tenant: Tenant::stored(self.customer_id, self.user_id)?,
            id: self.id,
            instagram_user_id: self.instagram_user_id,
            instagram_username: self.instagram_username,
            instagram_name: self.instagram_name,
            profile_picture_url: self.profile_picture_url,
            app_id: self.app_id,
            facebook_page_id: self.facebook_page_id,
            facebook_page_name: self.facebook_page_name,
            access_token: self.access_token.map(|b| b.bytes),
            token_expires_at: self.token_expires_at.map(chrono_time),
            data_access_expires_at: self.data_access_expires_at.map(chrono_time),
            scopes: self.scopes,
            is_active: self.is_active,
            is_authenticated: self.is_authenticated,
            auth_error: self.auth_error,
            stories_refused: self.stories_refused,
            page_token: self.page_token.map(|b| b.bytes),
            facebook_user_id: self.facebook_user_id,
            auth_cause: self.auth_cause.as_deref().and_then(AuthCause::parse),
            checked_at: self.checked_at.map(chrono_time),
            login: LoginKind::parse(self.login.as_deref()),
            renewal_error: self.renewal_error,
            created_at: chrono_time(self.created_at),
            updated_at: chrono_time(self.updated_at),
            created_by: self.created_by,
            updated_by: self.updated_by,
        })
    }
}

fn binary(bytes: &[u8]) -> Binary {
    Binary {
        subtype: BinarySubtype::Generic,
        bytes: bytes.to_vec(),
    }
}

/// The fields a reconnect refreshes.
fn reconnect_set(a: &ConnectedAccount) -> Document {
    doc! {
        "user_id": a.tenant.user_id(),
        "instagram_username": &a.instagram_username,
        "instagram_name": a.instagram_name.clone(),
        "profile_picture_url": a.profile_picture_url.clone(),
        "app_id": &a.app_id,
        "facebook_page_id": &a.facebook_page_id,
        "facebook_page_name": &a.facebook_page_name,
        "access_token": binary(&a.access_token),
        "token_expires_at": a.token_expires_at.map(bson_time),
        "data_access_expires_at": a.data_access_expires_at.map(bson_time),
        "scopes": a.scopes.clone(),
        "is_active": true,
        "is_authenticated": true,
        "auth_error": null,
        "auth_cause": null,
        "stories_refused": false,
        "page_token": a.page_token.as_deref().map(binary),
        "facebook_user_id": a.facebook_user_id.clone(),
        "checked_at": bson_time(a.now),
        "login": a.login.as_str(),
        "renewal_error": null,
        "updated_at": bson_time(a.now),
        "updated_by": a.tenant.user_id(),
    }
}

impl MongoStore {
    /// The customer's record of this Instagram account, whoever of the customer holds it.
    async fn find_held(&self, a: &ConnectedAccount) -> Result<Option<Account>> {
        self.collection::<AccountDoc>(CREDENTIALS)
            .find_one(doc! {"customer_id": a.tenant.customer_id(), "instagram_user_id": &a.instagram_user_id})
            .await
            .map_err(unavailable)?
            .map(AccountDoc::into_account)
            .transpose()
    }

    /// Updates `held` in place, only if it is still as it was read (optimistic: a racing write
    /// makes this miss, and the caller reads again).
    async fn reconnect(&self, held: &Account, a: &ConnectedAccount) -> Result<Option<Account>> {
        let filter = doc! {
            "_id": &held.id,
            "user_id": held.tenant.user_id(),
            "is_active": held.is_active,
        };
        self.collection::<AccountDoc>(CREDENTIALS)
            .find_one_and_update(filter, doc! {"$set": reconnect_set(a)})
            .return_document(ReturnDocument::After)
            .await
            .map_err(unavailable)?
            .map(AccountDoc::into_account)
            .transpose()
    }

    /// Inserts the account's first record; `None` when a racing callback inserted first.
    async fn insert_new(&self, a: &ConnectedAccount) -> Result<Option<Account>> {
        let now = bson_time(a.now);
        let new = AccountDoc {
            id: a.new_id.clone(),
            customer_id: a.tenant.customer_id().into(),
            user_id: a.tenant.user_id().into(),
            instagram_user_id: a.instagram_user_id.clone(),
            instagram_username: a.instagram_username.clone(),
            instagram_name: a.instagram_name.clone(),
            profile_picture_url: a.profile_picture_url.clone(),
            app_id: a.app_id.clone(),
            facebook_page_id: a.facebook_page_id.clone(),
            facebook_page_name: a.facebook_page_name.clone(),
            access_token: Some(binary(&a.access_token)),
            token_expires_at: a.token_expires_at.map(bson_time),
            data_access_expires_at: a.data_access_expires_at.map(bson_time),
            scopes: a.scopes.clone(),
            is_active: true,
            is_authenticated: true,
            auth_error: None,
            stories_refused: false,
            page_token: a.page_token.as_deref().map(binary),
            facebook_user_id: a.facebook_user_id.clone(),
            auth_cause: None,
            checked_at: Some(now),
            login: Some(a.login.as_str().into()),
            renewal_error: None,
            created_at: now,
            updated_at: now,
            created_by: a.tenant.user_id().into(),
            updated_by: a.tenant.user_id().into(),
        };
        match self
            .collection::<AccountDoc>(CREDENTIALS)
            .insert_one(&new)
            .await
        {
            Ok(_) => new.into_account().map(Some),
            Err(e) if is_duplicate_key(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

#[async_trait]
impl AccountStore for MongoStore {
    /// Reads the record, decides with the domain's rule ([`Account::may_be_reconnected_by`]),
    /// then writes only if nothing changed meanwhile; the unique (customer, Instagram account)
    /// index decides between racing first connections.
    async fn upsert(&self, a: ConnectedAccount) -> Result<Upserted> {
        for _ in 0..RACE_RETRIES {
            match self.find_held(&a).await? {
                Some(held) if !held.may_be_reconnected_by(a.tenant.user_id()) => {
                    return Err(StoreError::Conflict(already_connected(
                        &a.instagram_username,
                    )))
                }
                Some(held) => {
                    if let Some(updated) = self.reconnect(&held, &a).await? {
                        return Ok(Upserted::Updated(updated));
                    }
                }
                None => {
                    // `None`: a racing callback inserted first; read it and decide again.
                    if let Some(created) = self.insert_new(&a).await? {
                        return Ok(Upserted::Created(created));
                    }
                }
            }
        }
        Err(StoreError::Conflict(format!(
            "@{} changed while it was being connected. Try again.",
            a.instagram_username
        )))
    }

    async fn list(&self, tenant: &Tenant) -> Result<Vec<Account>> {
        let docs: Vec<AccountDoc> = self
            .collection::<AccountDoc>(CREDENTIALS)
            .find(doc! {"customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "is_active": true})
            .sort(doc! {"created_at": 1, "_id": 1})
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(AccountDoc::into_account).collect()
    }

    async fn get(&self, tenant: &Tenant, id: &str) -> Result<Option<Account>> {
        self.collection::<AccountDoc>(CREDENTIALS)
            .find_one(
                doc! {"_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id()},
            )
            .await
            .map_err(unavailable)?
            .map(AccountDoc::into_account)
            .transpose()
    }

    async fn disconnect(&self, tenant: &Tenant, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let result = self
            .collection::<Document>(CREDENTIALS)
            .update_one(
                doc! {"_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "is_active": true},
                doc! {"$set": {
                    "is_active": false, "is_authenticated": false, "access_token": null,
                    "page_token": null, "auth_cause": null,
                    "token_expires_at": null, "data_access_expires_at": null, "auth_error": null,
                    "updated_at": bson_time(now), "updated_by": tenant.user_id(),
                }},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }

    async fn mark_needs_reconnect(
        &self,
        tenant: &Tenant,
        id: &str,
        cause: AuthCause,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let result = self
            .collection::<Document>(CREDENTIALS)
            .update_one(
                doc! {"_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "is_active": true},
                doc! {"$set": {
                    "is_authenticated": false, "auth_error": reason, "auth_cause": cause.as_str(),
                    "updated_at": bson_time(now), "checked_at": bson_time(now),
                }},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }

    async fn due_for_check(
        &self,
        checked_before: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Account>> {
        // A missing `checked_at` sorts first (null is the smallest BSON value).
        let docs: Vec<AccountDoc> = self
            .collection::<AccountDoc>(CREDENTIALS)
            .find(doc! {
                "is_active": true, "is_authenticated": true,
                "$or": [{"checked_at": null}, {"checked_at": {"$lt": bson_time(checked_before)}}],
            })
            .sort(doc! {"checked_at": 1, "_id": 1})
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(AccountDoc::into_account).collect()
    }

    async fn renew_token(
        &self,
        tenant: &Tenant,
        id: &str,
        old: &[u8],
        new: &[u8],
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let result = self
            .collection::<Document>(CREDENTIALS)
            .update_one(
                doc! {
                    "_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id(),
                    "is_active": true, "access_token": binary(old),
                },
                doc! {"$set": {
                    "access_token": binary(new),
                    "token_expires_at": expires_at.map(bson_time),
                    "renewal_error": null,
                    "checked_at": bson_time(now),
                    "updated_at": bson_time(now),
                }},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }

    async fn record_check(&self, tenant: &Tenant, id: &str, check: &HealthCheck) -> Result<bool> {
        let result = self
            .collection::<Document>(CREDENTIALS)
            .update_one(
                doc! {"_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id(), "is_active": true},
                doc! {"$set": {
                    "checked_at": bson_time(check.checked_at),
                    "token_expires_at": check.token_expires_at.map(bson_time),
                    "data_access_expires_at": check.data_access_expires_at.map(bson_time),
                    "scopes": check.scopes.clone(),
                    "renewal_error": check.renewal_error.clone(),
                }},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }

    async fn by_facebook_user(&self, app_id: &str, facebook_user_id: &str) -> Result<Vec<Account>> {
        let docs: Vec<AccountDoc> = self
            .collection::<AccountDoc>(CREDENTIALS)
            .find(doc! {"app_id": app_id, "facebook_user_id": facebook_user_id})
            .sort(doc! {"_id": 1})
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(AccountDoc::into_account).collect()
    }

    async fn erase(&self, tenant: &Tenant, id: &str) -> Result<bool> {
        let result = self
            .collection::<Document>(CREDENTIALS)
            .delete_one(
                doc! {"_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id()},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.deleted_count == 1)
    }

    async fn mark_stories_refused(
        &self,
        tenant: &Tenant,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let result = self
            .collection::<Document>(CREDENTIALS)
            .update_one(
                doc! {"_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id()},
                doc! {"$set": {"stories_refused": true, "updated_at": bson_time(now)}},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }

    async fn with_tokens_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<Account>> {
        let docs: Vec<AccountDoc> = self
            .collection::<AccountDoc>(CREDENTIALS)
            .find(doc! {
                "_id": {"$gt": after.unwrap_or_default()},
                "$or": [{"access_token": {"$ne": null}}, {"page_token": {"$ne": null}}],
            })
            .sort(doc! {"_id": 1})
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(unavailable)?
            .try_collect()
            .await
            .map_err(unavailable)?;
        docs.into_iter().map(AccountDoc::into_account).collect()
    }

    async fn count_with_tokens(&self) -> Result<u64> {
        self.collection::<Document>(CREDENTIALS)
            .count_documents(
                doc! {"$or": [{"access_token": {"$ne": null}}, {"page_token": {"$ne": null}}]},
            )
            .await
            .map_err(unavailable)
    }

    async fn reseal(
        &self,
        tenant: &Tenant,
        id: &str,
        old_access: Option<&[u8]>,
        new_access: Option<&[u8]>,
        old_page: Option<&[u8]>,
        new_page: Option<&[u8]>,
    ) -> Result<bool> {
        // Equality on BinData is exact; `null` matches a missing field too.
        let result = self
            .collection::<Document>(CREDENTIALS)
            .update_one(
                doc! {
                    "_id": id, "customer_id": tenant.customer_id(), "user_id": tenant.user_id(),
                    "access_token": old_access.map(binary), "page_token": old_page.map(binary),
                },
                doc! {"$set": {"access_token": new_access.map(binary), "page_token": new_page.map(binary)}},
            )
            .await
            .map_err(unavailable)?;
        Ok(result.matched_count == 1)
    }
}
