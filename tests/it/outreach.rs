//! Outreach end to end: a call for submissions to a thousand addresses, delivered to a
//! folder and to the SMTP server `scripts/test` starts on loopback (each gets exactly one
//! email in its language, with the unsubscribe headers; a second run sends nothing), and
//! unsubscribing by reply in five languages, by the `mailto:` of `List-Unsubscribe`, and
//! by the token the web server's one-click link carries; renewal requests and expiry at
//! a clock the test sets, `RENEW` replies in five languages, and an expired listing left
//! out of the next round.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use mobmatch::config::OutboundTransport;
use mobmatch::domain::{EmailAddress, Language, SubmissionDetails, SubmissionId, SubmissionStatus};
use mobmatch::forms::FormLanguage;
use mobmatch::import::read_call_recipients;
use mobmatch::mail::outreach::CallSettings;
use mobmatch::mail::token::{self, TokenSubject};
use mobmatch::mail::{Kind, MailRules, Outcome, Transport, deliver_outbox, ingest_message};
use mobmatch::matching::MatchingSettings;
use mobmatch::outreach::{
    CallMode, CallReport, Recipient, RenewReport, RenewalTiming, UnsubscribeError, Unsubscribed,
    known_contacts, renew, run_call, unsubscribe, unsubscribe_address,
};
use mobmatch::personal_data::{Mode, forget};
use mobmatch::privacy::address_sha256;
use mobmatch::round::{RoundMode, run_round};
use mobmatch::store::{OutboxStatus, Store, UnsubscribeVia};

use crate::mail::servers::smtp_transport;
use crate::store::{basque_offer, insert_submission, organisation, swedish_request};

const SECRET: &str = "outreach secret";
const LANGUAGES: [(&str, &str); 5] = [
    ("en", "Call for offers and requests"),
    ("es", "Convocatoria de ofertas y solicitudes"),
    ("sv", "Inbjudan till erbjudanden och förfrågningar"),
    ("fr", "Appel à offres et demandes"),
    ("de", "Aufruf für Angebote und Gesuche"),
];

fn rules() -> MailRules {
    crate::support::mail_rules(SECRET)
}

fn settings() -> CallSettings {
    rules().calls()
}

fn now() -> DateTime<Utc> {
    "2027-02-01T09:00:00Z".parse().unwrap()
}

fn round_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()
}

/// `count` addresses at `domain` as a CSV file would list them, the languages in turn
/// (the sixth is Italian, which mobmatch does not write, so English).
fn csv_list(domain: &str, count: usize) -> String {
    let codes = ["en", "es", "sv", "fr", "de", "it"];
    let mut csv = "email,name,organisation,language\r\n".to_owned();
    for index in 0..count {
        csv.push_str(&format!(
            "person{index}@{domain},Person {index},School {index},{}\r\n",
            codes[index % codes.len()]
        ));
    }
    csv
}

fn expected_language(address: &str) -> &'static str {
    let index: usize = address
        .trim_start_matches("person")
        .split('@')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    ["en", "es", "sv", "fr", "de", "en"][index % 6]
}

async fn call(store: &Store, recipients: &[Recipient], mode: CallMode) -> CallReport {
    run_call(store, &settings(), recipients, round_date(), mode, now())
        .await
        .unwrap()
}

async fn unsubscribe_by_reply(store: &Store, address: &str) {
    let mut transaction = store.begin().await.unwrap();
    unsubscribe_address(
        &mut transaction,
        &EmailAddress::parse(address).unwrap(),
        UnsubscribeVia::Reply,
        now(),
    )
    .await
    .unwrap();
    transaction.commit().await.unwrap();
}

