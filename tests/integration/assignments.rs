//! Giving and taking roles and memberships: idempotence, audit, expiry, anti-lockout, and the
//! explanation of a person's access.

use http::StatusCode;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;

const ADMIN_ROLE: &str = tessera::roles::ADMINISTRATOR_ROLE_ID;

async fn events(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
    ))
    .await
}

both_databases!(
    assigning_a_role_is_audited_once_and_idempotent,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let user = app.id_of("users", "username", "bruno.tanaka").await;
        let role = app.id_of("roles", "name", "Operator").await;
        let args = json!({ "user_id": user, "role_id": role, "expires_at": null });

        let first = app
            .call_json("/api/users/roles/assign", Some(&cookie), args.clone())
            .await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(first.json()["changed"], true);
        assert_eq!(
            first.json()["message"],
            "Bruno Tanaka now has the role Operator."
        );
        assert!(first.json()["takes_effect"]
            .as_str()
            .unwrap()
            .contains("next sign-in or token refresh"));
        assert_eq!(events(app, "user.role.assign").await, 1);

        let again = app
            .call_json("/api/users/roles/assign", Some(&cookie), args)
            .await;
        assert_eq!(again.json()["changed"], false);
        assert!(again.json()["message"]
            .as_str()
            .unwrap()
            .contains("already has the role Operator"));
        assert_eq!(
            events(app, "user.role.assign").await,
            1,
            "no event for a change that changed nothing"
        );

        let access = app
            .call("/api/users/access", Some(&cookie), &[("user_id", &user)])
            .await
            .json();
        assert_eq!(access["direct"][0]["role_name"], "Operator");
        let deploy = access["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scope"] == "deployments:write")
            .expect("Operator grants deployments:write");
        assert_eq!(deploy["paths"][0]["role_name"], "Operator");
        assert_eq!(deploy["paths"][0]["group_name"], serde_json::Value::Null);

        let removed = app
            .call_json(
                "/api/users/roles/remove",
                Some(&cookie),
                json!({ "user_id": user, "role_id": role }),
            )
            .await;
        assert_eq!(removed.json()["changed"], true);
        assert_eq!(
            removed.json()["message"],
            "Removed the role Operator from Bruno Tanaka."
        );
        let gone = app
            .call_json(
                "/api/users/roles/remove",
                Some(&cookie),
                json!({ "user_id": user, "role_id": role }),
            )
            .await;
        assert_eq!(gone.json()["changed"], false);
        assert_eq!(events(app, "user.role.remove").await, 1);
    }
);

both_databases!(
    access_explains_every_path_to_a_scope,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        // Alice is in Engineering (Viewer) and Security (Auditor); both grant reports:read.
        let alice = app.id_of("users", "username", "alice.nguyen").await;
        let access = app
            .call("/api/users/access", Some(&cookie), &[("user_id", &alice)])
            .await
            .json();
        let reports = access["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["scope"] == "reports:read")
            .expect("reports:read")
            .clone();
        let paths: Vec<String> = reports["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{} → {}",
                    p["group_name"].as_str().unwrap_or("direct"),
                    p["role_name"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(paths.len(), 2, "{paths:?}");
        assert!(
            paths.contains(&"Engineering → Viewer".to_string()),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"Security → Auditor".to_string()),
            "{paths:?}"
        );
        let groups: Vec<&str> = access["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group_name"].as_str().unwrap())
            .collect();
        assert_eq!(groups, ["Engineering", "Security"]);
    }
);

