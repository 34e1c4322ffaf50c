use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in page: a plain HTML form posted to `/auth/sign-in`, so it works before the page
/// hydrates and without JavaScript at all.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let failed = move || query.read().get("error").is_some();
    let signed_out = move || query.read().get("signed_out").is_some();
    // An application's sign-in request passes through here; say so, and who is asking.
    let for_application = move || {
        let next = next();
        let path = next.split('?').next().unwrap_or("");
        (path == "/oauth/authorize").then(|| {
            let query = next.split_once('?').map(|(_, q)| q).unwrap_or("");
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix("client_id="))
                .map(|id| id.to_string())
                .unwrap_or_default()
        })
    };

    view! {
        <Title text="Sign in" />
        <main class="standalone" id="main">
            <div class="card narrow signin">
                <div class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true"></span>
                    "Tessera"
                </div>
                <h1>"Sign in to Tessera"</h1>
                {move || for_application().map(|client_id| view! {
                    <p class="lead">
                        "An application (" <code class="mono">{client_id}</code> ") asks you to sign in. "
                        "You return to it afterwards."
                    </p>
                })}
                <Show when=failed>
                    <div class="notice notice-error" role="alert">
                        <p>
                            "The username or password is incorrect, or the account cannot sign in. "
                            "Check both and try again."
                        </p>
                    </div>
                </Show>
                <Show when=signed_out>
                    <div class="notice" role="status">
                        <p>"You are signed out."</p>
                    </div>
                </Show>
                <form method="post" action="/auth/sign-in" class="form">
                    <input type="hidden" name="next" value=next />
                    <label for="username">"Username"</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        autocapitalize="none"
                        spellcheck="false"
                        required
                        maxlength="64"
                        autofocus
                    />
                    <label for="password">"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        maxlength="1024"
                    />
                    <button type="submit" class="button button-primary">"Sign in"</button>
                </form>
            </div>
        </main>
    }
}
