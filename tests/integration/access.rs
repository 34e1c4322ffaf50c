//! Server functions authorize the caller against their current scopes, and refuse what they
//! should with the right code.

use http::StatusCode;

use crate::both_databases;
use crate::harness::*;

/// Every list endpoint of the console, with the scope it needs.
const LIST_ENDPOINTS: &[(&str, &str)] = &[
    ("/api/users/list", "users:read"),
    ("/api/groups/list", "groups:read"),
    ("/api/roles/list", "roles:read"),
    ("/api/scopes/list", "roles:read"),
    ("/api/audit/list", "audit:read"),
    ("/api/users/browse", "users:read"),
];

const FIRST_PAGE: &[(&str, &str)] = &[("search", ""), ("page", "1")];

/// Asks a list endpoint for its first page, in the encoding it takes.
async fn first_page(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    match path {
        "/api/audit/list" => {
            app.call_json(path, cookie, serde_json::json!({ "filter": {}, "page": 1 }))
                .await
        }
        "/api/users/browse" => {
            app.call_json(
                path,
                cookie,
                serde_json::json!({ "filter": {}, "sort": "name", "position": {} }),
            )
            .await
        }
        _ => app.call(path, cookie, FIRST_PAGE).await,
    }
}

both_databases!(
    anonymous_callers_are_refused_everywhere,
    async |app: &TestApp| {
        for (path, _) in LIST_ENDPOINTS.iter().chain([&("/api/me", "")]) {
            let response = first_page(app, path, None).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(response.json()["code"], "unauthenticated", "{path}");
        }
    }
);

both_databases!(
    each_list_needs_exactly_its_own_scope,
    async |app: &TestApp| {
        for (i, (path, scope)) in LIST_ENDPOINTS.iter().enumerate() {
            // A user holding every console scope but this one is refused…
            let mut others: Vec<&str> = LIST_ENDPOINTS
                .iter()
                .map(|(_, s)| *s)
                .filter(|s| s != scope)
                .collect();
            others.sort_unstable();
            others.dedup();
            let lacking = format!("lacking{i}");
            app.add_user(&lacking, "a fine passphrase", &others).await;
            let cookie = app.sign_in(&lacking, "a fine passphrase").await;
            let response = first_page(app, path, Some(&cookie)).await;
            assert_eq!(
                response.status,
                StatusCode::FORBIDDEN,
                "{path} without {scope}"
            );
            assert_eq!(response.json()["code"], "forbidden");
            assert!(response.json()["message"]
                .as_str()
                .unwrap()
                .starts_with("You don't have permission"));

            // …and a user holding only this scope is let in.
            let holding = format!("holding{i}");
            app.add_user(&holding, "a fine passphrase", &[scope]).await;
            let cookie = app.sign_in(&holding, "a fine passphrase").await;
            let response = first_page(app, path, Some(&cookie)).await;
            assert_eq!(
                response.status,
                StatusCode::OK,
                "{path} with {scope}: {}",
                response.body
            );
        }
    }
);

both_databases!(
    a_signed_in_user_without_scopes_sees_who_they_are_and_nothing_else,
    async |app: &TestApp| {
        app.add_user("plain", "plain passphrase", &[]).await;
        let cookie = app.sign_in("plain", "plain passphrase").await;
        let me = app.call("/api/me", Some(&cookie), &[]).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.json()["username"], "plain");
        assert_eq!(me.json()["permissions"], serde_json::json!([]));
        for (path, _) in LIST_ENDPOINTS {
            assert_eq!(
                first_page(app, path, Some(&cookie)).await.status,
                StatusCode::FORBIDDEN
            );
        }
    }
);

