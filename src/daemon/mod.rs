//! The daemon (`mobmatch serve`): the web server and the scheduled jobs in one process.
//!
//! Each job with a schedule runs in a task of its own: it sleeps until the next time its
//! schedule names, takes the job's lock (on PostgreSQL an advisory lock, so one replica
//! at a time runs it), claims the time as the job run's slot (so each scheduled time runs
//! once, on whichever replica came first), runs, and records the outcome and counts. At
//! start, a job whose latest scheduled time passed with no run ending for it runs once
//! for that time. The outbox is delivered at start and whenever a transaction that
//! queued mail commits, besides its schedule. A stop (SIGTERM, SIGINT) ends the web
//! server and lets the running jobs finish their current message, for at most
//! [`SHUTDOWN_GRACE`]; what a killed process leaves behind is rolled back by the
//! database and picked up by the next run.
//!
//! On SQLite one daemon holds the database ([`crate::store::InstanceLock`]) and its jobs
//! take turns, since SQLite has one writer at a time.

mod jobs;
pub mod schedule;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Notify, broadcast, watch};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::introductions::IntroductionSettings;
use crate::mail::{self, MailRules, Transport};
use crate::stop::{StopSignal, StopSwitch};
use crate::store::{
    Backend, InstanceLock, InstanceLockError, JobOutcome, JobTrigger, NewJobRun, Store,
};
use crate::web;
use jobs::JobContext;
pub use schedule::Job;
use schedule::{RunHistory, catch_up_slot, next_slot};

/// How long a stop waits for the running jobs before the daemon exits anyway.
pub const SHUTDOWN_GRACE: StdDuration = StdDuration::from_secs(30);

/// How often the web server expires web submissions left unconfirmed.
const EXPIRY_INTERVAL: StdDuration = StdDuration::from_secs(3600);

/// Where the daemon's time comes from: the system clock, or in tests one they move.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Completes once `now()` has reached `deadline`.
    fn sleep_until(&self, deadline: DateTime<Utc>)
    -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

pub struct SystemClock;

/// The system clock is asked again at least this often while sleeping, so that a jump
/// of the wall clock (a suspended machine, a corrected time) delays a job by no more.
const LONGEST_SLEEP: StdDuration = StdDuration::from_secs(60);

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(
        &self,
        deadline: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            while let Ok(left) = (deadline - Utc::now()).to_std() {
                if left.is_zero() {
                    break;
                }
                tokio::time::sleep(left.min(LONGEST_SLEEP)).await;
            }
        })
    }
}

/// A clock that stands still until told to move: for tests of schedules and catch-up.
#[derive(Debug)]
pub struct ManualClock(watch::Sender<DateTime<Utc>>);

impl ManualClock {
    pub fn new(now: DateTime<Utc>) -> ManualClock {
        ManualClock(watch::Sender::new(now))
    }

    /// Moves the clock to `now`, waking whatever sleeps until then.
    pub fn set(&self, now: DateTime<Utc>) {
        self.0.send_replace(now);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.borrow()
    }

    fn sleep_until(
        &self,
        deadline: DateTime<Utc>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let mut now = self.0.subscribe();
        Box::pin(async move {
            // The sender lives as long as the clock, which outlives this future.
            let _ = now.wait_for(|now| *now >= deadline).await;
        })
    }
}

/// A job run that ended, as the daemon tells its watchers (tests, mostly).
#[derive(Clone, Debug, PartialEq)]
pub struct JobEvent {
    pub job: Job,
    pub trigger: JobTrigger,
    pub slot: Option<DateTime<Utc>>,
    pub outcome: JobOutcome,
    pub counts: serde_json::Value,
}

/// What `serve` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parts {
    /// The web server and the scheduled jobs.
    All,
    /// The web server alone.
    WebOnly,
}

pub struct Daemon {
    store: Store,
    config: Config,
    clock: Arc<dyn Clock>,
    parts: Parts,
    instance: String,
    /// When the daemon was made: catch-up looks back from here, and schedules go on
    /// from here.
    started_at: DateTime<Utc>,
    /// Held from here until the daemon ends (for the scheduler on SQLite).
    _instance_lock: Option<InstanceLock>,
    events: broadcast::Sender<JobEvent>,
}

impl Daemon {
    /// A daemon that will run `parts`. With the scheduler on SQLite it takes the
    /// database for itself first, and fails when another daemon has it.
    pub fn new(
        store: Store,
        config: Config,
        clock: Arc<dyn Clock>,
        parts: Parts,
    ) -> Result<Daemon, InstanceLockError> {
        let instance = instance_name();
        let instance_lock = match parts {
            Parts::All => store.lock_instance(&instance)?,
            Parts::WebOnly => None,
        };
        Ok(Daemon {
            started_at: clock.now(),
            store,
            config,
            clock,
            parts,
            instance,
            _instance_lock: instance_lock,
            events: broadcast::Sender::new(256),
        })
    }

