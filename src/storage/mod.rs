//! The database: the only module that knows whether Tessera runs on SQLite or PostgreSQL.
//!
//! Every query is written once, in the SQL both dialects share, and compiled twice by
//! [`on_db!`](crate::on_db): once against a `SqliteConnection`, once against a `PgConnection`. Where
//! the dialects truly differ (the schema) there are two migration trees. Use cases never see a
//! connection: they get a [`Tx`], one transaction per use case, committed once. Dropping a `Tx`
//! without committing rolls it back, so an early `?` return leaves the database as it was.
//!
//! What can go wrong here: a unique or foreign-key violation becomes a conflict with a sentence
//! picked by the constraint's name; a pool timeout or I/O failure becomes "unavailable" (503); a
//! PostgreSQL serialization failure or deadlock is marked retryable and [`Db::write`] runs the whole
//! transaction again.

use std::str::FromStr;
use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::error::{AppError, AppResult};

/// How many times a PostgreSQL transaction is attempted before a serialization failure is shown.
const MAX_ATTEMPTS: u32 = 5;

/// A pool on one of the two supported databases. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One open transaction. See the module documentation.
pub struct Tx(#[doc(hidden)] pub TxInner);

/// Public only so that [`on_db!`](crate::on_db) expands outside this crate (in tests).
#[doc(hidden)]
pub enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection, whichever database it is on.
/// The body is compiled once per database, so it must be SQL both understand.
#[macro_export]
macro_rules! on_db {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.0 {
            $crate::storage::TxInner::Sqlite(t) => {
                let $conn: &mut ::sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::storage::TxInner::Postgres(t) => {
                let $conn: &mut ::sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}

/// A value bound to a query built at run time (see [`Sql`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
    /// An integer that may be absent (an end time), bound as a typed NULL when it is.
    OptInt(Option<i64>),
}

/// SQL assembled from parts, with its parameters numbered as they are added. The text never
/// contains a value: every value goes through [`Sql::param`].
#[derive(Clone, Debug, Default)]
pub struct Sql {
    pub binds: Vec<Bind>,
}

impl Sql {
    /// Adds a parameter and returns its placeholder (`$3`).
    pub fn param(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.param(Bind::Text(value.into()))
    }

    pub fn int(&mut self, value: i64) -> String {
        self.param(Bind::Int(value))
    }
}

/// Binds every parameter of an [`Sql`] to a query, in order. A macro, so that it expands once
/// per database inside [`on_db!`](crate::on_db).
#[macro_export]
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for bind in $binds {
            query = match bind {
                $crate::storage::Bind::Text(text) => query.bind(text.as_str()),
                $crate::storage::Bind::Int(int) => query.bind(*int),
                $crate::storage::Bind::OptInt(int) => query.bind(*int),
            };
        }
        query
    }};
}

