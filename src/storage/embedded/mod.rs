//! The embedded store: SQLite (bundled, so nothing to install) in the data directory.
//!
//! It keeps the same uniqueness rules as the MongoDB indexes, with SQL constraints. It runs in WAL
//! mode with `synchronous=NORMAL`: every committed write survives a crash or restart of the
//! process (only a power cut can lose the last moments, the trade-off SQLite documents for WAL),
//! without an fsync on every write. SQLite is synchronous: calls run on tokio's blocking pool, on
//! one writer connection and a few reader connections.

mod accounts;
pub(crate) mod blobs;
mod compliance;
mod connect_states;
mod library;
mod posts;
mod sessions;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::{
    domain::store::{StoreError, StoreResult as Result},
    server::health::Health,
};

const FILE_NAME: &str = "social-media-uploader.sqlite3";
const READERS: usize = 4;

/// Schema, applied idempotently at start-up. Timestamps are RFC 3339 UTC text with milliseconds,
/// which sorts and compares correctly as text.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS instagram_credentials (
    id                      TEXT PRIMARY KEY,
    customer_id             TEXT NOT NULL,
    user_id                 TEXT NOT NULL,
    instagram_user_id       TEXT NOT NULL,
    instagram_username      TEXT NOT NULL,
    instagram_name          TEXT,
    profile_picture_url     TEXT,
    app_id                  TEXT NOT NULL,
    facebook_page_id        TEXT NOT NULL,
    facebook_page_name      TEXT NOT NULL,
    access_token            BLOB,
    token_expires_at        TEXT,
    data_access_expires_at  TEXT,
    scopes                  TEXT NOT NULL,
    is_active               INTEGER NOT NULL,
    is_authenticated        INTEGER NOT NULL,
    auth_error              TEXT,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    updated_by              TEXT NOT NULL,
    UNIQUE (customer_id, instagram_user_id)
);
CREATE INDEX IF NOT EXISTS credentials_by_tenant
    ON instagram_credentials (customer_id, user_id, is_active, created_at);

CREATE TABLE IF NOT EXISTS oauth_states (
    state_hash       TEXT PRIMARY KEY,
    flow_id          TEXT NOT NULL,
    customer_id      TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    session_binding  TEXT,
    return_mode      TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    used             INTEGER NOT NULL DEFAULT 0,
    outcome          TEXT
);
CREATE INDEX IF NOT EXISTS oauth_states_by_flow ON oauth_states (customer_id, user_id, flow_id);
CREATE INDEX IF NOT EXISTS oauth_states_by_expiry ON oauth_states (expires_at);

CREATE TABLE IF NOT EXISTS connect_flows (
    flow_id      TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    bound_to     TEXT,
    return_mode  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    started      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS connect_flows_by_expiry ON connect_flows (expires_at);

CREATE TABLE IF NOT EXISTS sessions (
    id_hash     TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    customer_id TEXT,
    user_id     TEXT
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);

CREATE TABLE IF NOT EXISTS instagram_posts (
    id                 TEXT PRIMARY KEY,
    customer_id        TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    credential_id      TEXT NOT NULL,
    instagram_user_id  TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL,
    status             TEXT NOT NULL,
    run_at             TEXT NOT NULL,
    published_at       TEXT,
    lease_owner        TEXT,
    lease_until        TEXT,
    lease_epoch        INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    body               TEXT NOT NULL,
    UNIQUE (customer_id, user_id, idempotency_key)
);
DROP INDEX IF EXISTS posts_due;
-- The claim walks the pending posts in run_at order and stops at the first it may take: one
-- index for the three pending statuses, so nothing is sorted however many posts are due.
CREATE INDEX IF NOT EXISTS posts_claim ON instagram_posts (run_at, id)
    WHERE status IN ('scheduled', 'queued', 'publishing');
CREATE INDEX IF NOT EXISTS posts_by_tenant ON instagram_posts (customer_id, user_id, id);
-- The history's filters (status, account, both) read one index range per status, newest first.
CREATE INDEX IF NOT EXISTS posts_by_status ON instagram_posts (customer_id, user_id, status, id);
CREATE INDEX IF NOT EXISTS posts_by_account ON instagram_posts (customer_id, user_id, credential_id, id);
CREATE INDEX IF NOT EXISTS posts_by_account_status
    ON instagram_posts (customer_id, user_id, credential_id, status, id);
CREATE INDEX IF NOT EXISTS posts_published ON instagram_posts (instagram_user_id, published_at);

CREATE TABLE IF NOT EXISTS container_uses (
    instagram_user_id  TEXT NOT NULL,
    at                 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS container_uses_by_account ON container_uses (instagram_user_id, at);
"#;

/// Columns added after a table's first release: `(table, column, definition)`. A data directory
/// made by an older version gets them at start-up ([`add_missing_columns`]).
const ADDED_COLUMNS: [(&str, &str, &str); 11] = [
    ("sessions", "customer_id", "TEXT"),
    ("sessions", "user_id", "TEXT"),
    (
        "instagram_credentials",
        "stories_refused",
        "INTEGER NOT NULL DEFAULT 0",
    ),
    ("instagram_credentials", "page_token", "BLOB"),
    ("instagram_credentials", "facebook_user_id", "TEXT"),
    ("instagram_credentials", "auth_cause", "TEXT"),
    ("instagram_credentials", "checked_at", "TEXT"),
    (
        "instagram_credentials",
        "login",
        "TEXT NOT NULL DEFAULT 'facebook'",
    ),
    ("instagram_credentials", "renewal_error", "TEXT"),
    ("oauth_states", "login", "TEXT NOT NULL DEFAULT 'facebook'"),
    ("connect_flows", "login", "TEXT NOT NULL DEFAULT 'facebook'"),
];

/// Indexes over added columns, made once the columns exist.
const LATE_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS sessions_by_tenant ON sessions (customer_id, user_id);
CREATE INDEX IF NOT EXISTS credentials_by_check ON instagram_credentials (is_active, checked_at);
CREATE INDEX IF NOT EXISTS credentials_by_facebook_user ON instagram_credentials (app_id, facebook_user_id);
";

/// Adds what [`ADDED_COLUMNS`] lists and an older data directory lacks.
fn add_missing_columns(conn: &Connection) -> rusqlite::Result<()> {
    for (table, column, definition) in ADDED_COLUMNS {
        let mut stmt = conn.prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
        let present = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .iter()
            .any(|name| name == column);
        if !present {
            conn.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition};"
            ))?;
        }
    }
    conn.execute_batch(LATE_INDEXES)
}

