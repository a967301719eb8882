//! Mail ingestion and delivery: the corpus of real-looking messages in
//! `tests/fixtures/mail/` (each `.eml` beside its `.expected.json`), replies with tokens,
//! reply limits, and the real servers `scripts/test` starts on loopback: Dovecot for IMAP
//! (`MOBMATCH_TEST_IMAP_PORT`, users in `MOBMATCH_TEST_IMAP_USERS`) and aiosmtpd for
//! SMTP (`MOBMATCH_TEST_SMTP_PORT`, received mail in `MOBMATCH_TEST_SMTP_MAILDIR`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mobmatch::config::OutboundTransport;
use mobmatch::domain::{EmailAddress, SubmissionId, SubmissionStatus};
use mobmatch::mail::token::{self, TokenSubject};
use mobmatch::mail::{
    DeliveryReport, IngestReport, MailRules, Outcome, Transport, deliver_outbox, ingest_message,
};
use mobmatch::store::{OutboxStatus, Store};
use serde_json::Value;

use crate::support::TestDatabase;

mod rejections;
pub(crate) mod servers;

const SECRET: &str = "corpus secret";

fn rules() -> MailRules {
    crate::support::mail_rules(SECRET)
}

fn now() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn corpus_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail")
}

async fn ingest(store: &Store, name: &str, raw: &[u8]) -> IngestReport {
    ingest_message(store, &rules(), name, raw, now())
        .await
        .unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// A submission form as people send it, with a Message-ID.
pub(crate) fn submission_email(message_id: &str, sender: &str, organisation: &str) -> Vec<u8> {
    format!(
        "From: {sender}\r\nTo: matchmaking@example.org\r\nSubject: Offer\r\nMessage-ID: <{message_id}>\r\n\r\n\
         Role: receiving\r\nOrganisation: {organisation}\r\nContact name: Anna Berg\r\nRegion: SE23\r\n\
         Mobility type: VET learners\r\nFields of education: 0713\r\nParticipants: 4\r\n\
         Earliest start: 2026-09-01\r\nLatest end: 2026-12-31\r\nDuration in days: 10\r\nLanguages: sv, en\r\n"
    )
    .into_bytes()
}

async fn send(store: &Store, transport: &Transport, at: DateTime<Utc>) -> DeliveryReport {
    let our_address = EmailAddress::parse("matchmaking@example.org").unwrap();
    let hidden = indicatif::ProgressBar::hidden();
    deliver_outbox(
        store,
        transport,
        "Mobility Matchmaking",
        &our_address,
        at,
        &mobmatch::stop::StopSignal::never(),
        &hidden,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn the_corpus_is_classified_and_stored_as_expected() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let mut names: Vec<PathBuf> = std::fs::read_dir(corpus_folder())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .collect();
    names.sort();
    assert!(names.len() >= 40, "the corpus has {} messages", names.len());
    let mut ignored_senders = Vec::new();
    for path in &names {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read(path).unwrap();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("expected.json")).unwrap(),
        )
        .unwrap();
        let report = ingest(&store, &name, &raw).await;
        let outcome = serde_json::to_value(report.outcome).unwrap();
        assert_eq!(outcome, expected["outcome"], "{name}: {report:?}");
        assert_eq!(
            serde_json::to_value(report.kind).unwrap(),
            expected["kind"],
            "{name}"
        );
        let mut error_fields: Vec<&str> = report
            .errors
            .iter()
            .map(|error| error.field.as_str())
            .collect();
        let mut expected_fields: Vec<&str> = expected["error_fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|field| field.as_str().unwrap())
            .collect();
        error_fields.sort_unstable();
        error_fields.dedup();
        expected_fields.sort_unstable();
        assert_eq!(error_fields, expected_fields, "{name}: {:?}", report.errors);
        assert_eq!(Value::Bool(report.answered), expected["answered"], "{name}");
        if report.outcome == Outcome::Ignored {
            ignored_senders.push(name.clone());
        }
        if let Some(fields) = expected.get("submission") {
            let id = SubmissionId::parse(report.reference.as_deref().unwrap()).unwrap();
            let submission =
                serde_json::to_value(&store.submission(id).await.unwrap().details).unwrap();
            for (key, value) in fields.as_object().unwrap() {
                let actual = match key.as_str() {
                    "organisation" => submission["organisation"]["name"].clone(),
                    "region" => submission["organisation"]["region"].clone(),
                    _ => submission[key].clone(),
                };
                assert_eq!(&actual, value, "{name}: {key} in {submission}");
            }
        }
    }
    // Re-ingesting the whole corpus changes nothing.
    let inbound_before = store.inbound_messages(1000).await.unwrap().len();
    let outbox_before = store.outbox(None).await.unwrap().len();
    for path in &names {
        let report = ingest(&store, "again", &std::fs::read(path).unwrap()).await;
        assert!(
            matches!(report.outcome, Outcome::Duplicate | Outcome::Ignored),
            "{path:?}: {report:?}"
        );
    }
    assert_eq!(
        store.inbound_messages(1000).await.unwrap().len(),
        inbound_before
    );
    assert_eq!(store.outbox(None).await.unwrap().len(), outbox_before);
    assert!(!ignored_senders.is_empty());
}

#[tokio::test]
async fn no_answer_is_ever_queued_for_an_ignored_message() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    for path in std::fs::read_dir(corpus_folder()).unwrap() {
        let path = path.unwrap().path();
        let Ok(expected) = std::fs::read_to_string(path.with_extension("expected.json")) else {
            continue;
        };
        if path.extension().is_some_and(|extension| extension == "eml")
            && expected.contains("\"ignored\"")
        {
            ingest(&store, "ignored", &std::fs::read(&path).unwrap()).await;
        }
    }
    assert!(store.outbox(None).await.unwrap().is_empty());
    assert!(!store.inbound_messages(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_message_with_a_twenty_megabyte_attachment_is_ingested_whole() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let mut raw = b"From: Anna <anna@school.example>\r\nTo: matchmaking@example.org\r\nSubject: Offer with brochure\r\nMessage-ID: <big-1@school.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nRole: receiving\r\nOrganisation: Big School\r\n\r\n--b\r\nContent-Type: application/octet-stream; name=\"brochure.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    let line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n";
    while raw.len() < 20 * 1024 * 1024 {
        raw.extend_from_slice(line);
    }
    raw.extend_from_slice(b"--b--\r\n");
    let report = ingest(&store, "big", &raw).await;
    assert_eq!(report.outcome, Outcome::Rejected, "{report:?}");
    let stored = store.inbound_messages(1).await.unwrap();
    assert_eq!(stored[0].message.raw.as_ref().unwrap().len(), raw.len());
}

#[tokio::test]
async fn a_malformed_message_does_not_stop_the_batch() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("a.eml"),
        submission_email("a@x.example", "anna@school.example", "A"),
    )
    .unwrap();
    std::fs::write(
        folder.path().join("b.eml"),
        b"\x00\x01\x02 not mail \xff\r\n\r\n",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("c.eml"),
        submission_email("c@x.example", "carl@school.example", "C"),
    )
    .unwrap();
    let sources = mobmatch::mail::list_sources(&[
        folder.path().display().to_string(),
        folder.path().join("missing.eml").display().to_string(),
    ])
    .unwrap();
    let reports = ingest_all(&store, &sources).await;
    let outcomes: Vec<Outcome> = reports.iter().map(|report| report.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Accepted, Outcome::Ignored, Outcome::Accepted]
    );
}