both_databases!(
    expiring_assignments_stop_counting_at_their_end,
    async |app: &TestApp| {
        let id = app.add_user("temp", "temp passphrase", &[]).await;
        let cookie = app.sign_in_admin().await;
        let past = app
            .call_json(
                "/api/users/roles/assign",
                Some(&cookie),
                json!({ "user_id": id, "role_id": ADMIN_ROLE, "expires_at": T0 - 1 }),
            )
            .await;
        assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(past.json()["code"], "invalid_input");

        let soon = app
            .call_json(
                "/api/users/roles/assign",
                Some(&cookie),
                json!({ "user_id": id, "role_id": ADMIN_ROLE, "expires_at": T0 + 1800 }),
            )
            .await;
        assert_eq!(soon.json()["changed"], true, "{}", soon.body);
        let temp = app.sign_in("temp", "temp passphrase").await;
        let list = [("search", ""), ("page", "1")];
        assert_eq!(
            app.call("/api/users/list", Some(&temp), &list).await.status,
            StatusCode::OK
        );

        app.clock.advance(1800);
        assert_eq!(
            app.call("/api/users/list", Some(&temp), &list).await.status,
            StatusCode::FORBIDDEN
        );
        let access = app
            .call("/api/users/access", Some(&cookie), &[("user_id", &id)])
            .await
            .json();
        assert_eq!(access["direct"], json!([]));
        assert_eq!(access["scopes"], json!([]));

        // Assigning again after the end is a real change, not "already has".
        let renewed = app
            .call_json(
                "/api/users/roles/assign",
                Some(&cookie),
                json!({ "user_id": id, "role_id": ADMIN_ROLE, "expires_at": null }),
            )
            .await;
        assert_eq!(renewed.json()["changed"], true);
    }
);

both_databases!(
    a_lapse_is_recorded_once_at_its_own_time,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let bruno = app.id_of("users", "username", "bruno.tanaka").await;
        let operator = app.id_of("roles", "name", "Operator").await;
        let finance = app.id_of("access_groups", "name", "Finance").await;
        let assigned = app
            .call_json(
                "/api/users/roles/assign",
                Some(&cookie),
                json!({ "user_id": bruno, "role_id": operator, "expires_at": T0 + 600 }),
            )
            .await;
        assert_eq!(assigned.json()["changed"], true, "{}", assigned.body);
        let joined = app
            .call_json(
                "/api/groups/members/add",
                Some(&cookie),
                json!({ "group_id": finance, "user_ids": [bruno], "expires_at": T0 + 900 }),
            )
            .await;
        assert_eq!(joined.json()["changed"], true, "{}", joined.body);

        // Nothing has ended yet: the sweep finds nothing.
        let sweep = |now: i64| {
            let db = app.db.clone();
            async move {
                db.write(|tx| Box::pin(tessera::access::lapse::sweep(tx, now)))
                    .await
                    .unwrap()
            }
        };
        assert_eq!(sweep(T0 + 599).await, 0);

        // An hour late, both lapses are recorded, each at its own end.
        app.clock.advance(3600);
        assert_eq!(sweep(T0 + 3600).await, 2);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'user.role.lapse' AND at = {} \
                 AND actor_id IS NULL AND target_id = '{bruno}' AND summary LIKE '%Operator ended'",
                T0 + 600
            ))
            .await,
            1
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'group.member.lapse' AND at = {}",
                T0 + 900
            ))
            .await,
            1
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM user_roles WHERE user_id = '{bruno}' AND role_id = '{operator}'"
            ))
            .await,
            0
        );
        assert_eq!(sweep(T0 + 3600).await, 0, "a lapse is recorded once");
    }
);

both_databases!(
    a_change_records_the_lapse_it_replaces,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let bruno = app.id_of("users", "username", "bruno.tanaka").await;
        let operator = app.id_of("roles", "name", "Operator").await;
        let args =
            |end: Option<i64>| json!({ "user_id": bruno, "role_id": operator, "expires_at": end });
        app.call_json(
            "/api/users/roles/assign",
            Some(&cookie),
            args(Some(T0 + 60)),
        )
        .await;
        app.clock.advance(120);
        let again = app
            .call_json("/api/users/roles/assign", Some(&cookie), args(None))
            .await;
        assert_eq!(again.json()["changed"], true, "{}", again.body);
        assert_eq!(events(app, "user.role.lapse").await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'user.role.lapse' AND at = {}",
                T0 + 60
            ))
            .await,
            1
        );
        assert_eq!(events(app, "user.role.assign").await, 2);
    }
);

