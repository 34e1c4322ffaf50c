//! The audit log: every change, in words, newest first; filters in the URL; a bulk change
//! expands to its per-person events; the filtered log exports as JSON Lines or CSV.

#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{
    encode_query, format_time, ErrorNotice, Page, PageHeader, PagerNav, MAX_SEARCH_CHARS,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub parent_id: Option<i64>,
    pub summary: String,
    /// Before and after values, as JSON text.
    pub details: String,
    pub request_id: Option<String>,
    /// How many per-person events this one links (a bulk change).
    pub child_count: i64,
}

/// Groups of event types a reader filters by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    #[default]
    Any,
    SignIn,
    UserRoles,
    Memberships,
    GroupRoles,
    Roles,
    Scopes,
    Bulk,
    Lapses,
    Applications,
}

const KINDS: [(EventKind, &str, &str); 10] = [
    (EventKind::Any, "", "Any event"),
    (EventKind::SignIn, "sign-in", "Sign-in and sign-out"),
    (EventKind::UserRoles, "user-roles", "Direct roles"),
    (EventKind::Memberships, "memberships", "Group memberships"),
    (EventKind::GroupRoles, "group-roles", "Group roles"),
    (EventKind::Roles, "roles", "Roles"),
    (EventKind::Scopes, "scopes", "Scopes"),
    (EventKind::Bulk, "bulk", "Bulk changes"),
    (EventKind::Lapses, "lapses", "Ended by their end time"),
    (EventKind::Applications, "applications", "Applications"),
];

impl EventKind {
    pub fn parse(value: &str) -> EventKind {
        KINDS
            .iter()
            .find(|(_, key, _)| *key == value)
            .map(|(kind, _, _)| *kind)
            .unwrap_or_default()
    }

    pub fn key(self) -> &'static str {
        KINDS
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .map(|(_, key, _)| *key)
            .unwrap_or("")
    }
}

/// What the reader is looking for; empty means "any".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub q: String,
    /// A username (as recorded) or user id of whoever acted.
    #[serde(default)]
    pub actor: String,
    /// The id or name of a user, group, role or scope the event is about.
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub kind: EventKind,
    /// `YYYY-MM-DD`, UTC, inclusive.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// One event by number.
    #[serde(default)]
    pub event: String,
}

impl AuditFilter {
    /// The query string for these filters (without `page`).
    pub fn query_string(&self) -> String {
        let pairs = [
            ("q", self.q.trim()),
            ("actor", self.actor.trim()),
            ("target", self.target.trim()),
            ("kind", self.kind.key()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("event", self.event.trim()),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", encode_query(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn is_empty(&self) -> bool {
        self.query_string().is_empty()
    }
}

/// A page of audit events, newest first. Needs `audit:read`.
#[server(prefix = "/api", endpoint = "audit/list", input = leptos::server_fn::codec::Json)]
pub async fn list_audit_events(
    filter: AuditFilter,
    page: u32,
) -> Result<Page<AuditEvent>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::AuditRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::list(&mut tx, &filter, page).await
        }
        .await,
    )
}

/// The per-person events of a bulk change, a page at a time. Needs `audit:read`.
#[server(prefix = "/api", endpoint = "audit/children")]
pub async fn audit_children(parent_id: i64, page: u32) -> Result<Page<AuditEvent>, AppError> {
    use crate::auth::Permission;
    use crate::server::context::{authorize, finish};
    finish(
        async move {
            let (ctx, _) = authorize(Permission::AuditRead)?;
            let mut tx = ctx.state.db.read().await?;
            store::children(&mut tx, parent_id, page).await
        }
        .await,
    )
}

