//! The authorization matrix: every server function (found from the running code's registry, so
//! a new one cannot be forgotten) and every other HTTP route (found from the router's source)
//! is called as anonymous, as a person with no console scope, as the built-in Administrator
//! role, and as an administrator lacking exactly each scope it needs. Every refusal is checked,
//! and every allowed call must succeed. No server function answers GET.

use std::collections::{BTreeMap, BTreeSet};

use http::StatusCode;
use serde_json::{json, Value};
use tessera::auth::totp::{step_of, TotpSecret};
use tessera::auth::Permission;

use crate::both_databases;
use crate::harness::*;

const PASSWORD: &str = "a matrix passphrase";

/// The scopes each server function needs; empty: a session, nothing more.
fn needs(endpoint: &str) -> Option<&'static [&'static str]> {
    Some(match endpoint {
        "me"
        | "account/overview"
        | "account/second-factor/start"
        | "account/second-factor/confirm"
        | "account/second-factor/disable"
        | "account/recovery-codes"
        | "account/password" => &[],
        "users/list" | "users/browse" | "users/access" | "users/sessions" => &["users:read"],
        "users/create"
        | "users/update"
        | "users/password/set"
        | "users/disable"
        | "users/second-factor/reset" => &["users:write"],
        "users/offboard" | "users/offboard/preview" => &[
            "users:write",
            "roles:write",
            "groups:write",
            "sessions:revoke",
        ],
        "users/bulk/preview" | "users/bulk/apply" => &["roles:write"],
        "users/roles/assign"
        | "users/roles/remove"
        | "roles/users/assign"
        | "groups/roles/assign"
        | "groups/roles/remove"
        | "roles/create"
        | "roles/update"
        | "roles/scopes/set"
        | "roles/delete"
        | "scopes/create"
        | "scopes/describe"
        | "scopes/delete" => &["roles:write"],
        "groups/members/add"
        | "groups/members/remove"
        | "groups/create"
        | "groups/update"
        | "groups/delete" => &["groups:write"],
        "groups/list" | "groups/options" | "groups/detail" => &["groups:read"],
        "roles/list" | "roles/options" | "roles/detail" | "scopes/list" | "scopes/options" => {
            &["roles:read"]
        }
        "users/sessions/revoke" | "users/sessions/revoke-all" => &["sessions:revoke"],
        "audit/list" | "audit/children" => &["audit:read"],
        "applications/list" | "applications/get" => &["clients:read"],
        "applications/create"
        | "applications/rotate-secret"
        | "applications/update"
        | "applications/delete" => &["clients:write"],
        _ => return None,
    })
}

/// What the test arranges for one endpoint, fresh each time so that calls cannot depend on
/// each other.
struct Fixture {
    n: usize,
    user: String,
    group: String,
    role: String,
    scope: String,
    free_scope: String,
    client: String,
    session: String,
    event: i64,
}

async fn fixture(app: &TestApp, admin: &str, n: usize) -> Fixture {
    let ok = |response: Response| {
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        response.json()
    };
    let user = app.add_user(&format!("target{n}"), PASSWORD, &[]).await;
    app.sign_in(&format!("target{n}"), PASSWORD).await;
    let (scope, free_scope) = (format!("matrix.s{n}"), format!("matrix.free{n}"));
    for name in [&scope, &free_scope] {
        ok(app
            .call_json(
                "/api/scopes/create",
                Some(admin),
                json!({ "name": name, "description": "" }),
            )
            .await);
    }
    let role_name = format!("Matrix role {n}");
    ok(app
        .call_json(
            "/api/roles/create",
            Some(admin),
            json!({ "name": role_name, "description": "", "scopes": [scope] }),
        )
        .await);
    let role = app.id_of("roles", "name", &role_name).await;
    let group = ok(app
        .call_json(
            "/api/groups/create",
            Some(admin),
            json!({ "name": format!("Matrix group {n}"), "description": "" }),
        )
        .await)["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (path, args) in [
        (
            "/api/groups/members/add",
            json!({ "group_id": group, "user_ids": [user], "expires_at": null }),
        ),
        (
            "/api/groups/roles/assign",
            json!({ "group_id": group, "role_id": role, "expires_at": null }),
        ),
        (
            "/api/users/roles/assign",
            json!({ "user_id": user, "role_id": role, "expires_at": null }),
        ),
    ] {
        ok(app.call_json(path, Some(admin), args).await);
    }
    let client = format!("matrix-{n}");
    ok(app
        .call_json(
            "/api/applications/create",
            Some(admin),
            json!({ "input": { "name": format!("Matrix {n}"), "client_id": client,
                "confidential": true, "redirect_uris": ["https://app.example/cb"] } }),
        )
        .await);
    let session = app
        .text(&format!(
            "SELECT id FROM sessions WHERE user_id = '{user}' AND client_id IS NULL"
        ))
        .await;
    let event = app.count("SELECT MAX(id) FROM audit_events").await;
    Fixture {
        n,
        user,
        group,
        role,
        scope,
        free_scope,
        client,
        session,
        event,
    }
}