on_both_backends!(
    a_reply_with_its_token_updates_and_then_withdraws_a_submission,
    |database| {
        let store = database.connect().await;
        let first = ingest(
            &store,
            "offer",
            &submission_email("offer-1@school.example", "anna@school.example", "Gymnasium"),
        )
        .await;
        let id = SubmissionId::parse(first.reference.as_deref().unwrap()).unwrap();
        let signed = token::sign(TokenSubject::Submission(id), SECRET);
        let answer = &store.outbox(None).await.unwrap()[0];
        assert!(
            answer.message.subject.contains(&signed),
            "{}",
            answer.message.subject
        );
        assert!(
            answer
                .message
                .headers
                .iter()
                .any(|(name, value)| name == "Reply-To"
                    && value == &format!("matchmaking+{signed}@example.org"))
        );
        assert!(
            answer
                .message
                .headers
                .iter()
                .any(|(name, value)| name == "Auto-Submitted" && value == "auto-replied")
        );
        assert!(
            answer
                .message
                .headers
                .iter()
                .any(|(name, value)| name == "In-Reply-To" && value == "<offer-1@school.example>")
        );

        let update = format!(
            "From: anna@school.example\r\nTo: matchmaking+{signed}@example.org\r\nSubject: Re: Received\r\nMessage-ID: <update-1@school.example>\r\n\r\nParticipants: 9\r\n\r\nOn Mon, 2 Mar 2026, Mobility Matchmaking wrote:\r\n> Participants: 4\r\n"
        );
        let updated = ingest(&store, "update", update.as_bytes()).await;
        assert_eq!(
            (updated.outcome, updated.kind),
            (
                Outcome::Accepted,
                Some(mobmatch::mail::Kind::SubmissionUpdate)
            ),
            "{updated:?}"
        );
        let submission = store.submission(id).await.unwrap();
        assert_eq!(submission.details.participants, 9);
        assert_eq!(submission.details.organisation.name, "Gymnasium");

        let withdraw = format!(
            "From: anna@school.example\r\nTo: matchmaking@example.org\r\nSubject: Re: Updated [mobmatch {signed}]\r\nMessage-ID: <withdraw-1@school.example>\r\n\r\nWITHDRAW\r\n"
        );
        let withdrawn = ingest(&store, "withdraw", withdraw.as_bytes()).await;
        assert_eq!(withdrawn.kind, Some(mobmatch::mail::Kind::Withdrawal));
        assert_eq!(
            store.submission(id).await.unwrap().status,
            SubmissionStatus::Withdrawn
        );

        let late_update = update.replace("update-1@", "update-2@");
        let refused = ingest(&store, "late", late_update.as_bytes()).await;
        assert_eq!(refused.outcome, Outcome::Rejected);
        assert_eq!(refused.errors[0].field, "status");
    }
);

