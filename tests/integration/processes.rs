//! Tessera as real processes: the built binary started on loopback ports. Several instances on
//! one PostgreSQL behave as one; a server killed with SIGKILL in the middle of a 10,000-person
//! bulk change leaves the database exactly before or after it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_tessera");
const ADMIN: &str = "a long admin passphrase";

/// One `tessera serve` on a free loopback port; killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(database_url: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log_path())
            .unwrap();
        let child = Command::new(BINARY)
            .args(["serve", "--database-url", database_url])
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .env("LEPTOS_OUTPUT_NAME", "tessera")
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("LEPTOS_SITE_PKG_DIR", "pkg")
            .env("RUST_LOG", "info,tessera=debug")
            .env_remove("TESSERA_DATABASE_URL")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start tessera");
        Server { child, port }
    }

    /// Waits until `/readyz` answers 200.
    fn ready(self) -> Server {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(answer) = http(self.port, "GET", "/readyz", &[], "") {
                if answer.status == 200 {
                    return self;
                }
            }
            assert!(
                Instant::now() < deadline,
                "instance on {} never became ready",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn sign_in(&self, username: &str, password: &str) -> Option<String> {
        let form = serde_urlencoded::to_string([
            ("username", username),
            ("password", password),
            ("next", "/"),
        ])
        .unwrap();
        let origin = self.origin();
        let answer = http(
            self.port,
            "POST",
            "/auth/sign-in",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", &origin),
                ("sec-fetch-site", "same-origin"),
            ],
            &form,
        )
        .unwrap();
        answer
            .headers
            .iter()
            .filter(|(name, _)| name == "set-cookie")
            .filter_map(|(_, value)| value.split(';').next())
            .find(|pair| pair.starts_with("tessera_session=") && pair.len() > 16)
            .map(str::to_string)
    }

    /// A server function call with a session cookie: (status, JSON body).
    fn call(&self, cookie: &str, endpoint: &str, args: Value) -> (u16, Value) {
        let origin = self.origin();
        let answer = http(
            self.port,
            "POST",
            &format!("/api/{endpoint}"),
            &[
                ("content-type", "application/json"),
                ("origin", &origin),
                ("sec-fetch-site", "same-origin"),
                ("cookie", cookie),
            ],
            &args.to_string(),
        )
        .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
        let body = serde_json::from_str(&answer.body).unwrap_or(Value::String(answer.body));
        (answer.status, body)
    }

    /// The user list, a form-encoded server function: its status.
    fn list_users(&self, cookie: &str) -> u16 {
        let origin = self.origin();
        http(
            self.port,
            "POST",
            "/api/users/list",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("origin", &origin),
                ("sec-fetch-site", "same-origin"),
                ("cookie", cookie),
            ],
            "search=&page=1",
        )
        .unwrap()
        .status
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn log_path() -> std::path::PathBuf {
    let dir = std::path::Path::new("target/test-logs");
    let _ = std::fs::create_dir_all(dir);
    dir.join(format!("processes-{}.log", std::process::id()))
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// A minimal HTTP/1.1 exchange (one request per connection), enough for these tests.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no header end in {text:?}")))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

fn tessera(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("TESSERA_DATABASE_URL")
        .output()
        .expect("run tessera");
    assert!(
        output.status.success(),
        "tessera {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn bootstrap_admin(database_url: &str) {
    tessera(
        &[
            "bootstrap-admin",
            "--database-url",
            database_url,
            "--username",
            "admin",
        ],
        &[("TESSERA_ADMIN_PASSWORD", ADMIN)],
    );
}

async fn postgres_schema() -> Option<(String, String, String)> {
    let Ok(url) = std::env::var("TESSERA_TEST_POSTGRES_URL") else {
        eprintln!("skipped: TESSERA_TEST_POSTGRES_URL is not set");
        return None;
    };
    let schema = format!("proc_{}", uuid::Uuid::new_v4().simple());
    crate::harness::run_postgres(&url, &format!("CREATE SCHEMA {schema}")).await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let database_url = format!("{url}{separator}options[search_path]={schema}");
    Some((url, schema, database_url))
}

fn jwks_kids(server: &Server) -> Vec<String> {
    let answer = http(server.port, "GET", "/oauth/jwks", &[], "").unwrap();
    let jwks: Value = serde_json::from_str(&answer.body).unwrap();
    let mut kids: Vec<String> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    kids.sort();
    kids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgres_behave_as_one() {
    let Some((url, schema, database_url)) = postgres_schema().await else {
        return;
    };
    // Started together on an empty schema: the migrations race, and run once.
    let starting: Vec<Server> = (0..3).map(|_| Server::start(&database_url)).collect();
    let servers: Vec<Server> = starting.into_iter().map(Server::ready).collect();
    let (a, b, c) = (&servers[0], &servers[1], &servers[2]);
    let migrations = std::fs::read_dir("migrations/postgres").unwrap().count() as i64;
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&database_url).await.unwrap();
        let (applied, distinct): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT version) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!((applied, distinct), (migrations, migrations));
        let _ = conn.close().await;
    }

    bootstrap_admin(&database_url);
    let admin = a.sign_in("admin", ADMIN).expect("the admin signs in on A");
    let (status, created) = a.call(
        &admin,
        "users/create",
        json!({ "input": { "username": "worker", "password": "a worker passphrase" } }),
    );
    assert_eq!(status, 200, "{created}");
    let worker_id = created["id"].as_str().unwrap().to_string();
    let (status, role) = a.call(
        &admin,
        "roles/create",
        json!({ "name": "Directory reader", "description": "", "scopes": ["users:read"] }),
    );
    assert_eq!(status, 200, "{role}");
    let db = tessera::storage::Db::connect(&database_url).await.unwrap();
    let role_id = role_named(&db, "Directory reader").await;

    // A session made on B works on C; a role granted through A holds on C at once.
    let worker = b
        .sign_in("worker", "a worker passphrase")
        .expect("worker signs in on B");
    assert_eq!(c.list_users(&worker), 403);
    let (status, body) = a.call(
        &admin,
        "users/roles/assign",
        json!({ "user_id": worker_id, "role_id": role_id, "expires_at": null }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(c.list_users(&worker), 200);
    assert_eq!(b.list_users(&worker), 200);

    // Revoked through A: refused on B and C at the next request.
    let (status, body) = a.call(
        &admin,
        "users/sessions/revoke-all",
        json!({ "user_id": worker_id }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(b.list_users(&worker), 401);
    assert_eq!(c.list_users(&worker), 401);

    // Disabled through B: A's session ends and C refuses the sign-in.
    let again = c
        .sign_in("worker", "a worker passphrase")
        .expect("signs in again on C");
    let (status, body) = b.call(
        &admin,
        "users/disable",
        json!({ "user_id": worker_id, "disabled": true }),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(a.list_users(&again), 401);
    assert!(c.sign_in("worker", "a worker passphrase").is_none());

    // A key rotated by the command line is published by every instance within a minute,
    // beside the old one.
    let before = jwks_kids(a);
    assert_eq!(before.len(), 1);
    assert!(servers.iter().all(|s| jwks_kids(s) == before));
    tessera(&["rotate-keys", "--database-url", &database_url], &[]);
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let seen: Vec<Vec<String>> = servers.iter().map(jwks_kids).collect();
        if seen.iter().all(|kids| kids.len() == 2 && kids == &seen[0]) {
            assert!(seen[0].contains(&before[0]), "the old key stays published");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every instance published the new key: {seen:?}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    drop(servers);
    db.close().await;
    crate::harness::run_postgres(&url, &format!("DROP SCHEMA {schema} CASCADE")).await;
}

async fn role_named(db: &tessera::storage::Db, name: &str) -> String {
    let mut tx = db.read().await.unwrap();
    tessera::on_db!(tx, |c| {
        sqlx::query_scalar("SELECT id FROM roles WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *c)
            .await
    })
    .unwrap()
}

/// Counts and a digest of the tables a bulk role grant touches, apart from the role itself.
#[derive(Debug, PartialEq)]
struct Outside {
    users: String,
    other_assignments: String,
    other_events: i64,
}

async fn outside(db: &tessera::storage::Db, role: &str) -> Outside {
    let mut tx = db.read().await.unwrap();
    let users_sql = "SELECT COUNT(*) || ':' || COALESCE(SUM(LENGTH(id) + LENGTH(username) + CASE WHEN disabled THEN 1 ELSE 0 END), 0) FROM users";
    let assignments_sql = format!(
        "SELECT COUNT(*) || ':' || COALESCE(SUM(LENGTH(user_id) * 3 + LENGTH(role_id)), 0) FROM user_roles WHERE role_id <> '{role}'"
    );
    let events_sql = format!(
        "SELECT COUNT(*) FROM audit_events WHERE COALESCE(target_id, '') <> '{role}' AND parent_id IS NULL"
    );
    tessera::on_db!(tx, |c| {
        let users: String = sqlx::query_scalar(users_sql)
            .fetch_one(&mut *c)
            .await
            .unwrap();
        let other_assignments: String = sqlx::query_scalar(&assignments_sql)
            .fetch_one(&mut *c)
            .await
            .unwrap();
        let other_events: i64 = sqlx::query_scalar(&events_sql)
            .fetch_one(&mut *c)
            .await
            .unwrap();
        Ok::<_, sqlx::Error>(Outside {
            users,
            other_assignments,
            other_events,
        })
    })
    .unwrap()
}

/// (people holding `role` directly, bulk parent events for it, their child events)
async fn inside(db: &tessera::storage::Db, role: &str) -> (i64, i64, i64) {
    let mut tx = db.read().await.unwrap();
    let q = [
        format!("SELECT COUNT(*) FROM user_roles WHERE role_id = '{role}'"),
        format!("SELECT COUNT(*) FROM audit_events WHERE action = 'bulk.role.add' AND target_id = '{role}'"),
        format!(
            "SELECT COUNT(*) FROM audit_events c JOIN audit_events p ON c.parent_id = p.id
             WHERE p.action = 'bulk.role.add' AND p.target_id = '{role}'"
        ),
    ];
    tessera::on_db!(tx, |c| {
        let mut out = [0i64; 3];
        for (i, sql) in q.iter().enumerate() {
            out[i] = sqlx::query_scalar(sql).fetch_one(&mut *c).await.unwrap();
        }
        Ok::<_, sqlx::Error>((out[0], out[1], out[2]))
    })
    .unwrap()
}

async fn kill_during_bulk(database_url: &str, rounds: usize) {
    let people = 10_000;
    tessera(
        &[
            "seed",
            "--database-url",
            database_url,
            "--users",
            &people.to_string(),
        ],
        &[],
    );
    bootstrap_admin(database_url);
    let db = tessera::storage::Db::connect(database_url).await.unwrap();
    let selection = json!({ "kind": "matching", "filter": { "q": "person" } });
    let mut outcomes = (0, 0);
    // How long one whole bulk grant takes here; kills land at random points inside it.
    let mut span_ms = 2_000u64;
    for round in 0..rounds {
        let mut server = Server::start(database_url).ready();
        let admin = server.sign_in("admin", ADMIN).expect("admin signs in");
        let (status, role) = server.call(
            &admin,
            "roles/create",
            json!({ "name": format!("Fault role {round}"), "description": "", "scopes": [] }),
        );
        assert_eq!(status, 200, "{role}");
        let role_id = role_named(&db, &format!("Fault role {round}")).await;
        let before = outside(&db, &role_id).await;

        let port = server.port;
        let (cookie, origin) = (admin.clone(), server.origin());
        let action = json!({ "selection": selection, "action": { "kind": "add_role", "role_id": role_id, "expires_at": null } });
        let started = Instant::now();
        let request = std::thread::spawn(move || {
            http(
                port,
                "POST",
                "/api/users/bulk/apply",
                &[
                    ("content-type", "application/json"),
                    ("origin", &origin),
                    ("sec-fetch-site", "same-origin"),
                    ("cookie", &cookie),
                ],
                &action.to_string(),
            )
        });
        // The first round measures the whole operation; the others kill inside it.
        if round == 0 {
            let answer = request.join().unwrap().expect("the bulk grant answers");
            assert_eq!(answer.status, 200, "{}", answer.body);
            span_ms = (started.elapsed().as_millis() as u64).max(50);
        } else {
            let at = pseudo_random(round as u64) % (span_ms + span_ms / 4);
            std::thread::sleep(Duration::from_millis(at));
            server.kill();
            let _ = request.join();
        }
        server.kill();

        let (held, parents, children) = inside(&db, &role_id).await;
        let after = outside(&db, &role_id).await;
        assert_eq!(
            before, after,
            "round {round}: something beside the grant changed"
        );
        if held == 0 {
            assert_eq!(
                (parents, children),
                (0, 0),
                "round {round}: audit without change"
            );
            outcomes.0 += 1;
        } else {
            assert_eq!(parents, 1, "round {round}");
            assert_eq!(children, held, "round {round}: one child event per person");
            // Everyone the filter matches who is not disabled (one in fifty is).
            assert_eq!(held, people - people / 50, "round {round}: a partial grant");
            outcomes.1 += 1;
        }
        if let tessera::storage::Db::Sqlite(pool) = &db {
            let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(pool)
                .await
                .unwrap();
            assert_eq!(integrity, "ok", "round {round}");
            let dangling = sqlx::query("PRAGMA foreign_key_check")
                .fetch_all(pool)
                .await
                .unwrap();
            assert!(dangling.is_empty(), "round {round}: dangling references");
        }
    }
    eprintln!(
        "{rounds} rounds, a bulk grant lasting about {span_ms} ms: {} killed before the commit, {} after",
        outcomes.0, outcomes.1
    );
    // And the server starts again on what the kills left.
    let server = Server::start(database_url).ready();
    assert!(server.sign_in("admin", ADMIN).is_some());
    db.close().await;
}

fn pseudo_random(seed: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 27)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_killed_during_a_10000_person_bulk_grant_is_before_or_after_never_between() {
    let path =
        std::env::temp_dir().join(format!("tessera-kill-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    kill_during_bulk(&url, 20).await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_during_a_10000_person_bulk_grant_is_before_or_after_never_between() {
    let Some((url, schema, database_url)) = postgres_schema().await else {
        return;
    };
    kill_during_bulk(&database_url, 12).await;
    crate::harness::run_postgres(&url, &format!("DROP SCHEMA {schema} CASCADE")).await;
}