/// Arguments that succeed for a caller allowed to make the call.
fn args(endpoint: &str, fx: &Fixture, code: &str) -> Value {
    let n = fx.n;
    match endpoint {
        "me"
        | "account/overview"
        | "account/second-factor/start"
        | "roles/options"
        | "groups/options"
        | "scopes/options"
        | "applications/list" => json!({}),
        "account/second-factor/confirm"
        | "account/second-factor/disable"
        | "account/recovery-codes" => json!({ "code": code }),
        "account/password" => json!({ "current": PASSWORD, "new": "a changed matrix passphrase" }),
        "users/list" | "groups/list" | "roles/list" | "scopes/list" => {
            json!({ "search": "", "page": 1 })
        }
        "users/browse" => json!({ "filter": {}, "sort": "name", "position": {} }),
        "users/access"
        | "users/sessions"
        | "users/offboard/preview"
        | "users/sessions/revoke-all"
        | "users/second-factor/reset" => json!({ "user_id": fx.user }),
        "users/create" => json!({ "input": { "username": format!("made{n}") } }),
        "users/update" => {
            json!({ "user_id": fx.user, "display_name": format!("Target {n}"), "email": "" })
        }
        "users/password/set" => {
            json!({ "user_id": fx.user, "password": "a new target passphrase", "sign_out": false })
        }
        "users/disable" => json!({ "user_id": fx.user, "disabled": true }),
        "users/offboard" => json!({ "user_id": fx.user, "disable": true }),
        "users/bulk/preview" | "users/bulk/apply" => json!({
            "selection": { "kind": "ids", "ids": [fx.user] },
            "action": { "kind": "remove_role", "role_id": fx.role },
        }),
        "users/roles/assign" => {
            json!({ "user_id": fx.user, "role_id": fx.role, "expires_at": null })
        }
        "users/roles/remove" => json!({ "user_id": fx.user, "role_id": fx.role }),
        "roles/users/assign" => {
            json!({ "role_id": fx.role, "user_ids": [fx.user], "expires_at": null })
        }
        "groups/roles/assign" => {
            json!({ "group_id": fx.group, "role_id": fx.role, "expires_at": null })
        }
        "groups/roles/remove" => json!({ "group_id": fx.group, "role_id": fx.role }),
        "groups/members/add" => {
            json!({ "group_id": fx.group, "user_ids": [fx.user], "expires_at": null })
        }
        "groups/members/remove" => json!({ "group_id": fx.group, "user_id": fx.user }),
        "groups/detail" | "groups/delete" => json!({ "group_id": fx.group }),
        "groups/create" => json!({ "name": format!("Made group {n}"), "description": "" }),
        "groups/update" => {
            json!({ "group_id": fx.group, "name": format!("Renamed group {n}"), "description": "" })
        }
        "roles/detail" | "roles/delete" => json!({ "role_id": fx.role }),
        "roles/create" => {
            json!({ "name": format!("Made role {n}"), "description": "", "scopes": [] })
        }
        "roles/update" => {
            json!({ "role_id": fx.role, "name": format!("Renamed role {n}"), "description": "" })
        }
        "roles/scopes/set" => {
            json!({ "role_id": fx.role, "scope": fx.free_scope, "grant": true })
        }
        "scopes/create" => json!({ "name": format!("made.s{n}"), "description": "" }),
        "scopes/describe" => json!({ "name": fx.scope, "description": "Described" }),
        "scopes/delete" => json!({ "name": fx.free_scope }),
        "users/sessions/revoke" => json!({ "user_id": fx.user, "session_id": fx.session }),
        "audit/list" => json!({ "filter": {}, "page": 1 }),
        "audit/children" => json!({ "parent_id": fx.event, "page": 1 }),
        "applications/get" | "applications/rotate-secret" | "applications/delete" => {
            json!({ "client_id": fx.client })
        }
        "applications/create" => json!({ "input": {
            "name": format!("Made app {n}"), "confidential": false,
            "redirect_uris": ["https://made.example/cb"] } }),
        "applications/update" => json!({
            "client_id": fx.client, "name": format!("Renamed app {n}"),
            "redirect_uris": ["https://app.example/cb"] }),
        other => panic!("no arguments for {other}: add it to the matrix"),
    }
}

