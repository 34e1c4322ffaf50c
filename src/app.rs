//! The shell: the HTML document, the console layout and the routes.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::account::AccountPage;
use crate::audit::AuditPage;
use crate::auth::{me, SecondFactorPage, SignInPage};
use crate::groups::{GroupMembersTab, GroupPage, GroupRolesTab, GroupsPage};
use crate::oauth::{ApplicationPage, ApplicationsPage};
use crate::roles::{RoleAssignmentsTab, RolePage, RoleScopesTab, RolesPage};
use crate::scopes::ScopesPage;
use crate::users::{
    UserAccessTab, UserGroupsTab, UserPage, UserRolesTab, UserSessionsTab, UsersPage,
};

/// The first path segments that belong to the signed-in console. A request for one of them
/// without a valid session is sent to the sign-in page (see `server::middleware`).
pub const CONSOLE_SECTIONS: &[&str] = &[
    "users",
    "roles",
    "scopes",
    "groups",
    "applications",
    "audit",
    "account",
];

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::middleware::set_page_csp();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects run only in the browser, after hydration: tests and people's tools can tell a page
    // that is merely rendered from one that answers clicks.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/tessera.css" />
        <Title formatter=|page: String| format!("{page} · Tessera") />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/sign-in") view=SignInPage />
                <Route path=path!("/sign-in/verify") view=SecondFactorPage />
                <ParentRoute path=path!("") view=ConsoleLayout>
                    <Route path=path!("") view=|| view! { <Redirect path="/users" /> } />
                    <Route path=path!("users") view=UsersPage />
                    // NOTE: loaded directly (not reached by a click), a person's Roles, Groups or
                    // Sessions tab now and then fails to hydrate with a tachys "failed to cast
                    // marker node" panic: 6 of 12 direct loads of a person with a live session.
                    // Those tabs have a resource of their own under the header's; the Access tab,
                    // which has none, never fails. Streaming in order, or sending the page whole,
                    // did not cure it. The page still shows everything; its buttons answer after
                    // the next navigation.
                    <ParentRoute path=path!("users/:id") view=UserPage>
                        <Route path=path!("") view=UserRolesTab />
                        <Route path=path!("roles") view=UserRolesTab />
                        <Route path=path!("groups") view=UserGroupsTab />
                        <Route path=path!("access") view=UserAccessTab />
                        <Route path=path!("sessions") view=UserSessionsTab />
                    </ParentRoute>
                    <Route path=path!("roles") view=RolesPage />
                    <ParentRoute path=path!("roles/:id") view=RolePage>
                        <Route path=path!("") view=RoleAssignmentsTab />
                        <Route path=path!("assignments") view=RoleAssignmentsTab />
                        <Route path=path!("scopes") view=RoleScopesTab />
                    </ParentRoute>
                    <Route path=path!("scopes") view=ScopesPage />
                    <Route path=path!("groups") view=GroupsPage />
                    <ParentRoute path=path!("groups/:id") view=GroupPage>
                        <Route path=path!("") view=GroupMembersTab />
                        <Route path=path!("members") view=GroupMembersTab />
                        <Route path=path!("roles") view=GroupRolesTab />
                    </ParentRoute>
                    <Route path=path!("applications") view=ApplicationsPage />
                    <Route path=path!("applications/:client_id") view=ApplicationPage />
                    <Route path=path!("audit") view=AuditPage />
                    <Route path=path!("account") view=AccountPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The header, the main navigation and the page below them.
#[component]
fn ConsoleLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| me());
    let location = use_location();
    let section = Memo::new(move |_| {
        let path = location.pathname.get();
        match path.trim_start_matches('/').split('/').next().unwrap_or("") {
            "roles" | "scopes" | "groups" => "access",
            "audit" => "audit",
            "applications" => "applications",
            // Your own account is none of the sections: no tab is marked.
            "account" => "account",
            _ => "users",
        }
    });
    let current = move |name: &'static str| move || (section.get() == name).then_some("page");

    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/users">
                <span class="brand-mark" aria-hidden="true"></span>
                "Tessera"
            </a>
            <nav aria-label="Main" class="mainnav">
                <a href="/users" aria-current=current("users")>"Users"</a>
                <a href="/roles" aria-current=current("access")>"Roles & scopes"</a>
                <a href="/applications" aria-current=current("applications")>"Applications"</a>
                <a href="/audit" aria-current=current("audit")>"Audit log"</a>
            </nav>
            <div class="whoami">
                <Suspense fallback=|| view! { <span class="whoami-name skeleton-text">"\u{a0}"</span> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(me) => {
                                view! {
                                    <a href="/account" class="whoami-name" title=format!("Your account ({})", me.username)>
                                        {me.display_name}
                                    </a>
                                }
                                    .into_any()
                            }
                            Err(_) => view! { <a href="/sign-in">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
                <form method="post" action="/auth/sign-out">
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </form>
            </div>
        </header>
        // Where the deployment requires a second factor for changes, say so on every page until
        // the person has one, rather than letting their first change fail.
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                me.await.ok().filter(|me| me.needs_second_factor).map(|_| view! {
                    <p class="banner" role="status">
                        "Your changes need two-step verification here: "
                        <a href="/account">"turn it on in your account"</a>
                        " and they count at once."
                    </p>
                })
            })}
        </Suspense>
        <main id="main" class="page" tabindex="-1">
            <Outlet />
        </main>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found" />
        <main class="standalone">
            <div class="card narrow">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
                <p>
                    <a class="button" href="/users">"Go to the console"</a>
                </p>
            </div>
        </main>
    }
}
