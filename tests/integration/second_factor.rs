//! Two-step verification: enrolling an authenticator, signing in with a code or a recovery
//! code, turning it off, an administrator's reset, and the deployment rule that withholds
//! console write scopes from sessions without a second factor. The clock is the test's, so
//! codes are computed for exact 30-second steps.

use http::StatusCode;
use serde_json::json;
use tessera::auth::totp::{step_of, TotpSecret};

use crate::both_databases;
use crate::harness::*;

const PASSWORD: &str = "tara's long passphrase";
const CHALLENGE: &str = "tessera_sign_in";

/// The code the person's app shows now.
async fn code_now(app: &TestApp, user_id: &str) -> String {
    let hex = app
        .text(&format!(
            "SELECT secret FROM totp_credentials WHERE user_id = '{user_id}'"
        ))
        .await;
    TotpSecret::from_hex(&hex)
        .expect("a stored secret")
        .code_at(step_of(app.clock.now()))
}

/// Enrols the person signed in with `cookie`; returns their recovery codes.
async fn enrol(app: &TestApp, cookie: &str, user_id: &str) -> Vec<String> {
    let started = app
        .call_json("/api/account/second-factor/start", Some(cookie), json!({}))
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let code = code_now(app, user_id).await;
    let confirmed = app
        .call_json(
            "/api/account/second-factor/confirm",
            Some(cookie),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    confirmed.json()["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

/// Posts the password step; returns the challenge cookie it set.
async fn password_step(app: &TestApp, username: &str) -> String {
    let response = app.post_sign_in(username, PASSWORD, "/groups").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), Some("/sign-in/verify?next=%2Fgroups"));
    assert!(
        response.cookie("tessera_session").is_none(),
        "no session before the code"
    );
    response.cookie(CHALLENGE).expect("a challenge cookie")
}

async fn verify(app: &TestApp, challenge: &str, code: &str) -> Response {
    app.post_form(
        "/auth/verify",
        Some(challenge),
        &[("code", code), ("next", "/groups")],
    )
    .await
}

both_databases!(
    an_authenticator_is_enrolled_with_a_first_code_and_then_asked_for_at_sign_in,
    async |app: &TestApp| {
        let tara = app.add_user("tara", PASSWORD, &["users:read"]).await;
        let cookie = app.sign_in("tara", PASSWORD).await;

        let started = app
            .call_json("/api/account/second-factor/start", Some(&cookie), json!({}))
            .await
            .json();
        let uri = started["otpauth_uri"].as_str().unwrap();
        assert!(
            uri.starts_with("otpauth://totp/Tessera%20%28127.0.0.1%3A3000%29%3Atara?secret="),
            "{uri}"
        );
        assert!(started["qr_image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/svg+xml;base64,"));
        // The key shown for typing is the URI's secret, in groups of four.
        let key = started["key"].as_str().unwrap().replace(' ', "");
        assert!(uri.contains(&format!("secret={key}&")));

        // A wrong first code turns nothing on.
        let wrong = app
            .call_json(
                "/api/account/second-factor/confirm",
                Some(&cookie),
                json!({ "code": "000000" }),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(wrong.json()["code"], "invalid_input");
        assert_eq!(
            app.post_sign_in("tara", PASSWORD, "/groups")
                .await
                .location(),
            Some("/groups"),
            "still password only"
        );

        let code = code_now(app, &tara).await;
        let confirmed = app
            .call_json(
                "/api/account/second-factor/confirm",
                Some(&cookie),
                json!({ "code": code }),
            )
            .await;
        assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
        let codes = confirmed.json()["codes"].as_array().unwrap().len();
        assert_eq!(codes, 10);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM recovery_codes WHERE used_at IS NULL")
                .await,
            10
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'user.second_factor.enable'"
            )
            .await,
            1
        );
        let overview = app
            .call("/api/account/overview", Some(&cookie), &[])
            .await
            .json();
        assert_eq!(overview["second_factor"], true);
        assert_eq!(overview["recovery_codes_left"], 10);

        // Sign-in now stops after the password.
        let sessions_before = app.count("SELECT COUNT(*) FROM sessions").await;
        let challenge = password_step(app, "tara").await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM sessions").await,
            sessions_before
        );
        // The code used to enrol is spent, even within its 30 seconds.
        assert_eq!(
            verify(app, &challenge, &code).await.location(),
            Some("/sign-in/verify?error=1&next=%2Fgroups")
        );
        app.clock.advance(30);
        let fresh = code_now(app, &tara).await;
        let done = verify(app, &challenge, &fresh).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert_eq!(done.location(), Some("/groups"));
        let session = done.cookie("tessera_session").expect("a session");
        assert_eq!(
            app.call("/api/me", Some(&session), &[]).await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'session.sign_in'
                 AND summary = 'tara signed in to the console with an authenticator code'"
            )
            .await,
            1
        );
        // The challenge is spent too.
        assert_eq!(
            verify(app, &challenge, &fresh).await.location(),
            Some("/sign-in?error=expired&next=%2Fgroups")
        );
    }
);

