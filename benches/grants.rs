//! Token grants per second: a benchmark, not a test. It asserts nothing; it prints a markdown
//! table.
//!
//! ```text
//! cargo bench --features ssr --bench grants                     # SQLite in target/bench
//! TESSERA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench --features ssr --bench grants                 # and PostgreSQL
//! ```
//!
//! Requests go through Tessera's real router in process (no sockets, so this is the server's own
//! cost): `WORKERS` concurrent clients for `SECONDS` each. A refresh grant rotates the refresh
//! token and re-derives the person's scopes (a person in 10 groups holding 10 roles), so it is
//! one write transaction with a durable commit; a client-credentials grant is one read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::Router;
use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use tessera::access::domain::Actor;
use tessera::oauth::{domain, store, ApplicationInput};
use tessera::server::{router::router, AppState, Clock, Config};
use tessera::storage::Db;
use tower::ServiceExt;

const WORKERS: usize = 16;
const SECONDS: u64 = 5;
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:9000/cb";

async fn post_form(
    router: &Router,
    form: &[(&str, &str)],
    basic: Option<&str>,
) -> (StatusCode, serde_json::Value) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(basic) = basic {
        request = request.header(header::AUTHORIZATION, basic);
    }
    let request = request
        .body(Body::from(serde_urlencoded::to_string(form).unwrap()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// A person in 10 groups, each holding a role with 3 scopes; and the applications.
async fn arrange(db: &Db, now: i64) -> (String, String, String) {
    let actor = Actor {
        id: String::new(),
        name: "bench".into(),
        request_id: None,
    };
    db.write(|tx| {
        let actor = actor.clone();
        Box::pin(async move {
            use tessera::{
                groups::store as groups, roles::store as roles, scopes::store as scopes,
                users::store as users,
            };
            let person = users::insert(
                tx,
                &users::NewUser::parse("heavy", "Heavy User", None, None)?,
                now,
            )
            .await?;
            for g in 0..10 {
                let mut names = Vec::new();
                for s in 0..3 {
                    let name = format!("app{g}:scope{s}");
                    scopes::insert(tx, &name, "", now).await?;
                    names.push(name);
                }
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let role = roles::insert(tx, &format!("Role {g}"), "", &refs, now).await?;
                let group = groups::insert(tx, &format!("Group {g}"), "", now).await?;
                groups::add_role(tx, &group, &role, now).await?;
                groups::add_member(tx, &group, &person, now).await?;
            }
            let public = ApplicationInput {
                name: "Bench SPA".into(),
                client_id: "bench-spa".into(),
                confidential: false,
                redirect_uris: vec![REDIRECT.into()],
            };
            domain::create(tx, &actor, &public, now).await?;
            let service = ApplicationInput {
                name: "Bench Service".into(),
                client_id: "bench-service".into(),
                confidential: true,
                redirect_uris: vec![],
            };
            let issued = domain::create(tx, &actor, &service, now).await?;
            let account = issued.application.service_user_id.clone().unwrap();
            let role =
                roles::insert(tx, "Service", "", &["app0:scope0", "app1:scope1"], now).await?;
            use tessera::access::store::{upsert_link, USER_ROLE};
            upsert_link(tx, USER_ROLE, &account, &role, None, now).await?;
            Ok((person, issued.secret.unwrap(), role))
        })
    })
    .await
    .expect("arrange")
}

async fn measure<F, Fut>(label: &str, work: F) -> (f64, Duration, Duration)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let (work, done, latencies) = (work.clone(), done.clone(), latencies.clone());
            tokio::spawn(async move {
                let mut mine = Vec::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    work(worker).await;
                    mine.push(t.elapsed());
                    done.fetch_add(1, Ordering::Relaxed);
                }
                latencies.lock().unwrap().extend(mine);
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut all = latencies.lock().unwrap().clone();
    all.sort();
    let pick = |q: f64| all[((all.len() as f64 - 1.0) * q) as usize];
    let rate = done.load(Ordering::Relaxed) as f64 / elapsed;
    eprintln!("{label}: {rate:.0}/s");
    (rate, pick(0.5), pick(0.99))
}

async fn run(name: &str, db: Db) -> Vec<String> {
    let clock = Clock::system();
    let now = clock.now();
    let (person, secret, _) = arrange(&db, now).await;
    let options = LeptosOptions::builder()
        .output_name("tessera")
        .site_root("target/site")
        .build();
    let state = AppState::new(
        options,
        db.clone(),
        Config::new("http://127.0.0.1:3000"),
        clock,
    )
    .await
    .expect("state");
    let router = router(state);

    // One application session per worker, each with its own refresh token chain.
    let mut chains = Vec::new();
    for worker in 0..WORKERS {
        let code = format!("bench-code-{worker}-{}", uuid::Uuid::new_v4().simple());
        let (code_hash, person) = (tessera::auth::session::hash_token(&code), person.clone());
        db.write(|tx| {
            let (code_hash, person) = (code_hash.clone(), person.clone());
            Box::pin(async move {
                store::insert_code(
                    tx,
                    &store::NewCode {
                        code_hash: &code_hash,
                        client_id: "bench-spa",
                        user_id: &person,
                        redirect_uri: REDIRECT,
                        code_challenge: CHALLENGE,
                        scope: "openid",
                        nonce: None,
                        auth_time: now,
                        second_factor: false,
                        now,
                        expires_at: now + 600,
                    },
                )
                .await
            })
        })
        .await
        .unwrap();
        let (status, body) = post_form(
            &router,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "bench-spa"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        chains.push(tokio::sync::Mutex::new(
            body["refresh_token"].as_str().unwrap().to_string(),
        ));
    }
    let chains = Arc::new(chains);
    let refresh_router = router.clone();
    let (refresh_rate, refresh_p50, refresh_p99) =
        measure(&format!("{name} refresh"), move |worker| {
            let (router, chains) = (refresh_router.clone(), chains.clone());
            async move {
                let mut current = chains[worker].lock().await;
                let (status, body) = post_form(
                    &router,
                    &[
                        ("grant_type", "refresh_token"),
                        ("client_id", "bench-spa"),
                        ("refresh_token", &current),
                    ],
                    None,
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                *current = body["refresh_token"].as_str().unwrap().to_string();
            }
        })
        .await;

    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("bench-service:{secret}")
        )
    );
    let cc_router = router.clone();
    let (cc_rate, cc_p50, cc_p99) = measure(&format!("{name} client credentials"), move |_| {
        let (router, basic) = (cc_router.clone(), basic.clone());
        async move {
            let (status, body) = post_form(
                &router,
                &[("grant_type", "client_credentials")],
                Some(&basic),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    })
    .await;
    let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1000.0);
    vec![
        format!(
            "| {name} | refresh_token | {refresh_rate:.0} | {} | {} |",
            ms(refresh_p50),
            ms(refresh_p99)
        ),
        format!(
            "| {name} | client_credentials | {cc_rate:.0} | {} | {} |",
            ms(cc_p50),
            ms(cc_p99)
        ),
    ]
}

#[tokio::main]
async fn main() {
    let dir = std::path::Path::new("target/bench");
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("grants.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let sqlite = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("SQLite");
    let mut rows = run("SQLite", sqlite).await;

    if let Ok(url) = std::env::var("TESSERA_BENCH_POSTGRES_URL") {
        use sqlx::Connection;
        let schema = format!("bench_grants_{}", std::process::id());
        let mut conn = sqlx::PgConnection::connect(&url).await.expect("PostgreSQL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let pg = Db::connect_postgres_schema(&url, &schema)
            .await
            .expect("PostgreSQL");
        rows.extend(run("PostgreSQL", pg.clone()).await);
        pg.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    println!("\n{WORKERS} concurrent clients, {SECONDS} s each, in process (no sockets):\n");
    println!("| database | grant | per second | p50 ms | p99 ms |");
    println!("|---|---|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
}