on_both_backends!(answers_to_one_sender_stop_at_the_hourly_limit, |database| {
    let store = database.connect().await;
    for index in 0..7 {
        let raw = submission_email(
            &format!("many-{index}@school.example"),
            "busy@school.example",
            &format!("School {index}"),
        );
        let report = ingest(&store, "many", &raw).await;
        assert_eq!(report.outcome, Outcome::Accepted);
        assert_eq!(report.answered, index < 5, "message {index}");
    }
    assert_eq!(
        store
            .outbox(Some(OutboxStatus::Queued))
            .await
            .unwrap()
            .len(),
        5
    );
});

/// Ingests the `.eml` files of `folder` with `ingest_sources`: one batch, one commit.
async fn ingest_folder(store: &Store, folder: &Path) -> Vec<IngestReport> {
    let sources = mobmatch::mail::list_sources(&[folder.display().to_string()]).unwrap();
    ingest_all(store, &sources).await
}

/// Every report of `ingest_sources` over `sources`, in order.
async fn ingest_all(store: &Store, sources: &[mobmatch::mail::MessageSource]) -> Vec<IngestReport> {
    let mut reports = Vec::new();
    mobmatch::mail::ingest_sources(
        store,
        &rules(),
        sources,
        &indicatif::ProgressBar::hidden(),
        |report| reports.push(report),
    )
    .await
    .unwrap();
    reports
}

