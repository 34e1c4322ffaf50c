//! The scopes catalogue: create, describe and delete custom scopes; Tessera's own stay put.

use http::StatusCode;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;

both_databases!(
    a_custom_scope_is_created_described_and_deleted_with_audit,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let created = app
            .call_json(
                "/api/scopes/create",
                Some(&cookie),
                json!({ "name": " reports:read ", "description": "Read reports" }),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        assert_eq!(created.json()["message"], "Created the scope reports:read.");

        let duplicate = app
            .call_json(
                "/api/scopes/create",
                Some(&cookie),
                json!({ "name": "reports:read", "description": "" }),
            )
            .await;
        assert_eq!(duplicate.status, StatusCode::CONFLICT);
        assert_eq!(
            duplicate.json()["message"],
            "A scope with this name already exists."
        );

        let invalid = app
            .call_json(
                "/api/scopes/create",
                Some(&cookie),
                json!({ "name": "Reports Read", "description": "" }),
            )
            .await;
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(invalid.json()["message"]
            .as_str()
            .unwrap()
            .contains("not a valid scope name"));

        let described = app
            .call_json(
                "/api/scopes/describe",
                Some(&cookie),
                json!({ "name": "reports:read", "description": "Read business reports" }),
            )
            .await;
        assert_eq!(described.json()["changed"], true);
        let same = app
            .call_json(
                "/api/scopes/describe",
                Some(&cookie),
                json!({ "name": "reports:read", "description": "Read business reports" }),
            )
            .await;
        assert_eq!(same.json()["changed"], false);

        let list = app
            .call(
                "/api/scopes/list",
                Some(&cookie),
                &[("search", "reports"), ("page", "1")],
            )
            .await
            .json();
        assert_eq!(list["items"][0]["description"], "Read business reports");
        assert_eq!(list["items"][0]["deletable"], true);

        let deleted = app
            .call_json(
                "/api/scopes/delete",
                Some(&cookie),
                json!({ "name": "reports:read" }),
            )
            .await;
        assert_eq!(deleted.json()["message"], "Deleted the scope reports:read.");
        let again = app
            .call_json(
                "/api/scopes/delete",
                Some(&cookie),
                json!({ "name": "reports:read" }),
            )
            .await;
        assert_eq!(again.json()["changed"], false);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'scope.%'")
                .await,
            3,
            "create, update, delete: nothing for the no-ops"
        );
    }
);

both_databases!(
    scopes_in_use_and_built_in_scopes_cannot_be_deleted,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let used = app
            .call_json(
                "/api/scopes/delete",
                Some(&cookie),
                json!({ "name": "reports:read" }),
            )
            .await;
        assert_eq!(used.status, StatusCode::CONFLICT);
        assert_eq!(
        used.json()["message"],
        "The scope reports:read is granted by the roles Auditor, Viewer. Take it out of those roles first."
    );
        let builtin = app
            .call_json(
                "/api/scopes/delete",
                Some(&cookie),
                json!({ "name": "users:read" }),
            )
            .await;
        assert_eq!(builtin.status, StatusCode::CONFLICT);
        let describe = app
            .call_json(
                "/api/scopes/describe",
                Some(&cookie),
                json!({ "name": "users:read", "description": "x" }),
            )
            .await;
        assert_eq!(describe.status, StatusCode::CONFLICT);
        let list = app
            .call(
                "/api/scopes/list",
                Some(&cookie),
                &[("search", ""), ("page", "1")],
            )
            .await
            .json();
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["deletable"] == false),
            "{list}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM scopes").await, 17);
    }
);

both_databases!(the_catalogue_needs_roles_write, async |app: &TestApp| {
    app.add_user("viewer", "viewer passphrase", &["roles:read"])
        .await;
    let cookie = app.sign_in("viewer", "viewer passphrase").await;
    let refused = app
        .call_json(
            "/api/scopes/create",
            Some(&cookie),
            json!({ "name": "x:y", "description": "" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let list = app
        .call(
            "/api/scopes/list",
            Some(&cookie),
            &[("search", ""), ("page", "1")],
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scopes WHERE name = 'x:y'")
            .await,
        0
    );
});
