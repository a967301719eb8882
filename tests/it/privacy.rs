//! Data protection on both backends: retention with an injected clock, erasure of a
//! person searched for in every text column the schema has, and the export of everything
//! held about an address.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use mobmatch::config::Config;
use mobmatch::domain::{
    DateWindow, Destination, EmailAddress, IntroductionStatus, MobilityDetails, MobilityStatus,
    MobilityType, Population, Region, Source, SubmissionStatus,
};
use mobmatch::mail::{IngestReport, MailRules, Outcome, ingest_message};
use mobmatch::personal_data::{self, Mode};
use mobmatch::privacy::{PurgeReport, RetentionSettings};
use mobmatch::report::{self, ReportInput};
use mobmatch::store::{
    DeliveryAttempt, DeliveryResult, MobilityFilter, NewIntroduction, NewOutboxMessage, NewRound,
    OutboxStatus, PERSONAL_DATA, PersonalData, Store, SubmissionFilter,
};

use crate::cli::{Workspace, text};
use crate::support::TestDatabase;

const INGRID: &str = "ingrid.halvorsen@gtg.example";
const INGRID_NAME: &str = "Ingrid Halvorsen";

/// The injected clock's first day: whole seconds, which both backends keep exactly.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 1, 10, 9, 0, 0).unwrap()
}

fn rules() -> MailRules {
    crate::support::mail_rules("privacy secret")
}

fn email(from: &str, message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: matchmaking@example.org\r\nSubject: {subject}\r\n\
         Date: Sun, 10 Jan 2027 10:00:00 +0100\r\nMessage-ID: <{message_id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}"
    )
    .into_bytes()
}

fn request_from_ingrid(message_id: &str) -> Vec<u8> {
    email(
        &format!("{INGRID_NAME} <{INGRID}>"),
        message_id,
        "Request",
        "Role: sending\nOrganisation: Göteborgs Tekniska Gymnasium\n\
         Contact name: Ingrid Halvorsen\nContact email: ingrid.halvorsen@gtg.example\n\
         Region: SE23\nMobility type: VET learners\nFields of education: 07\n\
         Participants: 3\nFewer opportunities: 2\nEarliest start: 2027-04-01\n\
         Latest end: 2027-05-15\nDuration in days: 14\nLanguages: en\n\
         Notes: Call Ingrid Halvorsen on +46 31 000 000.\n",
    )
}

fn offer_from_tknika() -> Vec<u8> {
    email(
        "Miren Agirre <miren@tknika.example>",
        "offer-1@tknika.example",
        "Offer",
        "Role: receiving\nOrganisation: TKNIKA\nContact name: Miren Agirre\n\
         Contact email: miren@tknika.example\nRegion: ES21\nMobility type: VET learners\n\
         Fields of education: 0713\nParticipants: 4\nInclusion support: yes\n\
         Earliest start: 2027-03-01\nLatest end: 2027-06-30\nDuration in days: 10-30\n\
         Languages: en, es\n\
         Notes: We met Ingrid Halvorsen (INGRID.HALVORSEN@gtg.example) in Brussels.\n",
    )
}

fn rejected_from_ingrid() -> Vec<u8> {
    email(
        &format!("{INGRID_NAME} <{INGRID}>"),
        "rejected-1@gtg.example",
        "Request",
        "Role: sending\nOrganisation: Göteborgs Tekniska Gymnasium\nRegion: Gothenburg\n",
    )
}

fn report_from_ingrid() -> Vec<u8> {
    email(
        &format!("{INGRID_NAME} <{INGRID}>"),
        "report-1@gtg.example",
        "Mobility report",
        "Sending organisation: Göteborgs Tekniska Gymnasium\nSending region: SE23\n\
         Receiving organisation: TKNIKA\nReceiving region: ES21\nMobility type: VET learners\n\
         Participants: 4\nFewer opportunities: 1\nStart date: 2026-11-02\n\
         End date: 2026-11-20\nStatus: completed\n",
    )
}

