//! The daemon: in this process with a clock the test moves (catch-up, schedules, mail
//! delivered when it is queued), and as `mobmatch serve` processes (`process.rs`: one
//! daemon per SQLite database, SIGTERM, SIGKILL at random moments, two replicas on
//! PostgreSQL).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use mobmatch::config::Config;
use mobmatch::daemon::{Daemon, Job, JobEvent, ManualClock, Parts};
use mobmatch::store::{JobOutcome, JobTrigger, NewJobRun, Store};
use tokio::sync::{broadcast, oneshot};

use crate::support::TestDatabase;

mod process;

/// A schedule that names no time these tests reach.
const NEVER: &str = "0 0 0 1 1 * 2099";

/// How long a test waits for a job run it expects before it fails.
const EVENT_DEADLINE: Duration = Duration::from_secs(120);

fn brussels(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono_tz::Europe::Brussels
        .with_ymd_and_hms(year, month, day, hour, minute, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// The defaults, with the folders in `folder`, a secretariat address, and every job
/// never running unless `schedules` (`(job, cron)`) says otherwise.
fn config(database: &TestDatabase, folder: &Path, schedules: &[(Job, &str)]) -> Config {
    let mut variables = vec![
        (
            "MOBMATCH_SECRET".to_owned(),
            "daemon test secret".to_owned(),
        ),
        (
            "MOBMATCH_MAIL__SECRETARIAT".to_owned(),
            "[\"secretariat@earlall.example\"]".to_owned(),
        ),
        (
            "MOBMATCH_MAIL__INBOUND__MAILDIR".to_owned(),
            folder.join("inbox").display().to_string(),
        ),
        (
            "MOBMATCH_MAIL__OUTBOUND__DIR".to_owned(),
            folder.join("outbox").display().to_string(),
        ),
        (
            "MOBMATCH_REPORTS__DIR".to_owned(),
            folder.join("reports").display().to_string(),
        ),
    ];
    for job in Job::ALL {
        let schedule = schedules
            .iter()
            .find(|(scheduled, _)| *scheduled == job)
            .map_or(NEVER, |(_, schedule)| schedule);
        variables.push((
            format!("MOBMATCH_SCHEDULE__{}", job.name().to_uppercase()),
            schedule.to_owned(),
        ));
    }
    Config::from_sources(None, variables)
        .unwrap()
        .with_database_url(database.url())
        .unwrap()
}

struct Running {
    events: broadcast::Receiver<JobEvent>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

fn start(store: &Store, config: &Config, clock: &Arc<ManualClock>) -> Running {
    let clock: Arc<dyn mobmatch::daemon::Clock> = clock.clone();
    let daemon = Daemon::new(store.clone(), config.clone(), clock, Parts::All).unwrap();
    let events = daemon.events();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(daemon.run(None, async {
        let _ = stopped.await;
    }));
    Running { events, stop, task }
}

impl Running {
    /// The next job run to end that `wanted` accepts; the others are passed over.
    async fn next(&mut self, wanted: impl Fn(&JobEvent) -> bool) -> JobEvent {
        tokio::time::timeout(EVENT_DEADLINE, async {
            loop {
                let event = self.events.recv().await.expect("the daemon is running");
                if wanted(&event) {
                    return event;
                }
            }
        })
        .await
        .expect("the expected job run ended in time")
    }

    async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap().unwrap();
    }
}

/// Records a run of `job` for `slot` as a daemon that ran before would have.
async fn record_run(store: &Store, job: Job, slot: DateTime<Utc>, outcome: JobOutcome) {
    let mut transaction = store.begin().await.unwrap();
    let run = transaction
        .start_job_run(&NewJobRun {
            job: job.name(),
            slot: Some(slot),
            trigger: JobTrigger::Schedule,
            instance: "earlier:1",
            started_at: slot,
        })
        .await
        .unwrap()
        .unwrap();
    if outcome != JobOutcome::Running {
        transaction
            .finish_job_run(run, outcome, slot, &serde_json::json!({}), None)
            .await
            .unwrap();
    }
    transaction.commit().await.unwrap();
}

fn eml_files(folder: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect()
}

on_both_backends!(
    a_monthly_report_missed_while_down_is_written_and_emailed_once,
    |database| {
        let folder = tempfile::tempdir().unwrap();
        let store = database.connect().await;
        let config = config(
            &database,
            folder.path(),
            &[
                (Job::MonthlyReport, "0 0 7 1 * *"),
                (Job::DeliverMail, "*/30 * * * * *"),
            ],
        );
        record_run(
            &store,
            Job::MonthlyReport,
            brussels(2026, 10, 1, 7, 0),
            JobOutcome::Succeeded,
        )
        .await;
        let down_until = brussels(2026, 11, 3, 10, 0);
        let clock = Arc::new(ManualClock::new(down_until));

        let mut daemon = start(&store, &config, &clock);
        let report = daemon.next(|event| event.job == Job::MonthlyReport).await;
        assert_eq!(report.trigger, JobTrigger::CatchUp);
        assert_eq!(report.slot, Some(brussels(2026, 11, 1, 7, 0)));
        assert_eq!(report.outcome, JobOutcome::Succeeded, "{:?}", report.counts);
        assert_eq!(report.counts["month"], "2026-10");
        assert_eq!(report.counts["emails_queued"], 1);
        assert!(folder.path().join("reports/2026-10/summary.html").is_file());
        // Delivered without waiting for the clock to reach the next delivery time.
        daemon
            .next(|event| event.job == Job::DeliverMail && event.counts["sent"] == 1)
            .await;
        let sent = eml_files(&folder.path().join("outbox"));
        assert_eq!(sent.len(), 1);
        assert!(sent[0].contains("Mobility monitoring report, October 2026"));

        clock.set(down_until + chrono::Duration::seconds(30));
        let delivery = daemon
            .next(|event| event.job == Job::DeliverMail && event.trigger == JobTrigger::Schedule)
            .await;
        assert_eq!(
            delivery.slot,
            Some(down_until + chrono::Duration::seconds(30))
        );
        daemon.stop().await;

        // Started again, nothing is caught up twice; the next report comes on time.
        let mut daemon = start(&store, &config, &clock);
        clock.set(brussels(2026, 12, 1, 7, 0));
        let december = daemon.next(|event| event.job == Job::MonthlyReport).await;
        assert_eq!(december.trigger, JobTrigger::Schedule);
        assert_eq!(december.counts["month"], "2026-11");
        daemon
            .next(|event| event.job == Job::DeliverMail && event.counts["sent"] == 1)
            .await;
        daemon.stop().await;
        let runs = store
            .job_runs(Some(Job::MonthlyReport.name()), 10)
            .await
            .unwrap();
        let slots: Vec<_> = runs.iter().map(|run| run.slot.unwrap()).collect();
        assert_eq!(
            slots,
            [
                brussels(2026, 12, 1, 7, 0),
                brussels(2026, 11, 1, 7, 0),
                brussels(2026, 10, 1, 7, 0)
            ]
        );
        assert!(runs.iter().all(|run| run.outcome == JobOutcome::Succeeded));
        assert_eq!(eml_files(&folder.path().join("outbox")).len(), 2);
    }
);

on_both_backends!(
    a_round_whose_daemon_died_runs_again_for_its_time,
    |database| {
        let folder = tempfile::tempdir().unwrap();
        let store = database.connect().await;
        let config = config(
            &database,
            folder.path(),
            &[(Job::MatchingRound, "0 0 8 * * Mon")],
        );
        let monday = brussels(2026, 11, 2, 8, 0);
        record_run(&store, Job::MatchingRound, monday, JobOutcome::Running).await;
        let clock = Arc::new(ManualClock::new(brussels(2026, 11, 3, 10, 0)));

        let mut daemon = start(&store, &config, &clock);
        let round = daemon.next(|event| event.job == Job::MatchingRound).await;
        daemon.stop().await;
        assert_eq!(round.trigger, JobTrigger::CatchUp);
        assert_eq!(round.slot, Some(monday));
        assert_eq!(round.outcome, JobOutcome::Succeeded);
        let runs = store
            .job_runs(Some(Job::MatchingRound.name()), 10)
            .await
            .unwrap();
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert_eq!(runs[0].trigger, JobTrigger::CatchUp);
        assert_eq!(runs[0].outcome, JobOutcome::Succeeded);
        assert_eq!(store.rounds().await.unwrap().len(), 1);
    }
);

on_both_backends!(
    an_answer_queued_by_a_fetch_is_delivered_without_waiting_for_its_schedule,
    |database| {
        let folder = tempfile::tempdir().unwrap();
        let store = database.connect().await;
        let config = config(&database, folder.path(), &[(Job::FetchMail, "0 * * * * *")]);
        let inbox = folder.path().join("inbox");
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(inbox.join(sub)).unwrap();
        }
        std::fs::write(
            inbox.join("new/1.eml"),
            crate::mail::submission_email(
                "daemon-1@school.example",
                "anna@school.example",
                "Skola",
            ),
        )
        .unwrap();
        // Ingestion stamps what it writes with the system clock, so this clock starts there.
        let start_time = Utc::now();
        let clock = Arc::new(ManualClock::new(start_time));

        let mut daemon = start(&store, &config, &clock);
        daemon
            .next(|event| event.job == Job::DeliverMail && event.trigger == JobTrigger::Start)
            .await;
        clock.set(start_time + chrono::Duration::minutes(1));
        let fetched = daemon.next(|event| event.job == Job::FetchMail).await;
        assert_eq!(fetched.counts["accepted"], 1, "{:?}", fetched.counts);
        let delivered = daemon.next(|event| event.job == Job::DeliverMail).await;
        daemon.stop().await;
        assert_eq!(delivered.trigger, JobTrigger::MailQueued);
        assert_eq!(delivered.counts["sent"], 1);
        let sent = eml_files(&folder.path().join("outbox"));
        assert_eq!(sent.len(), 1);
        assert!(sent[0].contains("anna@school.example"));
    }
);

/// A command takes its job's lock as a replica does: it refuses while one runs the job.
#[tokio::test]
async fn fetch_refuses_while_a_replica_fetches_on_postgresql() {
    let database = TestDatabase::postgres().await;
    let store = database.connect().await;
    let folder = tempfile::tempdir().unwrap();
    let fetch = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
            .current_dir(folder.path())
            .args(["--database-url", database.url(), "fetch"])
            .output()
            .unwrap()
    };
    let lock = store
        .try_lock_job(Job::FetchMail.name())
        .await
        .unwrap()
        .unwrap();
    let refused = fetch();
    let message = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{message}");
    assert!(
        message.contains("running fetch_mail on this database right now"),
        "{message}"
    );
    lock.release().await.unwrap();
    let fetched = fetch();
    assert!(
        fetched.status.success(),
        "{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
}

on_both_backends!(
    pruning_keeps_recent_runs_and_each_jobs_latest_scheduled_run,
    |database| {
        let store = database.connect().await;
        let old = brussels(2026, 1, 5, 9, 0);
        record_run(&store, Job::MonthlyReport, old, JobOutcome::Succeeded).await;
        record_run(&store, Job::FetchMail, old, JobOutcome::Succeeded).await;
        let recent = brussels(2026, 11, 2, 9, 0);
        record_run(&store, Job::FetchMail, recent, JobOutcome::Failed).await;

        let mut transaction = store.begin().await.unwrap();
        let pruned = transaction
            .prune_job_runs(brussels(2026, 8, 1, 0, 0))
            .await
            .unwrap();
        transaction.commit().await.unwrap();

        assert_eq!(pruned, 1, "only fetch_mail's old run goes");
        let kept: Vec<(String, DateTime<Utc>)> = store
            .job_runs(None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|run| (run.job, run.slot.unwrap()))
            .collect();
        assert_eq!(
            kept,
            [
                ("fetch_mail".to_owned(), recent),
                ("monthly_report".to_owned(), old)
            ]
        );
    }
);
