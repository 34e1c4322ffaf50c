//! Bulk changes: preview, all-or-nothing application, one parent event per operation with one
//! child per person changed, and the same refusals as single changes.

use http::StatusCode;
use serde_json::{json, Value};

use crate::both_databases;
use crate::harness::*;
use crate::user_list::demo_user;

const ADMIN_ROLE: &str = tessera::roles::ADMINISTRATOR_ROLE_ID;

async fn bulk(app: &TestApp, cookie: &str, step: &str, selection: Value, action: Value) -> Value {
    let response = app
        .call_json(
            &format!("/api/users/bulk/{step}"),
            Some(cookie),
            json!({ "selection": selection, "action": action }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

fn ids(ids: &[&str]) -> Value {
    json!({ "kind": "ids", "ids": ids })
}

both_databases!(
    a_bulk_add_changes_only_who_it_must_and_audits_each,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let operator = app.id_of("roles", "name", "Operator").await;
        let (holder, fresh, disabled) = (
            demo_user(app, 0).await,
            demo_user(app, 4).await,
            demo_user(app, 38).await,
        );
        app.call_json(
            "/api/users/roles/assign",
            Some(&cookie),
            json!({ "user_id": holder, "role_id": operator, "expires_at": null }),
        )
        .await;
        let selection = ids(&[&holder, &fresh, &disabled]);
        let action = json!({ "kind": "add_role", "role_id": operator, "expires_at": null });

        let events_before = app.count("SELECT COUNT(*) FROM audit_events").await;
        let preview = bulk(app, &cookie, "preview", selection.clone(), action.clone()).await;
        let counts = &preview["counts"];
        assert_eq!(
            (
                counts["selected"].as_i64(),
                counts["changes"].as_i64(),
                counts["already_so"].as_i64(),
                counts["skipped_disabled"].as_i64()
            ),
            (Some(3), Some(1), Some(1), Some(1)),
            "{preview}"
        );
        assert_eq!(preview["confirm_label"], "Add Operator to 1 person");
        assert_eq!(preview["sample"].as_array().unwrap().len(), 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events").await,
            events_before,
            "a preview changes nothing"
        );

        let result = bulk(app, &cookie, "apply", selection, action).await;
        assert_eq!(result["counts"]["changes"], 1, "{result}");
        let parent = result["event_id"].as_i64().expect("a parent event");
        assert_eq!(result["rows"].as_array().unwrap().len(), 3);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE id = {parent} AND action = 'bulk.role.add' \
                 AND target_id = '{operator}' AND parent_id IS NULL"
            ))
            .await,
            1
        );
        // Exactly one child, for exactly the person changed, with the role and before/after.
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE parent_id = {parent}"
            ))
            .await,
            1
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE parent_id = {parent} \
                 AND action = 'user.role.assign' AND target_id = '{fresh}' \
                 AND summary LIKE 'admin gave % the role Operator' \
                 AND details LIKE '%\"role_name\":\"Operator\"%\"before\":null%'"
            ))
            .await,
            1
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM user_roles WHERE role_id = '{operator}'"
            ))
            .await,
            2,
            "the holder and the fresh one; the disabled one was skipped"
        );
    }
);

both_databases!(
    a_bulk_change_over_a_filter_resolves_it_on_the_server,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let support = app.id_of("access_groups", "name", "Support").await;
        let sales = app.id_of("access_groups", "name", "Sales").await;
        let before = app
            .count(&format!(
                "SELECT COUNT(*) FROM group_members WHERE group_id = '{sales}'"
            ))
            .await;
        let selection = json!({ "kind": "matching", "filter": { "group": support } });
        let action =
            json!({ "kind": "add_to_group", "group_id": sales, "expires_at": T0 + 7 * 86_400 });
        let result = bulk(app, &cookie, "apply", selection.clone(), action.clone()).await;
        // Ten in Support, one of them disabled; user 38 is the disabled one.
        assert_eq!(result["counts"]["selected"], 10, "{result}");
        assert_eq!(result["counts"]["changes"], 9);
        assert_eq!(result["counts"]["skipped_disabled"], 1);
        let parent = result["event_id"].as_i64().unwrap();
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM group_members WHERE group_id = '{sales}'"
            ))
            .await,
            before + 9
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE parent_id = {parent} AND action = 'group.member.add'"
            ))
            .await,
            9
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM group_members WHERE group_id = '{sales}' AND expires_at = {}",
                T0 + 7 * 86_400
            ))
            .await,
            9
        );
        // Again: nothing changes and nothing is written.
        let events = app.count("SELECT COUNT(*) FROM audit_events").await;
        let again = bulk(app, &cookie, "apply", selection, action).await;
        assert!(again["event_id"].is_null(), "{again}");
        assert_eq!(again["counts"]["already_so"], 9);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);

        // Removing the group again from everyone matching, through the same filter.
        let removed = bulk(
            app,
            &cookie,
            "apply",
            json!({ "kind": "matching", "filter": { "group": support } }),
            json!({ "kind": "remove_from_group", "group_id": sales }),
        )
        .await;
        assert_eq!(removed["counts"]["changes"], 9, "{removed}");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM group_members WHERE group_id = '{sales}'"
            ))
            .await,
            before
        );
    }
);

