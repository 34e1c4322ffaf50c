//! The token issuer as a standard OAuth client and an API script see it: discovery, the
//! authorization code flow with PKCE, refresh rotation and reuse detection, client credentials,
//! revocation, introspection, userinfo, key rotation, and bearer tokens on the admin API.

use axum::body::Body;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::both_databases;
use crate::harness::*;

const REDIRECT: &str = "http://127.0.0.1:9000/callback";
// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// Registers an application through the admin API; returns its secret if confidential.
pub(crate) async fn register(
    app: &TestApp,
    admin: &str,
    client_id: &str,
    confidential: bool,
) -> Value {
    let response = app
        .call_json(
            "/api/applications/create",
            Some(admin),
            json!({ "input": {
                "name": format!("App {client_id}"),
                "client_id": client_id,
                "confidential": confidential,
                "redirect_uris": [REDIRECT],
            }}),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

pub(crate) fn form_request(
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        let credentials = STANDARD.encode(format!("{id}:{secret}"));
        request = request.header(header::AUTHORIZATION, format!("Basic {credentials}"));
    }
    request
        .body(Body::from(serde_urlencoded::to_string(form).expect("form")))
        .expect("request")
}

async fn token(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
    app.send(form_request("/oauth/token", form, basic)).await
}

fn authorize_path(client_id: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("nonce", "n-456"),
    ];
    for (name, value) in extra {
        params.retain(|(n, _)| n != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    format!(
        "/oauth/authorize?{}",
        serde_urlencoded::to_string(&params).expect("query")
    )
}

/// The query parameters of a redirect's Location.
fn redirect_params(response: &Response) -> std::collections::BTreeMap<String, String> {
    let location = response.location().expect("a Location");
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(query).expect("query")
}

async fn code_for(app: &TestApp, cookie: &str, client_id: &str, scope: &str) -> String {
    let response = app
        .get(&authorize_path(client_id, scope, &[]), Some(cookie))
        .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.body);
    let location = response.location().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    let params = redirect_params(&response);
    assert_eq!(params["state"], "st-123");
    assert_eq!(params["iss"], "http://127.0.0.1:3000");
    params["code"].clone()
}

async fn exchange(app: &TestApp, client_id: &str, code: &str) -> Response {
    token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
        None,
    )
    .await
}

/// Signs `username` in to the public client `client_id`: the token response.
pub(crate) async fn sign_in_to(app: &TestApp, cookie: &str, client_id: &str, scope: &str) -> Value {
    let code = code_for(app, cookie, client_id, scope).await;
    let response = exchange(app, client_id, &code).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(
        response.headers.get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    response.json()
}

pub(crate) async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> Response {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
        ],
        None,
    )
    .await
}

fn part(jwt: &str, index: usize) -> Value {
    let segment = jwt.split('.').nth(index).expect("a JWT segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
}

fn claims(jwt: &str) -> Value {
    part(jwt, 1)
}

fn scopes(jwt: &str) -> Vec<String> {
    claims(jwt)["scope"]
        .as_str()
        .unwrap()
        .split(' ')
        .map(str::to_string)
        .collect()
}

async fn bearer(app: &TestApp, path: &str, access_token: &str, body: Value) -> Response {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
        .body(Body::from(body.to_string()))
        .expect("request");
    app.send(request).await
}

async fn introspect(app: &TestApp, client: (&str, &str), token_value: &str) -> Value {
    let response = app
        .send(form_request(
            "/oauth/introspect",
            &[("token", token_value)],
            Some(client),
        ))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

static BROWSE: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| json!({ "filter": {}, "sort": "name", "position": {} }));

fn error_of(response: &Response) -> String {
    response.json()["error"].as_str().unwrap_or("").to_string()
}

both_databases!(
    discovery_names_every_endpoint_and_the_jwks_holds_an_ed25519_key,
    async |app: &TestApp| {
        let discovery = app.get("/.well-known/openid-configuration", None).await;
        assert_eq!(discovery.status, StatusCode::OK);
        let d = discovery.json();
        assert_eq!(d["issuer"], "http://127.0.0.1:3000");
        assert_eq!(d["token_endpoint"], "http://127.0.0.1:3000/oauth/token");
        assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(d["response_types_supported"], json!(["code"]));
        assert!(!d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("password")));
        let jwks = app.get("/oauth/jwks", None).await.json();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1, "{jwks}");
        assert_eq!(keys[0]["kty"], "OKP");
        assert_eq!(keys[0]["crv"], "Ed25519");
        assert_eq!(keys[0]["alg"], "EdDSA");
        assert!(keys[0].get("d").is_none(), "no private part is published");
    }
);

