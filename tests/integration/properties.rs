//! Property: for random roles, groups, memberships and assignments (some ended, some ending,
//! some open), the effective scopes and their explanations equal a direct computation from the
//! definition.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tessera::access::{explain, store as access};
use tessera::storage::Tx;

use crate::both_databases;
use crate::harness::*;

const SCOPES: [&str; 6] = ["p:a", "p:b", "p:c", "p:d", "p:e", "p:f"];
const MAX_ROLES: usize = 5;
const MAX_GROUPS: usize = 4;

/// A link that is absent, open-ended, or ends `d` seconds from now (past when `d <= 0`).
type LinkSpec = Option<Option<i64>>;

#[derive(Debug, Clone)]
struct Org {
    role_scopes: Vec<u8>,
    group_roles: Vec<Vec<LinkSpec>>,
    direct: Vec<LinkSpec>,
    memberships: Vec<LinkSpec>,
}

fn link() -> impl Strategy<Value = LinkSpec> {
    prop_oneof![
        Just(None),
        Just(Some(None)),
        (-100i64..100).prop_map(|d| Some(Some(d)))
    ]
}

fn org() -> impl Strategy<Value = Org> {
    (
        prop::collection::vec(0u8..64, 1..=MAX_ROLES),
        prop::collection::vec(prop::collection::vec(link(), MAX_ROLES), 0..=MAX_GROUPS),
        prop::collection::vec(link(), MAX_ROLES),
        prop::collection::vec(link(), MAX_GROUPS),
    )
        .prop_map(|(role_scopes, group_roles, direct, memberships)| Org {
            role_scopes,
            group_roles,
            direct,
            memberships,
        })
}

fn live(spec: LinkSpec) -> bool {
    matches!(spec, Some(None)) || matches!(spec, Some(Some(d)) if d > 0)
}

fn scopes_of(mask: u8) -> Vec<&'static str> {
    SCOPES
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, s)| *s)
        .collect()
}

/// `(scope, role index, group index or none)` straight from the definition.
fn reference(org: &Org) -> BTreeSet<(String, usize, Option<usize>)> {
    let mut paths = BTreeSet::new();
    for (r, mask) in org.role_scopes.iter().enumerate() {
        let mut holders = Vec::new();
        if live(org.direct[r]) {
            holders.push(None);
        }
        for (g, roles) in org.group_roles.iter().enumerate() {
            if live(org.memberships[g]) && live(roles[r]) {
                holders.push(Some(g));
            }
        }
        for scope in scopes_of(*mask) {
            for holder in &holders {
                paths.insert((scope.to_string(), r, *holder));
            }
        }
    }
    paths
}

async fn build(
    tx: &mut Tx,
    org: &Org,
    tag: &str,
    now: i64,
) -> tessera::error::AppResult<(String, Vec<String>, Vec<String>)> {
    use tessera::{groups::store as groups, roles::store as roles, users::store as users};
    let user = users::insert(
        tx,
        &users::NewUser::parse(&format!("u{tag}"), "", None, None)?,
        now,
    )
    .await?;
    let mut role_ids = Vec::new();
    for (r, mask) in org.role_scopes.iter().enumerate() {
        role_ids.push(roles::insert(tx, &format!("r{r}-{tag}"), "", &scopes_of(*mask), now).await?);
    }
    let mut group_ids = Vec::new();
    for (g, group_roles) in org.group_roles.iter().enumerate() {
        let id = groups::insert(tx, &format!("g{g}-{tag}"), "", now).await?;
        for (r, spec) in group_roles.iter().enumerate().take(role_ids.len()) {
            if let Some(end) = spec {
                access::upsert_link(
                    tx,
                    access::GROUP_ROLE,
                    &id,
                    &role_ids[r],
                    end.map(|d| now + d),
                    now,
                )
                .await?;
            }
        }
        if let Some(end) = org.memberships[g] {
            access::upsert_link(
                tx,
                access::MEMBERSHIP,
                &id,
                &user,
                end.map(|d| now + d),
                now,
            )
            .await?;
        }
        group_ids.push(id);
    }
    for (r, spec) in org.direct.iter().enumerate().take(role_ids.len()) {
        if let Some(end) = spec {
            access::upsert_link(
                tx,
                access::USER_ROLE,
                &user,
                &role_ids[r],
                end.map(|d| now + d),
                now,
            )
            .await?;
        }
    }
    Ok((user, role_ids, group_ids))
}

both_databases!(
    effective_scopes_and_their_reasons_match_the_definition,
    async |app: &TestApp| {
        app.db
            .write(|tx| {
                Box::pin(async move {
                    for scope in SCOPES {
                        tessera::scopes::store::insert(tx, scope, "", T0).await?;
                    }
                    Ok(())
                })
            })
            .await
            .unwrap();
        let handle = tokio::runtime::Handle::current();
        let mut runner = TestRunner::new(Config {
            cases: 40,
            ..Config::default()
        });
        let result = tokio::task::block_in_place(|| {
            runner.run(&org(), |org| {
                let tag = uuid::Uuid::new_v4().simple().to_string();
                let (paths, effective) = handle.block_on(async {
                    let (user, role_ids, group_ids) = app
                        .db
                        .write(|tx| {
                            let (org, tag) = (org.clone(), tag.clone());
                            Box::pin(async move { build(tx, &org, &tag, T0).await })
                        })
                        .await
                        .unwrap();
                    let mut tx = app.db.read().await.unwrap();
                    let direct = access::direct_roles(&mut tx, &user, T0).await.unwrap();
                    let inherited = access::inherited_roles(&mut tx, &user, T0).await.unwrap();
                    let role_scopes = access::scopes_of_roles(&mut tx, &role_ids).await.unwrap();
                    let effective = tessera::roles::store::effective_scopes(&mut tx, &user, T0)
                        .await
                        .unwrap();
                    let mut paths = BTreeSet::new();
                    for scope in explain(&direct, &inherited, &role_scopes) {
                        for path in scope.paths {
                            let r = role_ids.iter().position(|id| *id == path.role_id).unwrap();
                            let g = path
                                .group_id
                                .map(|id| group_ids.iter().position(|g| *g == id).unwrap());
                            paths.insert((scope.scope.clone(), r, g));
                        }
                    }
                    (paths, effective)
                });
                let expected = reference(&org);
                prop_assert_eq!(&paths, &expected);
                let expected_scopes: BTreeSet<String> =
                    expected.iter().map(|(s, _, _)| s.clone()).collect();
                prop_assert_eq!(
                    effective.into_iter().collect::<BTreeSet<_>>(),
                    expected_scopes
                );
                Ok(())
            })
        });
        if let Err(failure) = result {
            panic!("{failure}");
        }
    }
);
