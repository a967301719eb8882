//! The form parser against the fixture folder `tests/fixtures/forms/`: each `.txt` is an
//! email body (the reply is trimmed first, as the mail pipeline does), each `.fields` is
//! a web form or CSV row as `key=value` lines. Each has a `.expected.json` beside it.
//! Run with `MOBMATCH_BLESS=1` to write the expected files after a deliberate change,
//! then read every diff before committing.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use mobmatch::domain::EmailAddress;
use mobmatch::forms::{
    FieldSet, FormKind, SubmissionContext, parse_mobility_report, parse_submission, split_reply,
};
use serde_json::{Value, json};

fn fixture_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms")
}

fn context() -> SubmissionContext {
    SubmissionContext {
        today: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
        sender: Some(EmailAddress::parse("sender@school.example").unwrap()),
    }
}

fn outcome(path: &Path) -> Value {
    let input = std::fs::read_to_string(path).unwrap();
    let (fields, cut_off) = if path
        .extension()
        .is_some_and(|extension| extension == "fields")
    {
        let pairs = input.lines().filter_map(|line| line.split_once('='));
        (FieldSet::from_pairs(pairs), String::new())
    } else {
        let reply = split_reply(&input);
        (FieldSet::from_text(&reply.new_text), reply.cut_off)
    };
    let result = match fields.kind() {
        Some(FormKind::Submission) => match parse_submission(&fields, &context()) {
            Ok(submission) => json!({ "submission": submission }),
            Err(errors) => json!({ "errors": errors }),
        },
        Some(FormKind::MobilityReport) => match parse_mobility_report(&fields) {
            Ok(mobility) => json!({ "mobility": mobility }),
            Err(errors) => json!({ "errors": errors }),
        },
        None => json!({}),
    };
    let mut outcome = json!({
        "kind": fields.kind(),
        "language": fields.language(),
        "cut_off_lines": cut_off.lines().count(),
    });
    outcome
        .as_object_mut()
        .unwrap()
        .extend(result.as_object().unwrap().clone());
    outcome
}

#[test]
fn every_form_fixture_parses_to_its_expected_result() {
    let bless = std::env::var_os("MOBMATCH_BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixture_folder())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "txt" || extension == "fields")
        })
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 40,
        "the fixture folder holds {} cases",
        inputs.len()
    );
    let mut mismatches = Vec::new();
    for input in &inputs {
        let expected_path = input.with_extension("expected.json");
        let actual = outcome(input);
        if bless {
            std::fs::write(
                &expected_path,
                serde_json::to_string_pretty(&actual).unwrap() + "\n",
            )
            .unwrap();
            continue;
        }
        let expected: Value = match std::fs::read_to_string(&expected_path) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => Value::Null,
        };
        if expected != actual {
            mismatches.push(format!(
                "{}:\nexpected {}\nactual   {}",
                input.file_name().unwrap().to_string_lossy(),
                expected,
                actual
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} fixtures differ:\n\n{}",
        mismatches.len(),
        inputs.len(),
        mismatches.join("\n\n")
    );
}

#[test]
fn the_fixtures_use_every_label_of_every_language() {
    use mobmatch::forms::{FieldKey, FormLanguage};
    let corpus: String = std::fs::read_dir(fixture_folder())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "txt"))
        .map(|path| without_brackets(&std::fs::read_to_string(path).unwrap().to_lowercase()))
        .collect();
    let mut missing = Vec::new();
    for &key in FieldKey::ALL {
        for &language in FormLanguage::ALL {
            let form_label = key.labels(language)[0];
            if !corpus.contains(&form_label.to_lowercase()) {
                missing.push(format!("{} ({})", form_label, language.code()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "labels no fixture uses: {}",
        missing.join(", ")
    );
}

/// Labels carry hints in brackets ("Start date (YYYY-MM-DD)"); the label is what is left.
fn without_brackets(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut depth = 0usize;
    for character in text.chars() {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => kept.push(character),
            _ => {}
        }
    }
    kept.replace(" :", ":").replace("  ", " ")
}
