//! Bringing a DMS export in from the back office: `POST /api/imports/check` (the dry run),
//! `POST /api/imports` (the import, as a job) and `GET /api/imports/{id}` (its progress and
//! report). The rules are in [`crate::domain::import`].
//!
//! A job runs on the blocking pool, one chunk of rows per hold of the core's lock, so requests and
//! syncs keep flowing while it works. The store keeps the job with its files and its progress
//! ([`crate::domain::import::job`]): a server restarted in the middle of a job takes it up again
//! ([`resume`]) and runs it to its end, and `GET /api/imports/{id}` answers after a restart.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use base64::Engine as _;
use carclub_shared::UserId;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::error::{ApiError, BodyErrors, Code, Detail, Errors, NotFound};
use super::extract::{ApiJson, ApiPath, Caller};
use crate::domain::import::job::{self, ImportJob, Job};
use crate::domain::import::{self, Encoding, FileKind, Report, Source};

/// The largest upload: the three files, base64-encoded, in one JSON body.
pub const MAX_UPLOAD_BYTES: usize = 48 * 1024 * 1024;

/// The routes of the import.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(check_import))
        .routes(routes!(start_import))
        .routes(routes!(import_job))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
}

/// One file of the export.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportFile {
    pub kind: FileKind,
    /// The file's name, as the report names it.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// The file's bytes, base64-encoded (UTF-8 or GBK text; docs/import.md).
    pub content: String,
}

/// The files of a DMS export.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// How the files are encoded; `auto` (the default) reads valid UTF-8 as UTF-8, else GBK.
    #[serde(default)]
    pub encoding: Encoding,
    /// One to three files: customers, vehicles, visits.
    #[schema(min_items = 1, max_items = 3)]
    pub files: Vec<ImportFile>,
}

/// Files the request names well but that cannot be read as an export (a file name, a content
/// that is not base64): 422, as the description says.
fn bad(en: String, zh: String) -> ApiError {
    ApiError::Unprocessable(Detail::new(Code::InvalidValue, en, zh))
}

fn sources(req: &ImportRequest) -> Result<Vec<Source>, ApiError> {
    if req.files.is_empty() || req.files.len() > 3 {
        return Err(bad(
            "files: give one to three files (customers, vehicles, visits)".into(),
            "files：请提供一到三个文件（客户、车辆、进厂记录）".into(),
        ));
    }
    req.files
        .iter()
        .map(|f| {
            let name = f.name.trim();
            if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
                return Err(bad(
                    "files: each file needs a name of 1 to 200 characters".into(),
                    "files：每个文件需要 1 到 200 个字符的文件名".into(),
                ));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(f.content.trim())
                .map_err(|_| {
                    bad(
                        format!("files: the content of {name} is not base64"),
                        format!("files：{name} 的内容不是 base64 编码"),
                    )
                })?;
            Ok(Source {
                kind: f.kind,
                name: name.to_owned(),
                bytes,
            })
        })
        .collect()
}

/// Reads, validates and judges every row against the store as it is — the permission matrix and
/// the program engine, as the import itself — and reports how many rows of each file would be
/// added, updated, left unchanged or refused, each refusal with its file, line and reason (bad
/// VIN, phone, date, unknown store, a VIN not on file for a visit…). Writes nothing.
///
/// Only with the permission to import customers; rows of another store are refused unless the
/// caller's role reaches the group.
#[utoipa::path(post, path = "/api/imports/check", tag = "imports", request_body = ImportRequest,
    responses((status = 200, description = "What the import would do", body = Report),
        Errors, BodyErrors))]
async fn check_import(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<ImportRequest>,
) -> Result<Json<Report>, ApiError> {
    let sources = sources(&req)?;
    let core = st.core();
    let plan = import::plan(&core, &p, &sources, req.encoding)?;
    Ok(Json(import::check(&core, &p, &plan)?))
}

/// The jobs this process runs or ran, with who started each: their progress as it goes, without
/// waiting for the core's lock. The store keeps each job too, for after a restart.
static JOBS: LazyLock<Mutex<HashMap<String, (UserId, ImportJob)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn save(by: UserId, job: &ImportJob) {
    if let Ok(mut jobs) = JOBS.lock() {
        jobs.insert(job.id.clone(), (by, job.clone()));
    }
}

/// Runs `job` to its end, a chunk per hold of the core's lock, off the async threads.
fn run(st: &AppState, mut job: Job) {
    let by = job.by();
    save(by, &job.view());
    while !job.finished() {
        let step = {
            let mut core = st.core();
            job.step(&mut core)
        };
        if let Err(e) = step {
            tracing::error!(job = %job.view().id, error = %e, "import failed");
            job.fail(&mut st.core(), &e);
        }
        save(by, &job.view());
    }
    let done = job.view();
    tracing::info!(job = %done.id, rows = done.total_rows, state = ?done.state, "import job over");
}

/// Takes up the import jobs a stopped process left running (kept in the store), one after the
/// other, in the background: each runs to its end as a new one would.
pub fn resume(st: AppState) {
    tokio::task::spawn_blocking(move || {
        let jobs = match Job::resume_all(&mut st.core()) {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "the import jobs left running could not be read");
                return;
            }
        };
        for job in &jobs {
            save(job.by(), &job.view());
        }
        for job in jobs {
            run(&st, job);
        }
    });
}

/// Starts the import of the files as a job and answers at once with it; `GET
/// /api/imports/{id}` follows its progress. Every row passes the same validation and fold as the
/// back office's own operations; the events' ids are derived from the rows, so importing the same
/// files again changes nothing, and a job cut short finishes when the files are imported again.
/// Each chunk of about 500 rows is one batch, with its `import_customers` audit record.
#[utoipa::path(post, path = "/api/imports", tag = "imports", request_body = ImportRequest,
    responses((status = 202, description = "The job, started", body = ImportJob),
        Errors, BodyErrors))]
async fn start_import(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiJson(req): ApiJson<ImportRequest>,
) -> Result<(StatusCode, Json<ImportJob>), ApiError> {
    let sources = sources(&req)?;
    let job = Job::start(&mut st.core(), &p, &sources, req.encoding)?;
    let answer = job.view();
    tokio::task::spawn_blocking(move || run(&st, job));
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// An import job the caller started: its progress, and its report (the whole report once
/// `finished`).
#[utoipa::path(get, path = "/api/imports/{id}", tag = "imports",
    params(("id" = String, Path, description = "The job's id")),
    responses((status = 200, description = "The job", body = ImportJob), Errors, NotFound))]
async fn import_job(
    State(st): State<AppState>,
    Caller(p): Caller,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<ImportJob>, ApiError> {
    let here = JOBS.lock().ok().and_then(|jobs| jobs.get(&id).cloned());
    let found = match here {
        Some(job) => Some(job),
        // A job of a process before this one.
        None => job::find(&st.core(), &id)?,
    }
    .filter(|(by, _)| *by == p.user.id)
    .map(|(_, job)| job);
    found.map(Json).ok_or_else(|| {
        ApiError::NotFound(Detail::new(
            Code::NotFound,
            format!("no import job {id} of yours"),
            format!("没有您发起的导入任务 {id}"),
        ))
    })
}