async fn deliver(store: &Store, transport: &Transport) -> usize {
    deliver_outbox(
        store,
        transport,
        "Mobility Matchmaking",
        &EmailAddress::parse("matchmaking@example.org").unwrap(),
        now(),
        &mobmatch::stop::StopSignal::never(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap()
    .sent as usize
}

/// The header block of an email, unfolded, as (lower-case name, value) pairs.
fn headers(eml: &str) -> Vec<(String, String)> {
    let head = eml.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
    let head = head.replace("\r\n\t", " ");
    head.lines()
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(header, _)| header == name)
        .map(|(_, value)| value.as_str())
}

/// Checks the emails of one call, as written to a folder or delivered by SMTP, for the
/// addresses at `domain`: each address once, in its language, with the unsubscribe
/// headers and line; returns how many each address got.
fn check_calls<'a>(emails: impl Iterator<Item = &'a str>, domain: &str) -> HashMap<String, usize> {
    let mut received: HashMap<String, usize> = HashMap::new();
    for eml in emails {
        let headers = headers(eml);
        let Some(to) = header(&headers, "to").filter(|to| to.ends_with(&format!("@{domain}")))
        else {
            continue;
        };
        *received.entry(to.to_owned()).or_default() += 1;
        let language = expected_language(to);
        assert_eq!(header(&headers, "content-language"), Some(language), "{to}");
        assert_eq!(
            header(&headers, "auto-submitted"),
            Some("auto-generated"),
            "{to}"
        );
        assert_eq!(
            header(&headers, "list-unsubscribe-post"),
            Some("List-Unsubscribe=One-Click")
        );
        let list_unsubscribe = header(&headers, "list-unsubscribe").expect("List-Unsubscribe");
        let url = list_unsubscribe
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap();
        let token = url
            .strip_prefix("https://match.example.org/unsubscribe/")
            .unwrap_or_else(|| panic!("{list_unsubscribe}"));
        assert!(
            matches!(
                token::verify(token, SECRET),
                Ok(TokenSubject::Unsubscribe(_))
            ),
            "{token}"
        );
        assert!(list_unsubscribe.contains(&format!(
            "<mailto:matchmaking+{token}@example.org?subject=unsubscribe>"
        )));
        assert!(eml.contains(url), "the body shows the link");
        let subject = header(&headers, "subject").unwrap();
        let (_, expected_subject) = LANGUAGES
            .iter()
            .find(|(code, _)| *code == language)
            .unwrap();
        // Subjects with encoded words (non-ASCII) are checked through Content-Language.
        if !subject.contains("=?") {
            assert!(subject.starts_with(expected_subject), "{subject}");
        }
    }
    received
}

on_both_backends!(
    a_call_writes_once_to_each_address_in_its_language_and_never_twice,
    |database| {
        let store = database.connect().await;
        // The contact is written to in the first language of its submission that mobmatch
        // writes.
        let contact = SubmissionDetails {
            organisation: organisation("TKNIKA", "mikel@tknika.example", "ES21"),
            languages: vec![
                Language::parse("eu").unwrap(),
                Language::parse("es").unwrap(),
            ],
            ..basque_offer()
        };
        insert_submission(&store, &contact, SubmissionStatus::Open).await;
        let mut recipients = known_contacts(&store).await.unwrap();
        assert_eq!(recipients.len(), 1);
        assert_eq!(recipients[0].language, FormLanguage::Es);
        recipients.extend(read_call_recipients(csv_list("list.example", 1000).as_bytes()).unwrap());
        unsubscribe_by_reply(&store, "person7@list.example").await;
        unsubscribe_by_reply(&store, "PERSON8@list.example").await;

        let dry = call(&store, &recipients, CallMode::DryRun).await;
        assert_eq!((dry.queued, dry.unsubscribed), (999, 2));
        assert!(store.outbox(None).await.unwrap().is_empty());

        let first = call(&store, &recipients, CallMode::Send).await;
        assert_eq!(
            (
                first.recipients,
                first.queued,
                first.already_called,
                first.unsubscribed
            ),
            (1001, 999, 0, 2)
        );
        let again = call(&store, &recipients, CallMode::Send).await;
        assert_eq!((again.queued, again.already_called), (0, 999));

        let folder = tempfile::tempdir().unwrap();
        let transport = Transport::from_settings(
            &OutboundTransport::File {
                dir: folder.path().to_owned(),
            },
            None,
        )
        .unwrap();
        assert_eq!(deliver(&store, &transport).await, 999);
        let emails = read_folder(folder.path());
        let received = check_calls(emails.iter().map(String::as_str), "list.example");
        assert_eq!(received.len(), 998);
        assert!(received.values().all(|count| *count == 1));
        assert!(!received.contains_key("person7@list.example"));
        assert!(!received.contains_key("person8@list.example"));
        assert!(
            emails
                .iter()
                .any(|eml| eml.contains("To: mikel@tknika.example"))
        );

        // A new address joins the same call later; the others are not written to again.
        recipients.extend(read_call_recipients("email\nlate@list.example\n".as_bytes()).unwrap());
        let late = call(&store, &recipients, CallMode::Send).await;
        assert_eq!((late.queued, late.already_called), (1, 999));
    }
);