/// A server function called as the console calls it: JSON for JSON endpoints, a form otherwise.
async fn call(
    app: &TestApp,
    endpoint: &str,
    json: bool,
    cookie: Option<&str>,
    args: &Value,
) -> Response {
    let path = format!("/api/{endpoint}");
    if json {
        return app.call_json(&path, cookie, args.clone()).await;
    }
    let pairs: Vec<(String, String)> = args
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), v)
        })
        .collect();
    let refs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.call(&path, cookie, &refs).await
}

/// Which endpoints take JSON, from the source's own `#[server]` attributes.
fn json_endpoints() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for attr in source.split("#[server(").skip(1) {
                    let attr = &attr[..attr.find(")]").unwrap()];
                    let endpoint = attr.split("endpoint = \"").nth(1).unwrap();
                    let endpoint = &endpoint[..endpoint.find('"').unwrap()];
                    if attr.contains("Json") {
                        found.insert(endpoint.to_string());
                    }
                }
            }
        }
    }
    found
}

both_databases!(
    every_server_function_refuses_whom_it_must_and_serves_whom_it_may,
    async |app: &TestApp| {
        let registered: BTreeMap<String, http::Method> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, method)| {
                let endpoint = path.strip_prefix("/api/").unwrap_or(path).to_string();
                (endpoint, method)
            })
            .collect();
        assert!(registered.len() >= 55, "{registered:?}");
        let unlisted: Vec<&String> = registered.keys().filter(|e| needs(e).is_none()).collect();
        assert!(
            unlisted.is_empty(),
            "server functions missing from the matrix: {unlisted:?}"
        );
        let json = json_endpoints();

        let admin = app.sign_in_admin().await;
        let nobody = {
            app.add_user("nobody", PASSWORD, &[]).await;
            app.sign_in("nobody", PASSWORD).await
        };
        let mut lacking = BTreeMap::new();
        for permission in Permission::ALL {
            let others: Vec<&str> = Permission::ALL
                .iter()
                .filter(|p| **p != permission)
                .map(|p| p.scope())
                .collect();
            let name = format!("lacks-{}", permission.scope().replace(':', "-"));
            app.add_user(&name, PASSWORD, &others).await;
            lacking.insert(permission.scope(), app.sign_in(&name, PASSWORD).await);
        }

        for (n, (endpoint, method)) in registered.iter().enumerate() {
            let needed = needs(endpoint).unwrap();
            let is_json = json.contains(endpoint);
            assert_eq!(*method, http::Method::POST, "{endpoint} must be POST only");
            let get = app.get(&format!("/api/{endpoint}"), Some(&admin)).await;
            assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED, "GET {endpoint}");

            let fx = fixture(app, &admin, n).await;
            let arguments = args(endpoint, &fx, "000000");
            let anonymous = call(app, endpoint, is_json, None, &arguments).await;
            assert_eq!(
                anonymous.status,
                StatusCode::UNAUTHORIZED,
                "anonymous {endpoint}: {}",
                anonymous.body
            );
            assert_eq!(anonymous.json()["code"], "unauthenticated", "{endpoint}");
            if !needed.is_empty() {
                let refused = call(app, endpoint, is_json, Some(&nobody), &arguments).await;
                assert_eq!(
                    refused.status,
                    StatusCode::FORBIDDEN,
                    "nobody {endpoint}: {}",
                    refused.body
                );
                assert_eq!(refused.json()["code"], "forbidden");
            }
            for scope in needed {
                let refused = call(app, endpoint, is_json, Some(&lacking[scope]), &arguments).await;
                assert_eq!(
                    refused.status,
                    StatusCode::FORBIDDEN,
                    "{endpoint} without {scope}: {}",
                    refused.body
                );
            }

            // The allowed call, by a fresh holder of the built-in Administrator role.
            let username = format!("full{n}");
            let full_id = app.add_user(&username, PASSWORD, &[]).await;
            app.call_json(
                "/api/users/roles/assign",
                Some(&admin),
                json!({ "user_id": full_id, "role_id": tessera::roles::ADMINISTRATOR_ROLE_ID, "expires_at": null }),
            )
            .await;
            let full = app.sign_in(&username, PASSWORD).await;
            let code = prepare(app, endpoint, &full, &full_id).await;
            let arguments = args(endpoint, &fx, &code);
            let allowed = call(app, endpoint, is_json, Some(&full), &arguments).await;
            assert_eq!(
                allowed.status,
                StatusCode::OK,
                "allowed {endpoint}: {}",
                allowed.body
            );
            if needed.is_empty() && code.is_empty() {
                let by_nobody = call(app, endpoint, is_json, Some(&nobody), &arguments).await;
                assert_eq!(
                    by_nobody.status,
                    StatusCode::OK,
                    "nobody {endpoint}: {}",
                    by_nobody.body
                );
            }
        }
    }
);

