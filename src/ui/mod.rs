//! Components shared by every screen: page header, search box, paged data table, error notice.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};

/// How many rows a list page shows.
pub const PER_PAGE: u32 = 25;

/// The longest search text a list accepts; longer input is cut, not refused.
pub const MAX_SEARCH_CHARS: usize = 100;

/// One page of a list, with the total that matches the search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    /// Row number of the first item (1-based), for "26–50 of 120".
    pub fn first_row(&self) -> i64 {
        if self.items.is_empty() {
            0
        } else {
            i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page) + 1
        }
    }

    pub fn last_row(&self) -> i64 {
        self.first_row() + self.items.len() as i64 - i64::from(!self.items.is_empty())
    }

    pub fn has_next(&self) -> bool {
        i64::from(self.page) * i64::from(self.per_page) < self.total
    }
}

/// A search and page number as a list's server function receives them, cleaned up.
#[derive(Clone, Debug, PartialEq)]
pub struct ListQuery {
    /// Lower-cased search text, trimmed; empty for "everything".
    pub search: String,
    pub page: u32,
}

impl ListQuery {
    pub fn new(search: &str, page: u32) -> Self {
        let search: String = search.trim().chars().take(MAX_SEARCH_CHARS).collect();
        ListQuery {
            search: search.to_lowercase(),
            page: page.clamp(1, 1_000_000),
        }
    }

    /// A `LIKE` pattern that matches the search text anywhere, with `%`, `_` and `\` taken
    /// literally (queries use `ESCAPE '\'`).
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.search.len() + 2);
        pattern.push('%');
        for c in self.search.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(PER_PAGE)
    }

    pub fn limit(&self) -> i64 {
        i64::from(PER_PAGE)
    }
}

/// Reads `q` and `page` from the URL, for a list page.
pub fn use_list_params() -> (Memo<String>, Memo<u32>) {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    });
    (search, page)
}

/// Formats Unix seconds as "2026-12-03 14:05 UTC". The same text on server and browser, so
/// hydration never disagrees about a time.
pub fn format_time(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "unknown time".to_string())
}

/// "3 days left", "5 h left", "12 min left": how long an assignment still counts.
pub fn time_left(expires_at: i64, now: i64) -> String {
    let left = expires_at - now;
    if left <= 0 {
        "ended".to_string()
    } else if left < 3_600 {
        format!("{} min left", (left + 59) / 60)
    } else if left < 2 * 86_400 {
        format!("{} h left", left / 3_600)
    } else {
        format!("{} days left", left / 86_400)
    }
}

/// Reads a `datetime-local` input's value ("2026-12-31T17:00"), taken as UTC like every time
/// the console shows. Empty means "no end".
pub fn parse_end_input(value: &str) -> Result<Option<i64>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(value, &format)
        .map(|t| Some(t.assume_utc().unix_timestamp()))
        .map_err(|_| {
            format!("“{value}” is not a date and time; use the picker or YYYY-MM-DD HH:MM.")
        })
}

/// The value a `datetime-local` input shows for `unix_seconds`, in UTC like every time here.
pub fn end_input_value(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

/// A `<details>` editor that closes once its change has gone through. A page reloads its data
/// after a change and Leptos updates the existing DOM in place, so a disclosure would otherwise
/// stay open; this closes it whenever the page's data is refreshed, and leaves it open (with
/// what was typed) when the change was refused.
pub fn closes_after_change(changes: Changes) -> NodeRef<leptos::html::Details> {
    let details = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        changes.refresh.track();
        if let Some(details) = details.get_untracked() {
            details.set_open(false);
        }
    });
    details
}