fn read_folder(folder: &Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect()
}

on_both_backends!(
    a_call_of_a_thousand_goes_through_a_real_smtp_server_once_each,
    |database| {
        let store = database.connect().await;
        // A domain of this test alone: the SMTP server's folder is shared by all tests.
        let domain = format!("call{:016x}.example", rand::random::<u64>());
        let recipients = read_call_recipients(csv_list(&domain, 1000).as_bytes()).unwrap();
        unsubscribe_by_reply(&store, &format!("person0@{domain}")).await;
        assert_eq!(call(&store, &recipients, CallMode::Send).await.queued, 999);
        assert_eq!(deliver(&store, &smtp_transport()).await, 999);
        assert_eq!(call(&store, &recipients, CallMode::Send).await.queued, 0);
        assert_eq!(deliver(&store, &smtp_transport()).await, 0);
        let maildir =
            std::path::PathBuf::from(std::env::var("MOBMATCH_TEST_SMTP_MAILDIR").unwrap());
        let emails: Vec<String> = ["new", "cur"]
            .iter()
            .filter_map(|folder| std::fs::read_dir(maildir.join(folder)).ok())
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.unwrap().path()).ok())
            .map(|text| text.replace("\r\n", "\n").replace('\n', "\r\n"))
            .collect();
        let received = check_calls(emails.iter().map(String::as_str), &domain);
        assert_eq!(received.len(), 999);
        assert!(received.values().all(|count| *count == 1));
        assert!(!received.contains_key(&format!("person0@{domain}")));
    }
);