both_databases!(
    losing_a_scope_takes_effect_on_the_next_request,
    async |app: &TestApp| {
        let id = app
            .add_user("rene", "rene passphrase", &["users:read"])
            .await;
        let cookie = app.sign_in("rene", "rene passphrase").await;
        assert_eq!(
            app.call("/api/users/list", Some(&cookie), FIRST_PAGE)
                .await
                .status,
            StatusCode::OK
        );
        app.exec("DELETE FROM group_members WHERE user_id = $1", &id)
            .await
            .unwrap();
        assert_eq!(
            app.call("/api/users/list", Some(&cookie), FIRST_PAGE)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
);

both_databases!(expired_memberships_grant_nothing, async |app: &TestApp| {
    let id = app
        .add_user("tempo", "tempo passphrase", &["users:read"])
        .await;
    app.exec(
        &format!(
            "UPDATE group_members SET expires_at = {} WHERE user_id = $1",
            T0 + 600
        ),
        &id,
    )
    .await
    .unwrap();
    let cookie = app.sign_in("tempo", "tempo passphrase").await;
    assert_eq!(
        app.call("/api/users/list", Some(&cookie), FIRST_PAGE)
            .await
            .status,
        StatusCode::OK
    );
    app.clock.advance(599);
    assert_eq!(
        app.call("/api/users/list", Some(&cookie), FIRST_PAGE)
            .await
            .status,
        StatusCode::OK
    );
    app.clock.advance(1);
    assert_eq!(
        app.call("/api/users/list", Some(&cookie), FIRST_PAGE)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
});

both_databases!(
    lists_search_and_page_on_the_server,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let first = app
            .call("/api/users/list", Some(&cookie), FIRST_PAGE)
            .await
            .json();
        assert_eq!(first["total"], 41, "40 demo users and the admin");
        assert_eq!(first["items"].as_array().unwrap().len(), 25);
        let second = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", ""), ("page", "2")],
            )
            .await
            .json();
        assert_eq!(second["items"].as_array().unwrap().len(), 16);
        let first_ids: Vec<_> = first["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].clone())
            .collect();
        assert!(second["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| !first_ids.contains(&u["id"])));

        let alice = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", "  ALICE "), ("page", "1")],
            )
            .await
            .json();
        assert_eq!(alice["total"], 2, "{alice}");
        assert_eq!(alice["items"][0]["display_name"], "Alice Nguyen");

        // Wildcards are taken literally.
        let percent = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", "%"), ("page", "1")],
            )
            .await
            .json();
        assert_eq!(percent["total"], 0);

        let by_email = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", "bruno.tanaka@"), ("page", "1")],
            )
            .await
            .json();
        assert_eq!(by_email["total"], 1);

        let groups = app
            .call(
                "/api/groups/list",
                Some(&cookie),
                &[("search", "eng"), ("page", "1")],
            )
            .await
            .json();
        assert_eq!(groups["items"][0]["name"], "Engineering");
        assert_eq!(groups["items"][0]["member_count"], 10);

        let roles = app
            .call("/api/roles/list", Some(&cookie), FIRST_PAGE)
            .await
            .json();
        assert_eq!(roles["items"][0]["name"], "Administrator");
        assert_eq!(roles["items"][0]["builtin"], true);
        assert_eq!(roles["items"][0]["scope_count"], 10);
        assert_eq!(roles["items"][0]["user_count"], 1);

        let beyond = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", ""), ("page", "99")],
            )
            .await
            .json();
        assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
        assert_eq!(beyond["total"], 41);
    }
);

both_databases!(
    malformed_arguments_are_refused_in_words,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let response = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", ""), ("page", "first")],
            )
            .await;
        assert!(response.status.is_client_error() || response.status.is_server_error());
        assert_eq!(
            response.json()["code"],
            "invalid_input",
            "{}",
            response.body
        );
    }
);

both_databases!(
    server_functions_cannot_be_called_with_get,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let response = app
            .get("/api/users/list?search=&page=1", Some(&cookie))
            .await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    }
);

both_databases!(
    state_changes_from_another_site_are_refused,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let cases = [
            (Some("https://evil.example"), None, StatusCode::FORBIDDEN),
            (None, Some("cross-site"), StatusCode::FORBIDDEN),
            (None, Some("same-site"), StatusCode::FORBIDDEN),
            (
                Some("http://127.0.0.1:3000"),
                Some("same-origin"),
                StatusCode::OK,
            ),
            (None, None, StatusCode::OK),
        ];
        for (origin, fetch_site, expected) in cases {
            let mut request = http::Request::builder()
                .method("POST")
                .uri("/api/users/list")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", &cookie);
            if let Some(origin) = origin {
                request = request.header("origin", origin);
            }
            if let Some(site) = fetch_site {
                request = request.header("sec-fetch-site", site);
            }
            let response = app
                .send(
                    request
                        .body(axum::body::Body::from("search=&page=1"))
                        .unwrap(),
                )
                .await;
            assert_eq!(
                response.status, expected,
                "origin {origin:?}, sec-fetch-site {fetch_site:?}"
            );
        }
        // The sign-in form too: another site cannot sign a visitor in.
        let request = http::Request::builder()
            .method("POST")
            .uri("/auth/sign-in")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "https://evil.example")
            .body(axum::body::Body::from(format!(
                "username=admin&password={ADMIN_PASSWORD}"
            )))
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
        assert!(response.set_cookie().is_none());
    }
);

both_databases!(
    every_page_carries_the_security_headers,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        for (path, cookie) in [("/sign-in", None), ("/users", Some(cookie.as_str()))] {
            let response = app.get(path, cookie).await;
            assert_eq!(response.status, StatusCode::OK, "{path}");
            let header = |name: &str| {
                response
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
            };
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert_eq!(header("referrer-policy"), "same-origin");
            let csp = header("content-security-policy");
            assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
            // Scripts run only from this origin or with the nonce the page's own scripts carry.
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|n| n.split('\'').next())
                .expect("a nonce");
            assert!(
                response.body.contains(&format!("nonce=\"{nonce}\"")),
                "the page uses the nonce"
            );
            assert!(!csp.contains("unsafe-inline"));
            assert_eq!(header("cache-control"), "no-store");
            assert!(!header("x-request-id").is_empty());
        }
    }
);