both_databases!(
    the_code_flow_with_pkce_issues_tokens_with_the_users_scopes,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;
        let grace = app
            .add_user("grace", "grace passphrase", &["audit:read", "users:read"])
            .await;

        // Not signed in: off to the sign-in page, and back here afterwards.
        let path = authorize_path("shop", "openid profile", &[]);
        let anonymous = app.get(&path, None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        let next = anonymous.location().unwrap();
        assert!(
            next.starts_with("/sign-in?next=%2Foauth%2Fauthorize"),
            "{next}"
        );
        let signed_in = app.post_sign_in("grace", "grace passphrase", &path).await;
        // Back to the authorization request by a page of ours, not a redirect from the form
        // post: the sign-in page's form-action policy would stop that at the application.
        assert_eq!(signed_in.status, StatusCode::OK);
        assert!(signed_in.set_cookie().is_some());
        assert!(
            signed_in
                .body
                .contains(&format!("url={}", path.replace('&', "&amp;"))),
            "{}",
            signed_in.body
        );

        let cookie = app.sign_in("grace", "grace passphrase").await;
        let tokens = sign_in_to(app, &cookie, "shop", "openid profile").await;
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 300);
        let access = tokens["access_token"].as_str().unwrap();
        let header = part(access, 0);
        assert_eq!(header["typ"], "at+jwt");
        assert_eq!(header["alg"], "EdDSA");
        assert!(header["kid"].is_string());
        let c = claims(access);
        assert_eq!(c["iss"], "http://127.0.0.1:3000");
        assert_eq!(c["sub"], grace);
        assert_eq!(c["client_id"], "shop");
        assert_eq!(c["aud"], json!(["http://127.0.0.1:3000/api", "shop"]));
        assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 300);
        assert!(c["jti"].is_string() && c["sid"].is_string());
        assert_eq!(
            scopes(access),
            ["openid", "profile", "audit:read", "users:read"]
        );
        assert_eq!(tokens["scope"], c["scope"]);

        let id = claims(tokens["id_token"].as_str().unwrap());
        assert_eq!(id["aud"], "shop");
        assert_eq!(id["nonce"], "n-456");
        assert_eq!(id["preferred_username"], "grace");
        assert_eq!(part(tokens["id_token"].as_str().unwrap(), 0)["typ"], "JWT");
        // The refresh token is opaque and random.
        assert!(tokens["refresh_token"].as_str().unwrap().len() >= 43);

        // Narrowed to what was asked for, and the session is on the user's Sessions tab.
        let narrow = sign_in_to(app, &cookie, "shop", "users:read").await;
        assert_eq!(
            scopes(narrow["access_token"].as_str().unwrap()),
            ["users:read"]
        );
        assert!(narrow.get("id_token").is_none(), "no openid, no ID token");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM sessions WHERE user_id = '{grace}' AND client_id = 'shop'"
            ))
            .await,
            2
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'session.app_sign_in'")
                .await,
            2
        );
    }
);

both_databases!(
    authorization_errors_go_to_the_client_only_when_that_is_safe,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;

        // Unknown client or unregistered redirect URI: a page, never a redirect.
        for path in [
            authorize_path("nobody", "", &[]),
            authorize_path("shop", "", &[("redirect_uri", "https://evil.example/cb")]),
            authorize_path("shop", "", &[("redirect_uri", "")]),
        ] {
            let response = app.get(&path, Some(&admin)).await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{path}");
            assert!(response.location().is_none());
            assert!(response.body.contains("cannot be completed"));
        }
        // Everything else: back to the client with the error, its state and our issuer.
        for (extra, error) in [
            (vec![("code_challenge", "")], "invalid_request"),
            (vec![("code_challenge_method", "plain")], "invalid_request"),
            (
                vec![("response_type", "token")],
                "unsupported_response_type",
            ),
            (vec![("scope", "openid no:such")], "invalid_scope"),
        ] {
            let response = app
                .get(&authorize_path("shop", "", &extra), Some(&admin))
                .await;
            assert_eq!(response.status, StatusCode::FOUND, "{extra:?}");
            let params = redirect_params(&response);
            assert_eq!(params["error"], error, "{extra:?}");
            assert_eq!(params["state"], "st-123");
            assert!(!params.contains_key("code"));
        }
        let silent = app
            .get(&authorize_path("shop", "", &[("prompt", "none")]), None)
            .await;
        assert_eq!(redirect_params(&silent)["error"], "login_required");
    }
);