async fn ingest(store: &Store, raw: &[u8], now: DateTime<Utc>) -> IngestReport {
    ingest_message(store, &rules(), "test", raw, now)
        .await
        .unwrap()
}

/// What the test created about Ingrid, by reference.
struct Created {
    request: String,
    offer: String,
    introduction: String,
    mobilities: BTreeSet<String>,
}

/// Ingrid's request, a rejected message and a mobility report by email; TKNIKA's offer
/// mentioning her; an introduction of the two with its email and a mobility from it; and
/// population figures, so that the report has rates.
async fn ingrid_and_her_records(store: &Store) -> Created {
    let request = ingest(store, &request_from_ingrid("request-1@gtg.example"), t0()).await;
    assert_eq!(request.outcome, Outcome::Accepted, "{request:?}");
    let offer = ingest(store, &offer_from_tknika(), t0()).await;
    assert_eq!(offer.outcome, Outcome::Accepted, "{offer:?}");
    let rejected = ingest(store, &rejected_from_ingrid(), t0()).await;
    assert_eq!(rejected.outcome, Outcome::Rejected, "{rejected:?}");
    let reported = ingest(store, &report_from_ingrid(), t0()).await;
    assert_eq!(reported.outcome, Outcome::Accepted, "{reported:?}");
    let request_id = mobmatch::domain::SubmissionId::parse(&request.reference.unwrap()).unwrap();
    let offer_id = mobmatch::domain::SubmissionId::parse(&offer.reference.unwrap()).unwrap();

    let mut transaction = store.begin().await.unwrap();
    let round = transaction
        .insert_round(&NewRound {
            started_at: t0(),
            duration_ms: 40,
            parameters: serde_json::json!({}),
            offers: 1,
            requests: 1,
            candidates: 1,
            introductions: 1,
            total_score: 90.0,
        })
        .await
        .unwrap();
    let introduction = transaction
        .insert_introduction(&NewIntroduction {
            round,
            offer: offer_id,
            request: request_id,
            score: 90.0,
            reasons: vec!["fields 0713 and 07 match".to_owned()],
            status: IntroductionStatus::Accepted,
            created_at: t0(),
        })
        .await
        .unwrap();
    transaction
        .enqueue_outbox(&NewOutboxMessage {
            message_id: "<introduction.1@example.org>".to_owned(),
            recipients: vec![
                EmailAddress::parse(INGRID).unwrap(),
                EmailAddress::parse("miren@tknika.example").unwrap(),
            ],
            subject: format!("Introduction {introduction}"),
            body_text: format!(
                "Dear Ingrid Halvorsen and Miren Agirre,\nmeet each other: {INGRID}, miren@tknika.example."
            ),
            body_html: Some(format!("<p>Dear Ingrid Halvorsen and Miren Agirre, {INGRID}</p>")),
            headers: vec![("Auto-Submitted".to_owned(), "auto-generated".to_owned())],
            created_at: t0(),
        })
        .await
        .unwrap();
    let from_introduction = transaction
        .insert_mobility(
            &MobilityDetails {
                sending_organisation: "Göteborgs Tekniska Gymnasium".to_owned(),
                sending_region: Region::parse("SE23").unwrap(),
                receiving_organisation: "TKNIKA".to_owned(),
                destination: Destination::region(Region::parse("ES21").unwrap()),
                mobility_type: MobilityType::VetLearner,
                participants: 3,
                fewer_opportunities: 2,
                dates: DateWindow::new(
                    "2026-10-05".parse().unwrap(),
                    "2026-10-25".parse().unwrap(),
                )
                .unwrap(),
                status: MobilityStatus::Completed,
                introduction: Some(introduction),
            },
            Source::Introduction,
            t0(),
        )
        .await
        .unwrap();
    for region in ["SE23", "ES21"] {
        transaction
            .upsert_population(
                &Population {
                    region: Region::parse(region).unwrap(),
                    year: 2026,
                    vet_learners: 5000,
                    ivet_graduates: None,
                },
                t0(),
            )
            .await
            .unwrap();
    }
    transaction.commit().await.unwrap();
    Created {
        request: request_id.to_string(),
        offer: offer_id.to_string(),
        introduction: introduction.to_string(),
        mobilities: [from_introduction.to_string(), reported.reference.unwrap()]
            .into_iter()
            .collect(),
    }
}

