//! The `mobmatch` binary as a user runs it: in a fresh folder, on both backends, with
//! the exit codes of DESIGN.md section 7 (0 success, 1 failure, 2 bad usage or config).

use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{NaiveDate, TimeZone, Utc};
use mobmatch::domain::{IntroductionStatus, Role, Source, SubmissionStatus};
use mobmatch::forms::{FieldSet, SubmissionContext, parse_submission};
use mobmatch::store::{NewIntroduction, NewRound};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::TestDatabase;

/// A fresh working folder, as a new user has.
pub struct Workspace {
    folder: TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            folder: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }

    pub fn run(&self, arguments: &[&str]) -> Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
            .args(arguments)
            .current_dir(self.folder.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("mobmatch runs")
    }

    /// Runs a command against `database`, which must succeed, and returns its output.
    pub fn run_ok(&self, database: &TestDatabase, arguments: &[&str]) -> String {
        let mut all = vec!["--database-url", database.url()];
        all.extend_from_slice(arguments);
        let output = self.run(&all);
        assert!(
            output.status.success(),
            "{arguments:?} failed: {}",
            text(&output.stderr)
        );
        text(&output.stdout)
    }

    /// Runs a command against `database` and returns its JSON lines.
    pub fn json_lines(&self, database: &TestDatabase, arguments: &[&str]) -> Vec<Value> {
        let mut all = arguments.to_vec();
        all.push("--json");
        self.run_ok(database, &all)
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| panic!("{line}: {error}"))
            })
            .collect()
    }
}