on_both_backends!(
    a_message_the_database_refuses_is_recorded_as_failed_and_the_batch_goes_on,
    |database| {
        let store = database.connect().await;
        // A constraint the schema does not have: a second answer to one address breaks it.
        database
            .execute_behind_the_store(
                "CREATE UNIQUE INDEX one_answer_per_recipient ON outbox (recipients)",
            )
            .await;
        let folder = tempfile::tempdir().unwrap();
        for (name, message_id, sender) in [
            ("1.eml", "first@x.example", "anna@school.example"),
            ("2.eml", "second@x.example", "bert@school.example"),
            ("3.eml", "again@x.example", "anna@school.example"),
            ("4.eml", "fourth@x.example", "carl@school.example"),
        ] {
            let raw = submission_email(message_id, sender, &format!("School {name}"));
            std::fs::write(folder.path().join(name), raw).unwrap();
        }

        let reports = ingest_folder(&store, folder.path()).await;
        let outcomes: Vec<Outcome> = reports.iter().map(|report| report.outcome).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Accepted,
                Outcome::Accepted,
                Outcome::Failed,
                Outcome::Accepted
            ]
        );
        assert_eq!(reports[2].errors[0].field, "database");
        // The failed message's submission went with its savepoint; the others stayed.
        let submissions = store.submissions(&Default::default()).await.unwrap();
        assert_eq!(submissions.len(), 3);
        assert_eq!(store.outbox(None).await.unwrap().len(), 3);
        let inbound = store.inbound_messages(10).await.unwrap();
        let failed: Vec<&str> = inbound
            .iter()
            .filter(|stored| stored.message.outcome == "failed")
            .map(|stored| stored.message.message_id.as_str())
            .collect();
        assert_eq!(inbound.len(), 4);
        assert_eq!(failed, ["again@x.example"]);

        let again = ingest_folder(&store, folder.path()).await;
        assert!(
            again
                .iter()
                .all(|report| report.outcome == Outcome::Duplicate),
            "{again:?}"
        );
    }
);

/// What a store holds after ingestion, without the times: the inbound log and the outbox,
/// in the order they were written.
async fn ingested_records(store: &Store) -> (Vec<Value>, Vec<Value>) {
    let mut inbound = store.inbound_messages(1000).await.unwrap();
    inbound.reverse();
    let inbound = inbound
        .into_iter()
        .map(|stored| {
            let message = stored.message;
            serde_json::json!([
                message.message_id,
                message.sender,
                message.classification,
                message.outcome,
                message.kind,
                message.reference,
                message.errors,
                message.raw.map(|raw| raw.len()),
                message.cut_off_text,
            ])
        })
        .collect();
    let outbox = store
        .outbox(None)
        .await
        .unwrap()
        .into_iter()
        .map(|queued| {
            let message = queued.message;
            serde_json::json!([
                message.message_id,
                message.recipients,
                message.subject,
                message.body_text,
                message.body_html,
                message.headers,
            ])
        })
        .collect();
    (inbound, outbox)
}

#[tokio::test]
async fn a_batch_writes_the_corpus_as_one_message_at_a_time_does() {
    let batched = TestDatabase::sqlite();
    let batched = batched.connect().await;
    let sources = mobmatch::mail::list_sources(&[corpus_folder().display().to_string()]).unwrap();
    let reports = ingest_all(&batched, &sources).await;

    let one_at_a_time = TestDatabase::sqlite();
    let one_at_a_time = one_at_a_time.connect().await;
    let mut expected = Vec::new();
    for source in &sources {
        let mobmatch::mail::MessageSource::File(path) = source else {
            panic!("the corpus is a folder of files: {source:?}");
        };
        let raw = std::fs::read(path).unwrap();
        let name = path.display().to_string();
        let report = ingest_message(&one_at_a_time, &rules(), &name, &raw, Utc::now())
            .await
            .unwrap();
        expected.push(report);
    }

    assert_eq!(reports, expected);
    assert_eq!(
        ingested_records(&batched).await,
        ingested_records(&one_at_a_time).await
    );
}