/// The December 2026 report's files whose bytes are its figures.
async fn report_figures(store: &Store) -> Vec<(String, Vec<u8>)> {
    let mobilities = store.mobilities(&MobilityFilter::default()).await.unwrap();
    let population = store.population().await.unwrap();
    // Polars blocks on its own runtime, which it cannot do inside the test's.
    std::thread::spawn(move || {
        let folder = tempfile::tempdir().unwrap();
        report::write_report(
            ReportInput::new(&mobilities, &population).unwrap(),
            "2026-12".parse().unwrap(),
            &Config::default().targets,
            folder.path(),
        )
        .unwrap();
        ["targets.csv", "mobilities.csv"]
            .into_iter()
            .map(|name| {
                (
                    name.to_owned(),
                    std::fs::read(folder.path().join(name)).unwrap(),
                )
            })
            .collect()
    })
    .join()
    .unwrap()
}

fn references<T>(items: &[T], reference: impl Fn(&T) -> String) -> BTreeSet<String> {
    items.iter().map(reference).collect()
}

on_both_backends!(
    export_person_lists_every_record_held_about_the_address,
    |database| {
        let store = database.connect().await;
        let created = ingrid_and_her_records(&store).await;
        let address = EmailAddress::parse(INGRID).unwrap();
        let export = personal_data::export_person(&store, &address, t0())
            .await
            .unwrap();

        assert_eq!(export.organisations.len(), 1);
        assert_eq!(export.organisations[0].contact_name, INGRID_NAME);
        assert_eq!(
            references(&export.submissions, |submission| submission
                .reference
                .to_string()),
            BTreeSet::from([created.request.clone()])
        );
        assert_eq!(
            references(&export.introductions, |introduction| introduction
                .reference
                .to_string()),
            BTreeSet::from([created.introduction.clone()])
        );
        assert_eq!(export.introductions[0].offer.to_string(), created.offer);
        assert_eq!(
            references(&export.mobilities, |mobility| mobility
                .reference
                .to_string()),
            created.mobilities
        );
        assert_eq!(
            references(&export.messages_received, |message| message
                .message_id
                .clone()),
            BTreeSet::from([
                "request-1@gtg.example".to_owned(),
                "rejected-1@gtg.example".to_owned(),
                "report-1@gtg.example".to_owned(),
            ])
        );
        assert!(export.messages_received.iter().all(|message| {
            message
                .raw
                .as_deref()
                .is_some_and(|raw| raw.contains(INGRID))
        }));
        assert_eq!(
            export.messages_sent.len(),
            4,
            "three answers and the introduction"
        );
        assert!(export.erasures.is_empty());
        let json = serde_json::to_value(&export).unwrap();
        assert_eq!(
            json["submissions"][0]["organisation"]["contact_email"],
            INGRID
        );
    }
);

