//! Assembles the axum router: the console pages and server functions from Leptos, the sign-in
//! endpoints, the probes, and the middleware stack. Tests build the same router in process.

use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::app::{shell, App};
use crate::auth::routes as auth_routes;
use crate::oauth::endpoints as oauth;
use crate::server::{metrics, middleware, AppState};

pub fn router(state: AppState) -> Router {
    metrics::install();
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();

    // What browser applications on other origins call directly: no cookies, so any origin may.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::GET, http::Method::POST])
        .allow_headers([http::header::AUTHORIZATION, http::header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(600));
    let protocol = Router::new()
        .route("/.well-known/openid-configuration", get(oauth::discovery))
        .route("/oauth/jwks", get(oauth::jwks))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route(
            "/oauth/userinfo",
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .layer(cors);

    Router::new()
        .merge(protocol)
        .route("/oauth/authorize", get(oauth::authorize))
        .route("/oauth/introspect", post(oauth::introspect))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics::scrape))
        .route("/auth/sign-in", post(auth_routes::sign_in))
        .route("/auth/verify", post(auth_routes::verify))
        .route("/auth/sign-out", post(auth_routes::sign_out))
        .route("/audit/export", get(crate::audit::export::export))
        .leptos_routes(&state, routes, move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn(middleware::server_fn_status))
        .layer(from_fn(metrics::record))
        .layer(from_fn_with_state(state.clone(), middleware::session))
        .layer(from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site,
        ))
        .layer(from_fn(middleware::security_headers))
        .layer(CompressionLayer::new())
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                // The path only: query strings may carry things that do not belong in logs.
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                )
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Ready while the database answers; a load balancer takes the instance out otherwise.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.db.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