impl Db {
    /// Opens the database named by `url` (`sqlite://path` or `postgres://…`), creating an SQLite
    /// file and its directory if they do not exist yet, and brings the schema up to date.
    pub async fn connect(url: &str) -> AppResult<Db> {
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| AppError::invalid(format!("The SQLite database URL is invalid: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        AppError::invalid(format!(
                            "The directory {} for the SQLite database cannot be created: {e}",
                            dir.display()
                        ))
                    })?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(15))
                .connect_with(options)
                .await
                .map_err(connect_error)?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(|e| {
                AppError::invalid(format!("The PostgreSQL database URL is invalid: {e}"))
            })?;
            Db::Postgres(postgres_pool(options).await?)
        } else {
            return Err(AppError::invalid(
                "The database URL must start with sqlite:// or postgres://.",
            ));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Connects to PostgreSQL with every connection's `search_path` set to `schema`. Tests use it
    /// to give each test a fresh, private schema in one shared database.
    pub async fn connect_postgres_schema(url: &str, schema: &str) -> AppResult<Db> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| AppError::invalid(format!("The PostgreSQL database URL is invalid: {e}")))?
            .options([("search_path", schema)]);
        let db = Db::Postgres(postgres_pool(options).await?);
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> AppResult<()> {
        // Several instances may start together on one PostgreSQL: sqlx's migrator takes an
        // advisory lock, so exactly one of them applies each migration.
        let result = match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        };
        result.map_err(|e| {
            tracing::error!(error = %e, "database migration failed");
            AppError::new(
                crate::error::ErrorCode::Internal,
                format!("The database schema could not be brought up to date: {e}"),
            )
        })
    }

    /// Which database this is, for logs and the start-up banner.
    pub fn kind(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    /// A transaction for reads: every query in it sees one consistent snapshot.
    pub async fn read(&self) -> AppResult<Tx> {
        Ok(Tx(match self {
            Db::Sqlite(pool) => TxInner::Sqlite(pool.begin().await.map_err(db_error)?),
            Db::Postgres(pool) => TxInner::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await
                    .map_err(db_error)?,
            ),
        }))
    }

    /// Runs one use case in one write transaction and commits it.
    ///
    /// On SQLite the transaction starts with `BEGIN IMMEDIATE`, so writers queue on the database
    /// lock (up to the busy timeout) instead of failing when one upgrades from reading to writing.
    /// On PostgreSQL a serialization failure or deadlock re-runs `work` from the start, so `work`
    /// must do nothing outside the transaction that cannot be repeated.
    pub async fn write<T, F>(&self, mut work: F) -> AppResult<T>
    where
        T: Send,
        F: FnMut(&mut Tx) -> BoxFuture<'_, AppResult<T>> + Send,
    {
        let mut attempt = 1;
        loop {
            let mut tx = self.begin_write().await?;
            let outcome = match work(&mut tx).await {
                Ok(value) => tx.commit().await.map(|()| value),
                Err(error) => Err(error),
            };
            match outcome {
                Err(error) if error.retryable && attempt < MAX_ATTEMPTS => {
                    tracing::info!(attempt, "transaction conflicted; running it again");
                    tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt))).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn begin_write(&self) -> AppResult<Tx> {
        Ok(Tx(match self {
            Db::Sqlite(pool) => {
                TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?)
            }
            Db::Postgres(pool) => TxInner::Postgres(pool.begin().await.map_err(db_error)?),
        }))
    }

    /// Whether the database answers a trivial query: the readiness probe.
    pub async fn ping(&self) -> bool {
        let result = match self {
            Db::Sqlite(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()),
        };
        result.is_ok()
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub fn is_postgres(&self) -> bool {
        matches!(self.0, TxInner::Postgres(_))
    }

    /// A subquery yielding the strings of a JSON array parameter, one row each: how a long
    /// list of ids reaches the database as one parameter.
    pub fn json_strings(&self, param: &str) -> String {
        if self.is_postgres() {
            format!("SELECT jsonb_array_elements_text(CAST({param} AS jsonb))")
        } else {
            format!("SELECT value FROM json_each({param})")
        }
    }

    pub async fn commit(self) -> AppResult<()> {
        match self.0 {
            TxInner::Sqlite(t) => t.commit().await.map_err(db_error),
            TxInner::Postgres(t) => t.commit().await.map_err(db_error),
        }
    }
}

async fn postgres_pool(options: PgConnectOptions) -> AppResult<PgPool> {
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(connect_error)
}

fn connect_error(error: sqlx::Error) -> AppError {
    tracing::error!(error = %error, "cannot open the database");
    AppError::new(
        crate::error::ErrorCode::Unavailable,
        format!("The database cannot be opened: {error}"),
    )
}

/// Human sentences for the constraints a person can run into, by the constraint's name. SQLite
/// reports a unique index by its name; PostgreSQL names the constraint.
const CONSTRAINT_MESSAGES: &[(&str, &str)] = &[
    (
        "users_username_key",
        "A user with this username already exists.",
    ),
    (
        "users_email_key",
        "Another user already has this email address.",
    ),
    (
        "access_groups_name_key",
        "A group with this name already exists.",
    ),
    ("roles_name_key", "A role with this name already exists."),
    ("scopes_pkey", "A scope with this name already exists."),
    ("scopes.name", "A scope with this name already exists."),
];

/// Converts a database error into what a person may see, logging the cause once.
pub fn db_error(error: sqlx::Error) -> AppError {
    match &error {
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // PostgreSQL: serialization failure and deadlock are cured by running it again.
            if code == "40001" || code == "40P01" {
                let mut retry = AppError::conflict(
                    "Someone else changed the same data at the same moment. Nothing was changed; try again.",
                );
                retry.retryable = true;
                return retry;
            }
            let text = db.message();
            let name = db.constraint().unwrap_or(text);
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    let message = CONSTRAINT_MESSAGES
                        .iter()
                        .find(|(constraint, _)| name.contains(constraint))
                        .map(|(_, message)| *message)
                        .unwrap_or("This would duplicate something that already exists.");
                    tracing::info!(constraint = name, "refused a duplicate");
                    AppError::conflict(message)
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    tracing::info!(constraint = name, "refused a dangling reference");
                    AppError::conflict(
                        "This refers to something that does not exist any more. Reload and try again.",
                    )
                }
                // SQLite's "database is locked" after the busy timeout, PostgreSQL's
                // "cannot connect now": both pass.
                _ if code == "5"
                    || code == "517"
                    || code.starts_with("57P")
                    || code.starts_with("08") =>
                {
                    tracing::warn!(error = %error, "database busy or going away");
                    AppError::unavailable()
                }
                _ => {
                    tracing::error!(error = %error, "database error");
                    AppError::internal()
                }
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
            tracing::warn!(error = %error, "database unavailable");
            AppError::unavailable()
        }
        _ => {
            tracing::error!(error = %error, "database error");
            AppError::internal()
        }
    }
}