fn use_audit_params() -> (Memo<AuditFilter>, Memo<u32>) {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let query = query.read();
        let get = |key: &str| query.get(key).unwrap_or_default();
        AuditFilter {
            q: get("q"),
            actor: get("actor"),
            target: get("target"),
            kind: EventKind::parse(&get("kind")),
            from: get("from"),
            to: get("to"),
            event: get("event"),
        }
    });
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    });
    (filter, page)
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let (filter, page) = use_audit_params();
    let events = Resource::new(
        move || (filter.get(), page.get()),
        |(filter, page)| list_audit_events(filter, page),
    );
    let export = move |format: &str| {
        let query = filter.with(AuditFilter::query_string);
        if query.is_empty() {
            format!("/audit/export?format={format}")
        } else {
            format!("/audit/export?format={format}&{query}")
        }
    };
    view! {
        <PageHeader title="Audit log" lead="Every sign-in and every change, newest first. A bulk change opens to the people it changed." />
        <AuditFilters filter />
        <p class="list-status">
            <span>"Export what matches:"</span>
            <a href=move || export("jsonl") download="tessera-audit.jsonl">"JSON Lines"</a>
            <a href=move || export("csv") download="tessera-audit.csv">"CSV"</a>
        </p>
        <Transition fallback=|| view! { <EventsSkeleton /> }>
            {move || Suspend::new(async move {
                match events.await {
                    Ok(page) => view! { <EventTable page filter=filter.get_untracked() /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditFilters(filter: Memo<AuditFilter>) -> impl IntoView {
    let f = move || filter.get();
    view! {
        <leptos_router::components::Form method="GET" action="" attr:class="filters" attr:role="search" attr:aria-label="Filter the audit log">
            <div class="filter">
                <label for="audit-q">"Search the audit log"</label>
                <input id="audit-q" type="search" name="q" maxlength=MAX_SEARCH_CHARS
                    placeholder="Anything in the event" value=move || f().q prop:value=move || f().q />
            </div>
            <div class="filter">
                <label for="audit-actor">"Actor"</label>
                <input id="audit-actor" type="text" name="actor" maxlength=MAX_SEARCH_CHARS
                    placeholder="Username" value=move || f().actor prop:value=move || f().actor />
            </div>
            <div class="filter">
                <label for="audit-target">"About"</label>
                <input id="audit-target" type="text" name="target" maxlength=MAX_SEARCH_CHARS
                    placeholder="User, group or role: name or id" value=move || f().target prop:value=move || f().target />
            </div>
            <div class="filter">
                <label for="audit-kind">"Type"</label>
                <select id="audit-kind" name="kind" prop:value=move || f().kind.key()>
                    {KINDS.iter().map(|(kind, key, text)| {
                        let kind = *kind;
                        view! { <option value=*key selected=move || f().kind == kind>{*text}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="audit-from">"From (UTC)"</label>
                <input id="audit-from" type="date" name="from" value=move || f().from prop:value=move || f().from />
            </div>
            <div class="filter">
                <label for="audit-to">"To (UTC)"</label>
                <input id="audit-to" type="date" name="to" value=move || f().to prop:value=move || f().to />
            </div>
            <div class="filter filter-actions">
                <button type="submit" class="button button-primary">"Apply filters"</button>
                <a class="button button-quiet" href="/audit">"Clear"</a>
            </div>
        </leptos_router::components::Form>
    }
}

const AUDIT_COLUMNS: [&str; 3] = ["When", "Actor", "Event"];

#[component]
fn EventsSkeleton() -> impl IntoView {
    view! {
        <div class="table-wrap" aria-busy="true">
            <table class="data">
                <thead><tr>{AUDIT_COLUMNS.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {(0..crate::ui::PER_PAGE).map(|_| view! {
                        <tr class="skeleton-row">
                            {AUDIT_COLUMNS.iter().map(|_| view! { <td><span class="skeleton-text">"\u{a0}"</span></td> }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn EventTable(page: Page<AuditEvent>, filter: AuditFilter) -> impl IntoView {
    let status = format!("{}–{} of {}", page.first_row(), page.last_row(), page.total);
    let link = {
        let filter = filter.clone();
        move |n: u32| {
            let query = filter.query_string();
            match (query.is_empty(), n > 1) {
                (true, false) => "?".to_string(),
                (true, true) => format!("?page={n}"),
                (false, false) => format!("?{query}"),
                (false, true) => format!("?{query}&page={n}"),
            }
        }
    };
    let previous = (page.page > 1).then(|| link(page.page - 1));
    let next = page.has_next().then(|| link(page.page + 1));
    let empty = page.items.is_empty().then(|| {
        if filter.is_empty() {
            view! {
                <div class="empty" role="status">
                    <p class="empty-title">"No events yet."</p>
                    <p>"Events appear here as soon as anyone signs in or changes something."</p>
                </div>
            }
            .into_any()
        } else {
            view! {
                <div class="empty" role="status">
                    <p class="empty-title">"No events match these filters."</p>
                    <p>"Widen the dates, or " <a href="/audit">"clear the filters"</a> "."</p>
                </div>
            }
            .into_any()
        }
    });
    view! {
            <div class="table-wrap">
                <table class="data audit">
                    <thead><tr>{AUDIT_COLUMNS.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {page.items.into_iter().map(|event| view! { <EventRows event /> }).collect_view()}
                    </tbody>
                </table>
                {empty}
            </div>
    <PagerNav status previous next />
        }
}

/// An event's row and, once expanded, the rows of its per-person events.
#[component]
fn EventRows(event: AuditEvent) -> impl IntoView {
    let expanded = RwSignal::new(false);
    let child_page = RwSignal::new(1u32);
    let parent_id = event.id;
    let children = LocalResource::new(move || {
        let (open, page) = (expanded.get(), child_page.get());
        async move {
            if open {
                audit_children(parent_id, page).await.map(Some)
            } else {
                Ok(None)
            }
        }
    });
    let count = event.child_count;
    // A bulk change's children are people; an offboarding's are the removals of one person.
    let of_people = event.action.starts_with("bulk.");
    let toggle = (count > 0).then(|| {
        let label = move || match (expanded.get(), of_people, count) {
            (true, true, _) => "Hide the people".to_string(),
            (true, false, _) => "Hide the changes".to_string(),
            (false, true, 1) => "Show the 1 person changed".to_string(),
            (false, true, n) => format!("Show the {n} people changed"),
            (false, false, 1) => "Show the 1 change".to_string(),
            (false, false, n) => format!("Show the {n} changes"),
        };
        view! {
            <button type="button" class="button button-quiet expand"
                aria-expanded=move || expanded.get().to_string()
                aria-controls=format!("children-{parent_id}")
                on:click=move |_| expanded.update(|e| *e = !*e)>
                {label}
            </button>
        }
    });
    let parent_link = event.parent_id.map(|p| {
        view! { " · " <a href=format!("/audit?event={p}")>{format!("part of #{p}")}</a> }
    });
    let ids = [
        event
            .target_type
            .clone()
            .zip(event.target_id.clone())
            .map(|(t, id)| format!("{t} {id}")),
        event.request_id.clone().map(|r| format!("request {r}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <tr id=format!("event-{}", event.id)>
            <td class="nowrap"><time>{format_time(event.at)}</time></td>
            <td>{event.actor_name.clone()}</td>
            <td>
                <span class="event-summary">{event.summary.clone()}</span>
                <span class="muted small">{format!(" · {} · #{}", event.action, event.id)}</span>
                {parent_link}
                {(!ids.is_empty()).then(|| view! { <span class="event-ids mono muted small">{ids}</span> })}
                {toggle}
            </td>
        </tr>
        <Show when=move || expanded.get()>
            <tr class="children-row" id=format!("children-{parent_id}")>
                <td colspan="3">
                    <Suspense fallback=|| view! { <p class="muted pending">"Loading the people…"</p> }>
                        {move || Suspend::new(async move {
                            match children.await {
                                Ok(Some(page)) => {
                                    let status = format!("{}–{} of {}", page.first_row(), page.last_row(), page.total);
                                    let (has_prev, has_next) = (page.page > 1, page.has_next());
                                    view! {
                                        <ul class="child-events">
                                            {page.items.into_iter().map(|child| view! {
                                                <li>
                                                    {child.summary}
                                                    <span class="muted small">{format!(" · #{}", child.id)}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        <p class="pager">
                                            <span class="pager-status">{status}</span>
                                            <button type="button" class="button" disabled=!has_prev
                                                on:click=move |_| child_page.update(|p| *p = p.saturating_sub(1).max(1))>"Previous"</button>
                                            <button type="button" class="button" disabled=!has_next
                                                on:click=move |_| child_page.update(|p| *p += 1)>"Next"</button>
                                        </p>
                                    }.into_any()
                                }
                                Ok(None) => ().into_any(),
                                Err(error) => view! { <ErrorNotice error /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </td>
            </tr>
        </Show>
    }
}
