//! Custom roles: create, change scopes, delete; built-in roles stay as they are.

use http::StatusCode;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;

const ADMIN_ROLE: &str = tessera::roles::ADMINISTRATOR_ROLE_ID;

both_databases!(
    a_custom_role_is_created_given_scopes_and_deleted,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let created = app
        .call_json(
            "/api/roles/create",
            Some(&cookie),
            json!({ "name": " Release Manager ", "description": "Ships releases", "scopes": ["groups:read", "groups:read"] }),
        )
        .await;
        assert_eq!(
            created.json()["message"],
            "Created the role Release Manager.",
            "{}",
            created.body
        );
        let duplicate = app
            .call_json(
                "/api/roles/create",
                Some(&cookie),
                json!({ "name": "release manager", "description": "", "scopes": [] }),
            )
            .await;
        assert_eq!(duplicate.status, StatusCode::CONFLICT);
        assert_eq!(
            duplicate.json()["message"],
            "A role with this name already exists."
        );
        let unknown_scope = app
            .call_json(
                "/api/roles/create",
                Some(&cookie),
                json!({ "name": "Other", "description": "", "scopes": ["no:such"] }),
            )
            .await;
        assert_eq!(unknown_scope.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM roles WHERE name = 'Other'")
                .await,
            0
        );

        let role = app.id_of("roles", "name", "Release Manager").await;
        let add = json!({ "role_id": role, "scope": "users:read", "grant": true });
        assert_eq!(
            app.call_json("/api/roles/scopes/set", Some(&cookie), add.clone())
                .await
                .json()["changed"],
            true
        );
        assert_eq!(
            app.call_json("/api/roles/scopes/set", Some(&cookie), add)
                .await
                .json()["changed"],
            false
        );
        let detail = app
            .call("/api/roles/detail", Some(&cookie), &[("role_id", &role)])
            .await
            .json();
        assert_eq!(detail["scopes"], json!(["groups:read", "users:read"]));

        // Holders lose the role's scopes with it.
        let user = app.add_user("rm", "rm passphrase", &[]).await;
        app.call_json(
            "/api/users/roles/assign",
            Some(&cookie),
            json!({ "user_id": user, "role_id": role, "expires_at": null }),
        )
        .await;
        let rm = app.sign_in("rm", "rm passphrase").await;
        let list = [("search", ""), ("page", "1")];
        assert_eq!(
            app.call("/api/users/list", Some(&rm), &list).await.status,
            StatusCode::OK
        );
        let deleted = app
            .call_json(
                "/api/roles/delete",
                Some(&cookie),
                json!({ "role_id": role }),
            )
            .await;
        assert_eq!(
            deleted.json()["message"],
            "Deleted the role Release Manager."
        );
        assert_eq!(
            app.call("/api/users/list", Some(&rm), &list).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM user_roles WHERE user_id <> ''")
                .await,
            1,
            "only the admin's"
        );
        let summary = app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'role.delete' AND summary LIKE '%held by 1 people (1 directly, 0 groups)%'").await;
        assert_eq!(summary, 1);
        let gone = app
            .call_json(
                "/api/roles/delete",
                Some(&cookie),
                json!({ "role_id": role }),
            )
            .await;
        assert_eq!(gone.json()["changed"], false);
    }
);

both_databases!(
    built_in_roles_keep_their_scopes_and_existence,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let delete = app
            .call_json(
                "/api/roles/delete",
                Some(&cookie),
                json!({ "role_id": ADMIN_ROLE }),
            )
            .await;
        assert_eq!(delete.status, StatusCode::CONFLICT);
        let strip = app
            .call_json(
                "/api/roles/scopes/set",
                Some(&cookie),
                json!({ "role_id": ADMIN_ROLE, "scope": "users:read", "grant": false }),
            )
            .await;
        assert_eq!(strip.status, StatusCode::CONFLICT);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM role_scopes WHERE role_id = '{ADMIN_ROLE}'"
            ))
            .await,
            tessera::auth::Permission::ALL.len() as i64
        );
    }
);

both_databases!(role_changes_need_roles_write, async |app: &TestApp| {
    app.add_user("looker", "looker passphrase", &["roles:read"])
        .await;
    let cookie = app.sign_in("looker", "looker passphrase").await;
    let create = app
        .call_json(
            "/api/roles/create",
            Some(&cookie),
            json!({ "name": "Sneaky", "description": "", "scopes": [] }),
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    let role = app.id_of("roles", "name", "looker role").await;
    let delete = app
        .call_json(
            "/api/roles/delete",
            Some(&cookie),
            json!({ "role_id": role }),
        )
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM roles WHERE name = 'Sneaky'")
            .await,
        0
    );
});