on_both_backends!(
    forget_leaves_the_person_in_no_column_and_the_report_unchanged,
    |database| {
        let store = database.connect().await;
        let created = ingrid_and_her_records(&store).await;
        let address = EmailAddress::parse(INGRID).unwrap();
        let needles = [INGRID, INGRID_NAME];
        for needle in needles {
            assert!(
                !database.columns_containing(needle).await.is_empty(),
                "the test data holds {needle}"
            );
        }
        let report_before = report_figures(&store).await;
        let submissions_before = store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap();

        let dry_run = personal_data::forget(&store, &address, "Secretariat", t0(), Mode::DryRun)
            .await
            .unwrap();
        assert!(dry_run.dry_run);
        assert!(
            !database.columns_containing(INGRID).await.is_empty(),
            "a dry run changes nothing"
        );

        let erased_at = t0() + Duration::minutes(5);
        let forgotten =
            personal_data::forget(&store, &address, "Secretariat", erased_at, Mode::Apply)
                .await
                .unwrap();
        assert_eq!(
            forgotten.counts, dry_run.counts,
            "the dry run counted exactly"
        );
        let counts = forgotten.counts;
        assert_eq!(counts.organisations, 1);
        assert_eq!(counts.submissions, 1);
        assert_eq!(counts.introductions, 1);
        assert_eq!(counts.mobilities, 2);
        assert_eq!(counts.messages_deleted, 3);
        assert_eq!(counts.outbox_messages, 4);
        assert!(
            counts.mentions >= 2,
            "the offer's notes and its answer: {counts:?}"
        );

        for needle in needles {
            assert_eq!(
                database.columns_containing(needle).await,
                Vec::<String>::new(),
                "{needle} is still findable"
            );
        }
        assert_eq!(
            report_figures(&store).await,
            report_before,
            "report figures changed"
        );
        let submissions_after = store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap();
        assert_eq!(submissions_after.len(), submissions_before.len());
        assert!(
            submissions_after
                .iter()
                .all(|submission| submission.status == SubmissionStatus::Open)
        );
        let offer = submissions_after
            .iter()
            .find(|submission| submission.id.to_string() == created.offer)
            .unwrap();
        assert_eq!(
            offer.details.notes,
            "We met [erased] ([erased]) in Brussels."
        );
        assert_eq!(offer.details.organisation.contact_name, "Miren Agirre");
        let outbox = store.outbox(None).await.unwrap();
        let introduction_mail = outbox
            .iter()
            .find(|message| message.message.message_id == "<introduction.1@example.org>")
            .unwrap();
        assert_eq!(
            introduction_mail.status,
            OutboxStatus::Failed,
            "queued mail to an erased person is never sent"
        );
        assert_eq!(
            introduction_mail.message.recipients[1].as_str(),
            "miren@tknika.example"
        );

        // Later mail from the same address is a new sender's.
        let later = ingest(
            &store,
            &request_from_ingrid("request-2@gtg.example"),
            erased_at + Duration::minutes(1),
        )
        .await;
        assert_eq!(later.outcome, Outcome::Accepted, "{later:?}");
        assert!(later.answered);
        assert_ne!(later.reference.as_deref(), Some(created.request.as_str()));
        let export = personal_data::export_person(&store, &address, erased_at)
            .await
            .unwrap();
        assert_eq!(export.submissions.len(), 1);
        assert_eq!(
            Some(export.submissions[0].reference.to_string()),
            later.reference
        );
        assert!(export.introductions.is_empty() && export.mobilities.is_empty());
        assert_eq!(export.messages_received.len(), 1);
        assert_eq!(export.messages_sent.len(), 1);
        assert_eq!(export.erasures.len(), 1);
        assert_eq!(export.erasures[0].erased_by, "Secretariat");
        assert_eq!(export.erasures[0].erased_at, erased_at);
        assert_eq!(export.erasures[0].counts["messages_deleted"], 3);
    }
);

on_both_backends!(every_text_column_is_classified, |database| {
    let _store = database.connect().await;
    let schema = database.schema_columns().await;
    let classified: BTreeSet<(String, String)> = PERSONAL_DATA
        .iter()
        .flat_map(|table| {
            table
                .columns
                .iter()
                .map(|(column, _)| (table.table.to_owned(), (*column).to_owned()))
        })
        .collect();
    for column in &schema {
        if column.holds_text || column.holds_bytes {
            assert!(
                classified.contains(&(column.table.clone(), column.column.clone())),
                "{}.{} holds text but is not in store::PERSONAL_DATA: classify it there",
                column.table,
                column.column
            );
        }
    }
    let existing: BTreeSet<(String, String)> = schema
        .iter()
        .map(|column| (column.table.clone(), column.column.clone()))
        .collect();
    for entry in &classified {
        assert!(
            existing.contains(entry),
            "store::PERSONAL_DATA names {}.{}, which the schema does not have",
            entry.0,
            entry.1
        );
    }
    let bytes: Vec<String> = schema
        .iter()
        .filter(|column| column.holds_bytes)
        .map(|column| format!("{}.{}", column.table, column.column))
        .collect();
    for table in PERSONAL_DATA {
        for (column, treatment) in table.columns {
            if bytes.contains(&format!("{}.{column}", table.table)) {
                assert_eq!(*treatment, PersonalData::Bytes, "{}.{column}", table.table);
            }
        }
    }
});