/// Sets, changes or removes the end of an assignment, behind a disclosure so the row stays
/// quiet until asked. `label` names the assignment for assistive technology, e.g. "Change
/// the end of role Operator".
#[component]
pub fn EndEditor<F>(
    label: String,
    current: Option<i64>,
    changes: Changes,
    on_save: F,
) -> impl IntoView
where
    F: Fn(Option<i64>) + Clone + 'static,
{
    let value = RwSignal::new(current.map(end_input_value).unwrap_or_default());
    let input_id = format!(
        "end-{}",
        label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            })
            .collect::<String>()
    );
    let save = on_save.clone();
    let details = closes_after_change(changes);
    let remove = current.is_some().then(move || {
        view! {
            <button type="button" class="button" disabled=move || changes.busy.get()
                on:click=move |_| on_save(None)>
                "Remove end"
            </button>
        }
    });
    view! {
        <details class="end-editor" node_ref=details>
            <summary class="button button-quiet" aria-label=label.clone() title=label.clone()>
                {if current.is_some() { "Change end" } else { "Set end" }}
            </summary>
            <form class="end-editor-form" on:submit=move |ev| {
                ev.prevent_default();
                match parse_end_input(&value.get_untracked()) {
                    Ok(Some(end)) => save(Some(end)),
                    Ok(None) => changes.fail("Choose when it ends, or remove the end."),
                    Err(message) => changes.fail(message),
                }
            }>
                <label for=input_id.clone()>"Ends (UTC)"</label>
                <input id=input_id type="datetime-local" prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev)) />
                <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>
                    "Save end"
                </button>
                {remove}
            </form>
        </details>
    }
}

/// The outcome of the last change, announced to screen readers and shown until the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub ok: bool,
    pub message: String,
    pub detail: Option<String>,
    /// Offers "Sign NAME out now" after a change took access away from one person.
    pub sign_out: Option<crate::access::SignOutOffer>,
}

/// Runs changes from a page: one at a time, each reported in a toast, the page's data reloaded
/// after any that changed something.
#[derive(Clone, Copy)]
pub struct Changes {
    pub toast: RwSignal<Option<Toast>>,
    /// Bumped after a change; pages key their resources on it.
    pub refresh: RwSignal<u32>,
    pub busy: RwSignal<bool>,
    /// "Also sign them out now": removals made while it is ticked end the affected people's
    /// sessions inside the same change (and its audit event).
    pub sign_out: RwSignal<bool>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            toast: RwSignal::new(None),
            refresh: RwSignal::new(0),
            busy: RwSignal::new(false),
            sign_out: RwSignal::new(false),
        }
    }
}

impl Changes {
    pub fn run<F>(self, change: F)
    where
        F: std::future::Future<Output = Result<crate::access::Change, AppError>> + 'static,
    {
        self.busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = change.await;
            self.busy.set(false);
            match outcome {
                Ok(change) => {
                    if change.changed {
                        self.refresh.update(|n| *n += 1);
                    }
                    self.toast.set(Some(Toast {
                        ok: true,
                        message: change.message,
                        detail: change.takes_effect,
                        sign_out: change.sign_out,
                    }));
                }
                Err(error) if error.code == ErrorCode::Unauthenticated => send_to_sign_in(),
                Err(error) => self.fail(error.message),
            }
        });
    }

    /// What a removal sends for "also sign them out now": absent unless ticked, so callers
    /// without `sessions:revoke` never ask for it.
    pub fn sign_out_choice(self) -> Option<bool> {
        self.sign_out.get_untracked().then_some(true)
    }

    /// Reports a mistake caught before anything was sent.
    pub fn fail(self, message: impl Into<String>) {
        self.toast.set(Some(Toast {
            ok: false,
            message: message.into(),
            detail: None,
            sign_out: None,
        }));
    }
}

