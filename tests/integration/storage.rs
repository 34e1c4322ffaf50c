//! The schema holds integrity: uniqueness, references, the append-only audit log, and
//! transactions that leave nothing half-written.

use secrecy::SecretString;

use crate::both_databases;
use crate::harness::*;

both_databases!(
    the_built_in_scopes_are_exactly_the_permissions_checked,
    async |app: &TestApp| {
        use tessera::auth::Permission;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM scopes WHERE builtin = TRUE")
                .await,
            Permission::ALL.len() as i64
        );
        for permission in Permission::ALL {
            let n = app
                .count(&format!(
                    "SELECT COUNT(*) FROM role_scopes WHERE scope = '{}' AND role_id = '{}'",
                    permission.scope(),
                    tessera::roles::ADMINISTRATOR_ROLE_ID
                ))
                .await;
            assert_eq!(n, 1, "Administrator grants {}", permission.scope());
        }
    }
);

both_databases!(
    usernames_are_unique_regardless_of_case,
    async |app: &TestApp| {
        let error = app
            .db
            .write(|tx| {
                Box::pin(async move {
                    let user = tessera::users::store::NewUser::parse("ADMIN", "Other", None, None)?;
                    tessera::users::store::insert(tx, &user, T0).await
                })
            })
            .await
            .unwrap_err();
        assert_eq!(error.code, tessera::error::ErrorCode::Conflict);
        assert_eq!(error.message, "A user with this username already exists.");
    }
);

both_databases!(
    a_failed_use_case_leaves_nothing_behind,
    async |app: &TestApp| {
        let users_before = app.count("SELECT COUNT(*) FROM users").await;
        let groups_before = app.count("SELECT COUNT(*) FROM access_groups").await;
        // The group is written, then the user collides: the whole transaction must vanish.
        let result = app
            .db
            .write(|tx| {
                Box::pin(async move {
                    tessera::groups::store::insert(tx, "Doomed", "", T0).await?;
                    let user = tessera::users::store::NewUser::parse("admin", "Again", None, None)?;
                    tessera::users::store::insert(tx, &user, T0).await
                })
            })
            .await;
        assert!(result.is_err());
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users_before);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM access_groups").await,
            groups_before
        );
    }
);

both_databases!(
    a_rejected_bootstrap_changes_nothing,
    async |app: &TestApp| {
        let events = app.count("SELECT COUNT(*) FROM audit_events").await;
        let short = tessera::setup::bootstrap_admin(
            &app.db,
            "newadmin",
            "",
            SecretString::from("short"),
            T0,
        )
        .await;
        assert_eq!(
            short.unwrap_err().code,
            tessera::error::ErrorCode::InvalidInput
        );
        let bad_name = tessera::setup::bootstrap_admin(
            &app.db,
            "new admin",
            "",
            SecretString::from("a good passphrase"),
            T0,
        )
        .await;
        assert_eq!(
            bad_name.unwrap_err().code,
            tessera::error::ErrorCode::InvalidInput
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'newadmin'")
                .await,
            0
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);
    }
);

both_databases!(the_audit_log_cannot_be_rewritten, async |app: &TestApp| {
    let events = app.count("SELECT COUNT(*) FROM audit_events").await;
    assert!(events >= 1);
    assert!(app
        .exec("UPDATE audit_events SET summary = $1", "forged")
        .await
        .is_err());
    assert!(app
        .exec(
            "DELETE FROM audit_events WHERE action = $1",
            "user.bootstrap_admin"
        )
        .await
        .is_err());
    assert!(app
        .exec("DELETE FROM audit_events WHERE summary <> $1", "")
        .await
        .is_err());
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE summary = 'forged'")
            .await,
        0
    );
});

both_databases!(
    foreign_keys_refuse_dangling_assignments,
    async |app: &TestApp| {
        let error = app
            .db
            .write(|tx| {
                Box::pin(async move {
                    tessera::roles::store::assign_to_user(
                        tx,
                        "no-such-user",
                        tessera::roles::ADMINISTRATOR_ROLE_ID,
                        None,
                        T0,
                    )
                    .await
                })
            })
            .await
            .unwrap_err();
        assert_eq!(error.code, tessera::error::ErrorCode::Conflict);
    }
);

both_databases!(the_demo_organisation_loads_once, async |app: &TestApp| {
    assert!(tessera::setup::seed_demo(&app.db, T0).await.unwrap());
    assert!(!tessera::setup::seed_demo(&app.db, T0).await.unwrap());
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 41);
    assert_eq!(app.count("SELECT COUNT(*) FROM access_groups").await, 6);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM roles WHERE builtin = FALSE")
            .await,
        5
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE disabled = TRUE")
            .await,
        2
    );
});

both_databases!(
    bootstrapping_an_existing_user_makes_them_admin_again,
    async |app: &TestApp| {
        app.add_user("eve", "eve passphrase", &[]).await;
        app.exec(
            "UPDATE users SET disabled = TRUE WHERE username = $1",
            "eve",
        )
        .await
        .unwrap();
        tessera::setup::bootstrap_admin(
            &app.db,
            "eve",
            "",
            SecretString::from("eve's new passphrase"),
            T0,
        )
        .await
        .unwrap();
        let cookie = app.sign_in("eve", "eve's new passphrase").await;
        let response = app
            .call_json(
                "/api/audit/list",
                Some(&cookie),
                serde_json::json!({ "filter": {}, "page": 1 }),
            )
            .await;
        assert_eq!(response.status, http::StatusCode::OK);
        assert!(tessera::setup::has_active_admin(&app.db, T0).await.unwrap());
    }
);

both_databases!(
    the_readiness_probe_reports_the_database,
    async |app: &TestApp| {
        assert_eq!(app.get("/readyz", None).await.status, http::StatusCode::OK);
        assert_eq!(app.get("/healthz", None).await.status, http::StatusCode::OK);
    }
);