async fn purge_at(store: &Store, now: DateTime<Utc>) -> PurgeReport {
    let report = personal_data::purge(store, &RetentionSettings::default(), now, Mode::Apply)
        .await
        .unwrap();
    let again = personal_data::purge(store, &RetentionSettings::default(), now, Mode::Apply)
        .await
        .unwrap();
    assert_eq!(again.total(), 0, "a second purge at {now} did {again:?}");
    report
}

fn only(kind_count: impl Fn(&mut PurgeReport), dry_run: bool) -> PurgeReport {
    let mut report = PurgeReport {
        dry_run,
        ..PurgeReport::default()
    };
    kind_count(&mut report);
    report
}

on_both_backends!(
    each_kind_of_record_goes_at_its_time_and_not_before,
    |database| {
        let store = database.connect().await;
        ingest(&store, &request_from_ingrid("request-1@gtg.example"), t0()).await;
        ingest(&store, &rejected_from_ingrid(), t0()).await;
        let unrecognised = email(
            "Karim Benali <karim@cfa.example>",
            "question-1@cfa.example",
            "Question",
            "How can our school take part?\n",
        );
        assert_eq!(
            ingest(&store, &unrecognised, t0()).await.outcome,
            Outcome::Unrecognised
        );
        let open_offer = ingest(&store, &offer_from_tknika(), t0()).await;
        let sent_at = t0() + Duration::hours(1);
        let mut transaction = store.begin().await.unwrap();
        for message in store.outbox(None).await.unwrap() {
            transaction
                .record_delivery_attempt(
                    message.id,
                    &DeliveryAttempt {
                        at: sent_at,
                        result: DeliveryResult::Sent,
                        answer: Some("250 OK".to_owned()),
                    },
                )
                .await
                .unwrap();
        }
        let request = store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap()
            .into_iter()
            .find(|submission| submission.details.organisation.contact_email.as_str() == INGRID)
            .unwrap();
        let closed_at = t0() + Duration::days(3);
        transaction
            .set_submission_status(request.id, SubmissionStatus::Withdrawn, closed_at)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
        let mobilities_before = store.mobilities(&MobilityFilter::default()).await.unwrap();

        let second = Duration::seconds(1);
        let steps = [
            (
                t0() + Duration::days(30),
                only(|report| report.rejected_messages_deleted = 2, false),
            ),
            (
                sent_at + Duration::days(90),
                only(|report| report.sent_mail_bodies_blanked = 4, false),
            ),
            (
                t0() + Duration::days(180),
                only(|report| report.raw_messages_dropped = 2, false),
            ),
            (
                closed_at + Duration::days(730),
                only(|report| report.closed_contacts_erased = 1, false),
            ),
        ];
        for (due_at, expected) in steps {
            let dry_run = personal_data::purge(
                &store,
                &RetentionSettings::default(),
                due_at - second,
                Mode::DryRun,
            )
            .await
            .unwrap();
            assert_eq!(dry_run.total(), 0, "a second before {due_at}: {dry_run:?}");
            assert_eq!(purge_at(&store, due_at - second).await.total(), 0);
            let would =
                personal_data::purge(&store, &RetentionSettings::default(), due_at, Mode::DryRun)
                    .await
                    .unwrap();
            assert_eq!(
                would,
                PurgeReport {
                    dry_run: true,
                    ..expected
                },
                "dry run at {due_at}"
            );
            assert_eq!(purge_at(&store, due_at).await, expected, "at {due_at}");
        }

        let messages = store.inbound_messages(100).await.unwrap();
        assert_eq!(messages.len(), 2, "the accepted request and offer stay");
        assert!(
            messages
                .iter()
                .all(|message| message.message.raw.is_none()
                    && message.message.cut_off_text.is_none())
        );
        assert!(store.outbox(None).await.unwrap().iter().all(|message| {
            message.message.body_text.is_empty()
                && message.message.body_html.is_none()
                && message.status == OutboxStatus::Sent
        }));
        let submissions = store
            .submissions(&SubmissionFilter::default())
            .await
            .unwrap();
        let withdrawn = submissions
            .iter()
            .find(|submission| submission.id == request.id)
            .unwrap();
        assert_eq!(withdrawn.details.organisation.contact_name, "");
        assert!(
            withdrawn
                .details
                .organisation
                .contact_email
                .as_str()
                .ends_with("@erased.invalid")
        );
        assert_eq!(withdrawn.details.notes, "");
        let still_open = submissions
            .iter()
            .find(|submission| Some(submission.id.to_string()) == open_offer.reference)
            .unwrap();
        assert_eq!(
            still_open.details.organisation.contact_email.as_str(),
            "miren@tknika.example",
            "an open submission keeps its contact however old"
        );
        assert_eq!(
            store.mobilities(&MobilityFilter::default()).await.unwrap(),
            mobilities_before
        );
    }
);