both_databases!(
    a_code_is_single_use_bound_to_its_verifier_redirect_and_minute,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;
        register(app, &admin, "other", false).await;

        let code = code_for(app, &admin, "shop", "openid").await;
        let first = exchange(app, "shop", &code).await;
        assert_eq!(first.status, StatusCode::OK);
        let refresh_token = first.json()["refresh_token"].as_str().unwrap().to_string();
        let replay = exchange(app, "shop", &code).await;
        assert_eq!(replay.status, StatusCode::BAD_REQUEST);
        assert_eq!(error_of(&replay), "invalid_grant");
        // The replay ended what the code was exchanged for.
        assert_eq!(
            error_of(&refresh(app, "shop", &refresh_token).await),
            "invalid_grant"
        );

        let admin_cookie = admin.as_str();
        let wrong = |name: &'static str, value: &'static str| async move {
            let code = code_for(app, admin_cookie, "shop", "openid").await;
            let mut form = vec![
                ("grant_type", "authorization_code"),
                ("client_id", "shop"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ];
            for pair in form.iter_mut() {
                if pair.0 == name {
                    pair.1 = value;
                }
            }
            token(app, &form, None).await
        };
        let bad_verifier = wrong("code_verifier", "x".repeat(43).leak()).await;
        assert_eq!(error_of(&bad_verifier), "invalid_grant");
        let bad_redirect = wrong("redirect_uri", "http://127.0.0.1:9000/other").await;
        assert_eq!(error_of(&bad_redirect), "invalid_grant");
        let other_client = wrong("client_id", "other").await;
        assert_eq!(error_of(&other_client), "invalid_grant");
        let missing = wrong("code_verifier", "").await;
        assert_eq!(error_of(&missing), "invalid_request");

        let late = code_for(app, &admin, "shop", "openid").await;
        app.clock.advance(61);
        assert_eq!(
            error_of(&exchange(app, "shop", &late).await),
            "invalid_grant"
        );
    }
);

both_databases!(
    refresh_rotates_and_re_derives_scopes_from_roles_and_groups_now,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;
        app.add_user("grace", "grace passphrase", &["users:read"])
            .await;
        let cookie = app.sign_in("grace", "grace passphrase").await;
        let tokens = sign_in_to(app, &cookie, "shop", "openid").await;
        let first = tokens["refresh_token"].as_str().unwrap().to_string();
        assert_eq!(
            scopes(tokens["access_token"].as_str().unwrap()),
            ["openid", "users:read"]
        );

        // An admin gives Grace's group a role with audit:read; the very next refresh has it.
        let group = app.id_of("access_groups", "name", "grace group").await;
        let created = app
            .call_json(
                "/api/roles/create",
                Some(&admin),
                json!({ "name": "Auditor", "description": "", "scopes": ["audit:read"] }),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let auditor = app.id_of("roles", "name", "Auditor").await;
        let added = app
            .call_json(
                "/api/groups/roles/assign",
                Some(&admin),
                json!({ "group_id": group, "role_id": auditor, "expires_at": null }),
            )
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);

        let second = refresh(app, "shop", &first).await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let second = second.json();
        let rotated = second["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(rotated, first, "every refresh rotates the token");
        assert_eq!(
            scopes(second["access_token"].as_str().unwrap()),
            ["openid", "audit:read", "users:read"]
        );
        assert!(second["id_token"].is_string());

        // Taken away again: gone from the next token.
        let removed = app
            .call_json(
                "/api/groups/roles/remove",
                Some(&admin),
                json!({ "group_id": group, "role_id": auditor }),
            )
            .await;
        assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
        let third = refresh(app, "shop", &rotated).await.json();
        assert_eq!(
            scopes(third["access_token"].as_str().unwrap()),
            ["openid", "users:read"]
        );
        let latest = third["refresh_token"].as_str().unwrap().to_string();

        // A refresh may narrow the scope, never widen it.
        let narrowed = token(
            app,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "shop"),
                ("refresh_token", &latest),
                ("scope", "profile"),
            ],
            None,
        )
        .await;
        assert_eq!(error_of(&narrowed), "invalid_scope");

        // The used token presented again: the whole session ends, the latest token with it.
        let reused = refresh(app, "shop", &first).await;
        assert_eq!(reused.status, StatusCode::BAD_REQUEST);
        assert_eq!(error_of(&reused), "invalid_grant");
        assert_eq!(
            error_of(&refresh(app, "shop", &latest).await),
            "invalid_grant"
        );
    }
);

both_databases!(
    concurrent_refreshes_with_one_token_let_exactly_one_through,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;
        let tokens = sign_in_to(app, &admin, "shop", "openid").await;
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
        let attempts = (0..8).map(|_| {
            let (router, token) = (app.router.clone(), refresh_token.clone());
            tokio::spawn(async move {
                use tower::ServiceExt;
                let request = form_request(
                    "/oauth/token",
                    &[
                        ("grant_type", "refresh_token"),
                        ("client_id", "shop"),
                        ("refresh_token", &token),
                    ],
                    None,
                );
                router.oneshot(request).await.expect("infallible").status()
            })
        });
        let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
            .await
            .into_iter()
            .map(|r| r.expect("task"))
            .collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{statuses:?}"
        );
        assert!(statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::BAD_REQUEST));
    }
);

