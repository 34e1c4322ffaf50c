//! The user list: filters that combine, keyset pages both ways, sorting, refusals.

use http::StatusCode;
use serde_json::{json, Value};

use crate::both_databases;
use crate::harness::*;

/// The demo user number `i` (0..40), found by the sign-up time the seed gives them.
pub async fn demo_user(app: &TestApp, i: i64) -> String {
    let created = T0 - i * 3 * 86_400 - 3_600;
    let mut tx = app.db.read().await.unwrap();
    tessera::on_db!(tx, |c| {
        sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE created_at = $1")
            .bind(created)
            .fetch_one(&mut *c)
            .await
            .unwrap()
    })
}

async fn browse(app: &TestApp, cookie: &str, filter: Value, sort: &str, position: Value) -> Value {
    let response = app
        .call_json(
            "/api/users/browse",
            Some(cookie),
            json!({ "filter": filter, "sort": sort, "position": position }),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["user"]["username"].as_str().unwrap().to_string())
        .collect()
}

both_databases!(
    pages_go_forwards_and_back_by_position,
    async |app: &TestApp| {
        tessera::setup::seed_demo(&app.db, T0).await.unwrap();
        let cookie = app.sign_in_admin().await;
        let first = browse(app, &cookie, json!({}), "name", json!({})).await;
        assert_eq!(first["total"], 41);
        assert_eq!(names(&first).len(), 25);
        assert!(first["prev"].is_null());
        let after = first["next"].as_str().expect("a next page").to_string();

        let second = browse(app, &cookie, json!({}), "name", json!({ "after": after })).await;
        assert_eq!(names(&second).len(), 16);
        assert!(second["next"].is_null());
        let overlap: Vec<_> = names(&second)
            .into_iter()
            .filter(|n| names(&first).contains(n))
            .collect();
        assert!(overlap.is_empty(), "pages overlap: {overlap:?}");

        let before = second["prev"]
            .as_str()
            .expect("a previous page")
            .to_string();
        let back = browse(app, &cookie, json!({}), "name", json!({ "before": before })).await;
        assert_eq!(names(&back), names(&first));
        assert!(
            back["prev"].is_null(),
            "the first page has nothing before it"
        );

        // Rows name a few of their groups.
        let row = &first["items"][0];
        assert!(
            row["group_count"].as_i64().unwrap() >= row["groups"].as_array().unwrap().len() as i64
        );

        let damaged = app
            .call_json(
                "/api/users/browse",
                Some(&cookie),
                json!({ "filter": {}, "sort": "name", "position": { "after": "nonsense" } }),
            )
            .await;
        assert_eq!(damaged.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
);

both_databases!(filters_combine_and_sorts_order, async |app: &TestApp| {
    tessera::setup::seed_demo(&app.db, T0).await.unwrap();
    let cookie = app.sign_in_admin().await;
    let support = app.id_of("access_groups", "name", "Support").await;
    let auditor = app.id_of("roles", "name", "Auditor").await;

    let in_support = browse(app, &cookie, json!({ "group": support }), "name", json!({})).await;
    assert_eq!(in_support["total"], 10);
    let active_support = browse(
        app,
        &cookie,
        json!({ "group": support, "status": "active" }),
        "name",
        json!({}),
    )
    .await;
    assert_eq!(active_support["total"], 9);
    let disabled = browse(
        app,
        &cookie,
        json!({ "status": "disabled" }),
        "name",
        json!({}),
    )
    .await;
    assert_eq!(disabled["total"], 2);

    // Auditor: 8 people through Security, 3 directly.
    let effective = browse(app, &cookie, json!({ "role": auditor }), "name", json!({})).await;
    assert_eq!(effective["total"], 11);
    let direct = browse(
        app,
        &cookie,
        json!({ "role": auditor, "via": "direct" }),
        "name",
        json!({}),
    )
    .await;
    assert_eq!(direct["total"], 3);

    let text = browse(app, &cookie, json!({ "q": "ADMIN" }), "name", json!({})).await;
    assert_eq!(names(&text), ["admin"]);
    // Any part of the username, display name or email; short texts too; quotes are text.
    let part = browse(app, &cookie, json!({ "q": "ample.co" }), "name", json!({})).await;
    assert_eq!(part["total"], 40, "every demo email: {part}");
    let short = browse(app, &cookie, json!({ "q": "ng" }), "name", json!({})).await;
    assert!(short["total"].as_i64().unwrap() > 0, "{short}");
    let quoted = browse(
        app,
        &cookie,
        json!({ "q": "a\" OR \"b" }),
        "name",
        json!({}),
    )
    .await;
    assert_eq!(quoted["total"], 0);
    // A renamed person is found by the new name only.
    let admin_id = app.id_of("users", "username", "admin").await;
    app.exec(
        "UPDATE users SET display_name = 'Zebedee Quartermaine' WHERE id = $1",
        &admin_id,
    )
    .await
    .unwrap();
    let renamed = browse(app, &cookie, json!({ "q": "quarterm" }), "name", json!({})).await;
    assert_eq!(names(&renamed), ["admin"]);
    let old_name = browse(app, &cookie, json!({ "q": "ada admin" }), "name", json!({})).await;
    assert_eq!(old_name["total"], 0);

    let newest = browse(app, &cookie, json!({}), "newest", json!({})).await;
    assert_eq!(
        names(&newest)[0],
        "admin",
        "the administrator was created last"
    );
    let oldest = browse(app, &cookie, json!({}), "oldest", json!({})).await;
    let eldest = demo_user(app, 39).await;
    assert_eq!(oldest["items"][0]["user"]["id"], eldest);
    let after = newest["next"].as_str().unwrap().to_string();
    let newest_2 = browse(app, &cookie, json!({}), "newest", json!({ "after": after })).await;
    assert_eq!(names(&newest_2).len(), 16);

    let bad = app
        .call_json(
            "/api/users/browse",
            Some(&cookie),
            json!({ "filter": { "group": "not-an-id" }, "sort": "name", "position": {} }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.json()["message"]
        .as_str()
        .unwrap()
        .contains("not a valid group id"));

    app.add_user("nobody", "nobody passphrase", &[]).await;
    let nobody = app.sign_in("nobody", "nobody passphrase").await;
    let refused = app
        .call_json(
            "/api/users/browse",
            Some(&nobody),
            json!({ "filter": {}, "sort": "name", "position": {} }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
});
