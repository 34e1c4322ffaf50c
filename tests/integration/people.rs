//! Creating and editing people and groups from the console: each change audited, each bad input
//! a sentence that changes nothing.

use http::StatusCode;
use serde_json::json;

use crate::both_databases;
use crate::harness::*;

both_databases!(
    an_admin_creates_a_person_who_can_then_sign_in,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let created = app
            .call_json(
                "/api/users/create",
                Some(&admin),
                json!({ "input": {
                    "username": "nadia", "display_name": "Nadia Okafor",
                    "email": "nadia@example.org", "password": "a first passphrase",
                }}),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let id = created.json()["id"].as_str().unwrap().to_string();
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE action = 'user.create' AND target_id = '{id}'"
            ))
            .await,
            1
        );
        // The audit event says a password was set, never what it is.
        let details = app
            .text("SELECT details FROM audit_events WHERE action = 'user.create'")
            .await;
        assert!(!details.contains("first passphrase"), "{details}");
        app.sign_in("nadia", "a first passphrase").await;

        // Without a password the account exists but cannot sign in.
        let bare = app
            .call_json(
                "/api/users/create",
                Some(&admin),
                json!({ "input": { "username": "omar" } }),
            )
            .await;
        assert_eq!(bare.status, StatusCode::OK, "{}", bare.body);
        assert!(bare.json()["message"]
            .as_str()
            .unwrap()
            .contains("cannot sign in until someone sets a password"));
        assert_eq!(
            app.post_sign_in("omar", "", "/users").await.location(),
            Some("/sign-in?error=1&next=%2Fusers")
        );
    }
);

