//! Introductions end to end: a round queues the emails to both sides, `send` delivers
//! them (to a folder, or to the SMTP server `scripts/test` starts on loopback), replies
//! in every language and quoting style answer them (the fixture folder
//! `tests/fixtures/introductions/`), and `remind` reminds, expires and asks for the
//! report of a planned mobility at a clock the test sets.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use mobmatch::config::OutboundTransport;
use mobmatch::domain::{
    Answer, EmailAddress, Introduction, IntroductionId, IntroductionStatus, MobilityStatus, Role,
    Source, SubmissionDetails, SubmissionId, SubmissionStatus,
};
use mobmatch::introductions::{
    AnswerEffect, AnswerOutcome, IntroductionSettings, RemindReport, Timing, answer_introduction,
    remind,
};
use mobmatch::mail::token::{self, TokenSubject};
use mobmatch::mail::{
    DeliveryReport, IngestReport, Kind, MailRules, Outcome, Transport, deliver_outbox,
    ingest_message,
};
use mobmatch::matching::MatchingSettings;
use mobmatch::round::{RoundMode, run_round};
use mobmatch::store::{IntroductionFilter, MobilityFilter, OutboxMessage, Store};
use serde_json::Value;

use crate::store::{basque_offer, insert_submission, organisation, swedish_request};

const SECRET: &str = "introductions secret";
const OUR_ADDRESS: &str = "matchmaking@example.org";

pub(crate) fn settings() -> IntroductionSettings {
    IntroductionSettings {
        letters: crate::support::mail_rules(SECRET).letters(),
        timing: Timing {
            remind_after_days: 7,
            expire_after_days: 21,
        },
    }
}

fn rules() -> MailRules {
    crate::support::mail_rules(SECRET)
}

/// The round runs on Monday 4 January 2027 at 08:00.
fn round_time() -> DateTime<Utc> {
    "2027-01-04T08:00:00Z".parse().unwrap()
}

fn days_later(days: i64) -> DateTime<Utc> {
    round_time() + Duration::days(days)
}

/// TKNIKA's offer and a Swedish school's request, with these contact addresses, and a
/// round that introduces them.
async fn introduce(store: &Store, host_email: &str, sender_email: &str) -> IntroductionId {
    let offer = SubmissionDetails {
        organisation: organisation("TKNIKA", host_email, "ES21"),
        ..basque_offer()
    };
    let request = SubmissionDetails {
        organisation: organisation("Göteborgs Tekniska Gymnasium", sender_email, "SE23"),
        ..swedish_request()
    };
    insert_submission(store, &offer, SubmissionStatus::Open).await;
    insert_submission(store, &request, SubmissionStatus::Open).await;
    let report = run_round(
        store,
        &MatchingSettings::default(),
        &settings(),
        round_time(),
        round_time().date_naive(),
        RoundMode::Record,
    )
    .await
    .unwrap();
    let introductions = report.stored.unwrap().introductions;
    assert_eq!(introductions.len(), 1, "{:?}", report.plan);
    introductions[0]
}

fn side_token(id: IntroductionId, side: Role) -> String {
    token::sign(TokenSubject::Introduction { id, side }, SECRET)
}

async fn introduction(store: &Store, id: IntroductionId) -> Introduction {
    store
        .introductions(&IntroductionFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|introduction| introduction.id == id)
        .unwrap()
}

/// The queued letters whose Message-ID starts with `<kind.`, to `recipient`.
async fn letters(store: &Store, kind: &str, recipient: &str) -> Vec<OutboxMessage> {
    store
        .outbox(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|message| {
            message.message.message_id.starts_with(&format!("<{kind}."))
                && message.message.recipients[0].as_str() == recipient
        })
        .collect()
}

/// A reply to `letter` from `from`, filled into the fixture `template`.
fn reply_from_template(
    template: &str,
    letter: &OutboxMessage,
    from: &str,
    message_id: &str,
) -> Vec<u8> {
    let subject = &letter.message.subject;
    let token = token::find_in_subject(subject).unwrap().to_owned();
    let original = letter.message.body_text.trim_end().replace('\n', "\r\n");
    let quoted = letter
        .message
        .body_text
        .trim_end()
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\r\n");
    template
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .replace("{from}", from)
        .replace("{name}", "Anna Berg")
        .replace("{token}", &token)
        .replace("{subject}", subject)
        .replace("{message_id}", message_id)
        .replace("{original}", &original)
        .replace("{quoted}", &quoted)
        .into_bytes()
}

