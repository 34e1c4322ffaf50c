//! Fuzzed inputs: random JSON, forms and bytes to every server function (found from the running
//! code's registry) and random forms to the token endpoint. Whatever arrives, the answer is a
//! refusal or a success, never a panic and never a 500.

use axum::body::Body;
use base64::Engine;
use http::{header, Method, Request, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value};

use crate::harness::*;

/// Field names the server functions take, so that random bodies reach past "missing field".
const FIELDS: &[&str] = &[
    "user_id",
    "role_id",
    "group_id",
    "user_ids",
    "session_id",
    "client_id",
    "name",
    "description",
    "scopes",
    "scope",
    "grant",
    "search",
    "page",
    "filter",
    "sort",
    "position",
    "selection",
    "action",
    "kind",
    "ids",
    "expires_at",
    "sign_out",
    "disabled",
    "disable",
    "input",
    "username",
    "display_name",
    "email",
    "password",
    "current",
    "new",
    "code",
    "parent_id",
    "redirect_uris",
    "confidential",
    "seen",
    "format",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        Just(String::new()),
        Just("x".repeat(70_000)),
        Just("' OR 1=1 --".to_string()),
        Just("\u{0}\u{202e}\u{fffd}🦀".to_string()),
        Just("00000000-0000-0000-0000-000000000000".to_string()),
        Just("add_role".to_string()),
        Just("ids".to_string()),
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        Just(Value::from(u64::MAX)),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => "[a-z_]{1,12}",
    ]
}

/// A body for one call: a JSON object, a form, or bytes that are neither.
#[derive(Debug, Clone)]
enum Input {
    Json(Value),
    Form(Vec<(String, String)>),
    Bytes(Vec<u8>, &'static str),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        4 => prop::collection::vec((field(), json_value()), 0..8)
            .prop_map(|pairs| Input::Json(Value::Object(pairs.into_iter().collect()))),
        1 => json_value().prop_map(Input::Json),
        2 => prop::collection::vec((field(), text()), 0..8).prop_map(Input::Form),
        1 => (
            prop::collection::vec(any::<u8>(), 0..200),
            prop::sample::select(&["application/json", "application/x-www-form-urlencoded", "text/plain"][..]),
        )
            .prop_map(|(bytes, kind)| Input::Bytes(bytes, kind)),
    ]
}

fn request(path: &str, cookie: Option<&str>, input: &Input) -> Request<Body> {
    let (kind, body) = match input {
        Input::Json(value) => ("application/json", value.to_string().into_bytes()),
        Input::Form(pairs) => (
            "application/x-www-form-urlencoded",
            serde_urlencoded::to_string(pairs).unwrap().into_bytes(),
        ),
        Input::Bytes(bytes, kind) => (*kind, bytes.clone()),
    };
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, kind)
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::from(body)).unwrap()
}

/// proptest drives the cases synchronously; each case blocks on this runtime.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn no_server_function_answers_random_input_with_a_panic_or_a_500() {
    let runtime = runtime();
    let app = runtime
        .block_on(TestApp::start(Backend::Sqlite))
        .expect("SQLite");
    let admin = runtime.block_on(app.sign_in_admin());
    let mut endpoints: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    endpoints.sort();
    assert!(endpoints.len() >= 55, "{endpoints:?}");

    for endpoint in &endpoints {
        runner(48)
            .run(&input(), |input| {
                let answer = runtime.block_on(app.send(request(endpoint, Some(&admin), &input)));
                prop_assert!(
                    answer.status != StatusCode::INTERNAL_SERVER_ERROR,
                    "{endpoint} answered 500 to {input:?}: {}",
                    answer.body
                );
                prop_assert!(
                    answer.status.is_success() || answer.status.is_client_error(),
                    "{endpoint}: {} for {input:?}",
                    answer.status
                );
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{failure}"));
    }
    runtime.block_on(app.check_invariants());
    runtime.block_on(app.finish());
}

#[test]
fn the_token_endpoint_answers_random_forms_with_rfc_6749_errors_never_a_500() {
    let runtime = runtime();
    let app = runtime
        .block_on(TestApp::start(Backend::Sqlite))
        .expect("SQLite");
    let keys = prop::sample::select(
        &[
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
            "client_id",
            "client_secret",
            "scope",
            "token",
            "token_type_hint",
        ][..],
    );
    let value = prop_oneof![
        text(),
        prop::sample::select(
            &[
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "password",
                "tessera-console"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    let form = (
        prop::collection::vec((keys, value), 0..10),
        prop::option::of(text()),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
    );
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect"] {
        runner(400)
            .run(&form, |(pairs, basic, raw)| {
                let mut builder = Request::builder()
                    .method(Method::POST)
                    .uri(path)
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                if let Some(basic) = &basic {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(basic);
                    builder = builder.header(header::AUTHORIZATION, format!("Basic {encoded}"));
                }
                let body = match &raw {
                    Some(bytes) => bytes.clone(),
                    None => serde_urlencoded::to_string(&pairs).unwrap().into_bytes(),
                };
                let answer = runtime.block_on(app.send(builder.body(Body::from(body)).unwrap()));
                prop_assert!(
                    matches!(answer.status.as_u16(), 200 | 400 | 401),
                    "{path}: {} for {pairs:?} {basic:?} {raw:?}: {}",
                    answer.status,
                    answer.body
                );
                if answer.status != StatusCode::OK {
                    let error: Value = serde_json::from_str(&answer.body).map_err(|e| {
                        TestCaseError::fail(format!("not JSON ({e}): {}", answer.body))
                    })?;
                    prop_assert!(error["error"].is_string(), "{}", answer.body);
                }
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{failure}"));
    }
    runtime.block_on(app.finish());
}
