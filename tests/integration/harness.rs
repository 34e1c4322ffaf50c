//! A Tessera instance in process, on a fresh database, driven through its real router.
//!
//! Every test runs twice through [`both_databases!`]: on a new SQLite file and on a new private
//! schema in the PostgreSQL named by `TESSERA_TEST_POSTGRES_URL`. Without that variable the
//! PostgreSQL half is skipped with a message, unless `TESSERA_REQUIRE_POSTGRES=1` (as in CI), when
//! it fails.

use axum::body::Body;
use axum::Router;
use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use secrecy::SecretString;
use tessera::server::{router::router, AppState, Clock, Config};
use tessera::storage::Db;
use tower::ServiceExt;

pub const ADMIN_PASSWORD: &str = "a long admin passphrase";
/// 2026-12-03 12:00:00 UTC: tests run at a fixed, movable time.
pub const T0: i64 = 1_796_299_200;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub db: Db,
    pub clock: Clock,
    pub router: Router,
    pub state: AppState,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Schema(String, String),
    None,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    /// `name=value` of the cookie `name` this response sets (with a value), if it does.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
            .map(str::to_string)
    }

    pub fn set_cookie(&self) -> Option<&str> {
        self.headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// A new instance, or `None` when PostgreSQL is asked for but not configured.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_configured(backend, |_| {}).await
    }

    /// A new instance whose configuration `configure` adjusts first.
    pub async fn start_configured(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        capture_logs();
        let clock = Clock::fixed(T0);
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let (db, cleanup) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("tessera-test-{tag}.db"));
                let db = Db::connect(&format!("sqlite://{}", path.display()))
                    .await
                    .expect("open SQLite");
                (db, Cleanup::File(path))
            }
            Backend::Postgres => {
                let Ok(url) = std::env::var("TESSERA_TEST_POSTGRES_URL") else {
                    if std::env::var("TESSERA_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                        panic!(
                            "TESSERA_REQUIRE_POSTGRES=1 but TESSERA_TEST_POSTGRES_URL is not set"
                        );
                    }
                    eprintln!("skipped on PostgreSQL: TESSERA_TEST_POSTGRES_URL is not set");
                    return None;
                };
                let schema = format!("test_{tag}");
                run_postgres(&url, &format!("CREATE SCHEMA {schema}")).await;
                let db = Db::connect_postgres_schema(&url, &schema)
                    .await
                    .expect("open PostgreSQL");
                (db, Cleanup::Schema(url, schema))
            }
        };
        Some(Self::assemble(db, cleanup, clock, configure).await)
    }

    /// An instance on a fresh PostgreSQL schema that it reaches through `via`, a URL naming
    /// the same server by another way (a proxy the test controls); `None` without PostgreSQL.
    pub async fn start_postgres_via(via: impl FnOnce(&str) -> String) -> Option<TestApp> {
        capture_logs();
        let Ok(url) = std::env::var("TESSERA_TEST_POSTGRES_URL") else {
            eprintln!("skipped: TESSERA_TEST_POSTGRES_URL is not set");
            return None;
        };
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        run_postgres(&url, &format!("CREATE SCHEMA {schema}")).await;
        let db = Db::connect_postgres_schema(&via(&url), &schema)
            .await
            .expect("open PostgreSQL");
        let cleanup = Cleanup::Schema(url, schema);
        Some(Self::assemble(db, cleanup, Clock::fixed(T0), |_| {}).await)
    }

    async fn assemble(
        db: Db,
        cleanup: Cleanup,
        clock: Clock,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let options = LeptosOptions::builder()
            .output_name("tessera")
            .site_root("target/site")
            .build();
        let mut config = Config::new("http://127.0.0.1:3000");
        configure(&mut config);
        let state = AppState::new(options, db.clone(), config, clock.clone())
            .await
            .expect("state");
        tessera::setup::bootstrap_admin(
            &db,
            "admin",
            "Ada Admin",
            SecretString::from(ADMIN_PASSWORD),
            T0,
        )
        .await
        .expect("bootstrap admin");
        TestApp {
            router: router(state.clone()),
            state,
            db,
            clock,
            cleanup,
        }
    }

    /// A second Tessera instance on the same database and clock, as behind a load balancer.
    pub async fn another_instance(&self) -> TestApp {
        let options = LeptosOptions::builder()
            .output_name("tessera")
            .site_root("target/site")
            .build();
        let state = AppState::new(
            options,
            self.db.clone(),
            Config::new("http://127.0.0.1:3000"),
            self.clock.clone(),
        )
        .await
        .expect("state");
        TestApp {
            router: router(state.clone()),
            state,
            db: self.db.clone(),
            clock: self.clock.clone(),
            // The first instance cleans up.
            cleanup: Cleanup::None,
        }
    }

    pub async fn finish(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Schema(url, schema) => {
                run_postgres(&url, &format!("DROP SCHEMA {schema} CASCADE")).await;
            }
            Cleanup::None => {}
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut request = Request::builder().method(Method::GET).uri(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// Posts the sign-in form as a same-origin browser would.
    pub async fn post_sign_in(&self, username: &str, password: &str, next: &str) -> Response {
        let body = serde_urlencoded::to_string([
            ("username", username),
            ("password", password),
            ("next", next),
        ])
        .expect("form");
        let request = Request::builder()
            .method(Method::POST)
            .uri("/auth/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Signs in and returns the `Cookie` header value for later requests.
    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let response = self.post_sign_in(username, password, "/users").await;
        assert_eq!(
            response.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}"
        );
        let set_cookie = response.set_cookie().expect("a session cookie");
        set_cookie
            .split(';')
            .next()
            .expect("name=value")
            .to_string()
    }

    pub async fn sign_in_admin(&self) -> String {
        self.sign_in("admin", ADMIN_PASSWORD).await
    }

    /// Calls a server function as the console does: POST, form-encoded arguments, JSON answer.
    pub async fn call(&self, path: &str, cookie: Option<&str>, args: &[(&str, &str)]) -> Response {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let body = serde_urlencoded::to_string(args).expect("form");
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    /// Calls a server function that takes JSON, as API clients do.
    pub async fn call_json(
        &self,
        path: &str,
        cookie: Option<&str>,
        args: serde_json::Value,
    ) -> Response {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::from(args.to_string())).expect("request"))
            .await
    }

    /// The id of the user, role or group with this name.
    pub async fn id_of(&self, table: &str, column: &str, name: &str) -> String {
        let mut tx = self.db.read().await.expect("read");
        let sql = format!("SELECT id FROM {table} WHERE {column} = $1");
        tessera::on_db!(tx, |c| {
            sqlx::query_scalar::<_, String>(&sql)
                .bind(name)
                .fetch_one(&mut *c)
                .await
                .expect("id")
        })
    }

    /// Creates a user with a password and, optionally, membership of a new group holding a new
    /// role with `scopes`. Returns the user's id.
    pub async fn add_user(&self, username: &str, password: &str, scopes: &[&str]) -> String {
        let hash = tessera::auth::password::hash(SecretString::from(password))
            .await
            .expect("hash");
        let (username, scopes) = (
            username.to_string(),
            scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        );
        self.db
            .write(|tx| {
                let (username, scopes, hash) = (username.clone(), scopes.clone(), hash.clone());
                Box::pin(async move {
                    use tessera::{
                        groups::store as groups, roles::store as roles, users::store as users,
                    };
                    let user = users::NewUser::parse(&username, "", None, Some(hash))?;
                    let id = users::insert(tx, &user, T0).await?;
                    if !scopes.is_empty() {
                        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
                        let role =
                            roles::insert(tx, &format!("{username} role"), "", &refs, T0).await?;
                        let group =
                            groups::insert(tx, &format!("{username} group"), "", T0).await?;
                        groups::add_role(tx, &group, &role, T0).await?;
                        groups::add_member(tx, &group, &id, T0).await?;
                    }
                    Ok(id)
                })
            })
            .await
            .expect("add user")
    }

    /// Runs one statement outside Tessera's use cases, for arranging odd states in tests.
    pub async fn exec(&self, sql: &str, bind: &str) -> Result<u64, tessera::error::AppError> {
        let sql = sql.to_string();
        let bind = bind.to_string();
        self.db
            .write(|tx| {
                let (sql, bind) = (sql.clone(), bind.clone());
                Box::pin(async move {
                    Ok(tessera::on_db!(tx, |c| {
                        sqlx::query(&sql)
                            .bind(&bind)
                            .execute(&mut *c)
                            .await
                            .map_err(tessera::storage::db_error)?
                            .rows_affected()
                    }))
                })
            })
            .await
    }

    /// Runs SQL (several statements allowed) with no parameters, e.g. to install a trigger
    /// that makes a test's write fail at a chosen row.
    pub async fn exec_raw(&self, sql: &str) {
        match &self.db {
            Db::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(|_| ()),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// The text in the first column of the first row `sql` returns.
    pub async fn text(&self, sql: &str) -> String {
        let mut tx = self.db.read().await.expect("read");
        tessera::on_db!(tx, |c| {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_one(&mut *c)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        })
    }

    /// Posts a form as the browser does from a page of this site, with `cookie`.
    pub async fn post_form(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> Response {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "http://127.0.0.1:3000")
            .header("sec-fetch-site", "same-origin");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let body = serde_urlencoded::to_string(form).expect("form");
        self.send(request.body(Body::from(body)).expect("request"))
            .await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let mut tx = self.db.read().await.expect("read");
        tessera::on_db!(tx, |c| {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut *c)
                .await
                .expect("count")
        })
    }
}

/// Sends what Tessera logs during the tests to `target/test-logs/`, at debug level for Tessera
/// itself, so that `scripts/test` can scan the whole run for secrets that must never be logged.
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let dir = std::path::Path::new("target/test-logs");
        let _ = std::fs::create_dir_all(dir);
        let file = dir.join(format!("integration-{}.log", std::process::id()));
        let Ok(file) = std::fs::File::create(&file) else {
            return;
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,tessera=debug,sqlx=warn",
            ))
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    });
}

pub async fn run_postgres(url: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
    let _ = conn.close().await;
}

/// Defines `mod $name` with one test per database, each running `$body(app)`.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = TestApp::start(Backend::Sqlite).await.expect("SQLite app");
                ($body)(&app).await;
                app.check_invariants().await;
                app.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = TestApp::start(Backend::Postgres).await {
                    ($body)(&app).await;
                    app.check_invariants().await;
                    app.finish().await;
                }
            }
        }
    };
}