/// A plain reply with `token` in the plus-address.
fn reply(from: &str, token: &str, message_id: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: matchmaking+{token}@example.org\r\nSubject: Re: Introduction\r\n\
         Message-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn ingest(store: &Store, raw: &[u8], at: DateTime<Utc>) -> IngestReport {
    ingest_message(store, &rules(), "test", raw, at)
        .await
        .unwrap()
}

async fn send(store: &Store, transport: &Transport, at: DateTime<Utc>) -> DeliveryReport {
    deliver_outbox(
        store,
        transport,
        "Mobility Matchmaking",
        &EmailAddress::parse(OUR_ADDRESS).unwrap(),
        at,
        &mobmatch::stop::StopSignal::never(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap()
}

fn fixtures() -> Vec<(String, String, Value)> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/introductions");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let expected = std::fs::read_to_string(path.with_extension("expected.json")).unwrap();
            (
                name,
                std::fs::read_to_string(&path).unwrap(),
                serde_json::from_str(&expected).unwrap(),
            )
        })
        .collect()
}

const HOST: &str = "mobility@tknika.example";
const SENDER: &str = "anna@gtg.example";

#[tokio::test]
async fn replies_in_every_language_and_quoting_style_answer_as_their_first_word_says() {
    let cases = fixtures();
    assert_eq!(cases.len(), 10);
    for (name, template, expected) in cases {
        let database = crate::support::TestDatabase::sqlite();
        let store = database.connect().await;
        let id = introduce(&store, HOST, SENDER).await;
        let (side, from) = match expected["side"].as_str().unwrap() {
            "host" => (Role::Receiving, HOST),
            _ => (Role::Sending, SENDER),
        };
        let answer = Answer::from_value(expected["answer"].as_str().unwrap()).unwrap();
        let letter = &letters(&store, "introduction", from).await[0];
        let raw = reply_from_template(&template, letter, from, &format!("{name}@client.example"));

        let report = ingest(&store, &raw, days_later(1)).await;
        assert_eq!(
            (report.outcome, report.kind, report.reference.as_deref()),
            (
                Outcome::Accepted,
                Some(Kind::IntroductionAnswer),
                Some("I-1")
            ),
            "{name}: {report:?}"
        );
        let answered = introduction(&store, id).await;
        assert_eq!(
            answered.answer_of(side).map(|given| given.answer),
            Some(answer),
            "{name}"
        );
        let status = match answer {
            Answer::Accept => IntroductionStatus::Introduced,
            Answer::Decline => IntroductionStatus::Declined,
        };
        assert_eq!(answered.status, status, "{name}");
        let inbound = &store.inbound_messages(1).await.unwrap()[0];
        assert!(
            inbound
                .message
                .cut_off_text
                .as_deref()
                .is_some_and(|cut| cut.contains("Why we matched you")),
            "{name}: the quoted original is cut off and kept: {:?}",
            inbound.message.cut_off_text
        );

        let outbox_before = store.outbox(None).await.unwrap().len();
        let again = ingest(&store, &raw, days_later(2)).await;
        assert_eq!(again.outcome, Outcome::Duplicate, "{name}");
        assert_eq!(introduction(&store, id).await, answered, "{name}");
        assert_eq!(store.outbox(None).await.unwrap().len(), outbox_before);
    }
}

