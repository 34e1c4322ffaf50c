//! Reading the audit log: filters, a bulk change's children, export, and who may read it.

use http::StatusCode;
use serde_json::{json, Value};

use crate::both_databases;
use crate::harness::*;
use crate::user_list::demo_user;

async fn list(app: &TestApp, cookie: &str, filter: Value) -> Value {
    let response = app
        .call_json(
            "/api/audit/list",
            Some(cookie),
            json!({ "filter": filter, "page": 1 }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

both_databases!(
    the_log_filters_expands_and_exports,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let operator = app.id_of("roles", "name", "Operator").await;
        let people: Vec<String> =
            futures::future::join_all((0..3).map(|i| demo_user(app, i))).await;
        let applied = app
            .call_json(
                "/api/users/bulk/apply",
                Some(&cookie),
                json!({ "selection": { "kind": "ids", "ids": people },
                        "action": { "kind": "add_role", "role_id": operator, "expires_at": null } }),
            )
            .await
            .json();
        let parent = applied["event_id"].as_i64().expect("an event");

        // The log lists the bulk change once, with its three people under it.
        let bulk = list(app, &cookie, json!({ "kind": "bulk" })).await;
        assert_eq!(bulk["total"], 1, "{bulk}");
        assert_eq!(bulk["items"][0]["id"], parent);
        assert_eq!(bulk["items"][0]["child_count"], 3);
        assert_eq!(
            bulk["items"][0]["summary"],
            "admin added the role Operator to 3 people"
        );
        let everything = list(app, &cookie, json!({})).await;
        assert!(
            everything["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["parent_id"].is_null()),
            "children sit under their parent"
        );
        let children = app
            .call(
                "/api/audit/children",
                Some(&cookie),
                &[("parent_id", &parent.to_string()), ("page", "1")],
            )
            .await
            .json();
        assert_eq!(children["total"], 3);
        assert!(children["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["parent_id"] == parent));

        // About one person: their child event, linking its parent.
        let about = list(app, &cookie, json!({ "target": people[1] })).await;
        assert_eq!(about["total"], 1, "{about}");
        assert_eq!(about["items"][0]["parent_id"], parent);
        let by_actor = list(app, &cookie, json!({ "actor": "ADMIN", "kind": "bulk" })).await;
        assert_eq!(by_actor["total"], 1);
        let by_number = list(app, &cookie, json!({ "event": format!("#{parent}") })).await;
        assert_eq!(by_number["total"], 1);
        let tomorrow = list(app, &cookie, json!({ "from": "2026-12-04" })).await;
        assert_eq!(tomorrow["total"], 0);
        let today = list(
            app,
            &cookie,
            json!({ "from": "2026-12-03", "to": "2026-12-03", "kind": "bulk" }),
        )
        .await;
        assert_eq!(today["total"], 1);
        let bad_date = app
            .call_json(
                "/api/audit/list",
                Some(&cookie),
                json!({ "filter": { "from": "yesterday" }, "page": 1 }),
            )
            .await;
        assert_eq!(bad_date.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Export: every event of the bulk change, parent and children, one per line.
        let jsonl = app
            .get("/audit/export?format=jsonl&kind=user-roles", Some(&cookie))
            .await;
        assert_eq!(jsonl.status, StatusCode::OK);
        assert_eq!(
            jsonl.headers.get("content-type").unwrap(),
            "application/x-ndjson"
        );
        let lines: Vec<Value> = jsonl
            .body
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 3, "{}", jsonl.body);
        assert!(lines
            .iter()
            .all(|e| e["parent_id"] == parent && e["details"]["role_name"] == "Operator"));
        let csv = app
            .get(
                &format!("/audit/export?format=csv&event={parent}"),
                Some(&cookie),
            )
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert_eq!(
            csv.body.lines().count(),
            2,
            "a header and the one event: {}",
            csv.body
        );
        assert!(csv.body.starts_with("id,at,time_utc,actor_id"));
        let total = app.count("SELECT COUNT(*) FROM audit_events").await;
        let all = app.get("/audit/export", Some(&cookie)).await;
        assert_eq!(all.body.lines().count() as i64, total);

        // Reading needs audit:read, on the page's API and on the export.
        app.add_user("viewer", "viewer passphrase", &["users:read"])
            .await;
        let viewer = app.sign_in("viewer", "viewer passphrase").await;
        let refused = app
            .call_json(
                "/api/audit/list",
                Some(&viewer),
                json!({ "filter": {}, "page": 1 }),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let refused = app.get("/audit/export", Some(&viewer)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(!refused.body.contains("Operator"));
        let anonymous = app.get("/audit/export", None).await;
        assert_ne!(anonymous.status, StatusCode::OK);
        assert!(!anonymous.body.contains("Operator"));
    }
);
