//! Starting the server: open the store, set up a new store on first start, put the layers
//! together and serve until stopped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use carclub_shared::StoreId;

use crate::domain::Core;
use crate::domain::auth::{Accounts, Role, StoreRecord};
use crate::http::AppState;
use crate::storage::{Batch, Store};
use crate::sync::Shared;

/// How the server is run.
pub struct Options {
    /// The store: `sled:DIR` (the `--data` directory by default) or `postgres://…`.
    pub store: crate::storage::Location,
    pub listen: SocketAddr,
    pub web: Option<PathBuf>,
    pub limits: crate::domain::Limits,
    /// The store's page cache, in MiB.
    pub store_cache_mib: u64,
    /// Time between two runs of the care scheduler.
    pub care_interval: std::time::Duration,
    /// How the notification outbox is delivered.
    pub notify: crate::notify::Config,
}

/// The outbox's delivery worker works on the core under the same lock as requests and sync.
impl crate::notify::CoreAccess for Shared {
    fn with_core<R>(&self, f: impl FnOnce(&mut Core) -> R) -> R {
        f(&mut self.lock())
    }
}

/// Sets up an empty store: the first branch on preset A and the administrator.
fn bootstrap(store: &Arc<dyn Store>, accounts: &Accounts) -> anyhow::Result<()> {
    if accounts.user_by_name("admin")?.is_some() {
        return Ok(());
    }
    let branch = match accounts.stores()?.into_iter().next() {
        Some(s) => s,
        None => {
            let s = StoreRecord {
                id: StoreId::new(),
                name: "本店".into(),
                program: "A".into(),
            };
            let mut b = Batch::default();
            accounts.put_store(&mut b, &s)?;
            store.commit(b)?;
            s
        }
    };
    let (password, generated) = match std::env::var("CARCLUB_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (crate::domain::auth::new_token()[..16].to_owned(), true),
    };
    accounts.create_user("admin", "管理员", Role::Admin, branch.id, &password)?;
    if generated {
        println!(
            "administrator created: username admin, password {password} (shown once; keep it safe)"
        );
    } else {
        println!("administrator created: username admin, password from CARCLUB_ADMIN_PASSWORD");
    }
    Ok(())
}

/// Where the built web app is.
fn web_dir(explicit: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir);
    }
    let candidates = [
        PathBuf::from("web/dist"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/dist"),
    ];
    candidates
        .into_iter()
        .find(|d| d.join("index.html").is_file())
}

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn serve(opts: Options) -> anyhow::Result<()> {
    let store = opts
        .store
        .open(opts.store_cache_mib.saturating_mul(1024 * 1024))?;
    crate::http::operate::install_metrics();
    let accounts = Accounts::new(store.clone());
    // Under the core's database lock, so instances starting together on an empty database make
    // one administrator and one first branch, and one server peer id.
    let starting = store.exclusive(crate::domain::core::locks::CORE)?;
    bootstrap(&store, &accounts)?;
    let mut core = Core::open(store.clone())?;
    core.limits = opts.limits;
    let shared = Arc::new(Shared::new(core)?);
    drop(starting);
    crate::sync::follow_changes(shared.clone());
    crate::notify::spawn(shared.clone(), opts.notify);
    spawn_care_scheduler(shared.clone(), opts.care_interval);
    let state = AppState::new(shared);
    // Import jobs a stopped process left in their middle run on to their end.
    crate::http::imports::resume(state.clone());
    let app = crate::http::router(state, web_dir(opts.web));

    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    tracing::info!(%addr, store = %opts.store, "carclub server started");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// Runs the care rules (`domain::care::scheduler`) at start-up and then every `every`, off the
/// async threads: a run creates each due task and message once, so a run repeated after a crash
/// or a restart completes the day and duplicates nothing.
fn spawn_care_scheduler(shared: Arc<Shared>, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let s = shared.clone();
            // Part by part, letting go of the lock between parts (`scheduler::PART` members).
            let run = tokio::task::spawn_blocking(move || {
                use crate::domain::care::scheduler;
                let at = crate::domain::club::now();
                let stores = s.accounts().stores()?;
                for store in stores {
                    let mut after = None;
                    while let (_, Some(next)) =
                        scheduler::run_part(&mut s.lock(), store.id, at, after)?
                    {
                        after = Some(next);
                    }
                }
                // On the 1st (or the first tick after it), the month before's figures.
                crate::domain::kpi::run_due(&mut s.lock(), at)?;
                Ok::<(), crate::storage::StoreError>(())
            })
            .await;
            match run {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "the care rules could not run"),
                Err(e) => tracing::error!(error = %e, "the care rules' run stopped"),
            }
        }
    });
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