    /// The job runs that end from now on.
    pub fn events(&self) -> broadcast::Receiver<JobEvent> {
        self.events.subscribe()
    }

    /// Serves the web on `listener` (if given) and runs the jobs (for `Parts::All`) until
    /// `shutdown` completes; then stops as the module says.
    pub async fn run(
        self,
        listener: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let queued_mail = Arc::new(Notify::new());
        let store = self.store.notifying_queued_mail(Arc::clone(&queued_mail));
        let switch = StopSwitch::new();
        let mut tasks = JoinSet::new();
        if let Some(listener) = listener {
            tasks.spawn(serve_web(
                store.clone(),
                self.config.clone(),
                Arc::clone(&self.clock),
                listener,
                switch.signal(),
            ));
        }
        if self.parts == Parts::All {
            if store.backend() == Backend::Sqlite {
                // This daemon holds the database alone: a claim is left by one that died.
                let mut transaction = store.begin().await?;
                let released = transaction.release_all_outbox_claims().await?;
                transaction.commit().await?;
                if released > 0 {
                    tracing::info!(
                        released,
                        "took back outbox messages claimed by a daemon that stopped"
                    );
                }
            }
            let transport = Transport::from_settings(
                &self.config.mail.outbound,
                mail::extra_root_certificate().as_deref(),
            )?;
            let scheduler = Arc::new(Scheduler {
                context: JobContext {
                    rules: MailRules::from_config(&self.config),
                    introductions: IntroductionSettings::from_config(&self.config),
                    store,
                    config: self.config.clone(),
                    transport,
                },
                clock: Arc::clone(&self.clock),
                instance: self.instance.clone(),
                events: self.events.clone(),
                queued_mail,
                sqlite_turns: (self.store.backend() == Backend::Sqlite).then(|| Mutex::new(())),
            });
            for job in Job::ALL {
                if let Some(schedule) = job.schedule(&self.config.schedule) {
                    tasks.spawn(Arc::clone(&scheduler).job_loop(
                        job,
                        schedule.clone(),
                        self.started_at,
                        switch.signal(),
                    ));
                }
            }
            tracing::info!(instance = %scheduler.instance, "the scheduler runs");
        }
        let mut failure = None;
        tokio::select! {
            () = shutdown => tracing::info!("stopping: no new work; waiting for the running jobs"),
            Some(ended) = tasks.join_next() => failure = Some(ended),
        }
        switch.stop();
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while let Some(ended) = tasks.join_next().await {
                if failure.is_none() {
                    failure = Some(ended);
                }
            }
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                grace_seconds = SHUTDOWN_GRACE.as_secs(),
                "jobs still running after the grace period are stopped; the next start takes up their work"
            );
            tasks.abort_all();
        }
        match failure {
            Some(Ok(Err(error))) => Err(error),
            Some(Err(panic)) => Err(anyhow::anyhow!("a task of the daemon failed: {panic}")),
            Some(Ok(Ok(()))) | None => Ok(()),
        }
    }
}

/// Whether a run's counts hold any number but zero.
fn did_something(counts: &serde_json::Value) -> bool {
    match counts {
        serde_json::Value::Number(number) => number.as_f64() != Some(0.0),
        serde_json::Value::Object(fields) => fields.values().any(did_something),
        serde_json::Value::Array(items) => items.iter().any(did_something),
        _ => false,
    }
}

/// `host:pid`, naming the daemon in job runs and in the SQLite lock file.
fn instance_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}

async fn serve_web(
    store: Store,
    config: Config,
    clock: Arc<dyn Clock>,
    listener: TcpListener,
    mut stop: StopSignal,
) -> anyhow::Result<()> {
    let expiry_store = store.clone();
    let expiry_clock = Arc::clone(&clock);
    let expiry = tokio::spawn(async move {
        let mut interval = tokio::time::interval(EXPIRY_INTERVAL);
        loop {
            interval.tick().await;
            match web::expire_unconfirmed(&expiry_store, expiry_clock.now()).await {
                Ok(0) => {}
                Ok(expired) => tracing::info!(expired, "unconfirmed web submissions expired"),
                Err(error) => tracing::error!(%error, "cannot expire unconfirmed submissions"),
            }
        }
    });
    let web_clock: web::Clock = Arc::new(move || clock.now());
    let app = web::WebApp::new(store, &config, web_clock);
    let served = app
        .serve(listener, async move { stop.stopped().await })
        .await;
    expiry.abort();
    served.context("the web server stopped")
}

