//! The `tessera` command: serve the console, create the first administrator, load demo data.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use leptos::config::get_configuration;
use secrecy::SecretString;
use tessera::error::{AppError, ErrorCode};
use tessera::server::{router::router, AppState, Clock, Config};
use tessera::setup;
use tessera::storage::Db;
use tracing_subscriber::EnvFilter;

const DEFAULT_DATABASE_URL: &str = "sqlite://data/tessera.db";

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: an identity admin console and token issuer",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, `tessera` serves.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web console (the default).
    Serve(ServeArgs),
    /// Create an administrator, or make an existing user one and set their password. The
    /// password is read from TESSERA_ADMIN_PASSWORD if set, otherwise from standard input.
    BootstrapAdmin {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The administrator's username.
        #[arg(long)]
        username: String,
        /// The name shown in the console; defaults to the username.
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Fill a blank database with a small demo organisation (40 users, 6 groups, 5 roles).
    Demo {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Fill a blank database with a large synthetic organisation, for benchmarks and fault
    /// tests: people `person1`…, groups, roles and scopes with a realistic spread.
    Seed {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long, default_value_t = 1_000_000)]
        users: i64,
        #[arg(long, default_value_t = 5_000)]
        groups: i64,
        #[arg(long, default_value_t = 500)]
        roles: i64,
        /// Give every seeded person this password (read from TESSERA_SEED_PASSWORD), for
        /// sign-in load tests. Without it they cannot sign in.
        #[arg(long)]
        with_password: bool,
    },
    /// Manage applications (OAuth clients) from scripts. Secrets are printed once, as JSON.
    #[command(subcommand)]
    Applications(ApplicationCommand),
    /// Replace the active token signing key now. The old key stays published until the tokens
    /// it signed have expired.
    RotateKeys {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        tokens: TokenArgs,
    },
}

#[derive(Subcommand)]
enum ApplicationCommand {
    /// List every application as JSON lines.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Register an application; prints its client id (and secret, if confidential) as JSON.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The name shown to administrators.
        #[arg(long)]
        name: String,
        /// 3–48 of a–z, 0–9, `.`, `_`, `-`; made from the name if left out.
        #[arg(long, default_value = "")]
        client_id: String,
        /// A server-side application with a secret and a service account.
        #[arg(long)]
        confidential: bool,
        /// An exact redirect URI; repeat for several.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
    },
    /// Replace a confidential application's secret; prints the new one as JSON.
    RotateSecret {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        client_id: String,
    },
    /// Delete an application, its sessions and its service account.
    Delete {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        client_id: String,
    },
}

#[derive(Args, Clone)]
struct TokenArgs {
    /// How long access and ID tokens are valid, in seconds.
    #[arg(long, env = "TESSERA_ACCESS_TOKEN_SECS", default_value_t = 300)]
    access_token_secs: i64,
    /// An application session ends after this many seconds without a refresh.
    #[arg(long, env = "TESSERA_REFRESH_IDLE_SECS", default_value_t = 24 * 60 * 60)]
    refresh_idle_secs: i64,
    /// An application session ends after this many seconds in any case.
    #[arg(long, env = "TESSERA_REFRESH_ABSOLUTE_SECS", default_value_t = 14 * 24 * 60 * 60)]
    refresh_absolute_secs: i64,
    /// The signing key is replaced after this many days.
    #[arg(long, env = "TESSERA_KEY_ROTATION_DAYS", default_value_t = 30)]
    key_rotation_days: i64,
}