both_databases!(
    changing_or_removing_an_end_is_an_audited_change,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let sales = app.id_of("access_groups", "name", "Sales").await;
        let viewer = app.id_of("roles", "name", "Viewer").await;
        let args =
            |end: Option<i64>| json!({ "group_id": sales, "role_id": viewer, "expires_at": end });
        let give = app
            .call_json("/api/groups/roles/assign", Some(&cookie), args(None))
            .await;
        assert!(give.status.is_success(), "{}", give.body);
        let before = events(app, "group.role.assign").await;
        let set_end = app
            .call_json(
                "/api/groups/roles/assign",
                Some(&cookie),
                args(Some(T0 + 86_400)),
            )
            .await;
        assert_eq!(set_end.json()["changed"], true, "{}", set_end.body);
        let cleared = app
            .call_json("/api/groups/roles/assign", Some(&cookie), args(None))
            .await;
        assert_eq!(cleared.json()["changed"], true, "{}", cleared.body);
        assert_eq!(events(app, "group.role.assign").await, before + 2);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM group_roles WHERE group_id = '{sales}' AND expires_at IS NULL"
            ))
            .await,
            1
        );
    }
);

both_databases!(
    the_last_administrator_cannot_lose_the_role,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let admin = app.id_of("users", "username", "admin").await;
        let args = json!({ "user_id": admin, "role_id": ADMIN_ROLE });
        let refused = app
            .call_json("/api/users/roles/remove", Some(&cookie), args.clone())
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(refused.json()["message"]
            .as_str()
            .unwrap()
            .contains("no active administrator"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM user_roles").await,
            1,
            "nothing was removed"
        );
        assert_eq!(events(app, "user.role.remove").await, 0);

        // A disabled second administrator does not count…
        let other = app.add_user("second", "second passphrase", &[]).await;
        app.call_json(
            "/api/users/roles/assign",
            Some(&cookie),
            json!({ "user_id": other, "role_id": ADMIN_ROLE, "expires_at": null }),
        )
        .await;
        app.exec("UPDATE users SET disabled = TRUE WHERE id = $1", &other)
            .await
            .unwrap();
        let still = app
            .call_json("/api/users/roles/remove", Some(&cookie), args.clone())
            .await;
        assert_eq!(still.status, StatusCode::CONFLICT);
        // …an active one does.
        app.exec("UPDATE users SET disabled = FALSE WHERE id = $1", &other)
            .await
            .unwrap();
        let allowed = app
            .call_json("/api/users/roles/remove", Some(&cookie), args)
            .await;
        assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
        assert_eq!(allowed.json()["changed"], true);
    }
);

both_databases!(
    the_last_administrator_cannot_leave_the_group_that_makes_them_one,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let admin = app.id_of("users", "username", "admin").await;
        let group = app
            .db
            .write(|tx| {
                Box::pin(async move {
                    let group = tessera::groups::store::insert(tx, "Admins", "", T0).await?;
                    tessera::groups::store::add_role(tx, &group, ADMIN_ROLE, T0).await?;
                    Ok(group)
                })
            })
            .await
            .unwrap();
        let added = app
            .call_json(
                "/api/groups/members/add",
                Some(&cookie),
                json!({ "group_id": group, "user_ids": [admin], "expires_at": null }),
            )
            .await;
        assert_eq!(added.json()["changed"], true, "{}", added.body);
        app.call_json(
            "/api/users/roles/remove",
            Some(&cookie),
            json!({ "user_id": admin, "role_id": ADMIN_ROLE }),
        )
        .await;
        let refused = app
            .call_json(
                "/api/groups/members/remove",
                Some(&cookie),
                json!({ "group_id": group, "user_id": admin }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM group_members").await, 1);
    }
);

both_databases!(
    adding_several_members_writes_one_event_each,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let finance = app.id_of("access_groups", "name", "Finance").await;
        let a = app.id_of("users", "username", "alice.nguyen").await;
        let b = app.id_of("users", "username", "bruno.tanaka").await;
        let already = app.id_of("users", "username", "dmitri.okafor").await; // index 3: in Finance
        let response = app
            .call_json(
                "/api/groups/members/add",
                Some(&cookie),
                json!({ "group_id": finance, "user_ids": [a, b, already], "expires_at": null }),
            )
            .await;
        assert_eq!(
            response.json()["message"],
            "Added 2 people to Finance.",
            "{}",
            response.body
        );
        assert_eq!(events(app, "group.member.add").await, 2);

        // One unknown person makes the whole request fail, and nothing is added.
        let before = app.count("SELECT COUNT(*) FROM group_members").await;
        let c = app.id_of("users", "username", "chiara.schmidt").await;
        let unknown = app
        .call_json(
            "/api/groups/members/add",
            Some(&cookie),
            json!({ "group_id": finance, "user_ids": [c, "6f1c1f4e-0000-4000-8000-000000000000"], "expires_at": null }),
        )
        .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM group_members").await,
            before
        );
        assert_eq!(events(app, "group.member.add").await, 2);
    }
);

