//! Starting the server: open the store, set up a new store on first start, serve until stopped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use carclub_shared::StoreId;
use tower_http::services::{ServeDir, ServeFile};

use crate::api::{self, AppState};
use crate::auth::{Accounts, Role, StoreRecord};
use crate::core::Core;
use crate::store::{Batch, SledStore, Store};

/// How the server is run.
pub struct Options {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub web: Option<PathBuf>,
    pub limits: crate::core::Limits,
    /// The store's page cache, in MiB.
    pub store_cache_mib: u64,
}

/// The largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
        _ => (crate::auth::new_token()[..16].to_owned(), true),
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
    std::fs::create_dir_all(&opts.data)?;
    let store: Arc<dyn Store> = Arc::new(SledStore::open_with_cache(
        &opts.data,
        opts.store_cache_mib.saturating_mul(1024 * 1024),
    )?);
    let accounts = Accounts::new(store.clone());
    bootstrap(&store, &accounts)?;
    let mut core = Core::open(store.clone())?;
    core.limits = opts.limits;
    let state = AppState {
        core: Arc::new(Mutex::new(core)),
        accounts,
    };

    let mut app = Router::new()
        .merge(api::routes())
        .merge(crate::cards::routes())
        .merge(crate::conflicts::routes())
        .merge(crate::openapi::routes())
        .merge(crate::export::routes())
        .merge(crate::cardstock::routes())
        .merge(crate::club::routes())
        .route("/sync", get(crate::ws::sync_endpoint))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    match web_dir(opts.web) {
        Some(dir) => {
            tracing::info!(dir = %dir.display(), "serving the web app");
            let index = dir.join("index.html");
            app = app.fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(index)));
        }
        None => {
            tracing::warn!(
                "the web app is not built (run scripts/build-web); serving the API only"
            );
            app = app.fallback(|| async {
                api::problem(
                    axum::http::StatusCode::NOT_FOUND,
                    "the web app is not built on this server: run scripts/build-web",
                )
            });
        }
    }
    let app = app
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http());

    let listener = tokio::net::TcpListener::bind(opts.listen).await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}");
    tracing::info!(%addr, data = %opts.data.display(), "carclub server started");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
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