/// State an account endpoint needs before it can succeed; returns the code to send.
async fn prepare(app: &TestApp, endpoint: &str, cookie: &str, user_id: &str) -> String {
    let code_now = || async {
        let hex = app
            .text(&format!(
                "SELECT secret FROM totp_credentials WHERE user_id = '{user_id}'"
            ))
            .await;
        TotpSecret::from_hex(&hex)
            .unwrap()
            .code_at(step_of(app.clock.now()))
    };
    match endpoint {
        "account/second-factor/confirm"
        | "account/second-factor/disable"
        | "account/recovery-codes" => {
            app.call_json("/api/account/second-factor/start", Some(cookie), json!({}))
                .await;
            if endpoint == "account/second-factor/confirm" {
                return code_now().await;
            }
            let first = code_now().await;
            app.call_json(
                "/api/account/second-factor/confirm",
                Some(cookie),
                json!({ "code": first }),
            )
            .await;
            app.clock.advance(30);
            code_now().await
        }
        _ => String::new(),
    }
}

/// Every route the router names that is not a server function, and why it stands outside
/// the scope matrix (or which scope it needs). A new route must be added here.
const ROUTES: &[(&str, &str)] = &[
    (
        "/.well-known/openid-configuration",
        "public: OpenID Connect discovery",
    ),
    ("/oauth/jwks", "public: the published verification keys"),
    (
        "/oauth/token",
        "client authentication and grants (oauth tests)",
    ),
    ("/oauth/revoke", "client authentication (oauth tests)"),
    ("/oauth/userinfo", "a bearer access token (oauth tests)"),
    (
        "/oauth/authorize",
        "a console session, else the sign-in page (oauth tests)",
    ),
    (
        "/oauth/introspect",
        "confidential client authentication (oauth tests)",
    ),
    ("/healthz", "public: liveness probe"),
    ("/readyz", "public: readiness probe"),
    ("/metrics", "public: Prometheus metrics, no personal data"),
    ("/auth/sign-in", "the sign-in form"),
    ("/auth/verify", "the second step of the sign-in form"),
    ("/auth/sign-out", "ends the caller's own session"),
    ("/audit/export", "audit:read"),
];

both_databases!(
    every_other_route_is_accounted_for_and_the_export_needs_audit_read,
    async |app: &TestApp| {
        let source = std::fs::read_to_string("src/server/router.rs").unwrap();
        let routed: BTreeSet<&str> = source
            .split(".route(")
            .skip(1)
            .filter_map(|rest| rest.trim_start().strip_prefix('"'))
            .map(|rest| &rest[..rest.find('"').unwrap()])
            .collect();
        let listed: BTreeSet<&str> = ROUTES.iter().map(|(route, _)| *route).collect();
        let missing: Vec<_> = routed.difference(&listed).collect();
        assert!(
            missing.is_empty(),
            "routes missing from the matrix: {missing:?}"
        );

        let export = "/audit/export?format=jsonl";
        let anonymous = app.get(export, None).await;
        assert_eq!(
            anonymous.status,
            StatusCode::SEE_OTHER,
            "to the sign-in page"
        );
        assert!(anonymous.location().unwrap().starts_with("/sign-in?next="));
        let others: Vec<&str> = Permission::ALL
            .iter()
            .filter(|p| **p != Permission::AuditRead)
            .map(|p| p.scope())
            .collect();
        app.add_user("no-audit", PASSWORD, &others).await;
        let no_audit = app.sign_in("no-audit", PASSWORD).await;
        assert_eq!(
            app.get(export, Some(&no_audit)).await.status,
            StatusCode::FORBIDDEN
        );
        let admin = app.sign_in_admin().await;
        assert_eq!(app.get(export, Some(&admin)).await.status, StatusCode::OK);
    }
);
