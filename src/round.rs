//! A matching round as the shell runs it: read the open submissions and the earlier
//! introductions, plan the round with the pure `matching` module, and record the round,
//! its introductions and the introduction emails to both sides of each in one
//! transaction, or, in a dry run, record nothing.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{
    Introduction, IntroductionId, IntroductionStatus, RoundId, Submission, SubmissionId,
    SubmissionStatus,
};
use crate::introductions::{IntroductionSettings, introduce};
use crate::mail::letters::Parties;
use crate::matching::{MatchingSettings, RoundPlan, plan_round};
use crate::store::{NewIntroduction, NewRound, Store, StoreError, SubmissionFilter};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoundMode {
    Record,
    /// Plans the round and writes nothing.
    DryRun,
}

/// What a round did.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundReport {
    pub started_at: DateTime<Utc>,
    /// Reading the submissions and planning, before anything is written.
    pub duration_ms: u64,
    /// The settings and the day the round ran with, as recorded.
    pub parameters: serde_json::Value,
    pub plan: RoundPlan,
    /// The round's reference and its introductions' (in the plan's order); `None` in a
    /// dry run.
    pub stored: Option<StoredRound>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredRound {
    pub round: RoundId,
    pub introductions: Vec<IntroductionId>,
}

/// Runs a round over the submissions open on `today`. Each introduction is stored and,
/// in the same transaction, its emails to both sides are queued, which makes it
/// `introduced`.
pub async fn run_round(
    store: &Store,
    settings: &MatchingSettings,
    introductions: &IntroductionSettings,
    started_at: DateTime<Utc>,
    today: NaiveDate,
    mode: RoundMode,
) -> Result<RoundReport, StoreError> {
    let clock = Instant::now();
    let submissions = store
        .submissions(&SubmissionFilter {
            status: Some(SubmissionStatus::Open),
            window_ends_on_or_after: Some(today),
            ..SubmissionFilter::default()
        })
        .await?;
    let introduced = store.introduced_pairs_among_open().await?;
    let loaded_ms = clock.elapsed().as_millis();
    let plan = plan_round(&submissions, &introduced, settings, today);
    let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    let parameters = serde_json::json!({ "today": today, "matching": settings });
    let stored = match mode {
        RoundMode::DryRun => None,
        RoundMode::Record => {
            let recorded = Recorded {
                plan: &plan,
                parameters: &parameters,
                submissions: &submissions,
                started_at,
                duration_ms,
            };
            Some(record(store, introductions, recorded).await?)
        }
    };
    tracing::info!(
        offers = plan.offers,
        requests = plan.requests,
        candidates = plan.candidates.len(),
        introductions = plan.introductions.len(),
        loaded_ms,
        planned_ms = duration_ms,
        total_ms = clock.elapsed().as_millis(),
        dry_run = stored.is_none(),
        "matching round"
    );
    Ok(RoundReport {
        started_at,
        duration_ms,
        parameters,
        plan,
        stored,
    })
}

/// What a recorded round writes.
struct Recorded<'a> {
    plan: &'a RoundPlan,
    parameters: &'a serde_json::Value,
    submissions: &'a [Submission],
    started_at: DateTime<Utc>,
    duration_ms: u64,
}

async fn record(
    store: &Store,
    settings: &IntroductionSettings,
    recorded: Recorded<'_>,
) -> Result<StoredRound, StoreError> {
    let Recorded {
        plan,
        parameters,
        submissions,
        started_at,
        duration_ms,
    } = recorded;
    let by_id: HashMap<SubmissionId, &Submission> = submissions
        .iter()
        .map(|submission| (submission.id, submission))
        .collect();
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut transaction = store.begin().await?;
    let round = transaction
        .insert_round(&NewRound {
            started_at,
            duration_ms,
            parameters: parameters.clone(),
            offers: count(plan.offers),
            requests: count(plan.requests),
            candidates: count(plan.candidates.len()),
            introductions: count(plan.introductions.len()),
            total_score: plan.total_score(),
        })
        .await?;
    let mut introductions = Vec::with_capacity(plan.introductions.len());
    for planned in &plan.introductions {
        let new = NewIntroduction {
            round,
            offer: planned.offer,
            request: planned.request,
            score: planned.score.points(),
            reasons: planned.reasons.clone(),
            status: IntroductionStatus::Proposed,
            created_at: started_at,
        };
        let id = transaction.insert_introduction(&new).await?;
        let introduction = Introduction {
            id,
            round,
            offer: new.offer,
            request: new.request,
            score: new.score,
            reasons: new.reasons,
            status: new.status,
            host_answer: None,
            sender_answer: None,
            created_at: started_at,
        };
        let parties = Parties {
            introduction: &introduction,
            offer: by_id[&planned.offer],
            request: by_id[&planned.request],
        };
        introduce(&mut transaction, settings, parties, started_at).await?;
        introductions.push(id);
    }
    transaction.commit().await?;
    Ok(StoredRound {
        round,
        introductions,
    })
}
