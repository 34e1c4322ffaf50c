//! The user list: filters in the URL, keyset pages, a selection that survives paging, and the
//! bulk actions on it.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::filter::{list_href, Position, RoleVia, Sort, Status, UserFilter};
use super::{browse_users, UserList, UserRow};
use crate::bulk::dialog::{BulkBar, Chosen};
use crate::groups::group_options;
use crate::roles::role_options;
use crate::ui::{format_time, ErrorNotice, PageHeader, PagerNav, MAX_SEARCH_CHARS, PER_PAGE};

/// The list's state as the URL holds it.
#[derive(Clone, Debug, Default, PartialEq)]
struct View {
    filter: UserFilter,
    sort: Sort,
    position: Position,
}

fn use_view() -> Memo<View> {
    let query = use_query_map();
    Memo::new(move |_| {
        let query = query.read();
        let get = |key: &str| query.get(key).unwrap_or_default();
        View {
            filter: UserFilter {
                q: get("q"),
                group: get("group"),
                role: get("role"),
                via: RoleVia::parse(&get("via")),
                status: Status::parse(&get("status")),
            },
            sort: Sort::parse(&get("sort")),
            position: Position {
                after: get("after"),
                before: get("before"),
                page: get("page").parse().unwrap_or(1).max(1),
            },
        }
    })
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let view_state = use_view();
    let chosen = Chosen::default();
    let users = Resource::new(
        move || (view_state.get(), chosen.refresh.get()),
        |(v, _)| browse_users(v.filter, v.sort, v.position),
    );
    // A selection of "everyone matching" belongs to its filter: another filter drops it.
    Effect::new(move |_| {
        let filter = view_state.with(|v| v.filter.clone());
        if chosen
            .all_matching
            .with_untracked(|all| all.as_ref().is_some_and(|(f, _)| *f != filter))
        {
            chosen.all_matching.set(None);
        }
    });

    let me = Resource::new(|| (), |_| crate::auth::me());
    let changes = crate::ui::Changes::default();
    view! {
        <PageHeader title="Users" lead="Everyone who can sign in through Tessera. Filter, pick people across pages, and change their access in one step." />
        <crate::ui::ToastRegion toast=changes.toast />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                me.await
                    .is_ok_and(|me| me.permissions.contains(&crate::auth::Permission::UsersWrite))
                    .then(|| view! { <super::manage::NewUserPanel changes /> })
            })}
        </Transition>
        <Filters view_state />
        <Transition fallback=move || view! { <TableSkeleton /> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) => view! { <UserTable list view_state chosen /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <BulkBar chosen />
    }
}

