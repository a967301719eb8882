//! What each job does when it runs: the same work as its command (`fetch`, `send`,
//! `round`, `remind`, `renew`, `call`, `report --email`, `purge`), told when the run
//! started and when a stop is asked for. Each returns its counts for the run's record.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::schedule::Job;
use crate::config::Config;
use crate::introductions::{IntroductionSettings, remind};
use crate::mail::{self, MailRules, Transport};
use crate::outreach::{self, CallMode};
use crate::personal_data::{self, Mode};
use crate::report::ReportMonth;
use crate::report_mail;
use crate::round::{RoundMode, run_round};
use crate::stop::StopSignal;
use crate::store::Store;

/// Job runs are kept this long (the latest scheduled run of each job stays, for
/// catching up).
const JOB_RUNS_KEPT: Duration = Duration::days(90);

/// What the jobs share for the daemon's lifetime.
pub(super) struct JobContext {
    pub(super) store: Store,
    pub(super) config: Config,
    pub(super) rules: MailRules,
    pub(super) introductions: IntroductionSettings,
    pub(super) transport: Transport,
}

impl JobContext {
    /// Runs `job` as started at `now`, for the scheduled time `slot` when it has one.
    pub(super) async fn run(
        &self,
        job: Job,
        slot: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        stop: &StopSignal,
    ) -> anyhow::Result<Value> {
        let config = &self.config;
        let today = now.with_timezone(&config.timezone).date_naive();
        match job {
            Job::FetchMail => self.fetch_mail(stop).await,
            Job::DeliverMail => {
                let report = mail::deliver_outbox(
                    &self.store,
                    &self.transport,
                    &config.mail.name,
                    &config.mail.address,
                    now,
                    stop,
                    &indicatif::ProgressBar::hidden(),
                )
                .await?;
                Ok(serde_json::to_value(report)?)
            }
            Job::MatchingRound => {
                let report = run_round(
                    &self.store,
                    &config.matching,
                    &self.introductions,
                    now,
                    today,
                    RoundMode::Record,
                )
                .await?;
                Ok(json!({
                    "round": report.stored.as_ref().map(|stored| stored.round.to_string()),
                    "offers": report.plan.offers,
                    "requests": report.plan.requests,
                    "candidates": report.plan.candidates.len(),
                    "introductions": report.plan.introductions.len(),
                }))
            }
            Job::Reminders => {
                let report = remind(&self.store, &self.introductions, now, today).await?;
                Ok(serde_json::to_value(report)?)
            }
            Job::Renewals => {
                let report =
                    outreach::renew(&self.store, &self.rules, &config.outreach, now, today).await?;
                Ok(serde_json::to_value(report)?)
            }
            Job::Call => {
                let report = outreach::call_for_next_round(
                    &self.store,
                    config,
                    Vec::new(),
                    CallMode::Send,
                    now,
                )
                .await?;
                Ok(json!({
                    "round_date": report.round_date,
                    "recipients": report.recipients,
                    "queued": report.queued,
                    "already_called": report.already_called,
                    "unsubscribed": report.unsubscribed,
                    "undeliverable": report.undeliverable.len(),
                }))
            }
            Job::MonthlyReport => self.monthly_report(slot.unwrap_or(now), now).await,
            Job::Purge => {
                let purged =
                    personal_data::purge(&self.store, &config.retention.periods, now, Mode::Apply)
                        .await?;
                let mut transaction = self.store.begin().await?;
                let job_runs = transaction.prune_job_runs(now - JOB_RUNS_KEPT).await?;
                transaction.commit().await?;
                let mut counts = serde_json::to_value(purged)?;
                counts["job_runs_pruned"] = json!(job_runs);
                Ok(counts)
            }
        }
    }

    async fn fetch_mail(&self, stop: &StopSignal) -> anyhow::Result<Value> {
        let mut outcomes: BTreeMap<&'static str, u64> = BTreeMap::new();
        mail::fetch_mailbox(
            &self.store,
            &self.rules,
            &self.config.mail.inbound,
            stop,
            |report| *outcomes.entry(report.outcome.value()).or_default() += 1,
        )
        .await?;
        Ok(serde_json::to_value(outcomes)?)
    }

    /// The report of the month before the one `slot` falls in, written into its folder
    /// and, when the secretariat has addresses, queued to them. A report caught up on
    /// after a restart is the one its missed time would have written.
    async fn monthly_report(
        &self,
        slot: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Value> {
        let config = &self.config;
        let month = ReportMonth::before(slot.with_timezone(&config.timezone).date_naive());
        let dir = config.reports.dir.join(month.to_string());
        let files = report_mail::write_monthly_report(
            &self.store,
            &config.targets,
            month,
            config.reports.definition,
            &dir,
        )
        .await?;
        let emails = if config.mail.secretariat.is_empty() {
            tracing::warn!(
                %month,
                "mail.secretariat lists no address, so the monthly report was written but not emailed"
            );
            0
        } else {
            report_mail::queue_report_email(&self.store, &files, &config.mail, now)
                .await?
                .iter()
                .filter(|mail| mail.queued)
                .count()
        };
        Ok(json!({
            "month": month.to_string(),
            "files": files.written.len(),
            "emails_queued": emails,
        }))
    }
}
