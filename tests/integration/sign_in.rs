//! Signing in and out, console sessions, and the pages they open.

use http::StatusCode;

use crate::both_databases;
use crate::harness::*;

both_databases!(
    an_admin_signs_in_and_lands_where_they_were_going,
    async |app: &TestApp| {
        let response = app
            .post_sign_in("admin", ADMIN_PASSWORD, "/groups?q=eng")
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), Some("/groups?q=eng"));
        let cookie = response.set_cookie().expect("cookie");
        assert!(cookie.starts_with("tessera_session="));
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        // The database keeps only a hash of the token.
        let token = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("tessera_session=");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM sessions WHERE token_hash = '{token}'"
            ))
            .await,
            0
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'session.sign_in'")
                .await,
            1
        );
    }
);

both_databases!(
    usernames_are_matched_without_regard_to_case,
    async |app: &TestApp| {
        let response = app.post_sign_in("ADMIN", ADMIN_PASSWORD, "").await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), Some("/users"));
        assert!(response.set_cookie().is_some());
    }
);

both_databases!(
    every_failed_sign_in_gets_the_same_answer,
    async |app: &TestApp| {
        app.add_user("dora", "dora's passphrase", &[]).await;
        app.add_user("nopass", "nopass passphrase", &[]).await;
        app.exec(
            "UPDATE users SET disabled = TRUE WHERE username = $1",
            "dora",
        )
        .await
        .unwrap();
        app.exec(
            "UPDATE users SET password_hash = NULL WHERE username = $1",
            "nopass",
        )
        .await
        .unwrap();

        let wrong_password = app
            .post_sign_in("admin", "not the password", "/roles")
            .await;
        let unknown_user = app
            .post_sign_in("nobody", "not the password", "/roles")
            .await;
        let disabled_user = app
            .post_sign_in("dora", "dora's passphrase", "/roles")
            .await;
        let no_password = app
            .post_sign_in("nopass", "nopass passphrase", "/roles")
            .await;
        let empty = app.post_sign_in("", "", "/roles").await;
        for response in [
            &wrong_password,
            &unknown_user,
            &disabled_user,
            &no_password,
            &empty,
        ] {
            assert_eq!(response.status, StatusCode::SEE_OTHER);
            assert_eq!(response.location(), Some("/sign-in?error=1&next=%2Froles"));
            assert_eq!(response.set_cookie(), None);
            assert_eq!(response.body, wrong_password.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    }
);

both_databases!(
    the_sign_in_form_refuses_to_redirect_off_site,
    async |app: &TestApp| {
        let response = app
            .post_sign_in("admin", ADMIN_PASSWORD, "https://evil.example/")
            .await;
        assert_eq!(response.location(), Some("/users"));
        let response = app
            .post_sign_in("admin", ADMIN_PASSWORD, "//evil.example/")
            .await;
        assert_eq!(response.location(), Some("/users"));
    }
);

both_databases!(
    a_deep_link_while_signed_out_goes_to_sign_in_and_back,
    async |app: &TestApp| {
        let response = app.get("/groups?q=eng", None).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(
            response.location(),
            Some("/sign-in?next=%2Fgroups%3Fq%3Deng")
        );
        for path in ["/", "/users", "/roles", "/scopes", "/audit"] {
            let response = app.get(path, None).await;
            assert_eq!(response.status, StatusCode::SEE_OTHER, "{path}");
            assert!(
                response.location().unwrap().starts_with("/sign-in?next="),
                "{path}"
            );
        }
        // The sign-in page itself is public, and renders the form.
        let page = app.get("/sign-in?next=%2Fgroups", None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Sign in to Tessera"));
        assert!(page.body.contains(r#"action="/auth/sign-in""#));
        assert!(page.body.contains(r#"value="/groups""#));
    }
);

both_databases!(
    console_pages_render_real_rows_on_the_server,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let users = app.get("/users?q=alice", Some(&cookie)).await;
        assert_eq!(users.status, StatusCode::OK);
        assert!(users.body.contains("Alice Nguyen"), "{}", users.body);
        assert!(
            users.body.contains("Ada Admin"),
            "the header names the signed-in admin"
        );
        let groups = app.get("/groups", Some(&cookie)).await;
        assert!(groups.body.contains("Engineering"));
        let roles = app.get("/roles", Some(&cookie)).await;
        assert!(roles.body.contains("Administrator") && roles.body.contains("Operator"));
        let scopes = app.get("/scopes", Some(&cookie)).await;
        assert!(scopes.body.contains("users:read") && scopes.body.contains("reports:export"));
        let audit = app.get("/audit", Some(&cookie)).await;
        assert!(audit.body.contains("admin signed in to the console"));
        // A signed-in visit to the sign-in page goes to the console.
        let sign_in = app.get("/sign-in", Some(&cookie)).await;
        assert_eq!(sign_in.location(), Some("/users"));
        // Unknown pages are a real 404.
        let missing = app.get("/users-nowhere", Some(&cookie)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
);

both_databases!(
    signing_out_ends_the_session_for_good,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let request = http::Request::builder()
            .method("POST")
            .uri("/auth/sign-out")
            .header("cookie", &cookie)
            .header("origin", "http://127.0.0.1:3000")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert!(response.set_cookie().unwrap().contains("Max-Age=0"));
        let after = app
            .call(
                "/api/users/list",
                Some(&cookie),
                &[("search", ""), ("page", "1")],
            )
            .await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.get("/users", Some(&cookie)).await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'session.sign_out'")
                .await,
            1
        );
    }
);

both_databases!(
    sessions_end_after_idle_and_absolute_lifetimes,
    async |app: &TestApp| {
        let list = [("search", ""), ("page", "1")];
        let cookie = app.sign_in_admin().await;
        // Used every 50 minutes, the session outlives its one-hour idle timeout…
        for _ in 0..4 {
            app.clock.advance(50 * 60);
            let response = app.call("/api/users/list", Some(&cookie), &list).await;
            assert_eq!(response.status, StatusCode::OK);
        }
        // …but not an hour of silence.
        app.clock.advance(61 * 60);
        let response = app.call("/api/users/list", Some(&cookie), &list).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);

        // And never its twelve-hour absolute lifetime, however busy.
        let cookie = app.sign_in_admin().await;
        for _ in 0..14 {
            app.clock.advance(50 * 60);
            let response = app.call("/api/users/list", Some(&cookie), &list).await;
            assert_eq!(response.status, StatusCode::OK);
        }
        for _ in 0..1 {
            app.clock.advance(50 * 60);
            app.call("/api/users/list", Some(&cookie), &list).await;
        }
        let response = app.call("/api/users/list", Some(&cookie), &list).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    }
);

both_databases!(
    disabling_a_user_ends_their_session_at_once,
    async |app: &TestApp| {
        app.add_user("opal", "opal's passphrase", &["users:read"])
            .await;
        let cookie = app.sign_in("opal", "opal's passphrase").await;
        let list = [("search", ""), ("page", "1")];
        assert_eq!(
            app.call("/api/users/list", Some(&cookie), &list)
                .await
                .status,
            StatusCode::OK
        );
        // Behind Tessera's back, so that only the flag says so: the session is refused on the
        // flag alone, whatever else failed to end it.
        app.exec(
            "UPDATE users SET disabled = TRUE WHERE username = $1",
            "opal",
        )
        .await
        .unwrap();
        let response = app.call("/api/users/list", Some(&cookie), &list).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.json()["code"], "unauthenticated");
        // Disabling through Tessera ends the sessions too; leave the state it would.
        app.exec(
            "UPDATE sessions SET revoked_at = 0 WHERE user_id IN
                 (SELECT id FROM users WHERE username = $1)",
            "opal",
        )
        .await
        .unwrap();
    }
);