both_databases!(
    refresh_is_refused_for_a_disabled_user_an_ended_session_and_after_the_idle_time,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;
        let grace = app.add_user("grace", "grace passphrase", &[]).await;
        let cookie = app.sign_in("grace", "grace passphrase").await;

        let a = sign_in_to(app, &cookie, "shop", "openid").await;
        let disabled = app
            .call_json(
                "/api/users/disable",
                Some(&admin),
                json!({ "user_id": grace, "disabled": true }),
            )
            .await;
        assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
        let refused = refresh(app, "shop", a["refresh_token"].as_str().unwrap()).await;
        assert_eq!(error_of(&refused), "invalid_grant");
        app.call_json(
            "/api/users/disable",
            Some(&admin),
            json!({ "user_id": grace, "disabled": false }),
        )
        .await;
        // Enabled again: the old application session stays ended.
        let still = refresh(app, "shop", a["refresh_token"].as_str().unwrap()).await;
        assert_eq!(error_of(&still), "invalid_grant");

        let cookie = app.sign_in("grace", "grace passphrase").await;
        let b = sign_in_to(app, &cookie, "shop", "openid").await;
        let sid = claims(b["access_token"].as_str().unwrap())["sid"]
            .as_str()
            .unwrap()
            .to_string();
        let ended = app
            .call_json(
                "/api/users/sessions/revoke",
                Some(&admin),
                json!({ "user_id": grace, "session_id": sid }),
            )
            .await;
        assert_eq!(ended.json()["changed"], true, "{}", ended.body);
        assert_eq!(
            error_of(&refresh(app, "shop", b["refresh_token"].as_str().unwrap()).await),
            "invalid_grant"
        );

        let c = sign_in_to(app, &cookie, "shop", "openid").await;
        app.clock.advance(24 * 60 * 60 + 1);
        assert_eq!(
            error_of(&refresh(app, "shop", c["refresh_token"].as_str().unwrap()).await),
            "invalid_grant",
            "a day without a refresh ends the session"
        );
    }
);

both_databases!(
    client_credentials_carry_the_service_accounts_roles,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let created = register(app, &admin, "sync", true).await;
        let secret = created["secret"]
            .as_str()
            .expect("a secret, once")
            .to_string();
        let account = created["application"]["service_user_id"]
            .as_str()
            .unwrap()
            .to_string();
        register(app, &admin, "spa", false).await;

        let granted = |basic: Option<(&'static str, String)>, form: Vec<(&'static str, String)>| async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let basic = basic.as_ref().map(|(id, s)| (*id, s.as_str()));
            token(app, &form, basic).await
        };
        let cc = || vec![("grant_type", "client_credentials".to_string())];

        // No roles yet: a token with no scopes.
        let empty = granted(Some(("sync", secret.clone())), cc()).await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
        assert_eq!(empty.json()["scope"], "");
        assert!(empty.json().get("refresh_token").is_none());

        let created = app
            .call_json(
                "/api/roles/create",
                Some(&admin),
                json!({ "name": "Reader", "description": "", "scopes": ["users:read", "audit:read"] }),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let reader = app.id_of("roles", "name", "Reader").await;
        app.call_json(
            "/api/users/roles/assign",
            Some(&admin),
            json!({ "user_id": account, "role_id": reader, "expires_at": null }),
        )
        .await;
        let full = granted(Some(("sync", secret.clone())), cc()).await.json();
        assert_eq!(full["scope"], "audit:read users:read");
        let c = claims(full["access_token"].as_str().unwrap());
        assert_eq!(c["sub"], account.as_str());
        assert!(c.get("sid").is_none());

        // client_secret_post works too, and a narrower scope narrows.
        let mut post = cc();
        post.extend([
            ("client_id", "sync".to_string()),
            ("client_secret", secret.clone()),
            ("scope", "users:read".to_string()),
        ]);
        assert_eq!(granted(None, post).await.json()["scope"], "users:read");

        let wrong = granted(Some(("sync", "not the secret".to_string())), cc()).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(&wrong), "invalid_client");
        assert!(wrong.headers.get(header::WWW_AUTHENTICATE).is_some());
        let mut public = cc();
        public.push(("client_id", "spa".to_string()));
        assert_eq!(
            error_of(&granted(None, public).await),
            "unauthorized_client"
        );
        let mut password = vec![("grant_type", "password".to_string())];
        password.extend([
            ("username", "admin".to_string()),
            ("password", ADMIN_PASSWORD.to_string()),
        ]);
        let refused = granted(Some(("sync", secret.clone())), password).await;
        assert_eq!(error_of(&refused), "unsupported_grant_type");
        let mut unknown = cc();
        unknown.push(("scope", "no:such".to_string()));
        assert_eq!(
            error_of(&granted(Some(("sync", secret.clone())), unknown).await),
            "invalid_scope"
        );
        let mut twice = cc();
        twice.push(("grant_type", "client_credentials".to_string()));
        assert_eq!(
            error_of(&granted(Some(("sync", secret.clone())), twice).await),
            "invalid_request"
        );
        let not_a_form = app
            .send(
                Request::builder()
                    .method(Method::POST)
                    .uri("/oauth/token")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .unwrap(),
            )
            .await;
        assert_eq!(not_a_form.status, StatusCode::BAD_REQUEST);
        assert_eq!(error_of(&not_a_form), "invalid_request");
    }
);