on_both_backends!(
    a_round_reaches_both_contacts_and_two_acceptances_plan_a_mobility,
    |database| {
        let store = database.connect().await;
        let id = introduce(&store, HOST, SENDER).await;
        assert_eq!(
            introduction(&store, id).await.status,
            IntroductionStatus::Introduced
        );
        let to_host = &letters(&store, "introduction", HOST).await[0];
        let to_sender = &letters(&store, "introduction", SENDER).await[0];
        assert_eq!(store.outbox(None).await.unwrap().len(), 2);
        // TKNIKA lists English first; the Swedish school too.
        assert!(
            to_host
                .message
                .subject
                .starts_with("Introduction I-1: TKNIKA (ES21) ↔ Göteborgs Tekniska Gymnasium (SE23) [mobmatch i1h-"),
            "{}",
            to_host.message.subject
        );
        assert!(
            to_host
                .message
                .body_text
                .contains("Contact email: anna@gtg.example")
        );
        assert!(
            to_sender
                .message
                .body_text
                .contains("Contact email: mobility@tknika.example")
        );
        assert!(
            to_sender
                .message
                .body_text
                .contains("Fewer opportunities: 2")
        );

        let folder = tempfile::tempdir().unwrap();
        let transport = Transport::from_settings(
            &OutboundTransport::File {
                dir: folder.path().to_owned(),
            },
            None,
        )
        .unwrap();
        assert_eq!(send(&store, &transport, round_time()).await.sent, 2);
        let written: Vec<String> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
            .collect();
        let host_token = side_token(id, Role::Receiving);
        assert!(written.iter().any(|eml| {
            eml.contains(&format!("matchmaking+{host_token}@example.org"))
                && eml.contains("Auto-Submitted: auto-generated")
        }));

        let fixtures = fixtures();
        let template = |name: &str| {
            fixtures
                .iter()
                .find(|(fixture, _, _)| fixture == name)
                .map(|(_, template, _)| template.clone())
                .unwrap()
        };
        let host_accepts = reply_from_template(
            &template("es_outlook_acepto"),
            to_host,
            HOST,
            "host-yes@tknika.example",
        );
        let report = ingest(&store, &host_accepts, days_later(1)).await;
        assert_eq!(report.outcome, Outcome::Accepted, "{report:?}");
        assert!(report.answered);
        assert_eq!(letters(&store, "waiting", HOST).await.len(), 1);

        let sender_accepts = reply_from_template(
            &template("sv_outlook_ja"),
            to_sender,
            SENDER,
            "sender-yes@gtg.example",
        );
        let report = ingest(&store, &sender_accepts, days_later(2)).await;
        assert_eq!(report.outcome, Outcome::Accepted, "{report:?}");
        let accepted = introduction(&store, id).await;
        assert_eq!(accepted.status, IntroductionStatus::Accepted);
        assert_eq!(letters(&store, "accepted", HOST).await.len(), 1);
        assert_eq!(letters(&store, "accepted", SENDER).await.len(), 1);

        let mobilities = store.mobilities(&MobilityFilter::default()).await.unwrap();
        assert_eq!(mobilities.len(), 1);
        let planned = &mobilities[0];
        assert_eq!(planned.source, Source::Introduction);
        assert_eq!(planned.details.status, MobilityStatus::Planned);
        assert_eq!(planned.details.introduction, Some(id));
        // Three participants asked for, four places offered; the request's window lies
        // inside the offer's.
        assert_eq!(
            (
                planned.details.participants,
                planned.details.fewer_opportunities
            ),
            (3, 2)
        );
        assert_eq!(
            (
                planned.details.dates.start().to_string(),
                planned.details.dates.end().to_string()
            ),
            ("2027-04-01".to_owned(), "2027-05-15".to_owned())
        );
        assert_eq!(planned.details.sending_region.code(), "SE23");
        assert_eq!(planned.details.receiving_organisation, "TKNIKA");
        let request = store.submission(accepted.request).await.unwrap();
        assert_eq!(request.status, SubmissionStatus::Matched);
        let offer = store.submission(accepted.offer).await.unwrap();
        assert_eq!(
            (offer.status, offer.details.participants),
            (SubmissionStatus::Open, 1)
        );

        // The same reply again is a duplicate; the same answer in a new message changes
        // nothing and is answered once.
        let outbox_before = store.outbox(None).await.unwrap().len();
        let again = ingest(&store, &sender_accepts, days_later(3)).await;
        assert_eq!(again.outcome, Outcome::Duplicate);
        assert_eq!(store.outbox(None).await.unwrap().len(), outbox_before);
        for (index, message_id) in ["yes-again-1@gtg.example", "yes-again-2@gtg.example"]
            .into_iter()
            .enumerate()
        {
            let repeated = reply(SENDER, &side_token(id, Role::Sending), message_id, "YES");
            let report = ingest(&store, &repeated, days_later(3)).await;
            assert_eq!(report.outcome, Outcome::Rejected, "{report:?}");
            assert_eq!(report.errors[0].field, "answer");
            assert_eq!(report.answered, index == 0, "answered once at most");
        }
        assert_eq!(letters(&store, "unchanged", SENDER).await.len(), 1);
        assert_eq!(introduction(&store, id).await, accepted);
        assert_eq!(
            store
                .mobilities(&MobilityFilter::default())
                .await
                .unwrap()
                .len(),
            1
        );

        let delivered = send(&store, &transport, days_later(3)).await;
        assert_eq!(delivered.sent, 4, "{delivered:?}");

        let output = std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
            .args(["--database-url", database.url(), "introductions", "--json"])
            .current_dir(folder.path())
            .output()
            .unwrap();
        assert!(output.status.success());
        let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(listed["reference"], "I-1");
        assert_eq!(listed["offer"], accepted.offer.to_string());
        assert_eq!(listed["request"], accepted.request.to_string());
        assert_eq!(listed["score"], accepted.score);
        assert_eq!(
            listed["reasons"].as_array().unwrap().len(),
            accepted.reasons.len()
        );
        assert_eq!(listed["status"], "accepted");
        assert_eq!(listed["host_answer"], "accept");
        assert_eq!(listed["sender_answer"], "accept");
        assert!(listed["sender_answered_at"].is_string());
    }
);