fn raw_message(from: &str, to: &str, subject: &str, body: &str, id: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 1 Feb 2027 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn is_unsubscribed(store: &Store, address: &str) -> bool {
    store
        .unsubscribed_at(&address_sha256(&EmailAddress::parse(address).unwrap()))
        .await
        .unwrap()
        .is_some()
}

on_both_backends!(
    an_unsubscribe_reply_in_each_language_stops_calls_and_is_not_answered,
    |database| {
        let store = database.connect().await;
        let replies = [
            "UNSUBSCRIBE",
            "Baja, por favor.",
            "Avregistrera oss",
            "Désabonner",
            "Abmelden bitte",
        ];
        for (index, reply) in replies.iter().enumerate() {
            let sender = format!("contact{index}@school.example");
            let raw = raw_message(
                &sender,
                "matchmaking@example.org",
                "Re: Call for offers and requests",
                &format!("{reply}\r\n\r\n> The next matching round runs on 2027-03-01."),
                &format!("unsubscribe{index}@school.example"),
            );
            let report = ingest_message(&store, &rules(), "test", &raw, now())
                .await
                .unwrap();
            assert_eq!(report.outcome, Outcome::Accepted, "{reply}");
            assert_eq!(report.kind, Some(Kind::Unsubscribe), "{reply}");
            assert!(!report.answered, "{reply}");
            assert!(is_unsubscribed(&store, &sender).await, "{reply}");
        }
        assert!(store.outbox(None).await.unwrap().is_empty());
        let recipients = read_call_recipients(
            "email\ncontact0@school.example\ncontact4@school.example\nother@school.example\n"
                .as_bytes(),
        )
        .unwrap();
        let report = call(&store, &recipients, CallMode::Send).await;
        assert_eq!((report.queued, report.unsubscribed), (1, 2));
    }
);

/// The token of the unsubscribe link in the one queued call.
async fn queued_call_token(store: &Store) -> String {
    let queued = store.outbox(Some(OutboxStatus::Queued)).await.unwrap();
    assert_eq!(queued.len(), 1);
    let (_, value) = queued[0]
        .message
        .headers
        .iter()
        .find(|(name, _)| name == "List-Unsubscribe")
        .unwrap();
    value
        .split("/unsubscribe/")
        .nth(1)
        .unwrap()
        .split('>')
        .next()
        .unwrap()
        .to_owned()
}

on_both_backends!(
    the_mailto_of_list_unsubscribe_unsubscribes_whoever_sends_to_it,
    |database| {
        let store = database.connect().await;
        let recipients = read_call_recipients("email\nanna@gtg.example\n".as_bytes()).unwrap();
        call(&store, &recipients, CallMode::Send).await;
        let token = queued_call_token(&store).await;
        // Mail clients send to the mailto address from whatever address the person uses.
        let raw = raw_message(
            "anna.berg@private.example",
            &format!("matchmaking+{token}@example.org"),
            "unsubscribe",
            "",
            "mailto@private.example",
        );
        let report = ingest_message(&store, &rules(), "test", &raw, now())
            .await
            .unwrap();
        assert_eq!(
            (report.outcome, report.kind, report.answered),
            (Outcome::Accepted, Some(Kind::Unsubscribe), false)
        );
        assert!(is_unsubscribed(&store, "anna@gtg.example").await);
        assert!(!is_unsubscribed(&store, "anna.berg@private.example").await);
        let altered_last = if token.ends_with('0') { '1' } else { '0' };
        let forged = raw_message(
            "mallory@example.com",
            &format!(
                "matchmaking+{}{altered_last}@example.org",
                &token[..token.len() - 1]
            ),
            "unsubscribe",
            "",
            "forged@example.com",
        );
        let report = ingest_message(&store, &rules(), "test", &forged, now())
            .await
            .unwrap();
        assert_eq!(report.outcome, Outcome::Rejected);
    }
);

on_both_backends!(
    the_one_click_token_unsubscribes_once_and_outlives_forget,
    |database| {
        let store = database.connect().await;
        let recipients = read_call_recipients("email\nanna@gtg.example\n".as_bytes()).unwrap();
        call(&store, &recipients, CallMode::Send).await;
        let token = queued_call_token(&store).await;
        assert!(matches!(
            unsubscribe(&store, SECRET, "u1-00", UnsubscribeVia::Link, now()).await,
            Err(UnsubscribeError::Token(_))
        ));
        let submission_token = token::sign(
            TokenSubject::Submission(mobmatch::domain::SubmissionId::new(1)),
            SECRET,
        );
        assert!(matches!(
            unsubscribe(
                &store,
                SECRET,
                &submission_token,
                UnsubscribeVia::Link,
                now()
            )
            .await,
            Err(UnsubscribeError::NotAnUnsubscribeToken(_))
        ));
        assert!(!is_unsubscribed(&store, "anna@gtg.example").await);
        assert_eq!(
            unsubscribe(&store, SECRET, &token, UnsubscribeVia::Link, now())
                .await
                .unwrap(),
            Unsubscribed::Now
        );
        assert_eq!(
            unsubscribe(
                &store,
                SECRET,
                &token.to_uppercase(),
                UnsubscribeVia::Link,
                now()
            )
            .await
            .unwrap(),
            Unsubscribed::Already
        );
        let address = EmailAddress::parse("anna@gtg.example").unwrap();
        forget(&store, &address, "secretariat", now(), Mode::Apply)
            .await
            .unwrap();
        assert!(is_unsubscribed(&store, "anna@gtg.example").await);
        let next = run_call(
            &store,
            &settings(),
            &recipients,
            NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(),
            CallMode::Send,
            now(),
        )
        .await
        .unwrap();
        assert_eq!((next.queued, next.unsubscribed), (0, 1));
    }
);

/// `mobmatch renew` at this time (the day in UTC).
async fn renew_at(store: &Store, now: &str) -> RenewReport {
    let now: DateTime<Utc> = now.parse().unwrap();
    renew(
        store,
        &rules(),
        &RenewalTiming::default(),
        now,
        now.date_naive(),
    )
    .await
    .unwrap()
}

fn counts(report: &RenewReport) -> (usize, usize, usize) {
    (report.asked, report.asked_without_email, report.expired)
}

async fn candidates_on(store: &Store, day: &str) -> usize {
    let now: DateTime<Utc> = format!("{day}T08:00:00Z").parse().unwrap();
    run_round(
        store,
        &MatchingSettings::default(),
        &crate::introductions::settings(),
        now,
        now.date_naive(),
        RoundMode::DryRun,
    )
    .await
    .unwrap()
    .plan
    .candidates
    .len()
}

async fn status_of(store: &Store, id: SubmissionId) -> SubmissionStatus {
    store.submission(id).await.unwrap().status
}

// The listings are stored on 1 January 2027 at 10:00; renew_after_days is 90 and
// expire_listing_after_days 30.
on_both_backends!(
    an_unrenewed_listing_is_asked_once_then_expires_and_is_no_candidate,
    |database| {
        let store = database.connect().await;
        let offer = insert_submission(&store, &basque_offer(), SubmissionStatus::Open).await;
        let request = insert_submission(&store, &swedish_request(), SubmissionStatus::Open).await;
        unsubscribe_by_reply(&store, "anna@gtg.example").await;

        assert_eq!(
            counts(&renew_at(&store, "2027-04-01T09:59:59Z").await),
            (0, 0, 0)
        );
        // The request's contact unsubscribed: it is asked without an email.
        assert_eq!(
            counts(&renew_at(&store, "2027-04-01T10:00:00Z").await),
            (1, 1, 0)
        );
        assert_eq!(
            counts(&renew_at(&store, "2027-04-02T10:00:00Z").await),
            (0, 0, 0)
        );
        let queued = store.outbox(None).await.unwrap();
        assert_eq!(queued.len(), 1);
        let letter = &queued[0].message;
        assert_eq!(letter.recipients[0].as_str(), "mobility@tknika.example");
        let reply_token = token::sign(TokenSubject::Submission(offer), SECRET);
        assert!(
            letter
                .subject
                .ends_with(&format!("[mobmatch {reply_token}]")),
            "{}",
            letter.subject
        );
        assert!(
            letter.body_text.contains("2027-05-01"),
            "the expiry day: {}",
            letter.body_text
        );
        // It asks for changed fields, so it says what is kept and whom to write to.
        assert!(
            letter.body_text.contains("730 days"),
            "the privacy notice: {}",
            letter.body_text
        );
        let names: Vec<&str> = letter
            .headers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        for name in [
            "Auto-Submitted",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "Reply-To",
        ] {
            assert!(names.contains(&name), "{name}");
        }
        assert_eq!(candidates_on(&store, "2027-04-10").await, 1);

        assert_eq!(
            counts(&renew_at(&store, "2027-05-01T09:59:59Z").await),
            (0, 0, 0)
        );
        assert_eq!(
            counts(&renew_at(&store, "2027-05-01T10:00:00Z").await),
            (0, 0, 2)
        );
        assert_eq!(status_of(&store, offer).await, SubmissionStatus::Expired);
        assert_eq!(status_of(&store, request).await, SubmissionStatus::Expired);
        assert_eq!(candidates_on(&store, "2027-04-10").await, 0);
        assert_eq!(
            counts(&renew_at(&store, "2027-06-01T10:00:00Z").await),
            (0, 0, 0)
        );
    }
);

on_both_backends!(
    a_renew_reply_in_each_language_keeps_a_listing_open,
    |database| {
        let store = database.connect().await;
        let words = ["RENEW", "Renovar", "FÖRNYA", "renouveler", "Erneuern"];
        let mut listings = Vec::new();
        for index in 0..=words.len() {
            let details = SubmissionDetails {
                organisation: organisation(
                    &format!("School {index}"),
                    &format!("contact{index}@school.example"),
                    "ES21",
                ),
                ..basque_offer()
            };
            listings.push(insert_submission(&store, &details, SubmissionStatus::Open).await);
        }
        assert_eq!(
            counts(&renew_at(&store, "2027-04-01T10:00:00Z").await),
            (6, 0, 0)
        );
        let replied_at: DateTime<Utc> = "2027-04-03T10:00:00Z".parse().unwrap();
        for (index, word) in words.iter().enumerate() {
            let reply_token = token::sign(TokenSubject::Submission(listings[index]), SECRET);
            let raw = raw_message(
                &format!("contact{index}@school.example"),
                "matchmaking@example.org",
                &format!("Re: Still current? [mobmatch {reply_token}]"),
                &format!("{word}\r\n\r\n> Is it still current?"),
                &format!("renew{index}@school.example"),
            );
            let report = ingest_message(&store, &rules(), "test", &raw, replied_at)
                .await
                .unwrap();
            assert_eq!(report.outcome, Outcome::Accepted, "{word}: {report:?}");
            assert_eq!(report.kind, Some(Kind::Renewal), "{word}");
            assert!(report.answered, "{word}");
        }
        // Only the listing nobody renewed expires.
        assert_eq!(
            counts(&renew_at(&store, "2027-05-01T10:00:00Z").await),
            (0, 0, 1)
        );
        for (index, listing) in listings.iter().enumerate() {
            let expected = if index < words.len() {
                SubmissionStatus::Open
            } else {
                SubmissionStatus::Expired
            };
            assert_eq!(status_of(&store, *listing).await, expected, "{index}");
        }
        // A renewed listing is asked again after another renew_after_days without a change.
        assert_eq!(
            counts(&renew_at(&store, "2027-07-02T10:00:00Z").await),
            (5, 0, 0)
        );
    }
);

fn delivery_status_notification(recipient: &str, status: &str, id: &str) -> Vec<u8> {
    format!(
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.school.example>\r\n\
         To: matchmaking@example.org\r\nSubject: Undelivered Mail Returned to Sender\r\n\
         Date: Mon, 1 Feb 2027 10:00:00 +0000\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Return-Path: <>\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
         --b1\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; mx.school.example\r\n\r\n\
         Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n\
         --b1--\r\n"
    )
    .into_bytes()
}

async fn is_undeliverable(store: &Store, address: &str) -> bool {
    store
        .undeliverable_at(&address_sha256(&EmailAddress::parse(address).unwrap()))
        .await
        .unwrap()
        .is_some()
}

on_both_backends!(
    repeated_hard_bounces_make_an_address_undeliverable_and_calls_skip_it,
    |database| {
        let store = database.connect().await;
        let gone = "gone@school.example";
        let notifications = [
            ("5.1.1", "dsn1@mx.school.example"),
            // The same notification fetched twice counts once.
            ("5.1.1", "dsn1@mx.school.example"),
            // A soft bounce only counts.
            ("4.2.2", "dsn2@mx.school.example"),
            ("5.1.1", "dsn3@mx.school.example"),
        ];
        for (status, id) in notifications {
            let raw = delivery_status_notification(gone, status, id);
            let report = ingest_message(&store, &rules(), "test", &raw, now())
                .await
                .unwrap();
            assert!(
                matches!(report.outcome, Outcome::Ignored | Outcome::Duplicate),
                "{report:?}"
            );
            assert!(!report.answered);
        }
        assert!(!is_undeliverable(&store, gone).await);
        let third = delivery_status_notification(gone, "5.0.0", "dsn4@mx.school.example");
        ingest_message(&store, &rules(), "test", &third, now())
            .await
            .unwrap();
        assert!(is_undeliverable(&store, gone).await);
        assert!(
            store.outbox(None).await.unwrap().is_empty(),
            "bounces are never answered"
        );

        let recipients =
            read_call_recipients(format!("email\n{gone}\nhere@school.example\n").as_bytes())
                .unwrap();
        let report = call(&store, &recipients, CallMode::Send).await;
        assert_eq!(report.queued, 1);
        assert_eq!(report.undeliverable, [EmailAddress::parse(gone).unwrap()]);
    }
);

on_both_backends!(
    the_call_and_renew_commands_work_through_the_binary,
    |database| {
        let workspace = crate::cli::Workspace::new();
        std::fs::write(
        workspace.path("bad.csv"),
        "email,name,organisation,language\nanna@gtg.example,Anna,GTG,sv\nnot-an-address,X,Y,de\n",
    )
    .unwrap();
        let url = database.url();
        let output = workspace.run(&["--database-url", url, "call", "--to", "bad.csv"]);
        assert_eq!(output.status.code(), Some(1));
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains("bad.csv"), "{message}");
        assert!(
            message.contains("line 3: email: \"not-an-address\""),
            "{message}"
        );
        assert!(message.contains("nothing was sent"), "{message}");

        std::fs::write(
            workspace.path("list.csv"),
            "email;name;organisation;language\r\nanna@gtg.example;Anna;GTG;sv\r\n",
        )
        .unwrap();
        let now = &format!("--now={}", now().to_rfc3339());
        let dry = workspace.json_lines(&database, &["call", "--to", "list.csv", "--dry-run", now]);
        assert_eq!(dry[0]["queued"], 1);
        assert_eq!(dry[0]["dry_run"], true);
        // The default rounds run on Mondays at 08:00 in Brussels: Monday 1 February 2027 at
        // 10:00 there is past that round.
        assert_eq!(dry[0]["round_date"], "2027-02-08");
        let sent = workspace.json_lines(&database, &["call", "--to", "list.csv", now]);
        assert_eq!(sent[0]["queued"], 1);
        let again = workspace.json_lines(&database, &["call", "--to", "list.csv", now]);
        assert_eq!(
            (
                again[0]["queued"].clone(),
                again[0]["already_called"].clone()
            ),
            (0.into(), 1.into())
        );
        let renewed = workspace.json_lines(&database, &["renew", now]);
        assert_eq!(renewed[0]["asked"], 0);
    }
);