pub fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn init_writes_a_config_with_a_secret_creates_the_database_and_never_overwrites() {
    let workspace = Workspace::new();
    let first = workspace.run(&["init"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let config = std::fs::read_to_string(workspace.path("mobmatch.toml")).unwrap();
    let secret_line = config
        .lines()
        .find(|line| line.starts_with("secret = "))
        .unwrap();
    assert!(
        secret_line.len() > "secret = \"\"".len() + 30,
        "{secret_line}"
    );
    assert!(workspace.path("mobmatch.db").exists());

    let second = workspace.run(&["init"]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("already exists; left unchanged"));
    assert_eq!(
        std::fs::read_to_string(workspace.path("mobmatch.toml")).unwrap(),
        config
    );
}

#[test]
fn the_listings_work_on_the_embedded_defaults_with_no_config_at_all() {
    let workspace = Workspace::new();
    let output = workspace.run(&["mobilities"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), "(none)");
    assert!(workspace.path("mobmatch.db").exists());
}

#[test]
fn a_bad_config_value_exits_2_and_names_the_key() {
    let workspace = Workspace::new();
    std::fs::write(
        workspace.path("mobmatch.toml"),
        "[mail]\naddress = \"nobody\"\n",
    )
    .unwrap();
    let output = workspace.run(&["mobilities"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("mail.address"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn bad_usage_exits_2() {
    let workspace = Workspace::new();
    assert_eq!(workspace.run(&["no-such-command"]).status.code(), Some(2));
    let wrong_status = workspace.run(&["submissions", "--status", "sleeping"]);
    assert_eq!(wrong_status.status.code(), Some(2));
    assert!(
        text(&wrong_status.stderr).contains("open"),
        "{}",
        text(&wrong_status.stderr)
    );
}

#[test]
fn an_unreachable_database_exits_1_with_a_message_and_no_password() {
    let workspace = Workspace::new();
    let output = workspace.run(&[
        "--database-url",
        "postgres://someone:hunter2@127.0.0.1:1/nowhere",
        "mobilities",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

on_both_backends!(
    importing_the_same_mobilities_twice_adds_them_once,
    |database| {
        let workspace = Workspace::new();
        let mobilities = example("mobilities.csv");
        let first = workspace.json_lines(&database, &["import", "mobilities", &mobilities]);
        assert_eq!(first[0]["imported"], 11, "{}", first[0]);
        assert_eq!(first[0]["rejected"], 0);
        let second = workspace.json_lines(&database, &["import", "mobilities", &mobilities]);
        assert_eq!(
            (
                second[0]["imported"].as_u64(),
                second[0]["unchanged"].as_u64()
            ),
            (Some(0), Some(11))
        );

        let listed = workspace.json_lines(&database, &["mobilities"]);
        assert_eq!(listed.len(), 11);
        let vigo = listed
            .iter()
            .find(|mobility| mobility["sending_organisation"] == "IES Politécnico Vigo")
            .unwrap();
        assert_eq!(vigo["receiving_region"], "PT11");
        assert_eq!(vigo["receiving_country"], "PT");
        assert_eq!(vigo["erasmus_activity_code"], "LM-SHORT-VET");
        assert_eq!(vigo["days"], 25);
        assert_eq!(vigo["status"], "completed");
        assert_eq!(vigo["source"], "import");
        let long_stay = listed
            .iter()
            .find(|mobility| mobility["sending_region"] == "FRE1")
            .unwrap();
        assert_eq!(long_stay["erasmus_activity_code"], "LM-LONG-VET");
        let completed_2026 = workspace.json_lines(
            &database,
            &["mobilities", "--status", "completed", "--year", "2026"],
        );
        assert_eq!(completed_2026.len(), 8);
    }
);

on_both_backends!(
    a_reimported_row_with_a_new_status_updates_its_mobility,
    |database| {
        let workspace = Workspace::new();
        let header = "sending_organisation,sending_region,receiving_country,mobility_type,participants,fewer_opportunities,start_date,end_date,status\n";
        let csv = workspace.path("report.csv");
        std::fs::write(
            &csv,
            format!("{header}TKNIKA,ES21,SE,vet_learner,8,2,2026-03-02,2026-03-20,planned\n"),
        )
        .unwrap();
        workspace.json_lines(&database, &["import", "mobilities", csv.to_str().unwrap()]);
        std::fs::write(
            &csv,
            format!("{header}TKNIKA,ES21,SE,vet_learner,7,2,2.3.2026,20.3.2026,completed\n"),
        )
        .unwrap();
        let report =
            workspace.json_lines(&database, &["import", "mobilities", csv.to_str().unwrap()]);
        assert_eq!(report[0]["updated"], 1, "{}", report[0]);
        let listed = workspace.json_lines(&database, &["mobilities"]);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (
                listed[0]["status"].as_str(),
                listed[0]["participants"].as_u64()
            ),
            (Some("completed"), Some(7))
        );
    }
);

on_both_backends!(
    bad_rows_are_reported_by_line_while_good_rows_are_imported_and_the_exit_code_is_1,
    |database| {
        let workspace = Workspace::new();
        let csv = workspace.path("mixed.csv");
        std::fs::write(
        &csv,
        "sending_organisation,sending_region,receiving_region,mobility_type,participants,start_date,end_date,status,introduction\n\
         Omnia,FI1B,ES21,apprentice,2,2026-04-06,2026-04-24,completed,\n\
         Omnia,FI9Z,ES21,apprentice,two,2026-04-06,2026-04-24,completed,\n\
         Omnia,FI1B,ES21,apprentice,2,2026-05-04,2026-05-22,completed,I-999\n\
         Omnia,FI1B,SE23,vet_learner,3,2026-06-01,2026-06-12,completed,\n",
    )
    .unwrap();
        let output = workspace.run(&[
            "--database-url",
            database.url(),
            "import",
            "mobilities",
            csv.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(1));
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("line 3: sending_region: \"FI9Z\""),
            "{stderr}"
        );
        assert!(stderr.contains("participants: \"two\""), "{stderr}");
        assert!(
            stderr.contains("line 4: introduction: \"I-999\""),
            "{stderr}"
        );
        assert!(
            text(&output.stdout).contains("4 rows read; 2 imported, 2 rejected."),
            "{}",
            text(&output.stdout)
        );
        assert_eq!(workspace.json_lines(&database, &["mobilities"]).len(), 2);
    }
);

on_both_backends!(
    population_figures_are_imported_and_a_later_import_replaces_them,
    |database| {
        let workspace = Workspace::new();
        let first = workspace.json_lines(
            &database,
            &["import", "population", &example("population.csv")],
        );
        assert_eq!(first[0]["imported"], 10, "{}", first[0]);
        let csv = workspace.path("correction.csv");
        std::fs::write(
            &csv,
            "region,year,vet_learners\nES21,2026,42000\nES21,2027,43000\n",
        )
        .unwrap();
        let second =
            workspace.json_lines(&database, &["import", "population", csv.to_str().unwrap()]);
        assert_eq!(
            (
                second[0]["imported"].as_u64(),
                second[0]["updated"].as_u64()
            ),
            (Some(1), Some(1))
        );
        let store = database.connect().await;
        let basque: Vec<_> = store
            .population()
            .await
            .unwrap()
            .into_iter()
            .filter(|row| row.region.code() == "ES21")
            .collect();
        assert_eq!(
            basque
                .iter()
                .map(|row| (row.year, row.vet_learners))
                .collect::<Vec<_>>(),
            [(2026, 42000), (2027, 43000)]
        );
        assert_eq!(
            basque[0].ivet_graduates, None,
            "a replaced figure takes the new row as it is"
        );
    }
);

on_both_backends!(
    submissions_and_introductions_list_with_the_design_field_names,
    |database| {
        let workspace = Workspace::new();
        let store = database.connect().await;
        let now = Utc.with_ymd_and_hms(2027, 1, 15, 9, 0, 0).unwrap();
        let context = SubmissionContext {
            today: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            sender: None,
        };
        let read = |name: &str| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/forms")
                .join(name);
            let text = std::fs::read_to_string(path).unwrap();
            parse_submission(
                &FieldSet::from_text(&mobmatch::forms::split_reply(&text).new_text),
                &context,
            )
            .unwrap()
        };
        let offer = read("en_offer_with_hints_kept.txt");
        let request = read("sv_request_outlook_reply.txt");
        let mut transaction = store.begin().await.unwrap();
        let offer_id = transaction
            .insert_submission(&offer, SubmissionStatus::Open, Source::Email, now)
            .await
            .unwrap();
        let request_id = transaction
            .insert_submission(&request, SubmissionStatus::Open, Source::Web, now)
            .await
            .unwrap();
        let round = transaction
            .insert_round(&NewRound {
                started_at: now,
                duration_ms: 12,
                parameters: serde_json::json!({}),
                offers: 1,
                requests: 1,
                candidates: 1,
                introductions: 1,
                total_score: 81.5,
            })
            .await
            .unwrap();
        transaction
            .insert_introduction(&NewIntroduction {
                round,
                offer: offer_id,
                request: request_id,
                score: 81.5,
                reasons: vec!["both list 0713 Electricity and energy".to_owned()],
                status: IntroductionStatus::Proposed,
                created_at: now,
            })
            .await
            .unwrap();
        transaction.commit().await.unwrap();

        let submissions = workspace.json_lines(&database, &["submissions"]);
        assert_eq!(submissions.len(), 2);
        let listed_offer = &submissions[0];
        for key in [
            "role",
            "mobility_type",
            "fields",
            "participants",
            "fewer_opportunities",
            "inclusion_support",
            "earliest_start",
            "latest_end",
            "min_days",
            "max_days",
            "languages",
            "partner_countries",
            "region",
            "country",
            "organisation",
            "contact_email",
            "notes",
            "status",
            "reference",
        ] {
            assert!(
                listed_offer.get(key).is_some(),
                "submissions --json lacks {key}: {listed_offer}"
            );
        }
        assert_eq!(listed_offer["reference"], offer_id.to_string());
        assert_eq!(listed_offer["role"], Role::Receiving.value());
        assert_eq!(listed_offer["fields"], serde_json::json!(["0713", "0722"]));
        assert_eq!(listed_offer["country"], "ES");
        assert_eq!(
            (
                listed_offer["min_days"].as_u64(),
                listed_offer["max_days"].as_u64()
            ),
            (Some(14), Some(30))
        );
        let requests = workspace.json_lines(&database, &["submissions", "--role", "sending"]);
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0]["fewer_opportunities"], 2);

        let introductions = workspace.json_lines(&database, &["introductions"]);
        assert_eq!(introductions.len(), 1);
        assert_eq!(introductions[0]["offer"], offer_id.to_string());
        assert_eq!(introductions[0]["request"], request_id.to_string());
        assert_eq!(
            introductions[0]["reasons"][0],
            "both list 0713 Electricity and energy"
        );
        assert_eq!(introductions[0]["status"], "proposed");

        let table = workspace.run(&["--database-url", database.url(), "submissions"]);
        let table = text(&table.stdout);
        assert!(table.starts_with("REF"), "{table}");
        assert!(
            table.contains("TKNIKA") && table.contains("Hermods Vuxenutbildning"),
            "{table}"
        );
    }
);