both_databases!(
    a_bulk_removal_says_who_keeps_the_role_through_a_group,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let auditor = app.id_of("roles", "name", "Auditor").await;
        // User 0 is in Security (which holds Auditor); user 3 holds Auditor directly only.
        let (in_security, direct_only) = (demo_user(app, 0).await, demo_user(app, 3).await);
        app.call_json(
            "/api/users/roles/assign",
            Some(&cookie),
            json!({ "user_id": in_security, "role_id": auditor, "expires_at": null }),
        )
        .await;
        let selection = ids(&[&in_security, &direct_only]);
        let action = json!({ "kind": "remove_role", "role_id": auditor });
        let preview = bulk(app, &cookie, "preview", selection.clone(), action.clone()).await;
        assert_eq!(preview["counts"]["changes"], 2, "{preview}");
        assert_eq!(preview["counts"]["keep_through_group"], 1);
        let keeper = preview["sample"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["user_id"] == in_security.as_str())
            .unwrap();
        assert_eq!(keeper["keeps_through"], json!(["Security"]));
        let result = bulk(app, &cookie, "apply", selection, action).await;
        assert_eq!(result["counts"]["changes"], 2);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM user_roles WHERE role_id = '{auditor}'"
            ))
            .await,
            2,
            "users 16 and 29 keep their direct Auditor"
        );
    }
);

both_databases!(
    a_failure_midway_leaves_everything_as_it_was,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let viewer = app.id_of("roles", "name", "Viewer").await;
        let people: Vec<String> =
            futures::future::join_all((0..6).map(|i| demo_user(app, i))).await;
        let doomed = people[4].clone();
        if app.is_postgres() {
            app.exec_raw(&format!(
                "CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF NEW.user_id = '{doomed}' THEN RAISE EXCEPTION 'forced failure'; END IF;
                     RETURN NEW;
                 END $$;
                 CREATE TRIGGER refuse_doomed BEFORE INSERT ON user_roles
                     FOR EACH ROW EXECUTE FUNCTION refuse_doomed();"
            ))
            .await;
        } else {
            app.exec_raw(&format!(
                "CREATE TRIGGER refuse_doomed BEFORE INSERT ON user_roles
                 WHEN NEW.user_id = '{doomed}'
                 BEGIN SELECT RAISE(ABORT, 'forced failure'); END;"
            ))
            .await;
        }
        let (events, links) = (
            app.count("SELECT COUNT(*) FROM audit_events").await,
            app.count("SELECT COUNT(*) FROM user_roles").await,
        );
        let refs: Vec<&str> = people.iter().map(String::as_str).collect();
        let response = app
            .call_json(
                "/api/users/bulk/apply",
                Some(&cookie),
                json!({ "selection": ids(&refs), "action": { "kind": "add_role", "role_id": viewer, "expires_at": null } }),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{}",
            response.body
        );
        assert_eq!(response.json()["code"], "internal");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);
        assert_eq!(app.count("SELECT COUNT(*) FROM user_roles").await, links);
    }
);

both_databases!(
    bulk_changes_keep_an_administrator_and_need_their_scope,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let admin = app.id_of("users", "username", "admin").await;
        let lockout = app
            .call_json(
                "/api/users/bulk/apply",
                Some(&cookie),
                json!({ "selection": ids(&[&admin]), "action": { "kind": "remove_role", "role_id": ADMIN_ROLE } }),
            )
            .await;
        assert_eq!(lockout.status, StatusCode::CONFLICT, "{}", lockout.body);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM user_roles WHERE user_id = '{admin}' AND role_id = '{ADMIN_ROLE}'"
            ))
            .await,
            1
        );

        app.add_user("reader", "reader passphrase", &["users:read", "roles:read"])
            .await;
        let reader = app.sign_in("reader", "reader passphrase").await;
        let operator = app.id_of("roles", "name", "Operator").await;
        for step in ["preview", "apply"] {
            let refused = app
                .call_json(
                    &format!("/api/users/bulk/{step}"),
                    Some(&reader),
                    json!({ "selection": { "kind": "matching", "filter": {} },
                            "action": { "kind": "add_role", "role_id": operator, "expires_at": null } }),
                )
                .await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "{step}: {}",
                refused.body
            );
        }
        let empty = app
            .call_json(
                "/api/users/bulk/preview",
                Some(&cookie),
                json!({ "selection": ids(&[]), "action": { "kind": "add_role", "role_id": operator, "expires_at": null } }),
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        let past = app
            .call_json(
                "/api/users/bulk/preview",
                Some(&cookie),
                json!({ "selection": ids(&[&admin]), "action": { "kind": "add_role", "role_id": operator, "expires_at": T0 - 5 } }),
            )
            .await;
        assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);
