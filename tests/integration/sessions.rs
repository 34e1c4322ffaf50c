//! "No access right now": ending one session or all of a person's, and disabling an account.

use http::StatusCode;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;

const ADMIN_ROLE: &str = tessera::roles::ADMINISTRATOR_ROLE_ID;

async fn me(app: &TestApp, cookie: &str) -> StatusCode {
    app.call("/api/me", Some(cookie), &[]).await.status
}

async fn sessions_of(app: &TestApp, cookie: &str, user: &str) -> serde_json::Value {
    let response = app
        .call("/api/users/sessions", Some(cookie), &[("user_id", user)])
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

both_databases!(
    revoking_ends_one_session_or_all_at_the_next_request,
    async |app: &TestApp| {
        let temp = app
            .add_user("temp", "temp passphrase", &["users:read"])
            .await;
        let laptop = app.sign_in("temp", "temp passphrase").await;
        let phone = app.sign_in("temp", "temp passphrase").await;
        let admin = app.sign_in_admin().await;

        let listed = sessions_of(app, &admin, &temp).await;
        let sessions = listed["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2, "{listed}");
        assert_eq!(listed["can_revoke"], true);
        // The newest first; both live.
        let phone_id = sessions[0]["id"].as_str().unwrap().to_string();
        let _ = sessions[1]["id"].as_str().unwrap();

        let one = app
            .call_json(
                "/api/users/sessions/revoke",
                Some(&admin),
                json!({ "user_id": temp, "session_id": phone_id }),
            )
            .await;
        assert_eq!(one.json()["changed"], true, "{}", one.body);
        let (laptop_status, phone_status) = (me(app, &laptop).await, me(app, &phone).await);
        assert_eq!(
            [laptop_status, phone_status]
                .iter()
                .filter(|s| **s == StatusCode::UNAUTHORIZED)
                .count(),
            1,
            "exactly one of the two sessions ended"
        );
        let again = app
            .call_json(
                "/api/users/sessions/revoke",
                Some(&admin),
                json!({ "user_id": temp, "session_id": phone_id }),
            )
            .await;
        assert_eq!(again.json()["changed"], false);

        let all = app
            .call_json(
                "/api/users/sessions/revoke-all",
                Some(&admin),
                json!({ "user_id": temp }),
            )
            .await;
        assert_eq!(
            all.json()["message"],
            "Ended 1 session of temp. They are signed out at their next click."
        );
        assert_eq!(me(app, &laptop).await, StatusCode::UNAUTHORIZED);
        assert_eq!(me(app, &phone).await, StatusCode::UNAUTHORIZED);
        assert_eq!(sessions_of(app, &admin, &temp).await["sessions"], json!([]));
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM audit_events WHERE action IN ('session.revoke', 'session.revoke_all')"
            )
            .await,
            2
        );
        // The admin's own session was untouched.
        assert_eq!(me(app, &admin).await, StatusCode::OK);

        // Ending sessions needs sessions:revoke; seeing them needs users:read.
        let again = app.sign_in("temp", "temp passphrase").await;
        let refused = app
            .call_json(
                "/api/users/sessions/revoke-all",
                Some(&again),
                json!({ "user_id": temp }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(me(app, &again).await, StatusCode::OK);
        let listed = sessions_of(app, &again, &temp).await;
        assert_eq!(listed["can_revoke"], false);
    }
);

both_databases!(
    disabling_refuses_sign_in_and_ends_every_session_at_once,
    async |app: &TestApp| {
        let temp = app.add_user("temp", "temp passphrase", &[]).await;
        let cookie = app.sign_in("temp", "temp passphrase").await;
        let admin = app.sign_in_admin().await;
        let disabled = app
            .call_json(
                "/api/users/disable",
                Some(&admin),
                json!({ "user_id": temp, "disabled": true }),
            )
            .await;
        assert_eq!(
            disabled.json()["message"],
            "Disabled temp: 1 session ended, and they cannot sign in until enabled.",
            "{}",
            disabled.body
        );
        assert_eq!(me(app, &cookie).await, StatusCode::UNAUTHORIZED);
        let refused = app.post_sign_in("temp", "temp passphrase", "/users").await;
        assert_eq!(refused.set_cookie(), None);
        assert_eq!(refused.location(), Some("/sign-in?error=1&next=%2Fusers"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.disable'")
                .await,
            1
        );

        let enabled = app
            .call_json(
                "/api/users/disable",
                Some(&admin),
                json!({ "user_id": temp, "disabled": false }),
            )
            .await;
        assert_eq!(enabled.json()["changed"], true, "{}", enabled.body);
        assert_eq!(
            me(app, &cookie).await,
            StatusCode::UNAUTHORIZED,
            "old sessions stay ended"
        );
        let fresh = app.sign_in("temp", "temp passphrase").await;
        assert_eq!(me(app, &fresh).await, StatusCode::OK);
    }
);

both_databases!(
    the_last_administrator_cannot_be_disabled,
    async |app: &TestApp| {
        let admin_id = app.id_of("users", "username", "admin").await;
        let admin = app.sign_in_admin().await;
        let own = app
            .call_json(
                "/api/users/disable",
                Some(&admin),
                json!({ "user_id": admin_id, "disabled": true }),
            )
            .await;
        assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.body);

        // Someone allowed to change users, but no administrator, cannot disable the last one.
        app.add_user(
            "helpdesk",
            "helpdesk passphrase",
            &["users:read", "users:write"],
        )
        .await;
        let helpdesk = app.sign_in("helpdesk", "helpdesk passphrase").await;
        let lockout = app
            .call_json(
                "/api/users/disable",
                Some(&helpdesk),
                json!({ "user_id": admin_id, "disabled": true }),
            )
            .await;
        assert_eq!(lockout.status, StatusCode::CONFLICT, "{}", lockout.body);
        assert!(lockout.json()["message"]
            .as_str()
            .unwrap()
            .contains("no active administrator"));
        assert_eq!(
            me(app, &admin).await,
            StatusCode::OK,
            "nothing changed, the session lives"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM users WHERE username = 'admin' AND disabled = FALSE")
                .await,
            1
        );

        // With a second administrator, the first can be disabled.
        let second = app.add_user("second", "second passphrase", &[]).await;
        app.call_json(
            "/api/users/roles/assign",
            Some(&admin),
            json!({ "user_id": second, "role_id": ADMIN_ROLE, "expires_at": null }),
        )
        .await;
        let allowed = app
            .call_json(
                "/api/users/disable",
                Some(&helpdesk),
                json!({ "user_id": admin_id, "disabled": true }),
            )
            .await;
        assert_eq!(allowed.json()["changed"], true, "{}", allowed.body);
        assert_eq!(me(app, &admin).await, StatusCode::UNAUTHORIZED);

        let no_scope = app
            .add_user("reader", "reader passphrase", &["users:read"])
            .await;
        let reader = app.sign_in("reader", "reader passphrase").await;
        let refused = app
            .call_json(
                "/api/users/disable",
                Some(&reader),
                json!({ "user_id": no_scope, "disabled": true }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
);

both_databases!(
    taking_access_away_offers_to_sign_the_person_out_now,
    async |app: &TestApp| {
        let temp = app
            .add_user("temp", "temp passphrase", &["users:read"])
            .await;
        let cookie = app.sign_in("temp", "temp passphrase").await;
        let admin = app.sign_in_admin().await;
        let group = app.id_of("access_groups", "name", "temp group").await;
        let removed = app
            .call_json(
                "/api/groups/members/remove",
                Some(&admin),
                json!({ "group_id": group, "user_id": temp }),
            )
            .await
            .json();
        assert_eq!(removed["sign_out"]["user_id"], temp.as_str(), "{removed}");
        // The offer, taken: the person's console session ends now, not at their next token.
        app.call_json(
            "/api/users/sessions/revoke-all",
            Some(&admin),
            json!({ "user_id": temp }),
        )
        .await;
        assert_eq!(me(app, &cookie).await, StatusCode::UNAUTHORIZED);
        let added = app
            .call_json(
                "/api/groups/members/add",
                Some(&admin),
                json!({ "group_id": group, "user_ids": [temp], "expires_at": null }),
            )
            .await
            .json();
        assert!(
            added["sign_out"].is_null(),
            "giving access offers no sign-out"
        );
    }
);

both_databases!(
    removing_access_can_sign_people_out_in_the_same_change_and_event,
    async |app: &TestApp| {
        let temp = app
            .add_user("temp", "temp passphrase", &["users:read"])
            .await;
        let group = app.id_of("access_groups", "name", "temp group").await;
        let role = app.id_of("roles", "name", "temp role").await;
        let admin = app.sign_in_admin().await;
        let events = |action: &str| {
            format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = '{action}' AND details LIKE '%\"sessions_ended\":1%'"
            )
        };

        // Signing out in the same change needs sessions:revoke besides the write scope; the
        // refusal changes nothing.
        app.add_user(
            "editor",
            "editor passphrase",
            &["groups:write", "roles:write"],
        )
        .await;
        let editor = app.sign_in("editor", "editor passphrase").await;
        let cookie = app.sign_in("temp", "temp passphrase").await;
        let refused = app
            .call_json(
                "/api/groups/members/remove",
                Some(&editor),
                json!({ "group_id": group, "user_id": temp, "sign_out": true }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(me(app, &cookie).await, StatusCode::OK);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM group_members WHERE user_id IN (SELECT id FROM users WHERE username = 'temp')")
                .await,
            1
        );

        // A member removed and signed out: one event that says how many sessions ended.
        let removed = app
            .call_json(
                "/api/groups/members/remove",
                Some(&admin),
                json!({ "group_id": group, "user_id": temp, "sign_out": true }),
            )
            .await;
        let answer = removed.json();
        assert_eq!(
            answer["message"], "Removed temp from temp group and signed them out: 1 session ended. The change holds right now.",
            "{answer}"
        );
        assert!(answer["takes_effect"].is_null() && answer["sign_out"].is_null());
        assert_eq!(me(app, &cookie).await, StatusCode::UNAUTHORIZED);
        assert_eq!(app.count(&events("group.member.remove")).await, 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'session.revoke%'")
                .await,
            0,
            "no separate sign-out event"
        );
        // Without it, the session lives on and the answer offers the sign-out instead.
        app.call_json(
            "/api/groups/members/add",
            Some(&admin),
            json!({ "group_id": group, "user_ids": [temp], "expires_at": null }),
        )
        .await;
        let cookie = app.sign_in("temp", "temp passphrase").await;
        let kept = app
            .call_json(
                "/api/groups/roles/remove",
                Some(&admin),
                json!({ "group_id": group, "role_id": role }),
            )
            .await;
        assert_eq!(kept.json()["changed"], true, "{}", kept.body);
        assert_eq!(me(app, &cookie).await, StatusCode::OK);

        // A role's scope removed: everyone holding the role (here directly) is signed out.
        app.call_json(
            "/api/users/roles/assign",
            Some(&admin),
            json!({ "user_id": temp, "role_id": role, "expires_at": null }),
        )
        .await;
        let scope = app
            .call_json(
                "/api/roles/scopes/set",
                Some(&admin),
                json!({ "role_id": role, "scope": "users:read", "grant": false, "sign_out": true }),
            )
            .await;
        assert_eq!(
            scope.json()["message"],
            "The role temp role no longer grants users:read and signed its holders out: 1 session ended. The change holds right now.",
            "{}",
            scope.body
        );
        assert_eq!(me(app, &cookie).await, StatusCode::UNAUTHORIZED);
        assert_eq!(app.count(&events("role.scope.remove")).await, 1);

        // A role deleted: its holders are found before its assignments go.
        let cookie = app.sign_in("temp", "temp passphrase").await;
        let deleted = app
            .call_json(
                "/api/roles/delete",
                Some(&admin),
                json!({ "role_id": role, "sign_out": true }),
            )
            .await;
        assert_eq!(deleted.json()["changed"], true, "{}", deleted.body);
        assert_eq!(me(app, &cookie).await, StatusCode::UNAUTHORIZED);
        assert_eq!(app.count(&events("role.delete")).await, 1);
        // The administrator's own session was never among them.
        assert_eq!(me(app, &admin).await, StatusCode::OK);
    }
);

both_databases!(
    signing_out_a_selection_ends_every_session_under_one_parent_event,
    async |app: &TestApp| {
        let ann = app.add_user("ann", "ann passphrase", &["users:read"]).await;
        let bob = app.add_user("bob", "bob passphrase", &[]).await;
        let cy = app.add_user("cy", "cy passphrase", &[]).await;
        let ann_laptop = app.sign_in("ann", "ann passphrase").await;
        let ann_phone = app.sign_in("ann", "ann passphrase").await;
        let bob_laptop = app.sign_in("bob", "bob passphrase").await;
        let admin = app.sign_in_admin().await;
        let request = json!({
            "selection": { "kind": "ids", "ids": [ann, bob, cy] },
            "action": { "kind": "sign_out" },
        });

        // Without sessions:revoke: refused, and nobody is signed out.
        let refused = app
            .call_json("/api/users/bulk/apply", Some(&ann_laptop), request.clone())
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(me(app, &bob_laptop).await, StatusCode::OK);

        let preview = app
            .call_json("/api/users/bulk/preview", Some(&admin), request.clone())
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        let preview = preview.json();
        assert_eq!(preview["sign_out"], true);
        assert_eq!(preview["counts"]["changes"], 2);
        assert_eq!(preview["counts"]["already_so"], 1);
        assert_eq!(preview["confirm_label"], "Sign out 2 people");

        let applied = app
            .call_json("/api/users/bulk/apply", Some(&admin), request.clone())
            .await;
        assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
        let parent = applied.json()["event_id"].as_i64().expect("a parent event");
        for cookie in [&ann_laptop, &ann_phone, &bob_laptop] {
            assert_eq!(me(app, cookie).await, StatusCode::UNAUTHORIZED);
        }
        assert_eq!(me(app, &admin).await, StatusCode::OK, "the admin stays in");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE parent_id = {parent} AND action = 'session.revoke_all'"
            ))
            .await,
            2
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE parent_id = {parent}
                 AND target_id = '{ann}' AND summary = 'admin ended all 2 sessions of ann'
                 AND details = '{{\"sessions_ended\":2}}'"
            ))
            .await,
            1
        );

        // Again: nothing left to end, nothing written.
        let events = app.count("SELECT COUNT(*) FROM audit_events").await;
        let again = app
            .call_json("/api/users/bulk/apply", Some(&admin), request)
            .await
            .json();
        assert!(again["event_id"].is_null(), "{again}");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);
    }
);