struct Scheduler {
    context: JobContext,
    clock: Arc<dyn Clock>,
    instance: String,
    events: broadcast::Sender<JobEvent>,
    queued_mail: Arc<Notify>,
    /// On SQLite the jobs take turns, so that none waits out SQLite's busy timeout
    /// behind another's long transaction.
    sqlite_turns: Option<Mutex<()>>,
}

impl Scheduler {
    async fn job_loop(
        self: Arc<Self>,
        job: Job,
        schedule: cron::Schedule,
        started_at: DateTime<Utc>,
        mut stop: StopSignal,
    ) -> anyhow::Result<()> {
        let timezone = self.context.config.timezone;
        match self.context.store.last_finished_slot(job.name()).await {
            Ok((last_finished_slot, ever_ran)) => {
                let history = RunHistory {
                    last_finished_slot,
                    ever_ran,
                };
                if let Some(slot) = catch_up_slot(&schedule, timezone, history, started_at) {
                    self.run(job, Some(slot), JobTrigger::CatchUp, &stop).await;
                }
            }
            Err(error) => tracing::error!(%job, %error, "cannot read past runs; no catch-up"),
        }
        if job == Job::DeliverMail {
            self.run(job, None, JobTrigger::Start, &stop).await;
        }
        let mut after = started_at;
        while !stop.is_stopping() {
            let Some(slot) = next_slot(&schedule, timezone, after) else {
                tracing::info!(%job, "the schedule names no later time; the job will not run again");
                break;
            };
            tokio::select! {
                () = self.clock.sleep_until(slot) => {
                    self.run(job, Some(slot), JobTrigger::Schedule, &stop).await;
                    // Times that passed during the run are skipped, not run in a burst.
                    after = slot.max(self.clock.now());
                }
                () = self.queued_mail.notified(), if job == Job::DeliverMail => {
                    self.run(job, None, JobTrigger::MailQueued, &stop).await;
                }
                () = stop.stopped() => break,
            }
        }
        Ok(())
    }

    /// One run of `job`, recorded; a failure is logged and recorded, never ends the loop.
    async fn run(
        &self,
        job: Job,
        slot: Option<DateTime<Utc>>,
        trigger: JobTrigger,
        stop: &StopSignal,
    ) {
        if stop.is_stopping() {
            return;
        }
        let _turn = match &self.sqlite_turns {
            Some(turns) => Some(turns.lock().await),
            None => None,
        };
        if let Err(error) = self.run_locked(job, slot, trigger, stop).await {
            tracing::error!(%job, error = format!("{error:#}"), "cannot run the job");
        }
    }

    async fn run_locked(
        &self,
        job: Job,
        slot: Option<DateTime<Utc>>,
        trigger: JobTrigger,
        stop: &StopSignal,
    ) -> anyhow::Result<()> {
        let store = &self.context.store;
        let Some(lock) = store.try_lock_job(job.name()).await? else {
            tracing::debug!(%job, "another replica is running the job");
            return Ok(());
        };
        let started_at = self.clock.now();
        let mut transaction = store.begin().await?;
        let interrupted = transaction
            .mark_interrupted_runs(job.name(), started_at)
            .await?;
        let run = transaction
            .start_job_run(&NewJobRun {
                job: job.name(),
                slot,
                trigger,
                instance: &self.instance,
                started_at,
            })
            .await?;
        transaction.commit().await?;
        if interrupted > 0 {
            tracing::warn!(%job, interrupted, "earlier runs of the job ended with their process");
        }
        let Some(run) = run else {
            tracing::debug!(%job, ?slot, "another replica ran the job for this time");
            return lock.release().await.map_err(Into::into);
        };
        tracing::debug!(%job, trigger = trigger.value(), ?slot, "job started");
        let elapsed = std::time::Instant::now();
        let result = self.context.run(job, slot, started_at, stop).await;
        let (outcome, counts, error) = match result {
            Ok(counts) => (JobOutcome::Succeeded, counts, None),
            Err(error) => (
                JobOutcome::Failed,
                serde_json::json!({}),
                Some(format!("{error:#}")),
            ),
        };
        let mut transaction = store.begin().await?;
        transaction
            .finish_job_run(run, outcome, self.clock.now(), &counts, error.as_deref())
            .await?;
        transaction.commit().await?;
        lock.release().await?;
        let elapsed_ms = elapsed.elapsed().as_millis();
        match &error {
            // Runs that found nothing to do (most runs of fetch and delivery) stay quiet.
            None if did_something(&counts) => {
                tracing::info!(%job, %counts, elapsed_ms, "job succeeded")
            }
            None => tracing::debug!(%job, elapsed_ms, "job succeeded with nothing to do"),
            Some(error) => tracing::error!(%job, %error, elapsed_ms, "job failed"),
        }
        // Nobody listening is fine: events are for watchers.
        let _ = self.events.send(JobEvent {
            job,
            trigger,
            slot,
            outcome,
            counts,
        });
        Ok(())
    }
}