both_databases!(
    introspection_and_revocation_follow_sessions_users_and_expiry,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let sync = register(app, &admin, "sync", true).await;
        let secret = sync["secret"].as_str().unwrap().to_string();
        let rs = ("sync", secret.as_str());
        register(app, &admin, "shop", false).await;
        let grace = app
            .add_user("grace", "grace passphrase", &["users:read"])
            .await;
        let cookie = app.sign_in("grace", "grace passphrase").await;

        let tokens = sign_in_to(app, &cookie, "shop", "openid").await;
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let refresh_token = tokens["refresh_token"].as_str().unwrap().to_string();
        let live = introspect(app, rs, &access).await;
        assert_eq!(live["active"], true, "{live}");
        assert_eq!(live["sub"], grace.as_str());
        assert_eq!(live["username"], "grace");
        assert_eq!(live["scope"], "openid users:read");
        assert_eq!(introspect(app, rs, &refresh_token).await["active"], true);
        assert_eq!(introspect(app, rs, "garbage").await["active"], false);

        // A public client cannot introspect; a wrong secret is invalid_client.
        let public = app
            .send(form_request(
                "/oauth/introspect",
                &[("token", &access), ("client_id", "shop")],
                None,
            ))
            .await;
        assert_eq!(error_of(&public), "unauthorized_client");
        let wrong = app
            .send(form_request(
                "/oauth/introspect",
                &[("token", &access)],
                Some(("sync", "wrong")),
            ))
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

        // Disabled: inactive at once; enabled: the old session stays ended.
        app.call_json(
            "/api/users/disable",
            Some(&admin),
            json!({ "user_id": grace, "disabled": true }),
        )
        .await;
        assert_eq!(introspect(app, rs, &access).await["active"], false);
        app.call_json(
            "/api/users/disable",
            Some(&admin),
            json!({ "user_id": grace, "disabled": false }),
        )
        .await;
        assert_eq!(introspect(app, rs, &access).await["active"], false);

        // Revoking a refresh token ends its session: its access tokens are inactive too.
        let cookie = app.sign_in("grace", "grace passphrase").await;
        let tokens = sign_in_to(app, &cookie, "shop", "openid").await;
        let access = tokens["access_token"].as_str().unwrap().to_string();
        let revoked = app
            .send(form_request(
                "/oauth/revoke",
                &[
                    ("token", tokens["refresh_token"].as_str().unwrap()),
                    ("client_id", "shop"),
                ],
                None,
            ))
            .await;
        assert_eq!(revoked.status, StatusCode::OK);
        assert_eq!(introspect(app, rs, &access).await["active"], false);
        assert_eq!(
            error_of(&refresh(app, "shop", tokens["refresh_token"].as_str().unwrap()).await),
            "invalid_grant"
        );
        // Unknown tokens get the same 200.
        let unknown = app
            .send(form_request(
                "/oauth/revoke",
                &[("token", "nothing-like-a-token"), ("client_id", "shop")],
                None,
            ))
            .await;
        assert_eq!(unknown.status, StatusCode::OK);

        // A client-credentials token: revoked by its id; and expired after five minutes.
        let cc = token(app, &[("grant_type", "client_credentials")], Some(rs))
            .await
            .json();
        let cc_access = cc["access_token"].as_str().unwrap().to_string();
        assert_eq!(introspect(app, rs, &cc_access).await["active"], true);
        app.send(form_request(
            "/oauth/revoke",
            &[("token", &cc_access)],
            Some(rs),
        ))
        .await;
        assert_eq!(introspect(app, rs, &cc_access).await["active"], false);
        let cc2 = token(app, &[("grant_type", "client_credentials")], Some(rs))
            .await
            .json();
        let cc2_access = cc2["access_token"].as_str().unwrap().to_string();
        app.clock.advance(300);
        assert_eq!(introspect(app, rs, &cc2_access).await["active"], false);
    }
);

