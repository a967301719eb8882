//! Matching rounds against real databases: what a round reads, what it records in one
//! transaction, what a dry run leaves alone, and the `round` command's JSON.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use mobmatch::domain::{
    DateWindow, DurationRange, IntroductionStatus, IscedField, Region, SubmissionDetails,
    SubmissionId, SubmissionStatus,
};
use mobmatch::matching::MatchingSettings;
use mobmatch::round::{RoundMode, RoundReport, run_round};
use mobmatch::store::{IntroductionFilter, Store};
use serde_json::Value;

use crate::store::{basque_offer, insert_submission, organisation, swedish_request};

fn started_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 4, 8, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    started_at().date_naive()
}

fn window(start: &str, end: &str) -> DateWindow {
    DateWindow::new(start.parse().unwrap(), end.parse().unwrap()).unwrap()
}

/// A Helsinki school sending two VET learners in 0713 in May and June.
fn finnish_request(name: &str) -> SubmissionDetails {
    SubmissionDetails {
        organisation: organisation(name, &format!("{}@fi.example", name.len()), "FI1B"),
        fields: vec![IscedField::parse("0713").unwrap()],
        participants: 2,
        fewer_opportunities: 0,
        window: window("2027-05-01", "2027-06-15"),
        duration: DurationRange::new(10, 20).unwrap(),
        ..swedish_request()
    }
}

/// TKNIKA's offer (S-1) with the Swedish (S-2) and Finnish (S-3) requests it can meet,
/// a Spanish request it may not (same country, S-4) and one whose window has ended (S-5).
async fn plant_submissions(store: &Store) {
    let open = SubmissionStatus::Open;
    insert_submission(store, &basque_offer(), open).await;
    insert_submission(store, &swedish_request(), open).await;
    insert_submission(store, &finnish_request("Stadin ammattiopisto"), open).await;
    let spanish = SubmissionDetails {
        organisation: organisation("CIFP Bilbao", "cifp@bilbao.example", "ES30"),
        ..swedish_request()
    };
    insert_submission(store, &spanish, open).await;
    let ended = SubmissionDetails {
        organisation: organisation("Ended", "ended@fi.example", "FI1C"),
        window: window("2026-11-01", "2027-01-03"),
        duration: DurationRange::new(5, 14).unwrap(),
        ..finnish_request("Ended")
    };
    insert_submission(store, &ended, open).await;
}

async fn round(store: &Store, mode: RoundMode) -> RoundReport {
    run_round(
        store,
        &MatchingSettings::default(),
        &crate::introductions::settings(),
        started_at(),
        today(),
        mode,
    )
    .await
    .unwrap()
}

fn planned_pairs(report: &RoundReport) -> Vec<(i64, i64, f64)> {
    report
        .plan
        .introductions
        .iter()
        .map(|i| (i.offer.get(), i.request.get(), i.score.points()))
        .collect()
}

on_both_backends!(
    a_round_records_its_introductions_and_their_emails_in_one_go,
    |database| {
        let store = database.connect().await;
        plant_submissions(&store).await;

        let report = round(&store, RoundMode::Record).await;
        assert_eq!((report.plan.offers, report.plan.requests), (1, 3));
        assert_eq!(report.plan.candidates.len(), 2);
        // S-2: field 07 ⊃ 0713 (10), dates (25), capacity (25), inclusion (10), Sweden
        // named by the host (5). S-3: 0713 on both sides (30) and the rest as S-2.
        assert_eq!(planned_pairs(&report), [(1, 2, 75.0), (1, 3, 95.0)]);

        let rounds = store.rounds().await.unwrap();
        assert_eq!(rounds.len(), 1);
        let stored_round = &rounds[0];
        assert_eq!(
            Some(stored_round.id),
            report.stored.as_ref().map(|s| s.round)
        );
        assert_eq!(
            (
                stored_round.offers,
                stored_round.requests,
                stored_round.candidates,
                stored_round.introductions,
                stored_round.total_score,
                stored_round.started_at
            ),
            (1, 3, 2, 2, 170.0, started_at())
        );
        assert_eq!(stored_round.parameters["today"], "2027-01-04");
        assert_eq!(
            stored_round.parameters["matching"]["max_introductions_per_offer"],
            2
        );

        let introductions = store
            .introductions(&IntroductionFilter::default())
            .await
            .unwrap();
        assert_eq!(introductions.len(), 2);
        assert_eq!(
            introductions.iter().map(|i| i.id).collect::<Vec<_>>(),
            report.stored.unwrap().introductions
        );
        let swedish = &introductions[0];
        assert_eq!(
            (swedish.round, swedish.status, swedish.score),
            (stored_round.id, IntroductionStatus::Introduced, 75.0)
        );
        // Each introduction went out to both sides in the round's transaction.
        assert_eq!(store.outbox(None).await.unwrap().len(), 4);
        assert_eq!(
            swedish.reasons,
            [
                "0713 Electricity and energy is part of 07 Engineering, manufacturing and construction",
                "the dates in common (45 days) fit the longest stay asked for (14 days)",
                "the host can take all 3 participants",
                "the host gives inclusion support for the 2 participants with fewer opportunities",
                "the host named Sweden as a preferred partner country",
            ]
        );
    }
);