/// The tabs of a detail page. Each tab is a URL, `BASE/SEGMENT`; the one the location ends with
/// is selected, else the first.
#[component]
pub fn Tabs(
    label: &'static str,
    /// The page's own URL, e.g. `/roles/ID`.
    #[prop(into)]
    base: Signal<String>,
    /// `(segment, label)` per tab.
    tabs: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    let location = use_location();
    let current = Memo::new(move |_| {
        let path = location.pathname.get();
        tabs.iter()
            .find(|(segment, _)| path.ends_with(&format!("/{segment}")))
            .or(tabs.first())
            .map(|(segment, _)| *segment)
            .unwrap_or_default()
    });
    view! {
        <div role="tablist" aria-label=label class="tabs">
            {tabs
                .iter()
                .map(|(segment, text)| {
                    view! {
                        <a
                            role="tab"
                            href=move || format!("{}/{segment}", base.get())
                            aria-selected=move || if current.get() == *segment { "true" } else { "false" }
                        >
                            {*text}
                        </a>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// One choice from a list, with an optional end time: adding a role, a group, a membership.
/// Options are `(id, text, disabled)`; the text says why one is disabled.
#[component]
pub fn PickOneForm<F>(
    select_id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    options: Vec<(String, String, bool)>,
    button: &'static str,
    changes: Changes,
    on_pick: F,
    /// Leave out the end-time input (for choices that do not expire).
    #[prop(optional)]
    no_end: bool,
) -> impl IntoView
where
    F: Fn(String, Option<i64>) + 'static,
{
    let selected = RwSignal::new(String::new());
    let ends = RwSignal::new(String::new());
    let ends_id = format!("{select_id}-ends");
    let end_input = (!no_end).then(|| {
        view! {
            <label for=ends_id.clone()>"Ends (UTC, optional)"</label>
            <input id=ends_id type="datetime-local" on:input=move |ev| ends.set(event_target_value(&ev)) />
        }
    });
    view! {
        <form
            class="inline-form"
            on:submit=move |ev| {
                ev.prevent_default();
                let id = selected.get_untracked();
                if id.is_empty() {
                    changes.fail(format!("{placeholder} first."));
                    return;
                }
                match parse_end_input(&ends.get_untracked()) {
                    Ok(expires_at) => on_pick(id, expires_at),
                    Err(message) => changes.fail(message),
                }
            }
        >
            <label for=select_id>{label}</label>
            <select id=select_id on:change=move |ev| selected.set(event_target_value(&ev))>
                <option value="">{format!("{placeholder}…")}</option>
                {options
                    .into_iter()
                    .map(|(id, text, disabled)| view! { <option value=id disabled=disabled>{text}</option> })
                    .collect_view()}
            </select>
            {end_input}
            <button type="submit" class="button button-primary" disabled=move || changes.busy.get()>
                {button}
            </button>
        </form>
    }
}

/// The "also sign them out now" choice above a page's removals, for callers who may end
/// sessions. Ticked, each × takes the access away and ends the people's sessions in one change,
/// so the removal holds at once rather than at their next token.
#[component]
pub fn SignOutToggle(changes: Changes) -> impl IntoView {
    view! {
        <label class="sign-out-toggle">
            <input
                type="checkbox"
                prop:checked=move || changes.sign_out.get()
                on:change=move |ev| changes.sign_out.set(event_target_checked(&ev))
            />
            <span>
                "Also sign them out now when I remove access "
                <span class="muted small">"(otherwise a removal reaches their next token, within minutes)"</span>
            </span>
        </label>
    }
}

/// Ends every session of a person at once (the toast's offer after a change took access away)
/// and reports how it went in the same toast.
fn sign_out_now(toast: RwSignal<Option<Toast>>, user_id: String) {
    leptos::task::spawn_local(async move {
        let outcome = crate::sessions::revoke_all_sessions(user_id).await;
        toast.set(Some(match outcome {
            Ok(change) => Toast {
                ok: true,
                message: change.message,
                detail: None,
                sign_out: None,
            },
            Err(error) => Toast {
                ok: false,
                message: error.message,
                detail: None,
                sign_out: None,
            },
        }));
    });
}

#[component]
pub fn ToastRegion(toast: RwSignal<Option<Toast>>) -> impl IntoView {
    view! {
        <div class="toast-region" role="status" aria-live="polite">
            {move || {
                toast
                    .get()
                    .map(|t| {
                        view! {
                            <div class=if t.ok { "toast" } else { "toast toast-error" }>
                                <p>{t.message}</p>
                                {t.detail.map(|d| view! { <p class="muted small">{d}</p> })}
                                {t.sign_out.map(|offer| {
                                    let label = format!("Sign {} out now", offer.display_name);
                                    view! {
                                        <p>
                                            <button type="button" class="button toast-action"
                                                on:click=move |_| sign_out_now(toast, offer.user_id.clone())>
                                                {label}
                                            </button>
                                        </p>
                                    }
                                })}
                                <button
                                    type="button"
                                    class="button button-quiet"
                                    aria-label="Dismiss"
                                    on:click=move |_| toast.set(None)
                                >
                                    "×"
                                </button>
                            </div>
                        }
                    })
            }}
        </div>
    }
}

#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] lead: &'static str) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title />
        <div class="page-header">
            <h1>{title}</h1>
            {(!lead.is_empty()).then(|| view! { <p class="lead">{lead}</p> })}
        </div>
    }
}

/// The sub-navigation of the Roles & scopes section.
#[component]
pub fn AccessNav() -> impl IntoView {
    let location = use_location();
    let current = move |prefix: &'static str| {
        move || {
            location
                .pathname
                .get()
                .starts_with(prefix)
                .then_some("page")
        }
    };
    view! {
        <nav aria-label="Roles & scopes" class="subnav">
            <a href="/roles" aria-current=current("/roles")>"Roles"</a>
            <a href="/scopes" aria-current=current("/scopes")>"Scopes"</a>
            <a href="/groups" aria-current=current("/groups")>"Groups"</a>
        </nav>
    }
}

/// A search form that puts `?q=` in the URL. A plain GET form: it works before hydration and
/// without JavaScript; once hydrated the router turns it into a client-side navigation.
#[component]
pub fn SearchBox(
    label: &'static str,
    placeholder: &'static str,
    value: Memo<String>,
) -> impl IntoView {
    view! {
        <leptos_router::components::Form method="GET" action="" attr:class="searchbar" attr:role="search">
            <input
                type="search"
                name="q"
                aria-label=label
                placeholder=placeholder
                maxlength=MAX_SEARCH_CHARS
                value=move || value.get()
                prop:value=move || value.get()
            />
            <button type="submit" class="button">"Search"</button>
        </leptos_router::components::Form>
    }
}

/// A paged table fed by a list resource, with a skeleton of the final size while it loads, an
/// empty state that says what to do, and the error in words when loading fails.
#[component]
pub fn DataTable<T, R, IV>(
    resource: Resource<Result<Page<T>, AppError>>,
    /// The column headers, in order.
    columns: &'static [&'static str],
    /// The plural noun for the empty state: "users".
    noun: &'static str,
    /// What to do when the list is empty without a search.
    empty_hint: &'static str,
    search: Memo<String>,
    row: R,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    R: Fn(T) -> IV + Clone + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    let head = move || {
        view! {
            <thead>
                <tr>{columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}</tr>
            </thead>
        }
    };
    let skeleton = move || {
        view! {
            <div class="table-wrap">
                <table class="data" aria-busy="true">
                    {head()}
                    <tbody>
                        {(0..8)
                            .map(|_| {
                                view! {
                                    <tr class="skeleton-row">
                                        {columns
                                            .iter()
                                            .map(|_| view! { <td><span class="skeleton-text"></span></td> })
                                            .collect_view()}
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        }
    };

    view! {
        <Transition fallback=skeleton>
            {move || {
                let row = row.clone();
                Suspend::new(async move {
                    match resource.await {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(page) if page.total == 0 => {
                            view! { <EmptyState noun empty_hint search=search.get_untracked() /> }
                                .into_any()
                        }
                        Ok(page) => {
                            let pager = view! { <Pager page=page.clone() search=search.get_untracked() /> };
                            view! {
                                <div class="table-wrap">
                                    <table class="data">
                                        {head()}
                                        <tbody>{page.items.into_iter().map(row).collect_view()}</tbody>
                                    </table>
                                </div>
                                {pager}
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn EmptyState(noun: &'static str, empty_hint: &'static str, search: String) -> impl IntoView {
    if search.trim().is_empty() {
        view! {
            <div class="empty" role="status">
                <p class="empty-title">{format!("No {noun} yet.")}</p>
                <p>{empty_hint}</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="empty" role="status">
                <p class="empty-title">{format!("No {noun} match “{}”.", search.trim())}</p>
                <p>
                    "Check the spelling, or "
                    <a href="?">"clear the search"</a>
                    " to see them all."
                </p>
            </div>
        }
        .into_any()
    }
}

#[component]
fn Pager<T: 'static>(page: Page<T>, search: String) -> impl IntoView {
    let link = {
        let search = search.clone();
        move |n: u32| {
            let mut query = Vec::new();
            if !search.is_empty() {
                query.push(format!("q={}", encode_query(&search)));
            }
            if n > 1 {
                query.push(format!("page={n}"));
            }
            if query.is_empty() {
                "?".to_string()
            } else {
                format!("?{}", query.join("&"))
            }
        }
    };
    let status = format!("{}–{} of {}", page.first_row(), page.last_row(), page.total);
    let previous = (page.page > 1).then(|| link(page.page - 1));
    let next = page.has_next().then(|| link(page.page + 1));
    view! { <PagerNav status previous next /> }
}

/// The pager under a list: where the page sits in the whole, and links to its neighbours
/// (plain links, so they work before hydration; an absent neighbour is a disabled button).
#[component]
pub fn PagerNav(status: String, previous: Option<String>, next: Option<String>) -> impl IntoView {
    view! {
        <nav aria-label="Pagination" class="pager">
            <span class="pager-status">{status}</span>
            {match previous {
                Some(href) => view! { <a class="button" href=href rel="prev">"Previous page"</a> }.into_any(),
                None => view! { <span class="button" aria-disabled="true">"Previous page"</span> }.into_any(),
            }}
            {match next {
                Some(href) => view! { <a class="button" href=href rel="next">"Next page"</a> }.into_any(),
                None => view! { <span class="button" aria-disabled="true">"Next page"</span> }.into_any(),
            }}
        </nav>
    }
}

/// Percent-encodes a query-string value.
pub fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Sends the browser to the sign-in page, to come back here afterwards: what happens when the
/// session ended while the page was open (signed out elsewhere, revoked by an administrator,
/// the account disabled). The server refuses the request either way; this only spares the
/// person a dead page.
pub fn send_to_sign_in() {
    #[cfg(feature = "hydrate")]
    {
        let location = window().location();
        let here = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        let _ = location.set_href(&format!("/sign-in?next={}", encode_query(&here)));
    }
}

/// An error in words, with the way forward where there is one.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    if error.code == ErrorCode::Unauthenticated {
        Effect::new(move |_| send_to_sign_in());
    }
    let action = match error.code {
        ErrorCode::Unauthenticated => {
            Some(view! { <a href="/sign-in">"Sign in again"</a> }.into_any())
        }
        ErrorCode::Unavailable | ErrorCode::Network | ErrorCode::Internal => {
            Some(view! { <a href="">"Reload the page"</a> }.into_any())
        }
        _ => None,
    };
    view! {
        <div class="notice notice-error" role="alert">
            <p>{error.message}</p>
            {action.map(|a| view! { <p>{a}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(ListQuery::new("  Ann_% ", 1).like_pattern(), "%ann\\_\\%%");
        assert_eq!(ListQuery::new("a\\b", 1).like_pattern(), "%a\\\\b%");
    }

    #[test]
    fn list_queries_clamp_the_page_and_cut_long_searches() {
        let query = ListQuery::new(&"x".repeat(500), 0);
        assert_eq!(query.page, 1);
        assert_eq!(query.search.len(), MAX_SEARCH_CHARS);
        assert_eq!(ListQuery::new("", 3).offset(), 50);
    }

    #[test]
    fn pages_know_their_row_range() {
        let page = Page {
            items: vec![1; 16],
            total: 41,
            page: 2,
            per_page: 25,
        };
        assert_eq!((page.first_row(), page.last_row()), (26, 41));
        assert!(!page.has_next());
        let empty: Page<i32> = Page {
            items: vec![],
            total: 0,
            page: 1,
            per_page: 25,
        };
        assert_eq!((empty.first_row(), empty.last_row()), (0, 0));
    }

    #[test]
    fn times_are_formatted_in_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_796_306_700), "2026-12-03 14:05 UTC");
    }

    #[test]
    fn time_left_reads_naturally() {
        assert_eq!(time_left(100, 100), "ended");
        assert_eq!(time_left(100 + 61, 100), "2 min left");
        assert_eq!(time_left(100 + 5 * 3_600, 100), "5 h left");
        assert_eq!(time_left(100 + 7 * 86_400, 100), "7 days left");
    }

    #[test]
    fn end_inputs_are_utc_and_optional() {
        assert_eq!(parse_end_input(""), Ok(None));
        assert_eq!(parse_end_input("2026-12-03T14:05"), Ok(Some(1_796_306_700)));
        assert!(parse_end_input("next tuesday").is_err());
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode_query("alice nguyen&x=1"), "alice+nguyen%26x%3D1");
    }
}