fn run_ok(workspace: &Workspace, database: &TestDatabase, arguments: &[&str]) -> String {
    let mut all = vec!["--database-url", database.url()];
    all.extend_from_slice(arguments);
    let output = workspace.run(&all);
    assert!(
        output.status.success(),
        "{arguments:?} failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

on_both_backends!(the_commands_export_a_person_purge_and_forget, |database| {
    let workspace = Workspace::new();
    run_ok(
        &workspace,
        &database,
        &["synth", "--offers", "2", "--requests", "1"],
    );
    let submissions = workspace.json_lines(&database, &["submissions"]);
    let address = submissions[0]["contact_email"].as_str().unwrap().to_owned();
    let reference = submissions[0]["reference"].as_str().unwrap().to_owned();

    let export = ["export", "--what", "submissions", "--format", "csv"];
    let without = run_ok(&workspace, &database, &export);
    assert!(!without.contains('@'), "{without}");
    let with = run_ok(
        &workspace,
        &database,
        &[&export[..], &["--with-contacts"]].concat(),
    );
    let header = with.lines().next().unwrap();
    assert!(header.ends_with("contact_name,contact_email"), "{header}");
    assert!(with.contains(&address), "{with}");
    let refused = workspace.run(&[
        "--database-url",
        database.url(),
        "export",
        "--what",
        "mobilities",
        "--format",
        "csv",
        "--with-contacts",
    ]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("--what submissions"));

    let file = workspace.path("person.json");
    let said = run_ok(
        &workspace,
        &database,
        &["export-person", &address, "--out", file.to_str().unwrap()],
    );
    assert!(said.starts_with("Wrote "), "{said}");
    let person: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(person["address"], address.as_str());
    assert!(
        person["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|submission| submission["reference"] == reference.as_str()),
        "{person}"
    );

    let purge = workspace.json_lines(&database, &["purge", "--dry-run"]);
    assert_eq!(purge[0]["dry_run"], true);
    assert_eq!(purge[0]["closed_contacts_erased"], 0);

    let forgotten = workspace.json_lines(&database, &["forget", &address, "--by", "Secretariat"]);
    assert!(forgotten[0]["counts"]["organisations"].as_u64().unwrap() >= 1);
    let after = workspace.json_lines(&database, &["submissions"]);
    let erased = after
        .iter()
        .find(|submission| submission["reference"] == reference.as_str())
        .unwrap();
    assert!(
        erased["contact_email"]
            .as_str()
            .unwrap()
            .ends_with("@erased.invalid"),
        "{erased}"
    );
    let again = workspace.json_lines(
        &database,
        &["forget", &address, "--by", "Secretariat", "--dry-run"],
    );
    assert_eq!(again[0]["counts"]["organisations"], 0);
    assert_eq!(again[0]["erased_before"].as_array().unwrap().len(), 1);
});