impl TokenArgs {
    fn apply(&self, config: &mut Config) -> Result<(), AppError> {
        let positive = |value: i64, what: &str| {
            if value > 0 {
                Ok(value)
            } else {
                Err(AppError::invalid(format!(
                    "{what} must be a positive number."
                )))
            }
        };
        config.access_token_secs = positive(self.access_token_secs, "--access-token-secs")?;
        config.refresh_idle_secs = positive(self.refresh_idle_secs, "--refresh-idle-secs")?;
        config.refresh_absolute_secs =
            positive(self.refresh_absolute_secs, "--refresh-absolute-secs")?;
        config.key_rotation_secs =
            positive(self.key_rotation_days, "--key-rotation-days")? * 24 * 60 * 60;
        Ok(())
    }
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// Where the data lives: `sqlite://path/to/file.db` (created on first start) or
    /// `postgres://user@host:port/database`.
    #[arg(long, env = "TESSERA_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The address and port to listen on. Defaults to LEPTOS_SITE_ADDR, else 127.0.0.1:3000.
    #[arg(long, env = "TESSERA_BIND")]
    bind: Option<String>,
    /// The URL people reach Tessera at. Under https:// the session cookie becomes
    /// `__Host-`-prefixed and Secure. Defaults to http://<bind address>.
    #[arg(long, env = "TESSERA_PUBLIC_URL")]
    public_url: Option<String>,
    /// Load the demo organisation into a blank database before serving.
    #[arg(long, env = "TESSERA_DEMO", value_parser = clap::builder::BoolishValueParser::new())]
    demo: bool,
    /// Console write scopes count only for people who signed in with a second factor.
    #[arg(
        long,
        env = "TESSERA_REQUIRE_SECOND_FACTOR",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    require_second_factor: bool,
    /// A bearer token that `/metrics` requires; without it the metrics are open to anyone who
    /// reaches the port (they hold no personal data).
    #[arg(long, env = "TESSERA_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Addresses of load balancers in front of Tessera, comma-separated: from them, the client's
    /// address is read from `X-Forwarded-For` (for throttling and the sessions list).
    #[arg(long, env = "TESSERA_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<std::net::IpAddr>,
    #[command(flatten)]
    tokens: TokenArgs,
}

fn main() -> ExitCode {
    keep_memory_returnable();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("tessera: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => serve(cli.serve).await,
            Some(Command::Serve(args)) => serve(args).await,
            Some(Command::BootstrapAdmin {
                database,
                username,
                display_name,
            }) => bootstrap_admin(database, &username, &display_name).await,
            Some(Command::Demo { database }) => demo(database).await,
            Some(Command::Seed {
                database,
                users,
                groups,
                roles,
                with_password,
            }) => {
                let size = tessera::seed::Size {
                    users,
                    groups,
                    roles,
                };
                seed(database, size, with_password).await
            }
            Some(Command::Applications(command)) => applications(command).await,
            Some(Command::RotateKeys { database, tokens }) => rotate_keys(database, tokens).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tessera: {}", error.message);
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> Result<(), AppError> {
    let mut leptos_options = get_configuration(None)
        .map_err(|e| AppError::invalid(format!("The Leptos configuration is invalid: {e}")))?
        .leptos_options;
    if let Some(bind) = &args.bind {
        leptos_options.site_addr = bind
            .parse()
            .map_err(|_| AppError::invalid(format!("--bind “{bind}” is not an address:port.")))?;
    }
    let addr = leptos_options.site_addr;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));

    let db = Db::connect(&args.database.database_url).await?;
    let clock = Clock::system();
    if args.demo && setup::seed_demo(&db, clock.now()).await? {
        tracing::info!("loaded the demo organisation");
    }
    ensure_admin(&db, &clock).await?;

    let mut config = Config::new(&public_url);
    args.tokens.apply(&mut config)?;
    config.require_second_factor = args.require_second_factor;
    config.metrics_token = args.metrics_token.map(SecretString::from);
    config.trusted_proxies = args.trusted_proxies.clone();
    tokio::spawn(sweep_lapses(db.clone(), clock.clone()));
    tokio::spawn(tend_tokens(db.clone(), clock.clone(), config.clone()));
    let state = AppState::new(leptos_options, db.clone(), config, clock).await?;
    let app = router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| AppError::invalid(format!("Cannot listen on {addr}: {e}")))?;
    tracing::info!(%addr, %public_url, database = db.kind(), "Tessera is listening");
    println!(
        "Tessera is running at {public_url} (database: {})",
        db.kind()
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| AppError::invalid(format!("The server stopped: {e}")))?;
    db.close().await;
    Ok(())
}