both_databases!(
    a_role_is_renamed_and_described_with_its_before_and_after,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let viewer = app.id_of("roles", "name", "Viewer").await;
        let update = |name: &str, description: &str| json!({ "role_id": viewer, "name": name, "description": description });

        let renamed = app
            .call_json(
                "/api/roles/update",
                Some(&cookie),
                update(" Read-only ", "Sees everything, changes nothing"),
            )
            .await;
        assert_eq!(
            renamed.json()["message"],
            "Saved the role Read-only.",
            "{}",
            renamed.body
        );
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'role.update' \
                 AND summary = 'admin renamed the role Viewer to Read-only' \
                 AND details LIKE '%\"name\":\"Viewer\"%' AND details LIKE '%\"name\":\"Read-only\"%'"
            )
            .await,
            1
        );

        let same = app
            .call_json(
                "/api/roles/update",
                Some(&cookie),
                update("Read-only", "Sees everything, changes nothing"),
            )
            .await;
        assert_eq!(same.json()["changed"], false);

        // Taking another role's name is a conflict, and changes nothing.
        let taken = app
            .call_json("/api/roles/update", Some(&cookie), update("operator", ""))
            .await;
        assert_eq!(taken.status, StatusCode::CONFLICT);
        assert_eq!(
            taken.json()["message"],
            "A role with this name already exists."
        );
        let blank = app
            .call_json("/api/roles/update", Some(&cookie), update("  ", ""))
            .await;
        assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM roles WHERE name = 'Read-only' AND description <> ''")
                .await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'role.update'")
                .await,
            1
        );

        // The built-in role keeps its name but may be described.
        let rename_admin = app
            .call_json(
                "/api/roles/update",
                Some(&cookie),
                json!({ "role_id": ADMIN_ROLE, "name": "Root", "description": "" }),
            )
            .await;
        assert_eq!(rename_admin.status, StatusCode::CONFLICT);
        let describe_admin = app
            .call_json(
                "/api/roles/update",
                Some(&cookie),
                json!({ "role_id": ADMIN_ROLE, "name": "Administrator", "description": "Runs Tessera" }),
            )
            .await;
        assert_eq!(
            describe_admin.json()["changed"],
            true,
            "{}",
            describe_admin.body
        );

        // Without roles:write the server refuses, whatever the page shows.
        app.add_user("reader", "reader passphrase", &["roles:read"])
            .await;
        let reader = app.sign_in("reader", "reader passphrase").await;
        let refused = app
            .call_json("/api/roles/update", Some(&reader), update("Mine", ""))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM roles WHERE name = 'Mine'")
                .await,
            0
        );
    }
);

both_databases!(
    two_admins_editing_one_role_or_group_at_once_never_lose_an_edit_silently,
    async |app: &TestApp| {
        let first = app.sign_in_admin().await;
        app.add_user(
            "second-admin",
            "a second admin passphrase",
            &["roles:write", "groups:write", "roles:read", "groups:read"],
        )
        .await;
        let second = app
            .sign_in("second-admin", "a second admin passphrase")
            .await;
        let created = app
            .call_json(
                "/api/roles/create",
                Some(&first),
                json!({ "name": "Support", "description": "Answers tickets", "scopes": [] }),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let role = app.id_of("roles", "name", "Support").await;
        let group = app
            .call_json(
                "/api/groups/create",
                Some(&first),
                json!({ "name": "Helpdesk", "description": "" }),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();

        for (path, id_key, id, what, (name, description)) in [
            (
                "/api/roles/update",
                "role_id",
                &role,
                "role",
                ("Support", "Answers tickets"),
            ),
            (
                "/api/groups/update",
                "group_id",
                &group,
                "group",
                ("Helpdesk", ""),
            ),
        ] {
            // Both opened the editor on the same text; the first saves.
            let seen = json!({ "name": name, "description": description });
            let edit = |new_name: &str, new_description: &str| json!({ id_key: id, "name": new_name, "description": new_description, "seen": seen });
            let saved = app
                .call_json(
                    path,
                    Some(&first),
                    edit(&format!("{name} Tier 1"), description),
                )
                .await;
            assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
            let events = app.count("SELECT COUNT(*) FROM audit_events").await;

            // The second saves from the text they saw: refused, with what is there now.
            let late = app
                .call_json(path, Some(&second), edit(name, "Something else entirely"))
                .await;
            assert_eq!(late.status, StatusCode::CONFLICT, "{what}: {}", late.body);
            let message = late.json()["message"].as_str().unwrap().to_string();
            assert!(
                message.contains(&format!("Someone else changed this {what}")),
                "{message}"
            );
            assert!(message.contains(&format!("{name} Tier 1")), "{message}");
            assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);

            // The same edit made twice is no conflict: it is simply already so.
            let same = app
                .call_json(
                    path,
                    Some(&second),
                    edit(&format!("{name} Tier 1"), description),
                )
                .await;
            assert_eq!(same.status, StatusCode::OK, "{}", same.body);
            assert_eq!(same.json()["changed"], false, "{}", same.body);

            // A script that sends no `seen` overwrites, as it asked to.
            let scripted = app
                .call_json(
                    path,
                    Some(&second),
                    json!({ id_key: id, "name": format!("{name} Scripted"), "description": "" }),
                )
                .await;
            assert_eq!(scripted.status, StatusCode::OK, "{}", scripted.body);
        }
        let table_names = app
            .text(&format!("SELECT name FROM roles WHERE id = '{role}'"))
            .await;
        assert_eq!(table_names, "Support Scripted");
    }
);