both_databases!(
    userinfo_answers_for_a_live_token_with_openid,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        register(app, &admin, "shop", false).await;
        let grace = app.add_user("grace", "grace passphrase", &[]).await;
        let cookie = app.sign_in("grace", "grace passphrase").await;
        let userinfo = |access: String| async move {
            app.send(
                Request::builder()
                    .uri("/oauth/userinfo")
                    .header(header::AUTHORIZATION, format!("Bearer {access}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        };
        let with = sign_in_to(app, &cookie, "shop", "openid profile").await;
        let info = userinfo(with["access_token"].as_str().unwrap().to_string()).await;
        assert_eq!(info.status, StatusCode::OK, "{}", info.body);
        assert_eq!(info.json()["sub"], grace.as_str());
        assert_eq!(info.json()["preferred_username"], "grace");
        assert!(info.json().get("email").is_none());
        let without = sign_in_to(app, &cookie, "shop", "").await;
        let refused = userinfo(without["access_token"].as_str().unwrap().to_string()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let bogus = userinfo("a.b.c".to_string()).await;
        assert_eq!(bogus.status, StatusCode::UNAUTHORIZED);
        assert!(bogus.headers.get(header::WWW_AUTHENTICATE).is_some());
    }
);

/// A client-credentials token for a new confidential application whose service account holds
/// a role with `scopes`.
async fn service_token(
    app: &TestApp,
    admin: &str,
    client_id: &str,
    scopes: &[&str],
) -> (String, String) {
    let created = register(app, admin, client_id, true).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    let account = created["application"]["service_user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let role_name = format!("{client_id} role");
    let made = app
        .call_json(
            "/api/roles/create",
            Some(admin),
            json!({ "name": role_name, "description": "", "scopes": scopes }),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let role = app.id_of("roles", "name", &role_name).await;
    app.call_json(
        "/api/users/roles/assign",
        Some(admin),
        json!({ "user_id": account, "role_id": role, "expires_at": null }),
    )
    .await;
    let response = token(
        app,
        &[("grant_type", "client_credentials")],
        Some((client_id, &secret)),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    (
        response.json()["access_token"]
            .as_str()
            .unwrap()
            .to_string(),
        role,
    )
}

both_databases!(
    the_admin_api_accepts_bearer_tokens_checked_against_live_scopes,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let (access, role) = service_token(
            app,
            &admin,
            "automation",
            &["users:read", "roles:write", "roles:read"],
        )
        .await;

        // A script bulk-adds a role to everyone matching a filter.
        let operator = app
            .call_json(
                "/api/roles/create",
                Some(&admin),
                json!({ "name": "Operator", "description": "", "scopes": [] }),
            )
            .await;
        assert_eq!(operator.status, StatusCode::OK);
        let operator = app.id_of("roles", "name", "Operator").await;
        app.add_user("ann", "ann passphrase", &[]).await;
        app.add_user("anders", "anders passphrase", &[]).await;
        let bulk = bearer(
            app,
            "/api/users/bulk/apply",
            &access,
            json!({
                "selection": { "kind": "matching", "filter": { "q": "an" } },
                "action": { "kind": "add_role", "role_id": operator, "expires_at": null },
            }),
        )
        .await;
        assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
        assert_eq!(bulk.json()["counts"]["changes"], 2, "{}", bulk.body);
        let actor = app
            .count("SELECT COUNT(*) FROM audit_events WHERE action = 'bulk.role.add' AND actor_name = 'service-automation'")
            .await;
        assert_eq!(actor, 1, "the parent event names the service account");

        // Lacking a scope: 403. Losing one: 403 at once, before the token expires.
        let audit = bearer(
            app,
            "/api/audit/list",
            &access,
            json!({ "filter": {}, "page": 0 }),
        )
        .await;
        assert_eq!(audit.status, StatusCode::FORBIDDEN, "{}", audit.body);
        let listed = bearer(app, "/api/users/browse", &access, BROWSE.clone()).await;
        assert_ne!(listed.status, StatusCode::FORBIDDEN, "{}", listed.body);
        app.call_json(
            "/api/roles/scopes/set",
            Some(&admin),
            json!({ "role_id": role, "scope": "users:read", "grant": false }),
        )
        .await;
        let after = bearer(app, "/api/users/browse", &access, BROWSE.clone()).await;
        assert_eq!(after.status, StatusCode::FORBIDDEN, "{}", after.body);

        // Deleting the application ends its tokens.
        app.call_json(
            "/api/applications/delete",
            Some(&admin),
            json!({ "client_id": "automation" }),
        )
        .await;
        let gone = bearer(app, "/api/users/browse", &access, BROWSE.clone()).await;
        assert_eq!(gone.status, StatusCode::UNAUTHORIZED, "{}", gone.body);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'service-automation'")
                .await,
            0
        );
    }
);

both_databases!(
    forged_expired_and_misused_tokens_are_refused_everywhere,
    async |app: &TestApp| {
        use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
        let admin = app.sign_in_admin().await;
        let (access, _) = service_token(app, &admin, "automation", &["users:read"]).await;
        register(app, &admin, "shop", false).await;
        let person = sign_in_to(app, &admin, "shop", "openid").await;
        let good = claims(&access);
        let kid = part(&access, 0)["kid"].as_str().unwrap().to_string();
        let jwks = app.get("/oauth/jwks", None).await.json();
        let public_x = jwks["keys"][0]["x"].as_str().unwrap().to_string();

        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD
                .encode(json!({ "alg": "none", "typ": "at+jwt", "kid": kid }).to_string()),
            access.split('.').nth(1).unwrap()
        );
        let hs256 = |claims: &Value, typ: &str| {
            let mut header = Header::new(Algorithm::HS256);
            header.typ = Some(typ.to_string());
            header.kid = Some(kid.clone());
            encode(
                &header,
                claims,
                &EncodingKey::from_secret(public_x.as_bytes()),
            )
            .unwrap()
        };
        let with = |field: &str, value: Value| {
            let mut c = good.clone();
            c[field] = value;
            c
        };
        // Re-signed payloads cannot carry our signature, so every variant below is also forged;
        // each checks one more rule on its way to refusal.
        let mut forged_kid = access.clone();
        forged_kid.replace_range(
            ..access.find('.').unwrap(),
            &URL_SAFE_NO_PAD.encode(
                json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": "../../etc/passwd" }).to_string(),
            ),
        );
        let cases: Vec<(&str, String)> = vec![
            ("alg none", unsigned),
            ("HS256 with the public key", hs256(&good, "at+jwt")),
            (
                "wrong iss",
                hs256(&with("iss", json!("https://evil.example")), "at+jwt"),
            ),
            (
                "wrong aud",
                hs256(&with("aud", json!(["someone-else"])), "at+jwt"),
            ),
            ("malicious kid", forged_kid),
            (
                "an ID token",
                person["id_token"].as_str().unwrap().to_string(),
            ),
            (
                "a refresh token",
                person["refresh_token"].as_str().unwrap().to_string(),
            ),
            ("garbage", "not-a-token".to_string()),
        ];
        for (what, forged) in cases {
            let response = bearer(app, "/api/users/browse", &forged, BROWSE.clone()).await;
            assert_eq!(
                response.status,
                StatusCode::UNAUTHORIZED,
                "{what}: {}",
                response.body
            );
            // Introspection knows a live refresh token for what it is; nothing else is active.
            if what != "a refresh token" {
                assert!(!is_active(app, &admin, &forged).await, "{what}");
            }
        }
        // The genuine token works until it expires, then it is refused too.
        let ok = bearer(app, "/api/users/browse", &access, BROWSE.clone()).await;
        assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
        app.clock.advance(300);
        let expired = bearer(app, "/api/users/browse", &access, BROWSE.clone()).await;
        assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    }
);

/// Whether introspection (by a fresh confidential client) calls `token` active.
async fn is_active(app: &TestApp, admin: &str, token_value: &str) -> bool {
    let id = format!("check-{}", uuid::Uuid::new_v4().simple());
    let id = &id[..20];
    let created = register(app, admin, id, true).await;
    let secret = created["secret"].as_str().unwrap().to_string();
    introspect(app, (id, &secret), token_value).await["active"]
        .as_bool()
        .unwrap()
}

both_databases!(
    rotated_keys_overlap_and_reach_every_instance,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let (before, _) = service_token(app, &admin, "automation", &["users:read"]).await;
        let old_kid = part(&before, 0)["kid"].as_str().unwrap().to_string();
        let other = app.another_instance().await;

        let now = app.clock.now();
        let overlap = app.state.config.key_overlap_secs();
        let new_kid = app
            .db
            .write(|tx| {
                Box::pin(async move { tessera::oauth::keys::rotate(tx, now, overlap).await })
            })
            .await
            .expect("rotate");
        app.state.keys.reload(now).await.expect("reload");

        // Both keys are published; the old token still verifies, new tokens use the new key.
        let kids: Vec<String> = app.get("/oauth/jwks", None).await.json()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kids.len(), 2, "{kids:?}");
        assert!(kids.contains(&old_kid) && kids.contains(&new_kid));
        assert_eq!(
            bearer(app, "/api/users/browse", &before, BROWSE.clone())
                .await
                .status,
            StatusCode::OK
        );
        let secret_less = app
            .call_json(
                "/api/applications/rotate-secret",
                Some(&admin),
                json!({ "client_id": "automation" }),
            )
            .await
            .json();
        let secret = secret_less["secret"].as_str().unwrap().to_string();
        let after = token(
            app,
            &[("grant_type", "client_credentials")],
            Some(("automation", &secret)),
        )
        .await
        .json();
        let after = after["access_token"].as_str().unwrap().to_string();
        assert_eq!(part(&after, 0)["kid"], new_kid.as_str());

        // The other instance has not re-read its keys, yet it accepts the new key's tokens: an
        // unknown kid makes it look again.
        tokio::time::sleep(std::time::Duration::from_secs(6)).await;
        let on_other = bearer(&other, "/api/users/browse", &after, BROWSE.clone()).await;
        assert_eq!(on_other.status, StatusCode::OK, "{}", on_other.body);

        // After the overlap the old key is gone from the JWKS and its tokens are refused.
        app.clock.advance(overlap + 1);
        app.state
            .keys
            .reload(app.clock.now())
            .await
            .expect("reload");
        let kids = app.get("/oauth/jwks", None).await.json()["keys"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(kids, 1);
        assert_eq!(
            bearer(app, "/api/users/browse", &before, BROWSE.clone())
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        // A scheduled rotation happens only once the key is old enough.
        let max_age = app.state.config.key_rotation_secs;
        let now = app.clock.now();
        let due = app
            .db
            .write(|tx| {
                Box::pin(async move {
                    tessera::oauth::keys::rotate_if_due(tx, now, max_age, overlap).await
                })
            })
            .await
            .expect("rotate if due");
        assert_eq!(due, None);
    }
);

both_databases!(
    applications_are_managed_with_clear_refusals_and_audited,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let admin_cookie = admin.as_str();
        let create = |input: Value| async move {
            app.call_json(
                "/api/applications/create",
                Some(admin_cookie),
                json!({ "input": input }),
            )
            .await
        };
        let no_uri = create(
            json!({ "name": "Shop", "client_id": "", "confidential": false, "redirect_uris": [] }),
        )
        .await;
        assert_eq!(
            no_uri.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            no_uri.body
        );
        let http = create(
            json!({ "name": "Shop", "client_id": "", "confidential": false,
            "redirect_uris": ["http://shop.example.com/cb"] }),
        )
        .await;
        assert_eq!(http.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            http.json()["message"]
                .as_str()
                .unwrap()
                .contains("use https"),
            "{}",
            http.body
        );
        let made = create(
            json!({ "name": "Shop Front", "client_id": "", "confidential": false,
            "redirect_uris": [REDIRECT] }),
        )
        .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        assert_eq!(made.json()["application"]["client_id"], "shop-front");
        assert!(
            made.json()["secret"].is_null(),
            "a public client has no secret"
        );
        let taken = create(
            json!({ "name": "Other", "client_id": "shop-front", "confidential": false,
            "redirect_uris": [REDIRECT] }),
        )
        .await;
        assert_eq!(taken.status, StatusCode::CONFLICT);

        let updated = app
            .call_json(
                "/api/applications/update",
                Some(&admin),
                json!({ "client_id": "shop-front", "name": "Shop", "redirect_uris": [REDIRECT, "https://shop.example.com/cb"] }),
            )
            .await;
        assert_eq!(updated.json()["changed"], true, "{}", updated.body);
        let listed = app
            .call("/api/applications/list", Some(&admin), &[])
            .await
            .json();
        assert_eq!(
            listed["items"][0]["redirect_uris"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert!(listed["items"][0].get("secret_hash").is_none());

        // Rotating a secret: the old one stops working at once.
        let sync = create(json!({ "name": "Sync", "client_id": "sync", "confidential": true, "redirect_uris": [] })).await;
        let old = sync.json()["secret"].as_str().unwrap().to_string();
        let rotated = app
            .call_json(
                "/api/applications/rotate-secret",
                Some(&admin),
                json!({ "client_id": "sync" }),
            )
            .await;
        let new = rotated.json()["secret"].as_str().unwrap().to_string();
        assert_ne!(old, new);
        let cc = |secret: String| async move {
            token(
                app,
                &[("grant_type", "client_credentials")],
                Some(("sync", &secret)),
            )
            .await
            .status
        };
        assert_eq!(cc(old).await, StatusCode::UNAUTHORIZED);
        assert_eq!(cc(new.clone()).await, StatusCode::OK);

        // Without clients:write: refused, nothing changes.
        app.add_user("viewer", "viewer passphrase", &["clients:read"])
            .await;
        let viewer = app.sign_in("viewer", "viewer passphrase").await;
        assert_eq!(
            app.call("/api/applications/list", Some(&viewer), &[])
                .await
                .status,
            StatusCode::OK
        );
        let refused = app
            .call_json(
                "/api/applications/delete",
                Some(&viewer),
                json!({ "client_id": "sync" }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let deleted = app
            .call_json(
                "/api/applications/delete",
                Some(&admin),
                json!({ "client_id": "sync" }),
            )
            .await;
        assert_eq!(deleted.json()["changed"], true);
        for action in [
            "client.create",
            "client.update",
            "client.secret_rotate",
            "client.delete",
        ] {
            assert!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
                ))
                .await
                    >= 1,
                "{action} is audited"
            );
        }
        // The secret is shown once and kept nowhere as it is.
        let leaked = format!("SELECT COUNT(*) FROM audit_events WHERE details LIKE '%{new}%'");
        assert_eq!(app.count(&leaked).await, 0);
    }
);