pub struct EmbeddedStore {
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Arc<Mutex<Connection>>>,
    path: PathBuf,
}

impl EmbeddedStore {
    pub async fn open(data_dir: &Path) -> Result<Self> {
        let data_dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&data_dir))
            .await
            .map_err(|e| StoreError::unavailable("the storage task", e))?
    }

    fn open_blocking(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::unavailable(format!("cannot create {}", data_dir.display()), e)
        })?;
        let path = data_dir.join(FILE_NAME);
        let writer = Connection::open(&path).map_err(|e| unavailable(&path, e))?;
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
            )
            .map_err(|e| unavailable(&path, e))?;
        writer
            .execute_batch(SCHEMA)
            .map_err(|e| unavailable(&path, e))?;
        writer
            .execute_batch(compliance::SCHEMA)
            .map_err(|e| unavailable(&path, e))?;
        writer
            .execute_batch(library::SCHEMA)
            .map_err(|e| unavailable(&path, e))?;
        add_missing_columns(&writer).map_err(|e| unavailable(&path, e))?;
        writer.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let readers = (0..READERS)
            .map(|_| {
                let conn = Connection::open_with_flags(
                    &path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(|e| unavailable(&path, e))?;
                conn.execute_batch("PRAGMA busy_timeout = 5000;")
                    .map_err(|e| unavailable(&path, e))?;
                conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                Ok(Arc::new(Mutex::new(conn)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            readers,
            path,
        })
    }

    /// Runs `f` on the writer connection, off the async threads.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        run(self.writer.clone(), f).await
    }

    /// Runs `f` on a free reader connection. Reads are short indexed lookups (tens of
    /// microseconds), so they run on the calling thread: handing each to the blocking pool cost two
    /// thread switches per query and was the largest cost of the API under load. When every reader
    /// is busy, the read waits for one on the blocking pool instead.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        for conn in &self.readers {
            if let Ok(mut guard) = conn.try_lock() {
                return f(&mut guard);
            }
        }
        run(self.readers[0].clone(), f).await
    }
}

/// How many parsed statements each connection keeps: every statement of the store fits.
const STATEMENT_CACHE: usize = 128;

/// `execute` and `query_row` through the connection's statement cache: parsing and planning a
/// statement cost more than running most of ours (a tenth of the publisher's time in a profile).
trait Cached {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn execute_cached<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

async fn run<T, F>(conn: Arc<Mutex<Connection>>, f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| StoreError::unavailable("the storage task", e))?
}

fn unavailable(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::unavailable(path.display().to_string(), e)
}

/// Maps SQLite errors to the port's, keeping them as the source. Uniqueness refusals the domain
/// must see as conflicts are caught where the statement runs ([`is_unique_violation`]), with the
/// customer's words.
fn sql_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::FromSqlConversionFailure(..) | rusqlite::Error::InvalidColumnType(..) => {
            StoreError::corrupt("a stored row", e)
        }
        _ => StoreError::unavailable("SQLite", e),
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation)
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn parse_opt_ts(s: Option<String>) -> rusqlite::Result<Option<DateTime<Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}

fn json_err(e: serde_json::Error) -> StoreError {
    StoreError::corrupt("a stored JSON value", e)
}

/// A value one of our own types could not represent, as a row-conversion error.
fn conversion<E: std::error::Error + Send + Sync + 'static>(col: usize, e: E) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(col, rusqlite::types::Type::Text, Box::new(e))
}

#[async_trait]
impl Health for EmbeddedStore {
    async fn ping(&self) -> Result<()> {
        let path = self.path.clone();
        self.read(move |c| {
            c.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(|e| unavailable(&path, e))
        })
        .await
    }
}