/// Records lapsed assignments in the audit log soon after they end. They stop counting at
/// their end whatever this does; this only keeps the log and the tables tidy. With several
/// instances each sweeps; each records only the lapses its own DELETE removed, so a lapse is
/// recorded once.
async fn sweep_lapses(db: Db, clock: Clock) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(30));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = clock.now();
        match db
            .write(|tx| Box::pin(tessera::access::lapse::sweep(tx, now)))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(lapsed = n, "recorded lapsed assignments"),
            Err(error) => tracing::warn!(%error, "the lapse sweep failed; retrying later"),
        }
    }
}

/// Rotates the signing key when it is due and deletes codes and tokens that can no longer be
/// used. Every instance runs this; the key rotation happens once (see `oauth::keys`).
async fn tend_tokens(db: Db, clock: Clock, config: Config) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = clock.now();
        let (max_age, overlap) = (config.key_rotation_secs, config.key_overlap_secs());
        let result = db
            .write(|tx| {
                Box::pin(async move {
                    let rotated =
                        tessera::oauth::keys::rotate_if_due(tx, now, max_age, overlap).await?;
                    let purged = tessera::oauth::store::purge_expired(tx, now).await?;
                    Ok((rotated, purged))
                })
            })
            .await;
        match result {
            Ok((Some(kid), _)) => tracing::info!(%kid, "rotated the signing key on schedule"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "token housekeeping failed; retrying later"),
        }
    }
}

/// The command line as the audit log names it.
fn operator() -> tessera::access::domain::Actor {
    tessera::access::domain::Actor {
        id: String::new(),
        name: "Tessera (command line)".to_string(),
        request_id: None,
    }
}

fn print_json(value: &serde_json::Value) {
    println!("{value}");
}

async fn applications(command: ApplicationCommand) -> Result<(), AppError> {
    use tessera::oauth::{domain, store, ApplicationInput};
    let now = Clock::system().now();
    let database = match &command {
        ApplicationCommand::List { database }
        | ApplicationCommand::Create { database, .. }
        | ApplicationCommand::RotateSecret { database, .. }
        | ApplicationCommand::Delete { database, .. } => database.clone(),
    };
    let db = Db::connect(&database.database_url).await?;
    let result = match command {
        ApplicationCommand::List { .. } => {
            let mut tx = db.read().await?;
            for app in store::applications(&mut tx, now).await? {
                print_json(&serde_json::to_value(&app).map_err(|_| AppError::internal())?);
            }
            Ok(())
        }
        ApplicationCommand::Create {
            name,
            client_id,
            confidential,
            redirect_uris,
            ..
        } => {
            let input = ApplicationInput {
                name,
                client_id,
                confidential,
                redirect_uris,
            };
            let issued = db
                .write(|tx| {
                    let input = input.clone();
                    Box::pin(async move { domain::create(tx, &operator(), &input, now).await })
                })
                .await?;
            print_json(&serde_json::json!({
                "client_id": issued.application.client_id,
                "client_secret": issued.secret,
                "service_user_id": issued.application.service_user_id,
            }));
            Ok(())
        }
        ApplicationCommand::RotateSecret { client_id, .. } => {
            let issued = db
                .write(|tx| {
                    let client_id = client_id.clone();
                    Box::pin(async move {
                        domain::rotate_secret(tx, &operator(), &client_id, now).await
                    })
                })
                .await?;
            print_json(&serde_json::json!({
                "client_id": issued.application.client_id,
                "client_secret": issued.secret,
            }));
            Ok(())
        }
        ApplicationCommand::Delete { client_id, .. } => {
            let change = db
                .write(|tx| {
                    let client_id = client_id.clone();
                    Box::pin(async move { domain::delete(tx, &operator(), &client_id, now).await })
                })
                .await?;
            println!("{}", change.message);
            Ok(())
        }
    };
    db.close().await;
    result
}

async fn rotate_keys(database: DatabaseArgs, tokens: TokenArgs) -> Result<(), AppError> {
    let mut config = Config::new("http://localhost");
    tokens.apply(&mut config)?;
    let db = Db::connect(&database.database_url).await?;
    let now = Clock::system().now();
    let overlap = config.key_overlap_secs();
    let kid = db
        .write(|tx| Box::pin(async move { tessera::oauth::keys::rotate(tx, now, overlap).await }))
        .await?;
    println!(
        "The new signing key {kid} signs from now on (each running instance picks it up within a minute)."
    );
    db.close().await;
    Ok(())
}