both_databases!(a_recovery_code_signs_in_once, async |app: &TestApp| {
    let tara = app.add_user("tara", PASSWORD, &[]).await;
    let cookie = app.sign_in("tara", PASSWORD).await;
    let codes = enrol(app, &cookie, &tara).await;

    let challenge = password_step(app, "tara").await;
    // Typed loosely: upper case, spaces for dashes.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let done = verify(app, &challenge, &typed).await;
    assert_eq!(done.location(), Some("/groups"), "{:?}", done.headers);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM recovery_codes WHERE used_at IS NULL")
            .await,
        9
    );
    let again = password_step(app, "tara").await;
    assert_eq!(
        verify(app, &again, &codes[3]).await.location(),
        Some("/sign-in/verify?error=1&next=%2Fgroups")
    );
    assert_eq!(
        verify(app, &again, &codes[4]).await.location(),
        Some("/groups")
    );
});

both_databases!(
    wrong_codes_and_slow_sign_ins_must_start_again_from_the_password,
    async |app: &TestApp| {
        let tara = app.add_user("tara", PASSWORD, &[]).await;
        let cookie = app.sign_in("tara", PASSWORD).await;
        enrol(app, &cookie, &tara).await;
        app.clock.advance(30);

        let challenge = password_step(app, "tara").await;
        for _ in 0..5 {
            assert_eq!(
                verify(app, &challenge, "123456").await.location(),
                Some("/sign-in/verify?error=1&next=%2Fgroups")
            );
        }
        // The sixth try ends the sign-in, even with the right code.
        let right = code_now(app, &tara).await;
        assert_eq!(
            verify(app, &challenge, &right).await.location(),
            Some("/sign-in?error=attempts&next=%2Fgroups")
        );
        assert_eq!(
            verify(app, &challenge, &right).await.location(),
            Some("/sign-in?error=expired&next=%2Fgroups")
        );

        // Five minutes between the steps is the limit.
        let slow = password_step(app, "tara").await;
        app.clock.advance(5 * 60);
        let right = code_now(app, &tara).await;
        assert_eq!(
            verify(app, &slow, &right).await.location(),
            Some("/sign-in?error=expired&next=%2Fgroups")
        );

        // Disabled between the steps: no session.
        let halfway = password_step(app, "tara").await;
        let admin = app.sign_in_admin().await;
        let disabled = app
            .call_json(
                "/api/users/disable",
                Some(&admin),
                json!({ "user_id": tara, "disabled": true }),
            )
            .await;
        assert_eq!(disabled.json()["changed"], true, "{}", disabled.body);
        assert_eq!(
            verify(app, &halfway, &right).await.location(),
            Some("/sign-in?error=expired&next=%2Fgroups")
        );
        // No challenge cookie at all.
        assert_eq!(
            app.post_form("/auth/verify", None, &[("code", "123456")])
                .await
                .location(),
            Some("/sign-in?error=expired&next=%2Fusers")
        );
    }
);