/// The filter row: a plain GET form, so it works before hydration and every view is a URL.
#[component]
fn Filters(view_state: Memo<View>) -> impl IntoView {
    let groups = Resource::new(|| (), |_| group_options());
    let roles = Resource::new(|| (), |_| role_options());
    let current = move || view_state.get_untracked();
    let option = |value: String, text: String, selected: bool| {
        view! { <option value=value selected=selected>{text}</option> }
    };
    view! {
        <leptos_router::components::Form method="GET" action="" attr:class="filters" attr:role="search" attr:aria-label="Filter users">
            <div class="filter">
                <label for="filter-q">"Search users"</label>
                <input id="filter-q" type="search" name="q" placeholder="Name, username or email"
                    maxlength=MAX_SEARCH_CHARS
                    value=move || view_state.with(|v| v.filter.q.clone())
                    prop:value=move || view_state.with(|v| v.filter.q.clone()) />
            </div>
            <Transition fallback=|| view! { <FilterSkeleton /> }>
                {move || Suspend::new(async move {
                    let v = current();
                    let groups = groups.await.unwrap_or_default();
                    let roles = roles.await.unwrap_or_default();
                    view! {
                        <div class="filter">
                            <label for="filter-group">"Group"</label>
                            <select id="filter-group" name="group" prop:value=move || view_state.with(|v| v.filter.group.clone())>
                                {option(String::new(), "Any group".into(), v.filter.group.is_empty())}
                                {groups.into_iter().map(|g| {
                                    let selected = g.id == v.filter.group;
                                    option(g.id, g.name, selected)
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="filter">
                            <label for="filter-role">"Role"</label>
                            <select id="filter-role" name="role" prop:value=move || view_state.with(|v| v.filter.role.clone())>
                                {option(String::new(), "Any role".into(), v.filter.role.is_empty())}
                                {roles.into_iter().map(|r| {
                                    let selected = r.id == v.filter.role;
                                    option(r.id, r.name, selected)
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="filter">
                            <label for="filter-via">"Held"</label>
                            <select id="filter-via" name="via" prop:value=move || view_state.with(|v| v.filter.via.as_str())>
                                {option("effective".into(), "Directly or via a group".into(), v.filter.via == RoleVia::Effective)}
                                {option("direct".into(), "Directly".into(), v.filter.via == RoleVia::Direct)}
                            </select>
                        </div>
                        <div class="filter">
                            <label for="filter-status">"Status"</label>
                            <select id="filter-status" name="status" prop:value=move || view_state.with(|v| v.filter.status.as_str())>
                                {option("any".into(), "Any status".into(), v.filter.status == Status::Any)}
                                {option("active".into(), "Active".into(), v.filter.status == Status::Active)}
                                {option("disabled".into(), "Disabled".into(), v.filter.status == Status::Disabled)}
                            </select>
                        </div>
                        <div class="filter">
                            <label for="filter-sort">"Sort"</label>
                            <select id="filter-sort" name="sort" prop:value=move || view_state.with(|v| v.sort.as_str())>
                                {option("name".into(), "Name, A to Z".into(), v.sort == Sort::Name)}
                                {option("newest".into(), "Newest first".into(), v.sort == Sort::Newest)}
                                {option("oldest".into(), "Oldest first".into(), v.sort == Sort::Oldest)}
                            </select>
                        </div>
                    }
                })}
            </Transition>
            <div class="filter filter-actions">
                <button type="submit" class="button button-primary">"Apply filters"</button>
                <a class="button button-quiet" href="/users">"Clear"</a>
            </div>
        </leptos_router::components::Form>
    }
}

#[component]
fn FilterSkeleton() -> impl IntoView {
    (0..5)
        .map(|_| {
            view! {
                <div class="filter" aria-hidden="true">
                    <span class="skeleton-text filter-label-skeleton">"\u{a0}"</span>
                    <span class="skeleton-box filter-select-skeleton"></span>
                </div>
            }
        })
        .collect_view()
}

const COLUMNS: [&str; 6] = ["Name", "Username", "Email", "Groups", "Status", "Created"];

#[component]
fn TableSkeleton() -> impl IntoView {
    view! {
        <p class="list-status skeleton-text" aria-hidden="true">"\u{a0}"</p>
        <div class="table-wrap" aria-busy="true">
            <table class="data">
                <thead>
                    <tr>
                        <th class="check-col"><span class="visually-hidden">"Select"</span></th>
                        {COLUMNS.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {(0..PER_PAGE).map(|_| view! {
                        <tr class="skeleton-row">
                            <td class="check-col"></td>
                            {COLUMNS.iter().map(|_| view! { <td><span class="skeleton-text">"\u{a0}"</span></td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-hidden="true"><span class="pager-status">"\u{a0}"</span></nav>
    }
}

#[component]
fn UserTable(list: UserList, view_state: Memo<View>, chosen: Chosen) -> impl IntoView {
    let page: Vec<(String, String)> = list
        .items
        .iter()
        .map(|r| (r.user.id.clone(), r.user.display_name.clone()))
        .collect();
    let total = list.total;
    let page_len = page.len();
    // The row last clicked, for shift-click ranges.
    let anchor = RwSignal::new(None::<usize>);

    let page_ids = StoredValue::new(page);
    let all_on_page = move || {
        page_ids.with_value(|page| {
            !page.is_empty()
                && (chosen.all_matching.with(Option::is_some)
                    || chosen
                        .picked
                        .with(|p| page.iter().all(|(id, _)| p.contains_key(id))))
        })
    };
    let toggle_page = move |_| {
        let select = !all_on_page();
        chosen.leave_all_matching(page_ids.get_value());
        chosen.picked.update(|picked| {
            page_ids.with_value(|page| {
                for (id, name) in page {
                    if select {
                        picked.insert(id.clone(), name.clone());
                    } else {
                        picked.remove(id);
                    }
                }
            })
        });
    };

    let status = if total == 0 {
        "No users match".to_string()
    } else if total == 1 {
        "1 user matches".to_string()
    } else {
        format!("{total} users match")
    };
    let filter_for_all = view_state.get_untracked().filter;
    let select_all_matching = move || {
        (all_on_page() && total > page_len as i64 && chosen.all_matching.with(Option::is_none))
            .then(|| {
                let filter = filter_for_all.clone();
                view! {
                    <button type="button" class="button button-quiet select-all-matching"
                        on:click=move |_| {
                            chosen.picked.set(BTreeMap::new());
                            chosen.all_matching.set(Some((filter.clone(), total)));
                        }>
                        {format!("Select all {total} users matching this filter")}
                    </button>
                }
            })
    };

    let rows = list
        .items
        .into_iter()
        .enumerate()
        .map(|(index, row)| view! { <Row row index anchor page_ids chosen /> })
        .collect_view();

    let v = view_state.get_untracked();
    let number = v.position.page.max(1);
    let prev = list.prev.map(|before| {
        // The page before the second is the first: its plain link reads best.
        let position = if number <= 2 {
            Position::default()
        } else {
            Position {
                before,
                page: number - 1,
                ..Position::default()
            }
        };
        list_href(&v.filter, v.sort, &position)
    });
    let next = list.next.map(|after| {
        list_href(
            &v.filter,
            v.sort,
            &Position {
                after,
                page: number + 1,
                ..Position::default()
            },
        )
    });
    let first_row = (i64::from(number) - 1) * i64::from(PER_PAGE) + 1;
    let range = if page_len == 0 {
        format!("0 of {total}")
    } else {
        format!("{first_row}–{} of {total}", first_row + page_len as i64 - 1)
    };
    let empty = (page_len == 0).then(|| {
        view! {
            <div class="empty" role="status">
                {if v.filter.is_empty() {
                    view! {
                        <p class="empty-title">"No users yet."</p>
                        <p>"Create the first administrator with `tessera bootstrap-admin`, or load the demo organisation with `tessera demo`."</p>
                    }.into_any()
                } else {
                    view! {
                        <p class="empty-title">"Nobody matches these filters."</p>
                        <p>"Loosen a filter, or " <a href="/users">"clear them all"</a> "."</p>
                    }.into_any()
                }}
            </div>
        }
    });

    view! {
            <p class="list-status" aria-live="polite">
                <span>{status}</span>
                {select_all_matching}
            </p>
            <div class="table-wrap">
                <table class="data">
                    <thead>
                        <tr>
                            <th class="check-col" scope="col">
                                <input type="checkbox" aria-label="Select everyone on this page"
                                    disabled=page_len == 0
                                    prop:checked=all_on_page
                                    on:change=toggle_page />
                            </th>
                            {COLUMNS.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                {empty}
            </div>
    <PagerNav status=range previous=prev next />
        }
}

#[component]
fn Row(
    row: UserRow,
    index: usize,
    anchor: RwSignal<Option<usize>>,
    page_ids: StoredValue<Vec<(String, String)>>,
    chosen: Chosen,
) -> impl IntoView {
    let user = row.user;
    let id = user.id.clone();
    let checked = {
        let id = id.clone();
        move || {
            chosen.all_matching.with(Option::is_some) || chosen.picked.with(|p| p.contains_key(&id))
        }
    };
    let on_click = {
        let checked = checked.clone();
        move |ev: leptos::ev::MouseEvent| {
            // The signal still holds the state before the click: the click asks for the other.
            let select = !checked();
            chosen.leave_all_matching(page_ids.get_value());
            let range = match anchor.get_untracked() {
                Some(from) if ev.shift_key() => from.min(index)..=from.max(index),
                _ => index..=index,
            };
            chosen.picked.update(|picked| {
                page_ids.with_value(|page| {
                    for (id, name) in page.iter().take(*range.end() + 1).skip(*range.start()) {
                        if select {
                            picked.insert(id.clone(), name.clone());
                        } else {
                            picked.remove(id);
                        }
                    }
                })
            });
            anchor.set(Some(index));
        }
    };
    let checked_class = checked.clone();
    let more = (row.group_count > row.groups.len() as i64)
        .then(|| format!(" +{}", row.group_count - row.groups.len() as i64));
    let groups = if row.groups.is_empty() {
        view! { <span class="muted">"—"</span> }.into_any()
    } else {
        view! { <span>{row.groups.join(", ")}</span><span class="muted">{more}</span> }.into_any()
    };
    view! {
        <tr class:selected=checked_class>
            <td class="check-col">
                <input type="checkbox" aria-label=format!("Select {}", user.display_name)
                    prop:checked=checked on:click=on_click />
            </td>
            <td class="strong">
                <a href=format!("/users/{}/roles", user.id)>{user.display_name.clone()}</a>
            </td>
            <td class="mono">{user.username}</td>
            <td>{user.email.unwrap_or_default()}</td>
            <td>{groups}</td>
            <td>
                <span class=if user.disabled { "badge badge-off" } else { "badge badge-on" }>
                    {if user.disabled { "Disabled" } else { "Active" }}
                </span>
            </td>
            <td class="nowrap"><time>{format_time(user.created_at)}</time></td>
        </tr>
    }
}