on_both_backends!(
    later_rounds_never_repeat_a_pair_and_wait_for_answers,
    |database| {
        let store = database.connect().await;
        plant_submissions(&store).await;
        round(&store, RoundMode::Record).await;

        let while_waiting = round(&store, RoundMode::Record).await;
        assert_eq!(
            while_waiting.plan.offers, 0,
            "both of the offer's places wait for answers"
        );
        assert!(while_waiting.plan.introductions.is_empty());

        database
            .execute_behind_the_store("UPDATE introductions SET status = 'declined'")
            .await;
        let after_declines = round(&store, RoundMode::Record).await;
        assert_eq!(after_declines.plan.offers, 1);
        assert!(
            after_declines.plan.candidates.is_empty(),
            "declined pairs are not proposed again"
        );

        let newcomer =
            insert_submission(&store, &finnish_request("Omnia"), SubmissionStatus::Open).await;
        let with_newcomer = round(&store, RoundMode::Record).await;
        assert_eq!(planned_pairs(&with_newcomer), [(1, newcomer.get(), 95.0)]);
        assert_eq!(store.rounds().await.unwrap().len(), 4);
        assert_eq!(
            store
                .introductions(&IntroductionFilter::default())
                .await
                .unwrap()
                .len(),
            3
        );
    }
);

on_both_backends!(a_dry_run_shows_the_round_and_writes_nothing, |database| {
    let store = database.connect().await;
    plant_submissions(&store).await;

    let dry_run = round(&store, RoundMode::DryRun).await;
    assert_eq!(dry_run.stored, None);
    assert!(store.rounds().await.unwrap().is_empty());
    assert!(store.outbox(None).await.unwrap().is_empty());
    assert!(
        store
            .introductions(&IntroductionFilter::default())
            .await
            .unwrap()
            .is_empty()
    );

    let recorded = round(&store, RoundMode::Record).await;
    assert_eq!(recorded.plan, dry_run.plan);
});

/// Runs the binary against `database` and reads the one JSON object it prints.
fn round_command(database: &crate::support::TestDatabase, arguments: &[&str]) -> Value {
    let folder = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
        .args(["--database-url", database.url(), "round", "--json"])
        .args(arguments)
        .current_dir(folder.path())
        .output()
        .expect("mobmatch runs");
    assert!(
        output.status.success(),
        "round {arguments:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

on_both_backends!(the_round_command_prints_the_round_as_json, |database| {
    let store = database.connect().await;
    // The command reads the real clock, so these windows lie ahead of whatever today is.
    let today = Utc::now().date_naive();
    let ahead = |from: u64, to: u64| {
        DateWindow::new(today + Days::new(from), today + Days::new(to)).unwrap()
    };
    let offer = SubmissionDetails {
        window: ahead(30, 150),
        ..basque_offer()
    };
    let request = SubmissionDetails {
        window: ahead(40, 90),
        ..swedish_request()
    };
    let same_country = SubmissionDetails {
        organisation: organisation("Sender in Spain", "es@example.org", "ES30"),
        window: ahead(40, 90),
        ..swedish_request()
    };
    let open = SubmissionStatus::Open;
    let offer = insert_submission(&store, &offer, open).await;
    let request = insert_submission(&store, &request, open).await;
    insert_submission(&store, &same_country, open).await;
    assert_eq!(Region::parse("ES30").unwrap().country().code(), "ES");

    let dry_run = round_command(&database, &["--dry-run", "--candidates"]);
    assert_eq!(dry_run["round"]["dry_run"], true);
    assert_eq!(dry_run["round"]["reference"], Value::Null);
    assert_eq!(
        (
            &dry_run["round"]["offers"],
            &dry_run["round"]["requests"],
            &dry_run["round"]["candidates"],
            &dry_run["round"]["introductions"],
            &dry_run["round"]["total_score"]
        ),
        (&1.into(), &2.into(), &1.into(), &1.into(), &75.0.into())
    );
    let introduction = &dry_run["introductions"][0];
    assert_eq!(introduction["offer"], offer.to_string());
    assert_eq!(introduction["request"], request.to_string());
    assert_eq!(introduction["score"], 75.0);
    assert_eq!(introduction["reasons"].as_array().unwrap().len(), 5);
    assert_eq!(
        dry_run["candidates"],
        serde_json::json!([{"offer": offer.to_string(), "request": request.to_string(), "score": 75.0}])
    );
    assert!(store.rounds().await.unwrap().is_empty());

    let recorded = round_command(&database, &[]);
    assert_eq!(recorded["round"]["reference"], "R-1");
    assert_eq!(recorded["introductions"][0]["reference"], "I-1");
    assert!(recorded.get("candidates").is_none());
    let stored = store
        .introductions(&IntroductionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        (stored.len(), stored[0].offer, stored[0].request),
        (1, offer, SubmissionId::new(request.get()))
    );
});