both_databases!(
    bad_people_are_refused_in_words_and_leave_nothing_behind,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let users = app.count("SELECT COUNT(*) FROM users").await;
        let events = app.count("SELECT COUNT(*) FROM audit_events").await;
        for (input, status, words) in [
            (
                json!({ "username": "ADMIN", "password": "" }),
                StatusCode::CONFLICT,
                "A user with this username already exists.",
            ),
            (
                json!({ "username": "sam", "password": "short" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "The password is too short",
            ),
            (
                json!({ "username": "sam", "password": "Password123" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "one of the most common",
            ),
            (
                json!({ "username": "sam smith" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "letters, digits",
            ),
            (
                json!({ "username": "sam", "email": "nowhere" }),
                StatusCode::UNPROCESSABLE_ENTITY,
                "does not look like an email address",
            ),
        ] {
            let response = app
                .call_json("/api/users/create", Some(&admin), json!({ "input": input }))
                .await;
            assert_eq!(response.status, status, "{input}: {}", response.body);
            let message = response.json()["message"].as_str().unwrap().to_string();
            assert!(message.contains(words), "{input}: {message}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_events").await, events);

        app.add_user("reader", "reader passphrase", &["users:read"])
            .await;
        let reader = app.sign_in("reader", "reader passphrase").await;
        let forbidden = app
            .call_json(
                "/api/users/create",
                Some(&reader),
                json!({ "input": { "username": "sam", "password": "a long passphrase" } }),
            )
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, users + 1);
    }
);

both_databases!(
    profiles_and_passwords_are_changed_with_an_audit_trail,
    async |app: &TestApp| {
        let ben = app.add_user("ben", "ben's old passphrase", &[]).await;
        let bens_session = app.sign_in("ben", "ben's old passphrase").await;
        let admin = app.sign_in_admin().await;

        let edited = app
            .call_json(
                "/api/users/update",
                Some(&admin),
                json!({ "user_id": ben, "display_name": "Ben Adeyemi", "email": "ben@example.org" }),
            )
            .await;
        assert_eq!(edited.json()["changed"], true, "{}", edited.body);
        let same = app
            .call_json(
                "/api/users/update",
                Some(&admin),
                json!({ "user_id": ben, "display_name": "Ben Adeyemi", "email": "ben@example.org" }),
            )
            .await;
        assert_eq!(same.json()["changed"], false);
        assert_eq!(
            app.text(&format!(
                "SELECT display_name FROM users WHERE id = '{ben}'"
            ))
            .await,
            "Ben Adeyemi"
        );

        // An administrator sets a new password and ends the old sessions with it.
        let set = app
            .call_json(
                "/api/users/password/set",
                Some(&admin),
                json!({ "user_id": ben, "password": "ben's new passphrase", "sign_out": true }),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
        assert_eq!(
            app.call("/api/me", Some(&bens_session), &[]).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.post_sign_in("ben", "ben's old passphrase", "/users")
                .await
                .location(),
            Some("/sign-in?error=1&next=%2Fusers")
        );
        app.sign_in("ben", "ben's new passphrase").await;

        // Not one's own, through this door.
        let own = app
            .call_json(
                "/api/users/password/set",
                Some(&admin),
                json!({
                    "user_id": app.id_of("users", "username", "admin").await,
                    "password": "whatever passphrase", "sign_out": false,
                }),
            )
            .await;
        assert_eq!(own.status, StatusCode::CONFLICT);

        for action in ["user.update", "user.password.set"] {
            assert_eq!(
                app.count(&format!(
                    "SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"
                ))
                .await,
                1,
                "{action}"
            );
        }
    }
);

both_databases!(
    a_person_changes_their_own_password_with_the_current_one,
    async |app: &TestApp| {
        app.add_user("ben", "ben's passphrase", &[]).await;
        let this = app.sign_in("ben", "ben's passphrase").await;
        let other = app.sign_in("ben", "ben's passphrase").await;
        let wrong = app
            .call_json(
                "/api/account/password",
                Some(&this),
                json!({ "current": "not it", "new": "ben's next passphrase" }),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
        let weak = app
            .call_json(
                "/api/account/password",
                Some(&this),
                json!({ "current": "ben's passphrase", "new": "12345678" }),
            )
            .await;
        assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.password.change'")
                .await,
            0
        );
        let changed = app
            .call_json(
                "/api/account/password",
                Some(&this),
                json!({ "current": "ben's passphrase", "new": "ben's next passphrase" }),
            )
            .await;
        assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
        assert_eq!(
            changed.json()["message"],
            "Your password is changed. 1 session elsewhere ended; this one stays signed in."
        );
        // This session goes on; the other ends; the old password is gone.
        assert_eq!(
            app.call("/api/me", Some(&this), &[]).await.status,
            StatusCode::OK
        );
        assert_eq!(
            app.call("/api/me", Some(&other), &[]).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.post_sign_in("ben", "ben's passphrase", "/users")
                .await
                .location(),
            Some("/sign-in?error=1&next=%2Fusers")
        );
        app.sign_in("ben", "ben's next passphrase").await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'user.password.change'")
                .await,
            1
        );
    }
);

both_databases!(
    groups_are_created_renamed_and_deleted,
    async |app: &TestApp| {
        let admin = app.sign_in_admin().await;
        let created = app
            .call_json(
                "/api/groups/create",
                Some(&admin),
                json!({ "name": "Field Engineers", "description": "On the road" }),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{}", created.body);
        let group = created.json()["id"].as_str().unwrap().to_string();
        let duplicate = app
            .call_json(
                "/api/groups/create",
                Some(&admin),
                json!({ "name": "field engineers", "description": "" }),
            )
            .await;
        assert_eq!(duplicate.status, StatusCode::CONFLICT);
        assert_eq!(
            duplicate.json()["message"],
            "A group with this name already exists."
        );
        let renamed = app
            .call_json(
                "/api/groups/update",
                Some(&admin),
                json!({ "group_id": group, "name": "Field Service", "description": "On the road" }),
            )
            .await;
        assert_eq!(renamed.json()["changed"], true, "{}", renamed.body);
        let empty = app
            .call_json(
                "/api/groups/update",
                Some(&admin),
                json!({ "group_id": group, "name": "  ", "description": "" }),
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);

        // A member loses the group's role with the group.
        let ivy = app.add_user("ivy", "ivy's passphrase", &[]).await;
        app.call_json(
            "/api/groups/members/add",
            Some(&admin),
            json!({ "group_id": group, "user_ids": [ivy], "expires_at": null }),
        )
        .await;
        let auditor = app
            .call_json(
                "/api/roles/create",
                Some(&admin),
                json!({ "name": "Auditor", "description": "", "scopes": ["audit:read"] }),
            )
            .await;
        assert_eq!(auditor.status, StatusCode::OK, "{}", auditor.body);
        let auditor = app.id_of("roles", "name", "Auditor").await;
        app.call_json(
            "/api/groups/roles/assign",
            Some(&admin),
            json!({ "group_id": group, "role_id": auditor, "expires_at": null }),
        )
        .await;
        let ivys = app.sign_in("ivy", "ivy's passphrase").await;
        let deleted = app
            .call_json(
                "/api/groups/delete",
                Some(&admin),
                json!({ "group_id": group, "sign_out": true }),
            )
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
        assert!(deleted.json()["message"]
            .as_str()
            .unwrap()
            .contains("signed its members out"));
        assert_eq!(
            app.call("/api/me", Some(&ivys), &[]).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM group_members WHERE group_id = '{group}'"
            ))
            .await,
            0
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'group.delete'")
                .await,
            1
        );
        let gone = app
            .call_json(
                "/api/groups/delete",
                Some(&admin),
                json!({ "group_id": group }),
            )
            .await;
        assert_eq!(gone.json()["changed"], false);
    }
);

both_databases!(
    deleting_the_group_that_makes_the_last_administrator_is_refused,
    async |app: &TestApp| {
        let admin_id = app.id_of("users", "username", "admin").await;
        let admin = app.sign_in_admin().await;
        let group = app
            .call_json(
                "/api/groups/create",
                Some(&admin),
                json!({ "name": "Admins", "description": "" }),
            )
            .await
            .json()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let admin_role = tessera::roles::ADMINISTRATOR_ROLE_ID;
        app.call_json(
            "/api/groups/roles/assign",
            Some(&admin),
            json!({ "group_id": group, "role_id": admin_role, "expires_at": null }),
        )
        .await;
        app.call_json(
            "/api/groups/members/add",
            Some(&admin),
            json!({ "group_id": group, "user_ids": [admin_id], "expires_at": null }),
        )
        .await;
        // The administrator now holds the role only through the group.
        app.exec("DELETE FROM user_roles WHERE user_id = $1", &admin_id)
            .await
            .unwrap();
        let refused = app
            .call_json(
                "/api/groups/delete",
                Some(&admin),
                json!({ "group_id": group }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM access_groups WHERE id = '{group}'"
            ))
            .await,
            1
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'group.delete'")
                .await,
            0
        );
    }
);
