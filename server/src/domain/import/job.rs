//! An import started from the back office, kept in the store so that it outlives the process:
//! the job (who started it, its files' names, its state, progress and report), its files while it
//! runs, and the rows each committed chunk added or updated, all written in the chunk's own batch.
//!
//! A server that starts with a job still running takes it up again ([`Job::resume_all`]): it
//! reads the files it kept, plans them again and runs them from the start. The events of the rows
//! folded before are kept and their ids derive from the rows, so they are not folded again; the
//! rows kept with the chunks make the report say what the first process did to them. Once the job
//! is done its files and rows are let go and the job keeps its report.

use carclub_shared::{Timestamp, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Encoding, FileKind, ImportError, Report, Run, Settled, Source};
use crate::domain::Core;
use crate::domain::auth::Principal;
use crate::storage::keys::{IMPORT_FILES, IMPORT_JOBS, IMPORT_ROWS};
use crate::storage::{Batch, Order, StoreError};

/// Where an import job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Finished,
    Failed,
}

/// An import job: its progress, and the report of what it did so far.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportJob {
    pub id: String,
    pub state: JobState,
    /// Rows dealt with so far.
    pub done_rows: u64,
    /// Rows in all the files.
    pub total_rows: u64,
    pub started_at: Timestamp,
    /// What became of the rows so far (every row once finished).
    pub report: Report,
    /// Why the job stopped, when it failed (the rows folded before stay: run it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_zh: Option<String>,
}

/// A job as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    /// Who started it: the job runs as them, and only they follow it.
    by: UserId,
    encoding: Encoding,
    /// Each file's kind and name, in the order of their keys under [`IMPORT_FILES`].
    files: Vec<(FileKind, String)>,
    /// Chunks committed so far (by this process and any before it).
    chunks: u64,
    job: ImportJob,
}

fn file_key(id: &str, n: usize) -> String {
    format!("{id}/{n:04}")
}

fn rows_key(id: &str, chunk: u64) -> String {
    format!("{id}/{chunk:012}")
}

/// A job being run: what is kept of it, its run, and who it runs as.
pub struct Job {
    kept: Kept,
    run: Run,
    p: Principal,
}

impl Job {
    /// Plans `sources` as `p` and keeps the job, with its files, before anything is folded.
    pub fn start(
        core: &mut Core,
        p: &Principal,
        sources: &[Source],
        encoding: Encoding,
    ) -> Result<Self, ImportError> {
        let plan = super::plan(core, p, sources, encoding)?;
        let run = Run::new(plan);
        let job = ImportJob {
            id: uuid::Uuid::now_v7().to_string(),
            state: JobState::Running,
            done_rows: run.done_rows,
            total_rows: run.total_rows(),
            started_at: crate::domain::club::now(),
            report: run.report(),
            error: None,
            error_zh: None,
        };
        let kept = Kept {
            by: p.user.id,
            encoding,
            files: sources.iter().map(|s| (s.kind, s.name.clone())).collect(),
            chunks: 0,
            job,
        };
        let mut batch = Batch::default();
        for (n, s) in sources.iter().enumerate() {
            IMPORT_FILES.put_bytes(&mut batch, &file_key(&kept.job.id, n), s.bytes.clone());
        }
        IMPORT_JOBS.put(&mut batch, &kept.job.id, &kept)?;
        core.commit(batch, Vec::new())?;
        Ok(Self {
            kept,
            run,
            p: p.clone(),
        })
    }