both_databases!(
    turning_it_off_takes_a_code_and_an_admin_can_reset_it,
    async |app: &TestApp| {
        let tara = app.add_user("tara", PASSWORD, &[]).await;
        let cookie = app.sign_in("tara", PASSWORD).await;
        let codes = enrol(app, &cookie, &tara).await;

        let refused = app
            .call_json(
                "/api/account/second-factor/disable",
                Some(&cookie),
                json!({ "code": "999999" }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.count("SELECT COUNT(*) FROM totp_credentials").await, 1);
        // Enrolling again while on is refused; the secret stays.
        let twice = app
            .call_json("/api/account/second-factor/start", Some(&cookie), json!({}))
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);

        // New recovery codes replace the old ones.
        app.clock.advance(30);
        let renewed = app
            .call_json(
                "/api/account/recovery-codes",
                Some(&cookie),
                json!({ "code": code_now(app, &tara).await }),
            )
            .await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
        let challenge = password_step(app, "tara").await;
        assert_eq!(
            verify(app, &challenge, &codes[0]).await.location(),
            Some("/sign-in/verify?error=1&next=%2Fgroups"),
            "an old recovery code"
        );

        app.clock.advance(30);
        let off = app
            .call_json(
                "/api/account/second-factor/disable",
                Some(&cookie),
                json!({ "code": code_now(app, &tara).await }),
            )
            .await;
        assert_eq!(off.json()["changed"], true, "{}", off.body);
        assert_eq!(
            app.post_sign_in("tara", PASSWORD, "/groups")
                .await
                .location(),
            Some("/groups")
        );

        // An administrator's reset, for a lost phone.
        enrol(app, &cookie, &tara).await;
        app.add_user("reader", "reader passphrase", &["users:read"])
            .await;
        let reader = app.sign_in("reader", "reader passphrase").await;
        let forbidden = app
            .call_json(
                "/api/users/second-factor/reset",
                Some(&reader),
                json!({ "user_id": tara }),
            )
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        let admin = app.sign_in_admin().await;
        let access = app
            .call("/api/users/access", Some(&admin), &[("user_id", &tara)])
            .await
            .json();
        assert_eq!(access["second_factor"], true);
        let reset = app
            .call_json(
                "/api/users/second-factor/reset",
                Some(&admin),
                json!({ "user_id": tara }),
            )
            .await;
        assert_eq!(reset.json()["changed"], true, "{}", reset.body);
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'user.second_factor.reset'
                 AND summary = 'admin reset the two-step verification of tara'"
            )
            .await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM recovery_codes").await, 0);
        assert_eq!(
            app.post_sign_in("tara", PASSWORD, "/groups")
                .await
                .location(),
            Some("/groups")
        );
        let again = app
            .call_json(
                "/api/users/second-factor/reset",
                Some(&admin),
                json!({ "user_id": tara }),
            )
            .await;
        assert_eq!(again.json()["changed"], false);
    }
);

/// The deployment rule: with `require_second_factor`, console write scopes count only in
/// sessions whose sign-in passed a second factor.
async fn write_scopes_wait_for_a_second_factor(backend: Backend) {
    let Some(app) = TestApp::start_configured(backend, |config| {
        config.require_second_factor = true;
    })
    .await
    else {
        return;
    };
    let admin = app.sign_in_admin().await;
    let me = app.call("/api/me", Some(&admin), &[]).await.json();
    assert_eq!(me["needs_second_factor"], true);
    let permissions = me["permissions"].as_array().unwrap();
    assert!(permissions.contains(&json!("UsersRead")));
    assert!(!permissions.contains(&json!("RolesWrite")), "{me}");
    let refused = app
        .call_json(
            "/api/roles/create",
            Some(&admin),
            json!({ "name": "Ops", "description": "", "scopes": [] }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let overview = app
        .call("/api/account/overview", Some(&admin), &[])
        .await
        .json();
    assert_eq!(overview["second_factor_required"], true);
    assert!(overview["withheld_scopes"]
        .as_array()
        .unwrap()
        .contains(&json!("roles:write")));

    // Enrolling counts for the session at once.
    let admin_id = app.id_of("users", "username", "admin").await;
    enrol(&app, &admin, &admin_id).await;
    let created = app
        .call_json(
            "/api/roles/create",
            Some(&admin),
            json!({ "name": "Ops", "description": "", "scopes": [] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);

    // A new sign-in has its write scopes once the code is in.
    app.clock.advance(30);
    let response = app.post_sign_in("admin", ADMIN_PASSWORD, "/users").await;
    let challenge = response.cookie(CHALLENGE).expect("asked for a code");
    let code = code_now(&app, &admin_id).await;
    let done = app
        .post_form(
            "/auth/verify",
            Some(&challenge),
            &[("code", &code), ("next", "/users")],
        )
        .await;
    let session = done.cookie("tessera_session").expect("a session");
    let me = app.call("/api/me", Some(&session), &[]).await.json();
    assert_eq!(me["needs_second_factor"], false);
    assert!(me["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("RolesWrite")));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_scopes_wait_for_a_second_factor_sqlite() {
    write_scopes_wait_for_a_second_factor(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_scopes_wait_for_a_second_factor_postgres() {
    write_scopes_wait_for_a_second_factor(Backend::Postgres).await;
}

both_databases!(
    bootstrap_admin_is_the_way_back_in_without_the_phone,
    async |app: &TestApp| {
        let admin_id = app.id_of("users", "username", "admin").await;
        let admin = app.sign_in_admin().await;
        enrol(app, &admin, &admin_id).await;
        assert!(app
            .post_sign_in("admin", ADMIN_PASSWORD, "/users")
            .await
            .cookie(CHALLENGE)
            .is_some());
        tessera::setup::bootstrap_admin(
            &app.db,
            "admin",
            "Ada Admin",
            secrecy::SecretString::from("a new admin passphrase"),
            app.clock.now(),
        )
        .await
        .unwrap();
        assert_eq!(
            app.post_sign_in("admin", "a new admin passphrase", "/users")
                .await
                .location(),
            Some("/users")
        );
    }
);
