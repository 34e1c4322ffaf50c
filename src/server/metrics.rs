//! Prometheus metrics for running behind a load balancer: requests by route and status with
//! latency, token grants by type and outcome, sign-in failures by reason, and the sizes of bulk
//! operations. No label ever holds a person, a client id or anything a request supplied freely:
//! routes are the router's patterns, so the number of series stays fixed.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use secrecy::ExposeSecret;

use crate::server::AppState;

/// Request latency buckets, in seconds: from a cached page to an Argon2id sign-in under load.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// How many people one bulk operation touched.
const SIZE_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0, 1_000_000.0];

/// The process-wide recorder. The `metrics` facade has one global recorder, so every router in
/// the process (tests build many) reports into the same registry.
fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("tessera_http_request_duration_seconds".into()),
                LATENCY_BUCKETS,
            )
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("tessera_bulk_operation_users".into()),
                    SIZE_BUCKETS,
                )
            })
            .expect("the bucket lists are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first, which nothing in Tessera does;
        // the handle then renders an empty page rather than taking the server down.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        describe();
        // Histogram samples queue up until drained into their buckets; with nobody scraping,
        // the queue would grow with every request. A plain thread, because the recorder
        // outlives any one tokio runtime (each test has its own).
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(5));
                upkeep.run_upkeep();
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "could not start the metrics upkeep thread");
        }
        handle
    })
}

fn describe() {
    metrics::describe_counter!(
        "tessera_http_requests_total",
        "HTTP requests answered, by route pattern, method and status code."
    );
    metrics::describe_histogram!(
        "tessera_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to answer an HTTP request, by route pattern."
    );
    metrics::describe_counter!(
        "tessera_token_grants_total",
        "Token endpoint requests, by grant type and outcome (issued or the OAuth error code)."
    );
    metrics::describe_counter!(
        "tessera_sign_in_failures_total",
        "Refused console sign-ins, by reason (credentials, throttled, second_factor)."
    );
    metrics::describe_histogram!(
        "tessera_bulk_operation_users",
        "People selected by one applied bulk operation."
    );
}

/// Installs the recorder; called once when the router is built, so that the first scrape
/// already lists every described metric.
pub fn install() {
    handle();
}

/// The route label of a request: the router's pattern, or the server function's own path
/// (a fixed set), or `other` for anything the router did not match.
fn route_label(request: &Request) -> String {
    static SERVER_FNS: OnceLock<HashSet<String>> = OnceLock::new();
    let path = request.uri().path();
    if path.starts_with("/api/") {
        let known = SERVER_FNS.get_or_init(|| {
            leptos::server_fn::axum::server_fn_paths()
                .map(|(path, _)| path.to_string())
                .collect()
        });
        return if known.contains(path) {
            path.to_string()
        } else {
            "/api/other".to_string()
        };
    }
    match request.extensions().get::<MatchedPath>() {
        Some(matched) => matched.as_str().to_string(),
        None if path.starts_with("/pkg/") => "/pkg/*".to_string(),
        None => "other".to_string(),
    }
}

/// Middleware: counts and times every request.
pub async fn record(request: Request, next: Next) -> Response {
    let route = route_label(&request);
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("tessera_http_request_duration_seconds", "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "tessera_http_requests_total",
        "route" => route,
        "method" => method,
        "status" => status
    )
    .increment(1);
    response
}

/// Counts one token endpoint request; `outcome` is `issued` or an RFC 6749 error code.
pub fn token_grant(grant_type: &str, outcome: &'static str) {
    // Only the grant types Tessera knows become labels; anything else a client sent is "other".
    let grant = match grant_type {
        "authorization_code" | "refresh_token" | "client_credentials" => grant_type.to_string(),
        _ => "other".to_string(),
    };
    metrics::counter!("tessera_token_grants_total", "grant_type" => grant, "outcome" => outcome)
        .increment(1);
}

/// Counts one refused sign-in.
pub fn sign_in_failure(reason: &'static str) {
    metrics::counter!("tessera_sign_in_failures_total", "reason" => reason).increment(1);
}

/// Records the size of one applied bulk operation.
pub fn bulk_operation(selected: u64) {
    metrics::histogram!("tessera_bulk_operation_users").record(selected as f64);
}

/// `GET /metrics` in the Prometheus text format. With `--metrics-token` set, the scraper must
/// send it as a bearer token; without it, the page is open, as it holds no personal data.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &state.config.metrics_token {
        let expected = expected.expose_secret();
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let matches = presented.is_some_and(|p| {
            aws_lc_rs::constant_time::verify_slices_are_equal(p.as_bytes(), expected.as_bytes())
                .is_ok()
        });
        if !matches {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "The metrics need the bearer token configured with --metrics-token.",
            )
                .into_response();
        }
    }
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(handle().render()))
        .expect("static headers are valid")
}