on_both_backends!(a_batch_sees_its_own_earlier_messages, |database| {
    let store = database.connect().await;
    let folder = tempfile::tempdir().unwrap();
    let offer = submission_email("offer@x.example", "anna@school.example", "Gymnasium");
    std::fs::write(folder.path().join("1.eml"), &offer).unwrap();
    // A fresh database numbers the offer S-1, so its withdrawal can be written now.
    let signed = token::sign(TokenSubject::Submission(SubmissionId::new(1)), SECRET);
    let withdrawal = format!(
        "From: anna@school.example\r\nTo: matchmaking+{signed}@example.org\r\n\
             Subject: Re: Received [mobmatch {signed}]\r\nMessage-ID: <withdraw@x.example>\r\n\r\n\
             WITHDRAW\r\n"
    );
    std::fs::write(folder.path().join("2.eml"), withdrawal).unwrap();
    std::fs::write(folder.path().join("3.eml"), &offer).unwrap();
    for index in 0..5 {
        let raw = submission_email(
            &format!("many-{index}@x.example"),
            "anna@school.example",
            &format!("School {index}"),
        );
        std::fs::write(folder.path().join(format!("4-{index}.eml")), raw).unwrap();
    }

    let reports = ingest_folder(&store, folder.path()).await;
    assert_eq!(
        reports[1].kind,
        Some(mobmatch::mail::Kind::Withdrawal),
        "{reports:?}"
    );
    assert_eq!(reports[2].outcome, Outcome::Duplicate);
    let answered = reports.iter().filter(|report| report.answered).count();
    assert_eq!(
        answered, 5,
        "the hourly limit counts the batch's own answers"
    );
});

#[tokio::test]
async fn send_writes_each_queued_answer_to_the_outbox_folder_once() {
    let database = TestDatabase::sqlite();
    let store = database.connect().await;
    ingest(
        &store,
        "offer",
        &submission_email("file-1@school.example", "anna@school.example", "Gymnasium"),
    )
    .await;
    let folder = tempfile::tempdir().unwrap();
    let transport = Transport::from_settings(
        &OutboundTransport::File {
            dir: folder.path().to_owned(),
        },
        None,
    )
    .unwrap();
    let report = send(&store, &transport, now()).await;
    assert_eq!(report.sent, 1);
    let again = send(&store, &transport, now()).await;
    assert_eq!(again.sent, 0);
    let files: Vec<_> = std::fs::read_dir(folder.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let written = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(written.contains("Auto-Submitted: auto-replied"));
    assert!(written.contains("text/html"));
    assert_eq!(
        store.outbox(Some(OutboxStatus::Sent)).await.unwrap().len(),
        1
    );
}

#[test]
fn ingest_json_prints_one_line_per_message_from_stdin_and_mbox() {
    use std::io::Write;
    let folder = tempfile::tempdir().unwrap();
    let mbox = folder.path().join("archive.mbox");
    let mut archive = b"From anna@school.example Mon Mar  2 09:00:00 2026\n".to_vec();
    archive.extend(submission_email(
        "mbox-1@school.example",
        "anna@school.example",
        "A",
    ));
    archive.extend(b"\nFrom carl@school.example Mon Mar  2 09:01:00 2026\nFrom: carl@school.example\nSubject: hi\nMessage-ID: <mbox-2@school.example>\n\nHow do I take part?\n");
    std::fs::write(&mbox, archive).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
        .args(["ingest", "-", mbox.to_str().unwrap(), "--json"])
        .current_dir(folder.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&submission_email(
            "stdin-1@school.example",
            "eva@school.example",
            "E",
        ))
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|line| line["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["accepted", "accepted", "unrecognised"]);
    assert_eq!(lines[0]["source"], "-");
    assert_eq!(lines[0]["message_id"], "stdin-1@school.example");
    assert_eq!(lines[0]["kind"], "submission");
    assert_eq!(lines[0]["reference"], "S-1");
    assert_eq!(lines[0]["errors"], serde_json::json!([]));
    assert_eq!(lines[2]["kind"], Value::Null);
}
