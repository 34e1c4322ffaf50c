//! Many writers at once: admins assigning roles and memberships, overlapping bulk changes,
//! token refreshes and client-credentials grants, all in flight together. Nobody sees an error
//! that a retry could have spared them, no change is lost, and the audit log holds exactly one
//! event per change.

use futures::future::join_all;
use http::StatusCode;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;
use crate::oauth::{form_request, refresh, register, sign_in_to};

const PASSWORD: &str = "a concurrent passphrase";

both_databases!(
    concurrent_writers_lose_nothing_and_see_no_avoidable_error,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let mut users = Vec::new();
        for i in 0..24 {
            users.push(app.add_user(&format!("crowd{i}"), PASSWORD, &[]).await);
        }
        let mut roles = Vec::new();
        for name in ["Alpha", "Beta", "Gamma", "Bulk"] {
            let made = app
                .call_json(
                    "/api/roles/create",
                    Some(&admin),
                    json!({ "name": name, "description": "", "scopes": ["users:read"] }),
                )
                .await;
            assert_eq!(made.status, StatusCode::OK, "{}", made.body);
            roles.push(app.id_of("roles", "name", name).await);
        }
        let group = app
            .call_json(
                "/api/groups/create",
                Some(&admin),
                json!({ "name": "Crowd", "description": "" }),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        register(app, &admin, "crowd-app", false).await;
        let robot = register(app, &admin, "crowd-robot", true).await;
        let robot_secret = robot["secret"].as_str().unwrap().to_string();
        // Refresh tokens of eight people, one each.
        let mut refresh_tokens = Vec::new();
        for (i, _) in users.iter().enumerate().take(8) {
            let cookie = app.sign_in(&format!("crowd{i}"), PASSWORD).await;
            let tokens = sign_in_to(app, &cookie, "crowd-app", "openid").await;
            refresh_tokens.push(tokens["refresh_token"].as_str().unwrap().to_string());
        }
        let events_before = app.count("SELECT COUNT(*) FROM audit_events").await;

        // Direct assignments: user i gets role i % 3, each pair once.
        let assigns = users.iter().enumerate().map(|(i, user)| {
            app.call_json(
                "/api/users/roles/assign",
                Some(&admin),
                json!({ "user_id": user, "role_id": roles[i % 3], "expires_at": null }),
            )
        });
        // Memberships: users 0..12 join the group one by one.
        let joins = users.iter().take(12).map(|user| {
            app.call_json(
                "/api/groups/members/add",
                Some(&admin),
                json!({ "group_id": group, "user_ids": [user], "expires_at": null }),
            )
        });
        // Three overlapping bulk grants of one role: users 0..12, 6..18, 12..24.
        let bulks = [0usize, 6, 12].map(|from| {
            app.call_json(
                "/api/users/bulk/apply",
                Some(&admin),
                json!({
                    "selection": { "kind": "ids", "ids": users[from..from + 12] },
                    "action": { "kind": "add_role", "role_id": roles[3], "expires_at": null },
                }),
            )
        });
        let refreshes = refresh_tokens
            .iter()
            .map(|token| refresh(app, "crowd-app", token));
        let grants = (0..8).map(|_| {
            app.send(form_request(
                "/oauth/token",
                &[("grant_type", "client_credentials")],
                Some(("crowd-robot", &robot_secret)),
            ))
        });

        let (assigned, joined, bulked, refreshed, granted) = futures::join!(
            join_all(assigns),
            join_all(joins),
            join_all(bulks),
            join_all(refreshes),
            join_all(grants)
        );
        for (what, answers) in [
            ("assign", &assigned[..]),
            ("join", &joined[..]),
            ("bulk", &bulked[..]),
            ("refresh", &refreshed[..]),
            ("grant", &granted[..]),
        ] {
            for answer in answers {
                assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.body);
            }
        }

        // Nothing lost: every pair, every member, every bulk target.
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM user_roles WHERE role_id IN
                 (SELECT id FROM roles WHERE name IN ('Alpha', 'Beta', 'Gamma'))"
            )
            .await,
            24
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM group_members").await, 12);
        let bulk_role = &roles[3];
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM user_roles WHERE role_id = '{bulk_role}'"
            ))
            .await,
            24
        );
        // Each person got the bulk role from exactly one of the three operations.
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events c JOIN audit_events p ON c.parent_id = p.id
                 WHERE p.action = 'bulk.role.add' AND p.target_id = '{bulk_role}'"
            ))
            .await,
            24
        );
        // One event per direct assignment and per membership, and a parent for each bulk grant
        // that changed anyone: a grant that ran after the other two finds everyone already so.
        let parents = bulked
            .iter()
            .filter(|answer| !answer.json()["event_id"].is_null())
            .count() as i64;
        assert!((2..=3).contains(&parents), "{parents}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events").await - events_before,
            24 + 12 + parents + 24
        );
        // Every refreshed token is new and works once more.
        for answer in &refreshed {
            let next = answer.json()["refresh_token"].as_str().unwrap().to_string();
            assert_eq!(
                refresh(app, "crowd-app", &next).await.status,
                StatusCode::OK
            );
        }
    }
);

both_databases!(
    the_same_change_made_by_several_admins_at_once_is_made_and_audited_once,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let user = app.add_user("twice", PASSWORD, &[]).await;
        let made = app
            .call_json(
                "/api/roles/create",
                Some(&admin),
                json!({ "name": "Twice", "description": "", "scopes": [] }),
            )
            .await;
        assert_eq!(made.status, StatusCode::OK, "{}", made.body);
        let role = app.id_of("roles", "name", "Twice").await;
        let group = app
            .call_json(
                "/api/groups/create",
                Some(&admin),
                json!({ "name": "Twice group", "description": "" }),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let events_before = app.count("SELECT COUNT(*) FROM audit_events").await;

        let assigns = (0..6).map(|_| {
            app.call_json(
                "/api/users/roles/assign",
                Some(&admin),
                json!({ "user_id": user, "role_id": role, "expires_at": null }),
            )
        });
        let joins = (0..6).map(|_| {
            app.call_json(
                "/api/groups/members/add",
                Some(&admin),
                json!({ "group_id": group, "user_ids": [user], "expires_at": null }),
            )
        });
        let (assigned, joined) = futures::join!(join_all(assigns), join_all(joins));
        for answer in assigned.iter().chain(&joined) {
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        }
        let changed = |answers: &[Response]| {
            answers
                .iter()
                .filter(|a| a.json()["changed"] == true)
                .count()
        };
        assert_eq!(
            changed(&assigned),
            1,
            "one assignment made, five already so"
        );
        assert_eq!(changed(&joined), 1, "one membership made, five already so");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events").await - events_before,
            2
        );
    }
);
