//! Sign-in throttling: failures slow guessing down per account and address, the same for an
//! unknown username as for a real one, and never lock the real person out for long.

use http::{header, Method, Request};

use crate::both_databases;
use crate::harness::*;

/// Posts the sign-in form as if from `ip` (the in-process router has no socket address, so
/// the test sets the connection info the server reads).
async fn sign_in_from(app: &TestApp, ip: &str, username: &str, password: &str) -> Response {
    let body = serde_urlencoded::to_string([
        ("username", username),
        ("password", password),
        ("next", "/users"),
    ])
    .unwrap();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/auth/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "same-origin")
        .body(axum::body::Body::from(body))
        .unwrap();
    let addr: std::net::SocketAddr = format!("{ip}:40000").parse().unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    app.send(request).await
}

fn throttled(response: &Response) -> Option<&str> {
    response
        .location()
        .filter(|l| l.starts_with("/sign-in?error=wait"))
}

both_databases!(
    failures_from_one_address_slow_down_exponentially,
    async |app: &TestApp| {
        for _ in 0..4 {
            let response = sign_in_from(app, "10.0.0.9", "admin", "wrong").await;
            assert_eq!(response.location(), Some("/sign-in?error=1&next=%2Fusers"));
        }
        // The fifth failure starts the waits: 1 s, then 2 s, 4 s…
        sign_in_from(app, "10.0.0.9", "admin", "wrong").await;
        let blocked = sign_in_from(app, "10.0.0.9", "admin", ADMIN_PASSWORD).await;
        assert_eq!(
            throttled(&blocked),
            Some("/sign-in?error=wait&seconds=1&next=%2Fusers"),
            "even the right password waits"
        );
        assert_eq!(blocked.set_cookie(), None);
        app.clock.advance(1);
        sign_in_from(app, "10.0.0.9", "admin", "wrong").await;
        assert_eq!(
            throttled(&sign_in_from(app, "10.0.0.9", "admin", "wrong").await),
            Some("/sign-in?error=wait&seconds=2&next=%2Fusers")
        );

        // Another address is not slowed by this one's failures.
        let elsewhere = sign_in_from(app, "10.0.0.10", "admin", ADMIN_PASSWORD).await;
        assert_eq!(elsewhere.location(), Some("/users"));

        // Once the wait has passed, the right password signs in and clears this address.
        app.clock.advance(2);
        let back = sign_in_from(app, "10.0.0.9", "admin", ADMIN_PASSWORD).await;
        assert_eq!(back.location(), Some("/users"));
        let fresh = sign_in_from(app, "10.0.0.9", "admin", "wrong").await;
        assert_eq!(fresh.location(), Some("/sign-in?error=1&next=%2Fusers"));
    }
);

both_databases!(
    an_unknown_username_is_throttled_exactly_like_a_real_one,
    async |app: &TestApp| {
        let mut real = Vec::new();
        let mut unknown = Vec::new();
        for _ in 0..7 {
            real.push(sign_in_from(app, "10.0.0.9", "admin", "wrong").await);
            unknown.push(sign_in_from(app, "10.0.0.9", "nobody-here", "wrong").await);
        }
        for (a, b) in real.iter().zip(&unknown) {
            assert_eq!(a.status, b.status);
            assert_eq!(a.location(), b.location());
            assert_eq!(a.body, b.body);
        }
        assert!(throttled(real.last().unwrap()).is_some());
    }
);

both_databases!(
    a_distributed_attack_holds_the_account_to_one_try_a_minute_at_most,
    async |app: &TestApp| {
        // Forty addresses, one failure each: every address is under its own limit.
        for i in 0..40 {
            sign_in_from(app, &format!("10.1.0.{i}"), "admin", "wrong").await;
        }
        let real = sign_in_from(app, "192.168.1.20", "admin", ADMIN_PASSWORD).await;
        let seconds: i64 = throttled(&real)
            .expect("the account is slowed")
            .trim_start_matches("/sign-in?error=wait&seconds=")
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&seconds), "waits {seconds} s");
        // The real person waits at most a minute, then gets in.
        app.clock.advance(60);
        assert_eq!(
            sign_in_from(app, "192.168.1.20", "admin", ADMIN_PASSWORD)
                .await
                .location(),
            Some("/users")
        );
        // Failures are forgotten a quarter of an hour after the last.
        app.clock.advance(15 * 60);
        assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures").await, 21);
        sign_in_from(app, "10.1.0.1", "admin", "wrong").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_failures").await, 2);
    }
);
