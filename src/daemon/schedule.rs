//! When jobs run, as plain decisions: the jobs and their schedules, the next time a
//! schedule names, and which missed time a job catches up on when the daemon starts.
//! Times are passed in; nothing here reads a clock.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use cron::Schedule;

use crate::config::ScheduleSettings;

/// The daemon's jobs, each named as its `[schedule]` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Job {
    FetchMail,
    DeliverMail,
    MatchingRound,
    Reminders,
    Renewals,
    Call,
    MonthlyReport,
    Purge,
}

impl Job {
    pub const ALL: [Job; 8] = [
        Job::FetchMail,
        Job::DeliverMail,
        Job::MatchingRound,
        Job::Reminders,
        Job::Renewals,
        Job::Call,
        Job::MonthlyReport,
        Job::Purge,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::FetchMail => "fetch_mail",
            Job::DeliverMail => "deliver_mail",
            Job::MatchingRound => "matching_round",
            Job::Reminders => "reminders",
            Job::Renewals => "renewals",
            Job::Call => "call",
            Job::MonthlyReport => "monthly_report",
            Job::Purge => "purge",
        }
    }

    /// Its schedule; `None` for a job configured never to run.
    pub fn schedule(self, schedules: &ScheduleSettings) -> Option<&Schedule> {
        match self {
            Job::FetchMail => Some(&schedules.fetch_mail),
            Job::DeliverMail => Some(&schedules.deliver_mail),
            Job::MatchingRound => Some(&schedules.matching_round),
            Job::Reminders => Some(&schedules.reminders),
            Job::Renewals => Some(&schedules.renewals),
            Job::Call => schedules.call.as_ref(),
            Job::MonthlyReport => Some(&schedules.monthly_report),
            Job::Purge => Some(&schedules.purge),
        }
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// The first time the schedule names after `after` (in `timezone`), if it names any.
pub fn next_slot(schedule: &Schedule, timezone: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    schedule
        .after(&after.with_timezone(&timezone))
        .next()
        .map(|slot| slot.with_timezone(&Utc))
}

/// The last time the schedule named at or before `at`, if it named any.
pub fn latest_slot(schedule: &Schedule, timezone: Tz, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    // Counting back from a second later finds a time at `at` itself; schedules name whole
    // seconds, so the first time found may still be after a fractional `at`.
    let just_after = at + chrono::Duration::seconds(1);
    schedule
        .after(&just_after.with_timezone(&timezone))
        .rev()
        .map(|slot| slot.with_timezone(&Utc))
        .find(|slot| *slot <= at)
}

/// What a job knows of its past runs when the daemon starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunHistory {
    /// The latest scheduled time whose run ended (succeeded or failed).
    pub last_finished_slot: Option<DateTime<Utc>>,
    /// Whether the job ever ran on this database.
    pub ever_ran: bool,
}

/// The missed time a job runs for once, at start: its latest scheduled time, when that
/// passed with no run ending for it (the daemon was down, or died during the run). A job
/// that never ran has nothing to catch up on: its first run is its next scheduled one.
pub fn catch_up_slot(
    schedule: &Schedule,
    timezone: Tz,
    history: RunHistory,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if !history.ever_ran {
        return None;
    }
    let due = latest_slot(schedule, timezone, now)?;
    match history.last_finished_slot {
        Some(finished) if finished >= due => None,
        _ => Some(due),
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::TimeZone;

    use super::*;

    const BRUSSELS: Tz = chrono_tz::Europe::Brussels;

    fn monthly() -> Schedule {
        Schedule::from_str("0 0 7 1 * *").unwrap()
    }

    fn brussels(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        BRUSSELS
            .with_ymd_and_hms(year, month, day, hour, minute, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn slots_are_named_in_the_configured_time_zone() {
        let next = next_slot(&monthly(), BRUSSELS, brussels(2026, 10, 15, 12, 0)).unwrap();
        assert_eq!(next, brussels(2026, 11, 1, 7, 0));
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap());
    }

    #[test]
    fn the_next_slot_is_strictly_after_and_the_latest_at_or_before() {
        let slot = brussels(2026, 11, 1, 7, 0);
        assert_eq!(
            next_slot(&monthly(), BRUSSELS, slot),
            Some(brussels(2026, 12, 1, 7, 0))
        );
        assert_eq!(latest_slot(&monthly(), BRUSSELS, slot), Some(slot));
        assert_eq!(
            latest_slot(
                &monthly(),
                BRUSSELS,
                slot - chrono::Duration::milliseconds(1)
            ),
            Some(brussels(2026, 10, 1, 7, 0))
        );
        assert_eq!(
            latest_slot(
                &monthly(),
                BRUSSELS,
                slot + chrono::Duration::milliseconds(999)
            ),
            Some(slot)
        );
    }

    #[test]
    fn a_missed_monthly_report_is_caught_up_once() {
        let now = brussels(2026, 11, 3, 10, 0);
        let ran_in_october = RunHistory {
            last_finished_slot: Some(brussels(2026, 10, 1, 7, 0)),
            ever_ran: true,
        };
        assert_eq!(
            catch_up_slot(&monthly(), BRUSSELS, ran_in_october, now),
            Some(brussels(2026, 11, 1, 7, 0))
        );
        let ran_in_november = RunHistory {
            last_finished_slot: Some(brussels(2026, 11, 1, 7, 0)),
            ever_ran: true,
        };
        assert_eq!(
            catch_up_slot(&monthly(), BRUSSELS, ran_in_november, now),
            None
        );
    }

    #[test]
    fn a_run_that_never_ended_is_caught_up_and_a_job_that_never_ran_is_not() {
        let now = brussels(2026, 11, 3, 10, 0);
        let died_during_its_only_run = RunHistory {
            last_finished_slot: None,
            ever_ran: true,
        };
        assert_eq!(
            catch_up_slot(&monthly(), BRUSSELS, died_during_its_only_run, now),
            Some(brussels(2026, 11, 1, 7, 0))
        );
        let never_ran = RunHistory {
            last_finished_slot: None,
            ever_ran: false,
        };
        assert_eq!(catch_up_slot(&monthly(), BRUSSELS, never_ran, now), None);
    }

    #[test]
    fn every_job_is_named_as_its_schedule_key() {
        let config = crate::config::Config::load(None).unwrap();
        for job in Job::ALL {
            let expected = job != Job::Call;
            assert_eq!(job.schedule(&config.schedule).is_some(), expected, "{job}");
        }
        let names: std::collections::BTreeSet<&str> =
            Job::ALL.iter().map(|job| job.name()).collect();
        assert_eq!(names.len(), Job::ALL.len());
        let template = include_str!("../../templates/mobmatch.toml");
        for job in Job::ALL {
            assert!(
                template.contains(&format!("\n{} = ", job.name())),
                "templates/mobmatch.toml has no schedule.{job}"
            );
        }
    }
}