on_both_backends!(
    a_decline_tells_the_other_side_and_frees_both_for_the_next_round,
    |database| {
        let store = database.connect().await;
        let id = introduce(&store, HOST, SENDER).await;
        let declined = reply(
            HOST,
            &side_token(id, Role::Receiving),
            "no@tknika.example",
            "DECLINE\r\n\r\n-- \r\nMiren",
        );
        let report = ingest(&store, &declined, days_later(1)).await;
        assert_eq!(report.outcome, Outcome::Accepted, "{report:?}");
        assert_eq!(
            introduction(&store, id).await.status,
            IntroductionStatus::Declined
        );
        assert_eq!(letters(&store, "declined", HOST).await.len(), 1);
        let to_sender = &letters(&store, "declined", SENDER).await[0];
        assert!(
            to_sender.message.body_text.contains("TKNIKA has declined"),
            "{}",
            to_sender.message.body_text
        );
        let late = reply(
            SENDER,
            &side_token(id, Role::Sending),
            "late@gtg.example",
            "ACCEPT",
        );
        let report = ingest(&store, &late, days_later(2)).await;
        assert_eq!(report.outcome, Outcome::Rejected);
        assert_eq!(
            introduction(&store, id).await.sender_answer,
            None,
            "a late answer is not recorded"
        );
        for submission in [SubmissionId::new(1), SubmissionId::new(2)] {
            assert_eq!(
                store.submission(submission).await.unwrap().status,
                SubmissionStatus::Open
            );
        }
        assert!(
            store
                .mobilities(&MobilityFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
    }
);

on_both_backends!(
    replies_that_are_not_the_side_s_own_change_nothing,
    |database| {
        let store = database.connect().await;
        // Two introductions: TKNIKA with the Swedish school (I-1), and a Finnish host
        // with a German school (I-2).
        let first = introduce(&store, HOST, SENDER).await;
        let finnish_offer = SubmissionDetails {
            organisation: organisation("Omnia", "omnia@omnia.example", "FI1B"),
            partner_countries: Vec::new(),
            ..basque_offer()
        };
        let german_request = SubmissionDetails {
            organisation: organisation("BBS Hannover", "kurt@bbs.example", "DE92"),
            ..swedish_request()
        };
        insert_submission(&store, &finnish_offer, SubmissionStatus::Open).await;
        insert_submission(&store, &german_request, SubmissionStatus::Open).await;
        run_round(
            &store,
            &MatchingSettings::default(),
            &settings(),
            round_time(),
            round_time().date_naive(),
            RoundMode::Record,
        )
        .await
        .unwrap();
        let second = IntroductionId::new(2);
        assert_eq!(
            introduction(&store, second).await.offer,
            SubmissionId::new(3)
        );

        let valid = side_token(first, Role::Receiving);
        let last = valid.chars().last().unwrap();
        let tampered = format!(
            "{}{}",
            &valid[..valid.len() - 1],
            if last == '0' { '1' } else { '0' }
        );
        // (case, sender, token, the field the inbound log blames)
        let cases = [
            ("tampered token", HOST, tampered, "token"),
            (
                "the other side's token",
                HOST,
                side_token(first, Role::Sending),
                "sender",
            ),
            (
                "another introduction's token",
                SENDER,
                side_token(second, Role::Sending),
                "sender",
            ),
            (
                "a valid token from an unrelated address",
                "eve@elsewhere.example",
                valid.clone(),
                "sender",
            ),
        ];
        for (index, (case, from, token, field)) in cases.into_iter().enumerate() {
            for word in ["ACCEPT", "DECLINE"] {
                let raw = reply(
                    from,
                    &token,
                    &format!("attack-{index}-{word}@x.example"),
                    word,
                );
                let report = ingest(&store, &raw, days_later(1)).await;
                assert_eq!(report.outcome, Outcome::Rejected, "{case}: {report:?}");
                assert_eq!(report.errors[0].field, field, "{case}: {report:?}");
            }
            let inbound = &store.inbound_messages(1).await.unwrap()[0];
            assert_eq!(inbound.message.errors[0].field, field, "{case}");
        }
        for id in [first, second] {
            let unchanged = introduction(&store, id).await;
            assert_eq!(unchanged.status, IntroductionStatus::Introduced);
            assert_eq!(
                (unchanged.host_answer, unchanged.sender_answer),
                (None, None)
            );
        }
        assert!(
            store
                .mobilities(&MobilityFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        // Each got a short answer, within the hourly limit per address.
        let to_eve = letters(&store, "answer", "eve@elsewhere.example").await;
        assert_eq!(to_eve.len(), 2);
        assert!(
            to_eve[0]
                .message
                .subject
                .starts_with("We could not use your reply")
        );
        assert!(
            to_eve[0]
                .message
                .body_text
                .contains("eve@elsewhere.example is not the address we wrote to about I-1")
        );
        for index in 0..6 {
            let raw = reply(
                HOST,
                &format!("i1h-{index:020}"),
                &format!("forged-{index}@x.example"),
                "ACCEPT",
            );
            ingest(&store, &raw, days_later(1)).await;
        }
        assert_eq!(
            letters(&store, "answer", HOST).await.len(),
            5,
            "at most reply_limit_per_hour answers to one address"
        );
    }
);

on_both_backends!(reminders_and_expiry_come_on_their_days_once, |database| {
    let store = database.connect().await;
    let id = introduce(&store, HOST, SENDER).await;
    let run = |at: DateTime<Utc>| {
        let store = store.clone();
        async move {
            remind(&store, &settings(), at, at.date_naive())
                .await
                .unwrap()
        }
    };
    let nothing = RemindReport::default();
    assert_eq!(run(days_later(7) - Duration::seconds(1)).await, nothing);
    assert_eq!(
        run(days_later(7)).await,
        RemindReport {
            reminded: 2,
            ..nothing
        }
    );
    assert_eq!(run(days_later(7)).await, nothing, "one reminder per side");
    let reminder = &letters(&store, "reminder", SENDER).await[0];
    assert!(
        reminder
            .message
            .subject
            .starts_with("Reminder: Introduction I-1")
    );
    assert_eq!(letters(&store, "reminder", HOST).await.len(), 1);

    let mut transaction = store.begin().await.unwrap();
    let answered = answer_introduction(
        &mut transaction,
        &settings().letters,
        id,
        Role::Receiving,
        Answer::Accept,
        days_later(8),
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();
    assert_eq!(
        answered.outcome,
        AnswerOutcome::Recorded(AnswerEffect::AwaitingPartner)
    );

    assert_eq!(run(days_later(21) - Duration::seconds(1)).await, nothing);
    assert_eq!(
        run(days_later(21)).await,
        RemindReport {
            expired: 1,
            ..nothing
        }
    );
    assert_eq!(run(days_later(30)).await, nothing);
    let expired = introduction(&store, id).await;
    assert_eq!(expired.status, IntroductionStatus::Expired);
    assert_eq!(letters(&store, "expired", HOST).await.len(), 1);
    assert_eq!(letters(&store, "expired", SENDER).await.len(), 1);

    let late = reply(
        SENDER,
        &side_token(id, Role::Sending),
        "late@gtg.example",
        "JA",
    );
    let report = ingest(&store, &late, days_later(22)).await;
    assert_eq!(report.outcome, Outcome::Rejected);
    assert_eq!(introduction(&store, id).await, expired);
    assert_eq!(letters(&store, "unchanged", SENDER).await.len(), 1);
});

on_both_backends!(
    an_introduction_written_straight_into_the_store_is_introduced_by_remind,
    |database| {
        let store = database.connect().await;
        let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
        let request = insert_submission(&store, &swedish_request(), SubmissionStatus::Open).await;
        let mut transaction = store.begin().await.unwrap();
        let round = transaction
            .insert_round(&mobmatch::store::NewRound {
                started_at: round_time(),
                duration_ms: 1,
                parameters: serde_json::json!({}),
                offers: 1,
                requests: 1,
                candidates: 1,
                introductions: 1,
                total_score: 75.0,
            })
            .await
            .unwrap();
        let id = transaction
            .insert_introduction(&mobmatch::store::NewIntroduction {
                round,
                offer,
                request,
                score: 75.0,
                reasons: vec!["both list 07".to_owned()],
                status: IntroductionStatus::Proposed,
                created_at: round_time(),
            })
            .await
            .unwrap();
        transaction.commit().await.unwrap();

        let report = remind(
            &store,
            &settings(),
            days_later(1),
            days_later(1).date_naive(),
        )
        .await
        .unwrap();
        assert_eq!(report.introduced, 1);
        assert_eq!(
            introduction(&store, id).await.status,
            IntroductionStatus::Introduced
        );
        assert_eq!(store.outbox(None).await.unwrap().len(), 2);
        // Its reminder counts from when it was introduced, not from the round.
        let early = remind(
            &store,
            &settings(),
            days_later(7),
            days_later(7).date_naive(),
        )
        .await
        .unwrap();
        assert_eq!(early.reminded, 0);
    }
);

on_both_backends!(
    the_report_of_an_ended_mobility_is_asked_for_once_and_updates_it,
    |database| {
        let store = database.connect().await;
        let id = introduce(&store, HOST, SENDER).await;
        for side in [Role::Receiving, Role::Sending] {
            let mut transaction = store.begin().await.unwrap();
            answer_introduction(
                &mut transaction,
                &settings().letters,
                id,
                side,
                Answer::Accept,
                days_later(1),
            )
            .await
            .unwrap();
            transaction.commit().await.unwrap();
        }
        // The planned mobility ends on 2027-05-15.
        let ended_on: DateTime<Utc> = "2027-05-15T12:00:00Z".parse().unwrap();
        let on_the_last_day = remind(&store, &settings(), ended_on, ended_on.date_naive())
            .await
            .unwrap();
        assert_eq!(on_the_last_day.completion_requests, 0);
        let next_day = ended_on + Duration::days(1);
        let report = remind(&store, &settings(), next_day, next_day.date_naive())
            .await
            .unwrap();
        assert_eq!(report.completion_requests, 1);
        let again = remind(&store, &settings(), next_day, next_day.date_naive())
            .await
            .unwrap();
        assert_eq!(again.completion_requests, 0);
        let request = &letters(&store, "completion", SENDER).await[0];
        assert!(
            request.message.body_text.contains("Participants: 3"),
            "{}",
            request.message.body_text
        );
        assert!(letters(&store, "completion", HOST).await.is_empty());

        let fixtures = fixtures();
        let gmail = &fixtures
            .iter()
            .find(|(name, _, _)| name == "en_gmail_decline")
            .unwrap()
            .1;
        let template = gmail.replace(
            "No, thank you. Our dates have changed.",
            "Participants: 2\nFewer opportunities: 1\nEnd date: 2027-05-14\nStatus: completed",
        );
        let raw = reply_from_template(&template, request, SENDER, "report@gtg.example");
        let report = ingest(&store, &raw, next_day).await;
        assert_eq!(
            (report.outcome, report.kind, report.reference.as_deref()),
            (Outcome::Accepted, Some(Kind::MobilityReport), Some("M-1")),
            "{report:?}"
        );
        let mobilities = store.mobilities(&MobilityFilter::default()).await.unwrap();
        assert_eq!(mobilities.len(), 1, "the reply updates, it adds nothing");
        let completed = &mobilities[0].details;
        assert_eq!(completed.status, MobilityStatus::Completed);
        assert_eq!(
            (completed.participants, completed.fewer_opportunities),
            (2, 1)
        );
        assert_eq!(completed.dates.end().to_string(), "2027-05-14");
        assert_eq!(completed.introduction, Some(id));

        let from_host = reply(
            HOST,
            &side_token(id, Role::Receiving),
            "host-report@x.example",
            "Participants: 9\nStatus: completed",
        );
        let report = ingest(&store, &from_host, next_day).await;
        assert_eq!(
            report.outcome,
            Outcome::Unrecognised,
            "only the sending side reports"
        );
        assert_eq!(
            store.mobilities(&MobilityFilter::default()).await.unwrap()[0]
                .details
                .participants,
            2
        );
    }
);

#[test]
fn the_remind_command_takes_a_hidden_clock_and_prints_json() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", folder.path().join("mobmatch.db").display());
    let run = |arguments: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
            .args(["--database-url", &url])
            .args(arguments)
            .current_dir(folder.path())
            .output()
            .unwrap()
    };
    let output = run(&["remind", "--now", "2027-01-11T08:00:00Z", "--json"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report,
        serde_json::json!({"introduced": 0, "reminded": 0, "expired": 0, "completion_requests": 0})
    );
    let help = run(&["remind", "--help"]);
    assert!(!String::from_utf8_lossy(&help.stdout).contains("--now"));
}

on_both_backends!(
    introductions_and_their_answers_reach_both_contacts_over_smtp,
    |database| {
        use crate::mail::servers::{delivered_to, smtp_transport};
        let store = database.connect().await;
        let run = rand::random::<u64>();
        let host = format!("host{run:x}@tknika.example");
        let sender = format!("sender{run:x}@gtg.example");
        let id = introduce(&store, &host, &sender).await;
        assert_eq!(send(&store, &smtp_transport(), round_time()).await.sent, 2);
        assert_eq!((delivered_to(&host), delivered_to(&sender)), (1, 1));

        for (from, side, message_id) in [
            (&host, Role::Receiving, "smtp-host@tknika.example"),
            (&sender, Role::Sending, "smtp-sender@gtg.example"),
        ] {
            let letter = &letters(&store, "introduction", from).await[0];
            let template = &fixtures()
                .into_iter()
                .find(|(name, _, _)| name == "de_outlook_akzeptiere")
                .unwrap()
                .1;
            let raw = reply_from_template(template, letter, from, message_id);
            let report = ingest(&store, &raw, days_later(1)).await;
            assert_eq!(report.outcome, Outcome::Accepted, "{side}: {report:?}");
        }
        assert_eq!(
            introduction(&store, id).await.status,
            IntroductionStatus::Accepted
        );
        // The host's acknowledgement, then the confirmation to both.
        assert_eq!(send(&store, &smtp_transport(), days_later(1)).await.sent, 3);
        assert_eq!((delivered_to(&host), delivered_to(&sender)), (3, 2));
    }
);

on_both_backends!(
    withdrawing_a_submission_declines_its_waiting_introduction,
    |database| {
        let store = database.connect().await;
        let id = introduce(&store, HOST, SENDER).await;
        let mut transaction = store.begin().await.unwrap();
        answer_introduction(
            &mut transaction,
            &settings().letters,
            id,
            Role::Sending,
            Answer::Accept,
            days_later(1),
        )
        .await
        .unwrap();
        transaction.commit().await.unwrap();

        let request = SubmissionId::new(2);
        let withdrawal = reply(
            SENDER,
            &token::sign(TokenSubject::Submission(request), SECRET),
            "withdraw@gtg.example",
            "WITHDRAW",
        );
        let report = ingest(&store, &withdrawal, days_later(2)).await;
        assert_eq!(report.kind, Some(Kind::Withdrawal), "{report:?}");
        let declined = introduction(&store, id).await;
        assert_eq!(declined.status, IntroductionStatus::Declined);
        assert_eq!(
            declined.sender_answer.map(|given| given.answer),
            Some(Answer::Accept),
            "the answer given stays on record"
        );
        let to_host = &letters(&store, "declined", HOST).await[0];
        assert!(
            to_host
                .message
                .body_text
                .contains("Göteborgs Tekniska Gymnasium has declined")
        );

        let host_accepts = reply(
            HOST,
            &side_token(id, Role::Receiving),
            "yes@tknika.example",
            "ACCEPT",
        );
        assert_eq!(
            ingest(&store, &host_accepts, days_later(3)).await.outcome,
            Outcome::Rejected
        );
        assert!(
            store
                .mobilities(&MobilityFilter::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.submission(request).await.unwrap().status,
            SubmissionStatus::Withdrawn
        );
    }
);

on_both_backends!(
    an_offer_whose_places_run_out_declines_its_other_introductions,
    |database| {
        let store = database.connect().await;
        // TKNIKA has three places; the Swedish school asks for three, a Finnish one for two.
        let offer = SubmissionDetails {
            organisation: organisation("TKNIKA", HOST, "ES21"),
            participants: 3,
            ..basque_offer()
        };
        let finnish = "tuuli@omnia.example";
        let finnish_request = SubmissionDetails {
            organisation: organisation("Omnia", finnish, "FI1B"),
            participants: 2,
            fewer_opportunities: 0,
            ..swedish_request()
        };
        let offer_id = insert_submission(&store, &offer, SubmissionStatus::Open).await;
        insert_submission(&store, &swedish_request(), SubmissionStatus::Open).await;
        let finnish_id = insert_submission(&store, &finnish_request, SubmissionStatus::Open).await;
        run_round(
            &store,
            &MatchingSettings::default(),
            &settings(),
            round_time(),
            round_time().date_naive(),
            RoundMode::Record,
        )
        .await
        .unwrap();
        let all = store
            .introductions(&IntroductionFilter::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 2, "{all:?}");
        let to_sweden = all.iter().find(|i| i.request != finnish_id).unwrap().id;
        let to_finland = all.iter().find(|i| i.request == finnish_id).unwrap().id;

        for side in [Role::Receiving, Role::Sending] {
            let mut transaction = store.begin().await.unwrap();
            answer_introduction(
                &mut transaction,
                &settings().letters,
                to_sweden,
                side,
                Answer::Accept,
                days_later(1),
            )
            .await
            .unwrap();
            transaction.commit().await.unwrap();
        }
        let full = store.submission(offer_id).await.unwrap();
        assert_eq!(
            (full.status, full.details.participants),
            (SubmissionStatus::Matched, 0)
        );
        assert_eq!(
            introduction(&store, to_finland).await.status,
            IntroductionStatus::Declined
        );
        assert_eq!(letters(&store, "declined", finnish).await.len(), 1);
        assert_eq!(
            store.submission(finnish_id).await.unwrap().status,
            SubmissionStatus::Open,
            "the Finnish request takes part in the next round"
        );
    }
);

/// Both sides answer at once (one by email, one on the web page, say): whichever order
/// the database puts them in, the second acceptance sees the first and plans the
/// mobility. PostgreSQL only: SQLite lets one writer in at a time.
#[tokio::test]
async fn two_acceptances_at_once_plan_the_mobility_once() {
    let database = crate::support::TestDatabase::postgres().await;
    let store = database.connect().await;
    let id = introduce(&store, HOST, SENDER).await;
    let mut host = store.begin().await.unwrap();
    let first = answer_introduction(
        &mut host,
        &settings().letters,
        id,
        Role::Receiving,
        Answer::Accept,
        days_later(1),
    )
    .await
    .unwrap();
    assert_eq!(
        first.outcome,
        AnswerOutcome::Recorded(AnswerEffect::AwaitingPartner)
    );
    let other = store.clone();
    let sender = tokio::spawn(async move {
        let mut transaction = other.begin().await.unwrap();
        let report = answer_introduction(
            &mut transaction,
            &settings().letters,
            id,
            Role::Sending,
            Answer::Accept,
            days_later(1),
        )
        .await
        .unwrap();
        transaction.commit().await.unwrap();
        report
    });
    host.commit().await.unwrap();
    let second = sender.await.unwrap();
    assert_eq!(
        second.outcome,
        AnswerOutcome::Recorded(AnswerEffect::BothAccepted)
    );
    assert_eq!(
        introduction(&store, id).await.status,
        IntroductionStatus::Accepted
    );
    assert_eq!(
        store
            .mobilities(&MobilityFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}