/// A newcomer is never left at a sign-in page without an account: with no active administrator,
/// `serve` creates `admin` — with TESSERA_ADMIN_PASSWORD if set, else with a random password
/// printed once on the terminal (never written to the log).
async fn ensure_admin(db: &Db, clock: &Clock) -> Result<(), AppError> {
    if setup::has_active_admin(db, clock.now()).await? {
        return Ok(());
    }
    let (password, generated) = match std::env::var("TESSERA_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => (password, false),
        _ => (
            tessera::auth::session::random_token()[..20].to_string(),
            true,
        ),
    };
    let created = setup::bootstrap_admin(
        db,
        "admin",
        "Administrator",
        SecretString::from(password.clone()),
        clock.now(),
    )
    .await;
    match created {
        Ok(_) => {}
        // Several instances started together on a new database: another one made it first.
        Err(error)
            if error.code == ErrorCode::Conflict
                && setup::has_active_admin(db, clock.now()).await? =>
        {
            return Ok(());
        }
        Err(error) => return Err(error),
    }
    tracing::info!("no active administrator existed; created the user admin");
    if generated {
        println!();
        println!("  No administrator existed, so Tessera created one:");
        println!("    username: admin");
        println!("    password: {password}");
        println!("  This password is shown only now. To choose another, run:");
        println!("    tessera bootstrap-admin --username admin");
        println!();
    }
    Ok(())
}

async fn bootstrap_admin(
    database: DatabaseArgs,
    username: &str,
    display_name: &str,
) -> Result<(), AppError> {
    let password = match std::env::var("TESSERA_ADMIN_PASSWORD") {
        Ok(password) if !password.is_empty() => password,
        _ => {
            if std::io::stdin().is_terminal() {
                eprintln!("Password for {username} (input is shown; pipe it in to hide it):");
            }
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| AppError::invalid(format!("Cannot read the password: {e}")))?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    let db = Db::connect(&database.database_url).await?;
    let now = Clock::system().now();
    setup::bootstrap_admin(
        &db,
        username,
        display_name,
        SecretString::from(password),
        now,
    )
    .await?;
    println!("{username} is now an administrator and can sign in.");
    db.close().await;
    Ok(())
}

async fn demo(database: DatabaseArgs) -> Result<(), AppError> {
    let db = Db::connect(&database.database_url).await?;
    if setup::seed_demo(&db, Clock::system().now()).await? {
        println!("Loaded the demo organisation: 40 users, 6 groups, 5 roles.");
    } else {
        println!("The database already has groups or custom roles; the demo was not loaded.");
    }
    db.close().await;
    Ok(())
}

async fn seed(
    database: DatabaseArgs,
    size: tessera::seed::Size,
    with_password: bool,
) -> Result<(), AppError> {
    let hash = if with_password {
        let password = std::env::var("TESSERA_SEED_PASSWORD").map_err(|_| {
            AppError::invalid("--with-password reads the password from TESSERA_SEED_PASSWORD.")
        })?;
        Some(tessera::auth::password::hash(SecretString::from(password)).await?)
    } else {
        None
    };
    let db = Db::connect(&database.database_url).await?;
    let took = tessera::seed::seed(&db, size, hash.as_deref(), Clock::system().now()).await?;
    println!(
        "Seeded {} users, {} groups and {} roles in {:.1} s.",
        size.users,
        size.groups,
        size.roles,
        took.as_secs_f64()
    );
    db.close().await;
    Ok(())
}

/// Every Argon2id run allocates 19 MiB and frees it. glibc serves a block that large with mmap
/// and returns it on free, until the first such free raises its threshold past 19 MiB; from
/// then on the blocks come from per-thread arenas, which keep them. Under a burst of sign-ins a
/// server grew past 500 MB that way. A fixed threshold keeps large blocks returnable.
fn keep_memory_returnable() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
