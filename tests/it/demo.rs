//! `mobmatch demo` as a newcomer runs it: a fresh folder, every step, and the results
//! read back through the binary's own listings, run in that folder.

use std::path::Path;
use std::process::Output;

use chrono::Utc;
use serde_json::Value;

use crate::cli::text;

fn mobmatch_in(folder: &Path, arguments: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_mobmatch"))
        .args(arguments)
        .current_dir(folder)
        .env("NO_COLOR", "1")
        .output()
        .expect("mobmatch runs")
}

fn json_lines(folder: &Path, listing: &str) -> Vec<Value> {
    let output = mobmatch_in(folder, &[listing, "--json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{line}: {error}")))
        .collect()
}

fn files_with_extension(folder: &Path, extension: &str) -> Vec<String> {
    std::fs::read_dir(folder)
        .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|found| found == extension))
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_demo_runs_every_step_in_a_fresh_folder_and_refuses_a_used_one() {
    let parent = tempfile::tempdir().unwrap();
    let demo = parent.path().join("demo");
    let output = mobmatch_in(
        parent.path(),
        &["demo", "--dir", demo.to_str().unwrap(), "--no-serve"],
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("Where everything is"), "{stdout}");
    assert!(stdout.contains("/admin, password: "), "{stdout}");

    let organisations = mobmatch::demo::demo_forms(Utc::now().date_naive()).len();
    let submissions = json_lines(&demo, "submissions");
    assert_eq!(submissions.len(), organisations, "{stdout}");
    assert!(
        submissions
            .iter()
            .all(|submission| submission["status"] == "open"),
        "{submissions:?}"
    );
    for role in ["receiving", "sending"] {
        assert!(
            submissions
                .iter()
                .any(|submission| submission["role"] == role),
            "no {role} submission: {submissions:?}"
        );
    }

    // Every request finds a host but Escola Pia Sabadell's: nobody offers food processing.
    let introductions = json_lines(&demo, "introductions");
    let requests: Vec<&Value> = submissions
        .iter()
        .filter(|submission| submission["role"] == "sending")
        .collect();
    let unintroduced: Vec<&str> = requests
        .iter()
        .filter(|request| {
            !introductions
                .iter()
                .any(|introduction| introduction["request"] == request["reference"])
        })
        .map(|request| request["organisation"].as_str().unwrap())
        .collect();
    assert_eq!(unintroduced, ["Escola Pia Sabadell"], "{introductions:?}");
    assert_eq!(introductions.len(), requests.len() - 1);
    assert!(
        introductions
            .iter()
            .all(|introduction| introduction["status"] == "introduced"),
        "{introductions:?}"
    );

    // One confirmation per submission, and one email to each side of each introduction.
    let outbox = files_with_extension(&demo.join("mail/outbox"), "eml");
    assert_eq!(outbox.len(), organisations + 2 * introductions.len());
    let inbox = demo.join("mail/inbox");
    assert_eq!(std::fs::read_dir(inbox.join("new")).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(inbox.join("cur")).unwrap().count(),
        organisations
    );

    let example_rows = include_str!("../../examples/mobilities.csv")
        .lines()
        .count()
        - 1;
    let mobilities = json_lines(&demo, "mobilities");
    assert_eq!(mobilities.len(), example_rows, "{mobilities:?}");

    let months: Vec<_> = std::fs::read_dir(demo.join("reports"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(months.len(), 1, "one report: {months:?}");
    let report = &months[0];
    let summary = std::fs::read_to_string(report.join("summary.html")).unwrap();
    assert!(summary.contains("<html"), "{summary}");
    assert!(!files_with_extension(report, "png").is_empty());
    assert!(!files_with_extension(report, "svg").is_empty());
    assert!(report.join("targets.xlsx").exists());
    assert!(report.join("mobilities.csv").exists());

    let again = mobmatch_in(
        parent.path(),
        &["demo", "--dir", demo.to_str().unwrap(), "--no-serve"],
    );
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");
    assert!(stderr.contains("run `mobmatch serve` in"), "{stderr}");
    assert_eq!(
        json_lines(&demo, "submissions").len(),
        organisations,
        "the second run changed nothing"
    );
}

#[test]
fn the_demo_refuses_a_folder_holding_other_files_and_a_config_of_its_own() {
    let parent = tempfile::tempdir().unwrap();
    let used = parent.path().join("used");
    std::fs::create_dir(&used).unwrap();
    std::fs::write(used.join("notes.txt"), "mine").unwrap();
    let output = mobmatch_in(
        parent.path(),
        &["demo", "--dir", used.to_str().unwrap(), "--no-serve"],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is not empty") && stderr.contains("--dir"),
        "{stderr}"
    );
    assert!(!stderr.contains("earlier demo"), "{stderr}");
    assert_eq!(std::fs::read_dir(&used).unwrap().count(), 1);

    let output = mobmatch_in(
        parent.path(),
        &["--database-url", "sqlite://other.db", "demo", "--no-serve"],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(!parent.path().join(mobmatch::demo::DEFAULT_DIR).exists());
}
