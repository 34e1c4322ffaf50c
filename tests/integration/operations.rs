//! What a load balancer and a monitoring system see: the probes and the Prometheus metrics.

use axum::body::Body;
use http::{header, Method, Request, StatusCode};
use secrecy::SecretString;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;
use tessera::storage::Db;

/// The sum of every sample of `metric` whose labels include all of `labels` (`key="value"`).
fn sample(page: &str, metric: &str, labels: &[&str]) -> f64 {
    page.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let name = series.split('{').next()?;
            (name == metric && labels.iter().all(|l| series.contains(l)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

async fn scrape(app: &TestApp) -> String {
    let page = app.get("/metrics", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.body
}

both_databases!(
    metrics_count_requests_grants_sign_in_failures_and_bulk_sizes,
    async |app: &TestApp| {
        let before = scrape(app).await;

        assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
        app.post_sign_in("admin", "not the password at all", "/")
            .await;
        let admin = app.sign_in_admin().await;
        let user = app.add_user("counted", "a counted passphrase", &[]).await;
        let role = app.id_of("roles", "name", "Administrator").await;
        let applied = app
            .call_json(
                "/api/users/bulk/apply",
                Some(&admin),
                json!({
                    "selection": { "kind": "ids", "ids": [user] },
                    "action": { "kind": "add_role", "role_id": role, "expires_at": null },
                }),
            )
            .await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        let refused = app
            .send(
                Request::builder()
                    .method(Method::POST)
                    .uri("/oauth/token")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(
                        "grant_type=refresh_token&client_id=nobody&refresh_token=x",
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);

        let after = scrape(app).await;
        for name in [
            "tessera_http_requests_total",
            "tessera_http_request_duration_seconds",
            "tessera_token_grants_total",
            "tessera_sign_in_failures_total",
            "tessera_bulk_operation_users",
        ] {
            assert!(
                after.contains(&format!("# HELP {name} ")),
                "{name} is described"
            );
        }
        let grew = |metric: &str, labels: &[&str]| {
            sample(&after, metric, labels) - sample(&before, metric, labels)
        };
        assert!(
            grew(
                "tessera_http_requests_total",
                &[r#"route="/healthz""#, r#"method="GET""#, r#"status="200""#]
            ) >= 1.0,
            "{after}"
        );
        assert!(
            grew(
                "tessera_http_requests_total",
                &[r#"route="/api/users/bulk/apply""#, r#"status="200""#]
            ) >= 1.0
        );
        assert!(
            grew(
                "tessera_http_request_duration_seconds_count",
                &[r#"route="/auth/sign-in""#]
            ) >= 2.0
        );
        assert!(
            grew(
                "tessera_token_grants_total",
                &[
                    r#"grant_type="refresh_token""#,
                    r#"outcome="invalid_client""#
                ]
            ) >= 1.0
        );
        assert!(
            grew(
                "tessera_sign_in_failures_total",
                &[r#"reason="credentials""#]
            ) >= 1.0
        );
        assert!(grew("tessera_bulk_operation_users_count", &[]) >= 1.0);
        // Nothing a request names freely becomes a label.
        assert!(!after.contains("nobody"), "a client id leaked into a label");
        assert!(!after.contains("counted"), "a username leaked into a label");
    }
);

#[tokio::test]
async fn with_a_metrics_token_the_page_needs_it() {
    let app = TestApp::start_configured(Backend::Sqlite, |config| {
        config.metrics_token = Some(SecretString::from("scraper-secret-1"));
    })
    .await
    .expect("SQLite");
    let ask = |bearer: Option<&'static str>| {
        let mut request = Request::builder().uri("/metrics");
        if let Some(bearer) = bearer {
            request = request.header(header::AUTHORIZATION, format!("Bearer {bearer}"));
        }
        app.send(request.body(Body::empty()).unwrap())
    };
    assert_eq!(ask(None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        ask(Some("scraper-secret-2")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let open = ask(Some("scraper-secret-1")).await;
    assert_eq!(open.status, StatusCode::OK);
    assert!(open.body.contains("tessera_http_requests_total"));
    app.finish().await;
}

#[tokio::test]
async fn readiness_follows_the_database() {
    let app = TestApp::start(Backend::Sqlite).await.expect("SQLite");
    let ready = app.get("/readyz", None).await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready")
    );
    app.db.close().await;
    let gone = app.get("/readyz", None).await;
    assert_eq!(gone.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/healthz", None).await.status,
        StatusCode::OK,
        "alive all the same"
    );
    app.finish().await;
}

/// A TCP proxy in front of PostgreSQL that the test can cut (every connection dropped, new
/// ones refused) and restore, as when the database server restarts or the network fails.
struct Proxy {
    addr: std::net::SocketAddr,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn to(target: String) -> Proxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (is_open, all) = (open.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !is_open.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                all.lock().unwrap().push(link.abort_handle());
            }
        });
        Proxy { addr, open, links }
    }

    fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn authority(url: &str) -> String {
    let rest = url.split_once('@').map_or(url, |(_, rest)| rest);
    let rest = rest.split_once("://").map_or(rest, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap().to_string()
}

async fn list_users(app: &TestApp, admin: &str) -> Response {
    app.call(
        "/api/users/list",
        Some(admin),
        &[("search", ""), ("page", "1")],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_is_a_clear_503_and_tessera_recovers_when_it_returns() {
    let Ok(url) = std::env::var("TESSERA_TEST_POSTGRES_URL") else {
        eprintln!("skipped: TESSERA_TEST_POSTGRES_URL is not set");
        return;
    };
    let proxy = Proxy::to(authority(&url)).await;
    let proxied = proxy.addr.to_string();
    let app = TestApp::start_postgres_via(|url| url.replacen(&authority(url), &proxied, 1))
        .await
        .expect("PostgreSQL");
    let admin = app.sign_in_admin().await;
    assert_eq!(list_users(&app, &admin).await.status, StatusCode::OK);

    proxy.cut();
    let away = list_users(&app, &admin).await;
    assert_eq!(
        away.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        away.body
    );
    assert_eq!(away.json()["code"], "unavailable");
    assert!(away.json()["message"]
        .as_str()
        .unwrap()
        .contains("try again"));
    let changed = app
        .call_json(
            "/api/roles/create",
            Some(&admin),
            json!({ "name": "Made while away", "description": "", "scopes": [] }),
        )
        .await;
    assert_eq!(
        changed.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        changed.body
    );
    assert_eq!(
        app.get("/readyz", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    // Back, without restarting anything: the pool reconnects on the next request.
    proxy.restore();
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    assert_eq!(list_users(&app, &admin).await.status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM roles WHERE name = 'Made while away'")
            .await,
        0,
        "the refused change left nothing behind"
    );
    app.check_invariants().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_locked_by_another_process_is_a_clear_503_and_recovers_when_released() {
    use sqlx::Connection;
    let app = TestApp::start(Backend::Sqlite).await.expect("SQLite");
    let admin = app.sign_in_admin().await;
    let Db::Sqlite(pool) = &app.db else {
        unreachable!()
    };
    let file = pool.connect_options().get_filename().to_path_buf();
    // Another program holding the write lock (a backup tool gone wrong, say) past the busy
    // timeout.
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();

    let create = |name: &'static str| {
        app.call_json(
            "/api/roles/create",
            Some(&admin),
            json!({ "name": name, "description": "", "scopes": [] }),
        )
    };
    let locked = create("Made while locked").await;
    assert_eq!(
        locked.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        locked.body
    );
    assert_eq!(locked.json()["code"], "unavailable");

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    let again = create("Made after the lock").await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM roles WHERE name = 'Made while locked'")
            .await,
        0
    );
    app.check_invariants().await;
    app.finish().await;
}
