//! Arbitrary bytes through decoding, classification, the form parser and the answers,
//! with proptest (cargo-fuzz needs a nightly compiler). CI runs the default number of
//! cases; a long run sets `PROPTEST_CASES`. Every input that ever failed is kept in
//! `tests/fixtures/mail/fuzz/` (beside a seed) and replayed.

use chrono::NaiveDate;
use proptest::prelude::*;

use super::answers::{Answer, PrivacyNotice, written_values};
use super::classify::{Classification, classify, ignore_reason, reply_command};
use super::decode::decode;
use super::token;
use crate::domain::EmailAddress;
use crate::forms::{
    FormKind, FormLanguage, SubmissionContext, parse_mobility_report, parse_submission,
};
use crate::privacy::RetentionSettings;

const OURS: &str = "matchmaking@example.org";

/// Everything ingestion does with a message short of the database.
fn digest(raw: &[u8]) {
    let decoded = decode(raw);
    if ignore_reason(&decoded, OURS).is_some() {
        return;
    }
    let context = SubmissionContext {
        today: NaiveDate::from_ymd_opt(2026, 3, 2).expect("a date"),
        sender: None,
    };
    match classify(&decoded, OURS) {
        Classification::Reply { token, reply } => {
            let _ = token::verify(&token, "secret");
            let _ = reply_command(&reply.new_text);
        }
        Classification::Submission { fields, .. } => {
            if let Err(errors) = parse_submission(&fields, &context) {
                let language = fields.language().unwrap_or(FormLanguage::En);
                Answer::Rejection {
                    errors,
                    form: FormKind::Submission,
                    values: written_values(&fields),
                }
                .render(
                    language,
                    &PrivacyNotice::new(
                        &RetentionSettings::default(),
                        &EmailAddress::parse(OURS).expect("our address parses"),
                    ),
                );
            }
        }
        Classification::MobilityReport { fields, .. } => {
            let _ = parse_mobility_report(&fields);
        }
        Classification::Unrecognised { .. } => {}
    }
}

/// Lines that look like mail and forms, so that random input reaches deep paths.
fn mail_like() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("From: Anna <anna@school.example>".to_owned()),
        Just("To: matchmaking+s1-0123456789abcdef0123@example.org".to_owned()),
        Just("Content-Type: multipart/alternative; boundary=\"b\"".to_owned()),
        Just("Content-Type: text/html; charset=windows-1252".to_owned()),
        Just("Content-Transfer-Encoding: quoted-printable".to_owned()),
        Just("Content-Transfer-Encoding: base64".to_owned()),
        Just("--b".to_owned()),
        Just(String::new()),
        Just("Role: receiving".to_owned()),
        Just("Sending region: ES21".to_owned()),
        Just("Receiving country: SE".to_owned()),
        Just("Participants: 4".to_owned()),
        Just("Earliest start: 1.2.2026".to_owned()),
        Just("Duration in days: 2-3 weeks".to_owned()),
        Just("<div class=\"gmail_quote\"><blockquote>".to_owned()),
        Just("On Mon, 2 Mar 2026, Anna wrote:".to_owned()),
        Just("-----Original Message-----".to_owned()),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ];
    proptest::collection::vec(line, 0..40).prop_map(|lines| lines.join("\r\n").into_bytes())
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        digest(&raw);
    }

    #[test]
    fn mail_like_text_never_panics(raw in mail_like()) {
        digest(&raw);
    }
}

#[test]
fn inputs_that_once_failed_still_pass() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail/fuzz");
    for entry in std::fs::read_dir(folder).expect("the fuzz fixture folder exists") {
        digest(&std::fs::read(entry.expect("a readable entry").path()).expect("readable"));
    }
}