both_databases!(
    offboarding_removes_everything_in_one_audited_step,
    async |app: &TestApp| {
        let leaver = app
            .add_user("leaver", "leaver passphrase", &["users:read"])
            .await;
        let cookie = app.sign_in("leaver", "leaver passphrase").await;
        let admin = app.sign_in_admin().await;
        app.call_json(
            "/api/users/roles/assign",
            Some(&admin),
            json!({ "user_id": leaver, "role_id": ADMIN_ROLE, "expires_at": null }),
        )
        .await;

        let preview = app
            .call(
                "/api/users/offboard/preview",
                Some(&admin),
                &[("user_id", &leaver)],
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        let preview = preview.json();
        assert_eq!(preview["roles"].as_array().unwrap().len(), 1);
        assert_eq!(preview["groups"][0]["group_name"], "leaver group");
        assert_eq!(preview["live_sessions"], 1);

        // Someone with users:write alone may disable but not offboard.
        app.add_user("clerk", "clerk passphrase", &["users:write", "users:read"])
            .await;
        let clerk = app.sign_in("clerk", "clerk passphrase").await;
        let refused = app
            .call_json(
                "/api/users/offboard",
                Some(&clerk),
                json!({ "user_id": leaver, "disable": true }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

        let done = app
            .call_json(
                "/api/users/offboard",
                Some(&admin),
                json!({ "user_id": leaver, "disable": true }),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert_eq!(
            done.json()["message"],
            "Offboarded leaver: removed 1 direct role, 1 group membership, ended 1 session, disabled the account."
        );
        assert_eq!(me(app, &cookie).await, StatusCode::UNAUTHORIZED);
        for table in ["user_roles", "group_members"] {
            assert_eq!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE user_id = '{leaver}'"
                ))
                .await,
                0
            );
        }
        let parent = app
            .count("SELECT MAX(id) FROM audit_events WHERE action = 'user.offboard'")
            .await;
        let children: Vec<String> = {
            let mut tx = app.db.read().await.unwrap();
            tessera::on_db!(tx, |c| {
                sqlx::query_scalar(
                    "SELECT action FROM audit_events WHERE parent_id = $1 ORDER BY id",
                )
                .bind(parent)
                .fetch_all(&mut *c)
                .await
                .unwrap()
            })
        };
        assert_eq!(
            children,
            [
                "user.role.remove",
                "group.member.remove",
                "session.revoke_all",
                "user.disable"
            ]
        );
        let post = app
            .post_sign_in("leaver", "leaver passphrase", "/users")
            .await;
        assert!(post.location().unwrap().contains("error"), "cannot sign in");

        // The last active administrator cannot be offboarded, and nothing changes; nobody
        // can offboard themselves.
        let admin_id = app.id_of("users", "username", "admin").await;
        app.add_user(
            "ops",
            "ops passphrase",
            &[
                "users:read",
                "users:write",
                "roles:write",
                "groups:write",
                "sessions:revoke",
            ],
        )
        .await;
        let ops = app.sign_in("ops", "ops passphrase").await;
        let events = app.count("SELECT COUNT(*) FROM audit_events").await;
        let last = app
            .call_json(
                "/api/users/offboard",
                Some(&ops),
                json!({ "user_id": admin_id, "disable": true }),
            )
            .await;
        assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.body);
        assert_eq!(
            me(app, &admin).await,
            StatusCode::OK,
            "the admin's session lives"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);
        let own = app
            .call_json(
                "/api/users/offboard",
                Some(&admin),
                json!({ "user_id": admin_id, "disable": false }),
            )
            .await;
        assert_eq!(own.status, StatusCode::CONFLICT, "{}", own.body);
    }
);