    /// The jobs the store holds as running (a process stopped in their middle), each planned
    /// again from its kept files to be run to its end. A job that can no longer run (its author
    /// gone or no longer allowed, its files unreadable) is marked failed with the reason.
    pub fn resume_all(core: &mut Core) -> Result<Vec<Self>, StoreError> {
        let kept: Vec<Kept> = IMPORT_JOBS.all(core.store.as_ref())?;
        let mut out = Vec::new();
        for k in kept
            .into_iter()
            .filter(|k| k.job.state == JobState::Running)
        {
            match Self::again(core, &k) {
                Ok(Ok(job)) => {
                    tracing::info!(job = %k.job.id, "import job taken up again");
                    out.push(job);
                }
                Ok(Err((en, zh))) => {
                    tracing::warn!(job = %k.job.id, reason = %en, "import job cannot be taken up");
                    let mut failed = k;
                    failed.job.state = JobState::Failed;
                    failed.job.error = Some(en);
                    failed.job.error_zh = Some(zh);
                    let mut batch = Batch::default();
                    let_go(&mut batch, &failed);
                    IMPORT_JOBS.put(&mut batch, &failed.job.id, &failed)?;
                    core.commit(batch, Vec::new())?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Job `k` planned again, or why it cannot be (in English and Chinese).
    fn again(core: &Core, k: &Kept) -> Result<Result<Self, (String, String)>, StoreError> {
        let user = core.accounts.user(k.by)?.filter(|u| !u.disabled);
        let Some(user) = user else {
            return Ok(Err((
                "the import stopped when the server did, and the account that started it is gone or disabled".into(),
                "导入随服务器停止而中断，发起导入的账号已不存在或已停用".into(),
            )));
        };
        let p = Principal {
            member: core.accounts.member_of(user.id)?,
            assignment: core.accounts.assignment(&user)?,
            user,
            device: None,
        };
        let mut sources = Vec::new();
        for (n, (kind, name)) in k.files.iter().enumerate() {
            let Some(bytes) =
                IMPORT_FILES.get_bytes(core.store.as_ref(), &file_key(&k.job.id, n))?
            else {
                return Ok(Err((
                    format!(
                        "the import stopped when the server did, and its file {name} is not kept"
                    ),
                    format!("导入随服务器停止而中断，文件 {name} 未能保留"),
                )));
            };
            sources.push(Source {
                kind: *kind,
                name: name.clone(),
                bytes,
            });
        }
        let plan = match super::plan(core, &p, &sources, k.encoding) {
            Ok(plan) => plan,
            Err(ImportError::Store(e)) => return Err(e),
            Err(ImportError::Denied(d)) => {
                return Ok(Err((
                    format!("the import stopped when the server did and cannot go on: {d}"),
                    format!("导入随服务器停止而中断，且无法继续：{}", d.describe_zh()),
                )));
            }
            Err(ImportError::Read(e)) => {
                let zh = e.describe_zh();
                return Ok(Err((
                    format!("the import stopped when the server did and cannot go on: {e}"),
                    format!("导入随服务器停止而中断，且无法继续：{zh}"),
                )));
            }
            Err(ImportError::NoFiles) => {
                return Ok(Err((
                    "the import stopped when the server did, and it has no file".into(),
                    "导入随服务器停止而中断，且没有文件".into(),
                )));
            }
        };
        let mut before: Settled = Vec::new();
        IMPORT_ROWS.visit_under(
            core.store.as_ref(),
            &IMPORT_ROWS.key(&format!("{}/", k.job.id)),
            Order::Forward,
            &mut |_, rows: Settled| {
                before.extend(rows);
                Ok(true)
            },
        )?;
        let run = Run::resumed(plan, before);
        let mut kept = k.clone();
        kept.job.total_rows = run.total_rows();
        Ok(Ok(Self { kept, run, p }))
    }

    /// The job as its author sees it.
    pub fn view(&self) -> ImportJob {
        self.kept.job.clone()
    }

    /// Who started the job.
    pub fn by(&self) -> UserId {
        self.kept.by
    }

    /// Whether every row is dealt with.
    pub fn finished(&self) -> bool {
        self.kept.job.state != JobState::Running
    }

    /// Folds the next chunk and keeps, in the chunk's batch, the job's progress and the rows the
    /// chunk added or updated; the last chunk (the only one when every row was refused while
    /// reading) marks the job finished and lets its files go.
    pub fn step(&mut self, core: &mut Core) -> Result<(), StoreError> {
        let kept = &mut self.kept;
        self.run.step_keeping(core, &self.p, |batch, run, settled| {
            kept.chunks += 1;
            kept.job.done_rows = run.done_rows;
            kept.job.report = run.report();
            if run.finished() {
                kept.job.state = JobState::Finished;
                kept.job.done_rows = kept.job.total_rows;
                let_go(batch, kept);
            } else {
                IMPORT_ROWS.put(batch, &rows_key(&kept.job.id, kept.chunks), &settled)?;
            }
            IMPORT_JOBS.put(batch, &kept.job.id, kept)
        })
    }

    /// Marks the job failed after `e` (the rows committed before stay; importing the same files
    /// again finishes it) and keeps that, if the store takes it.
    pub fn fail(&mut self, core: &mut Core, e: &StoreError) {
        self.kept.job.state = JobState::Failed;
        self.kept.job.done_rows = self.run.done_rows;
        self.kept.job.report = self.run.report();
        self.kept.job.error = Some(format!("the import stopped: {e}"));
        self.kept.job.error_zh =
            Some("导入中断（已导入的行保留）：请再次导入同样的文件以完成".into());
        let mut batch = Batch::default();
        let_go(&mut batch, &self.kept);
        let kept = IMPORT_JOBS
            .put(&mut batch, &self.kept.job.id, &self.kept)
            .and_then(|()| core.commit(batch, Vec::new()));
        if let Err(again) = kept {
            tracing::error!(job = %self.kept.job.id, error = %again, "the failed import job could not be kept");
        }
    }
}

/// Removes a job's files and chunk rows in `batch`: it runs no more.
fn let_go(batch: &mut Batch, k: &Kept) {
    for n in 0..k.files.len() {
        IMPORT_FILES.delete(batch, &file_key(&k.job.id, n));
    }
    for chunk in 1..=k.chunks {
        IMPORT_ROWS.delete(batch, &rows_key(&k.job.id, chunk));
    }
}

/// Job `id` as kept, with who started it.
pub fn find(core: &Core, id: &str) -> Result<Option<(UserId, ImportJob)>, StoreError> {
    Ok(IMPORT_JOBS
        .get::<Kept>(core.store.as_ref(), id)?
        .map(|k| (k.by, k.job)))
}