both_databases!(bad_ids_get_clear_errors, async |app: &TestApp| {
    let cookie = app.sign_in_admin().await;
    let malformed = app
        .call(
            "/api/users/access",
            Some(&cookie),
            &[("user_id", "not-a-uuid")],
        )
        .await;
    assert_eq!(malformed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        malformed.json()["message"],
        "“not-a-uuid” is not a valid user id."
    );
    let unknown = app
        .call(
            "/api/users/access",
            Some(&cookie),
            &[("user_id", "6f1c1f4e-0000-4000-8000-000000000000")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.json()["code"], "not_found");
});

both_databases!(changes_need_their_write_scopes, async |app: &TestApp| {
    let target = app.add_user("target", "target passphrase", &[]).await;
    app.add_user(
        "reader",
        "reader passphrase",
        &["users:read", "roles:read", "groups:read"],
    )
    .await;
    let cookie = app.sign_in("reader", "reader passphrase").await;
    let access = app
        .call("/api/users/access", Some(&cookie), &[("user_id", &target)])
        .await;
    assert_eq!(access.status, StatusCode::OK);
    assert_eq!(
        access.json()["caller_permissions"],
        json!(["UsersRead", "GroupsRead", "RolesRead"])
    );
    let assign = app
        .call_json(
            "/api/users/roles/assign",
            Some(&cookie),
            json!({ "user_id": target, "role_id": ADMIN_ROLE, "expires_at": null }),
        )
        .await;
    assert_eq!(assign.status, StatusCode::FORBIDDEN);
    let group = app.id_of("access_groups", "name", "reader group").await;
    let add = app
        .call_json(
            "/api/groups/members/add",
            Some(&cookie),
            json!({ "group_id": group, "user_ids": [target], "expires_at": null }),
        )
        .await;
    assert_eq!(add.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM user_roles").await,
        1,
        "only the admin's"
    );
});

both_databases!(
    a_group_role_reaches_every_member_and_leaves_with_it,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let sales = app.id_of("access_groups", "name", "Sales").await;
        let billing = app.id_of("roles", "name", "Billing Admin").await;
        let bruno = app.id_of("users", "username", "bruno.tanaka").await; // index 1: in Sales
        let args = json!({ "group_id": sales, "role_id": billing, "expires_at": null });

        let given = app
            .call_json("/api/groups/roles/assign", Some(&cookie), args.clone())
            .await;
        assert_eq!(
            given.json()["message"],
            "Everyone in Sales now has the role Billing Admin.",
            "{}",
            given.body
        );
        let again = app
            .call_json("/api/groups/roles/assign", Some(&cookie), args)
            .await;
        assert_eq!(again.json()["changed"], false);

        let access = app
            .call("/api/users/access", Some(&cookie), &[("user_id", &bruno)])
            .await
            .json();
        let via_sales = access["inherited"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role_name"] == "Billing Admin" && r["group_name"] == "Sales");
        assert!(via_sales, "{access}");

        let detail = app
            .call("/api/groups/detail", Some(&cookie), &[("group_id", &sales)])
            .await
            .json();
        assert!(detail["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role_name"] == "Billing Admin"));
        assert!(detail["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["username"] == "bruno.tanaka"));

        let removed = app
            .call_json(
                "/api/groups/roles/remove",
                Some(&cookie),
                json!({ "group_id": sales, "role_id": billing }),
            )
            .await;
        assert_eq!(removed.json()["changed"], true);
        let access = app
            .call("/api/users/access", Some(&cookie), &[("user_id", &bruno)])
            .await
            .json();
        assert!(!access["inherited"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["role_name"] == "Billing Admin"));
        assert_eq!(events(app, "group.role.assign").await, 1);
        assert_eq!(events(app, "group.role.remove").await, 1);
    }
);

both_databases!(
    removing_the_administrator_role_from_the_last_admins_group_is_refused,
    async |app: &TestApp| {
        let cookie = app.sign_in_admin().await;
        let admin = app.id_of("users", "username", "admin").await;
        let group = app
            .db
            .write(|tx| {
                Box::pin(async move { tessera::groups::store::insert(tx, "Admins", "", T0).await })
            })
            .await
            .unwrap();
        app.call_json(
            "/api/groups/roles/assign",
            Some(&cookie),
            json!({ "group_id": group, "role_id": ADMIN_ROLE, "expires_at": null }),
        )
        .await;
        app.call_json(
            "/api/groups/members/add",
            Some(&cookie),
            json!({ "group_id": group, "user_ids": [admin], "expires_at": null }),
        )
        .await;
        let direct = app
            .call_json(
                "/api/users/roles/remove",
                Some(&cookie),
                json!({ "user_id": admin, "role_id": ADMIN_ROLE }),
            )
            .await;
        assert_eq!(
            direct.status,
            StatusCode::OK,
            "the group still makes them an administrator"
        );
        let refused = app
            .call_json(
                "/api/groups/roles/remove",
                Some(&cookie),
                json!({ "group_id": group, "role_id": ADMIN_ROLE }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert_eq!(app.count("SELECT COUNT(*) FROM group_roles").await, 1);
    }
);

both_databases!(
    the_role_side_adds_several_people_and_marks_redundant_assignments,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let auditor = app.id_of("roles", "name", "Auditor").await;
        let dmitri = app.id_of("users", "username", "dmitri.okafor").await; // direct Auditor in the demo
        let security = app.id_of("access_groups", "name", "Security").await; // gives Auditor

        let detail = app
            .call("/api/roles/detail", Some(&cookie), &[("role_id", &auditor)])
            .await
            .json();
        assert_eq!(detail["users"].as_array().unwrap().len(), 3, "{detail}");
        assert_eq!(detail["groups"][0]["group_name"], "Security");
        let holder = |detail: &serde_json::Value| {
            detail["users"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["user"]["username"] == "dmitri.okafor")
                .cloned()
                .unwrap()
        };
        assert_eq!(holder(&detail)["also_through"], json!([]));
        let before_total = detail["holders_total"].as_i64().unwrap();

        app.call_json(
            "/api/groups/members/add",
            Some(&cookie),
            json!({ "group_id": security, "user_ids": [dmitri], "expires_at": null }),
        )
        .await;
        let detail = app
            .call("/api/roles/detail", Some(&cookie), &[("role_id", &auditor)])
            .await
            .json();
        assert_eq!(holder(&detail)["also_through"], json!(["Security"]));
        assert_eq!(
            detail["holders_total"].as_i64().unwrap(),
            before_total,
            "counted once"
        );

        let a = app.id_of("users", "username", "esther.fischer").await;
        let b = app.id_of("users", "username", "farid.dubois").await;
        let added = app
            .call_json(
                "/api/roles/users/assign",
                Some(&cookie),
                json!({ "role_id": auditor, "user_ids": [a, b, dmitri], "expires_at": null }),
            )
            .await;
        assert_eq!(
            added.json()["message"],
            "2 people now have the role Auditor. 1 already had it.",
            "{}",
            added.body
        );
        let detail = app
            .call("/api/roles/detail", Some(&cookie), &[("role_id", &auditor)])
            .await
            .json();
        assert_eq!(detail["users"].as_array().unwrap().len(), 5);
    }
);

both_databases!(
    concurrent_sweeps_record_each_lapse_once,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let viewer = app.id_of("roles", "name", "Viewer").await;
        let people: Vec<String> =
            futures::future::join_all((0..30).map(|i| crate::user_list::demo_user(app, i))).await;
        let assigned = app
            .call_json(
                "/api/roles/users/assign",
                Some(&cookie),
                json!({ "role_id": viewer, "user_ids": people, "expires_at": T0 + 60 }),
            )
            .await;
        assert_eq!(assigned.json()["changed"], true, "{}", assigned.body);
        let sweep = |db: tessera::storage::Db| async move {
            db.write(|tx| Box::pin(tessera::access::lapse::sweep(tx, T0 + 120)))
                .await
                .unwrap()
        };
        // Two instances sweeping at the same moment: between them, each lapse once.
        let (a, b) = tokio::join!(sweep(app.db.clone()), sweep(app.db.clone()));
        assert_eq!(a + b, 30, "{a} + {b}");
        assert_eq!(events(app, "user.role.lapse").await, 30);
    }
);
