//! What must hold in the database after every test, whatever the test did through Tessera:
//! no orphan rows, no live session of a disabled account, effective scopes equal to the
//! definition, counters true, at most one active signing key, audit children with parents.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::TestApp;

/// `(what, SQL counting violations)`; every count must be zero.
const ZERO: &[(&str, &str)] = &[
    (
        "direct roles of a missing user or role",
        "SELECT COUNT(*) FROM user_roles ur
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = ur.user_id)
            OR NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = ur.role_id)",
    ),
    (
        "memberships of a missing group or user",
        "SELECT COUNT(*) FROM group_members gm
         WHERE NOT EXISTS (SELECT 1 FROM access_groups g WHERE g.id = gm.group_id)
            OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = gm.user_id)",
    ),
    (
        "group roles of a missing group or role",
        "SELECT COUNT(*) FROM group_roles gr
         WHERE NOT EXISTS (SELECT 1 FROM access_groups g WHERE g.id = gr.group_id)
            OR NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = gr.role_id)",
    ),
    (
        "role scopes of a missing role or scope",
        "SELECT COUNT(*) FROM role_scopes rs
         WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.id = rs.role_id)
            OR NOT EXISTS (SELECT 1 FROM scopes s WHERE s.name = rs.scope)",
    ),
    (
        "sessions of a missing user",
        "SELECT COUNT(*) FROM sessions s
         WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)",
    ),
    (
        "refresh tokens of a missing session",
        "SELECT COUNT(*) FROM refresh_tokens t
         WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id)",
    ),
    (
        "audit children of a missing parent",
        "SELECT COUNT(*) FROM audit_events e
         WHERE e.parent_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM audit_events p WHERE p.id = e.parent_id)",
    ),
    (
        "authenticators and recovery codes of a missing user",
        "SELECT (SELECT COUNT(*) FROM totp_credentials t
                 WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id))
              + (SELECT COUNT(*) FROM recovery_codes r
                 WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id))",
    ),
    (
        "more than one active signing key",
        "SELECT CASE WHEN COUNT(*) > 1 THEN COUNT(*) ELSE 0 END FROM signing_keys
         WHERE active = TRUE",
    ),
    (
        "a user counter that disagrees with the users",
        "SELECT ABS((SELECT value FROM counters WHERE name = 'users')
                    - (SELECT COUNT(*) FROM users))",
    ),
];

impl TestApp {
    /// Fails the test if the database breaks one of Tessera's invariants.
    pub async fn check_invariants(&self) {
        for (what, sql) in ZERO {
            assert_eq!(self.count(sql).await, 0, "invariant broken: {what}");
        }
        let now = self.clock.now();
        assert_eq!(
            self.count(&format!(
                "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE u.disabled = TRUE AND s.revoked_at IS NULL
                   AND s.idle_expires_at > {now} AND s.absolute_expires_at > {now}"
            ))
            .await,
            0,
            "invariant broken: a disabled account has a live session"
        );
        self.check_effective_scopes(now).await;
    }

    /// Every user's effective scopes, as Tessera computes them, equal the definition: the
    /// scopes of their live direct roles and of the live roles of their live groups.
    async fn check_effective_scopes(&self, now: i64) {
        let live = |table: &str, a: &str, b: &str| {
            format!("SELECT {a}, {b} FROM {table} WHERE expires_at IS NULL OR expires_at > {now}")
        };
        let pairs = |sql: String| async move {
            let mut tx = self.db.read().await.expect("read");
            tessera::on_db!(tx, |c| {
                sqlx::query_as::<_, (String, String)>(&sql)
                    .fetch_all(&mut *c)
                    .await
                    .expect("pairs")
            })
        };
        let direct = pairs(live("user_roles", "user_id", "role_id")).await;
        let members = pairs(live("group_members", "group_id", "user_id")).await;
        let group_roles = pairs(live("group_roles", "group_id", "role_id")).await;
        let role_scopes = pairs("SELECT role_id, scope FROM role_scopes".into()).await;
        let users = pairs("SELECT id, username FROM users".into()).await;

        let mut scopes_of_role: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (role, scope) in &role_scopes {
            scopes_of_role.entry(role).or_default().insert(scope);
        }
        let mut expected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let granted = |role: &str| scopes_of_role.get(role).cloned().unwrap_or_default();
        for (user, role) in &direct {
            expected.entry(user).or_default().extend(granted(role));
        }
        for (group, user) in &members {
            for (_, role) in group_roles.iter().filter(|(g, _)| g == group) {
                expected.entry(user).or_default().extend(granted(role));
            }
        }
        let mut tx = self.db.read().await.expect("read");
        for (id, username) in &users {
            let actual: BTreeSet<String> =
                tessera::roles::store::effective_scopes(&mut tx, id, now)
                    .await
                    .expect("effective scopes")
                    .into_iter()
                    .collect();
            let wanted: BTreeSet<String> = expected
                .get(id.as_str())
                .map(|s| s.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default();
            assert_eq!(
                actual, wanted,
                "invariant broken: effective scopes of {username}"
            );
        }
    }
}
