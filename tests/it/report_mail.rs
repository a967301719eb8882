//! The monthly report by email and by the EU definition: `mobmatch report --email` then
//! `mobmatch send` into the outbox folder, the same message through the real SMTP server
//! (aiosmtpd, started by `scripts/test`), and `--definition eu`. Each delivered message
//! is parsed back and must hold the text, the HTML showing every chart, the four PNG
//! charts and `targets.xlsx`, byte for byte.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use mobmatch::config::{
    MailSettings, OutboundTransport, RateDefinition, Secret, SmtpServer, TargetSettings, TlsMode,
};
use mobmatch::domain::EmailAddress;
use mobmatch::mail::{Transport, deliver_outbox};
use mobmatch::report::{ReportInput, ReportMonth, chart_content_id, write_report};
use mobmatch::report_mail::queue_report_email;
use mobmatch::store::OutboxStatus;

use crate::cli::{Workspace, example, text};
use crate::support::TestDatabase;

const CHARTS: [&str; 4] = [
    "mobilities_per_month.png",
    "vet_rate_by_region.png",
    "fewer_opportunities_share.png",
    "trajectory_2030.png",
];
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn run(workspace: &Workspace, database: &TestDatabase, arguments: &[&str]) -> String {
    workspace.run_ok(database, arguments)
}

fn import_examples(workspace: &Workspace, database: &TestDatabase) {
    for (what, file) in [
        ("mobilities", "mobilities.csv"),
        ("population", "population.csv"),
    ] {
        run(workspace, database, &["import", what, &example(file)]);
    }
}

fn write_config(workspace: &Workspace, secretariat: &[&str]) {
    let addresses: Vec<String> = secretariat
        .iter()
        .map(|address| format!("{address:?}"))
        .collect();
    std::fs::write(
        workspace.path("mobmatch.toml"),
        format!(
            "[mail]\naddress = \"matchmaking@earlall.example\"\nsecretariat = [{}]\n",
            addresses.join(", ")
        ),
    )
    .unwrap();
}

/// Checks that `raw` is the report email for December 2026 to `recipient`, with the parts and
/// attachments of the report in `dir`.
fn assert_report_email(raw: &[u8], recipient: &str, dir: &Path) {
    let message = MessageParser::default().parse(raw).expect("a MIME message");
    assert_eq!(
        message.subject(),
        Some("Mobility monitoring report, December 2026")
    );
    let to = message.to().and_then(|to| to.first()).unwrap();
    assert_eq!(to.address(), Some(recipient));
    assert_eq!(
        message
            .header_raw("Auto-Submitted")
            .map(|value| value.trim()),
        Some("auto-generated")
    );
    let text_body = message.body_text(0).expect("a text part");
    assert!(
        text_body.contains("Mobility monitoring report, December 2026"),
        "{text_body}"
    );
    assert!(text_body.contains("País Vasco (ES21)"), "{text_body}");
    let html_body = message.body_html(0).expect("an HTML part");
    assert!(html_body.contains("País Vasco (ES21)"), "{html_body}");
    assert!(
        !html_body.contains(".svg"),
        "no links to files beside the page"
    );

    let attachments: Vec<_> = message.attachments().collect();
    let names: Vec<&str> = attachments
        .iter()
        .map(|part| part.attachment_name().unwrap_or_default())
        .collect();
    let mut expected_names = CHARTS.to_vec();
    expected_names.push("targets.xlsx");
    assert_eq!(names, expected_names);
    for (part, name) in attachments.iter().zip(&expected_names) {
        assert_eq!(
            part.contents(),
            std::fs::read(dir.join(name)).unwrap(),
            "{name} is attached whole"
        );
        let content_type = part.content_type().unwrap();
        let mime = match &content_type.c_subtype {
            Some(subtype) => format!("{}/{subtype}", content_type.c_type),
            None => content_type.c_type.to_string(),
        };
        if name.ends_with(".png") {
            assert_eq!(mime, "image/png");
            let content_id = chart_content_id(name);
            assert_eq!(part.content_id(), Some(content_id.as_str()));
            assert!(
                html_body.contains(&format!("src=\"cid:{content_id}\"")),
                "the HTML shows {name}"
            );
        } else {
            assert_eq!(mime, XLSX_TYPE);
            assert_eq!(part.content_id(), None);
        }
    }
}

fn eml_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|extension| extension == "eml"));
    files.sort();
    files
}

on_both_backends!(
    report_email_queues_one_message_per_secretariat_address_with_the_charts_and_the_workbook,
    |database| {
        let workspace = Workspace::new();
        write_config(
            &workspace,
            &["secretariat@earlall.example", "monitoring@earlall.example"],
        );
        import_examples(&workspace, &database);
        let out = workspace.path("monthly");
        let arguments = [
            "report",
            "--month",
            "2026-12",
            "--out",
            out.to_str().unwrap(),
            "--email",
            "--json",
        ];
        let printed: serde_json::Value =
            serde_json::from_str(run(&workspace, &database, &arguments).trim()).unwrap();
        let emails = printed["emails"].as_array().unwrap();
        assert_eq!(emails.len(), 2);
        assert!(emails.iter().all(|email| email["queued"] == true));

        // The same report again (into another folder, so that the files queued stay as
        // they were): nothing new is queued.
        let again_out = workspace.path("again");
        let mut again_arguments = arguments;
        again_arguments[4] = again_out.to_str().unwrap();
        let again: serde_json::Value =
            serde_json::from_str(run(&workspace, &database, &again_arguments).trim()).unwrap();
        assert!(
            again["emails"]
                .as_array()
                .unwrap()
                .iter()
                .all(|email| email["queued"] == false)
        );

        run(&workspace, &database, &["send"]);
        let delivered = eml_files(&workspace.path("mail/outbox"));
        assert_eq!(delivered.len(), 2, "{delivered:?}");
        let mut recipients = Vec::new();
        for file in &delivered {
            let raw = std::fs::read(file).unwrap();
            let message = MessageParser::default().parse(&raw[..]).unwrap();
            let recipient = message.to().unwrap().first().unwrap().address().unwrap();
            assert_report_email(&raw, recipient, &out);
            recipients.push(recipient.to_owned());
        }
        recipients.sort();
        assert_eq!(
            recipients,
            ["monitoring@earlall.example", "secretariat@earlall.example"]
        );
    }
);

#[test]
fn report_email_without_a_secretariat_stops_before_writing_anything() {
    let database = TestDatabase::sqlite();
    let workspace = Workspace::new();
    let out = workspace.path("monthly");
    let output = workspace.run(&[
        "--database-url",
        database.url(),
        "report",
        "--month",
        "2026-12",
        "--out",
        out.to_str().unwrap(),
        "--email",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("mail.secretariat"),
        "{}",
        text(&output.stderr)
    );
    assert!(!out.exists(), "no report written");
}

fn environment(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("{name} is set by scripts/test, which starts the mail servers"))
}

fn now() -> DateTime<Utc> {
    "2027-01-01T07:00:00Z".parse().unwrap()
}

fn targets() -> TargetSettings {
    TargetSettings {
        vet_mobility_rate: 0.20,
        fewer_opportunities_share: 0.20,
        eu_vet_benchmark: 0.12,
        year: 2030,
        baseline_year: 2024,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_email_reaches_the_smtp_server_with_its_parts_and_attachments() {
    let database = TestDatabase::sqlite();
    let workspace = Workspace::new();
    import_examples(&workspace, &database);
    let store = database.connect().await;
    let mobilities = store.mobilities(&Default::default()).await.unwrap();
    let population = store.population().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let month: ReportMonth = "2026-12".parse().unwrap();
    let files = write_report(
        ReportInput::new(&mobilities, &population).unwrap(),
        month,
        &targets(),
        RateDefinition::Partnership,
        dir.path(),
    )
    .unwrap();
    let recipient = format!("secretariat{:x}@earlall.example", rand::random::<u64>());
    let mail = MailSettings {
        secretariat: vec![EmailAddress::parse(&recipient).unwrap()],
        ..mobmatch::config::Config::default().mail
    };
    let queued = queue_report_email(&store, &files, &mail, now())
        .await
        .unwrap();
    assert_eq!(queued.len(), 1);

    let server = SmtpServer {
        host: "127.0.0.1".to_owned(),
        port: environment("MOBMATCH_TEST_SMTP_PORT").parse().unwrap(),
        tls: TlsMode::StartTls,
        username: Some("test".to_owned()),
        password: Some(Secret::new("secret")),
        oauth2_token_command: None,
    };
    let ca = PathBuf::from(environment("MOBMATCH_TEST_CA_FILE"));
    let transport = Transport::from_settings(&OutboundTransport::Smtp(server), Some(&ca)).unwrap();
    let our_address = EmailAddress::parse("matchmaking@example.org").unwrap();
    let report = deliver_outbox(
        &store,
        &transport,
        "Mobility Matchmaking",
        &our_address,
        now(),
        &mobmatch::stop::StopSignal::never(),
        &indicatif::ProgressBar::hidden(),
    )
    .await
    .unwrap();
    assert_eq!(report.sent, 1, "{:?}", store.outbox(None).await.unwrap());
    assert_eq!(
        store.outbox(Some(OutboxStatus::Sent)).await.unwrap().len(),
        1
    );

    let maildir = PathBuf::from(environment("MOBMATCH_TEST_SMTP_MAILDIR"));
    let received: Vec<Vec<u8>> = ["new", "cur"]
        .iter()
        .filter_map(|folder| std::fs::read_dir(maildir.join(folder)).ok())
        .flatten()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .filter(|raw| String::from_utf8_lossy(raw).contains(&format!("To: {recipient}")))
        .collect();
    assert_eq!(received.len(), 1);
    assert_report_email(&received[0], &recipient, dir.path());
}

on_both_backends!(
    the_eu_definition_leads_the_summary_and_charts_and_leaves_the_columns_as_they_are,
    |database| {
        let workspace = Workspace::new();
        import_examples(&workspace, &database);
        let report = |name: &str, extra: &[&str]| {
            let out = workspace.path(name);
            let mut arguments = vec![
                "report",
                "--month",
                "2026-12",
                "--out",
                out.to_str().unwrap(),
            ];
            arguments.extend_from_slice(extra);
            run(&workspace, &database, &arguments);
            out
        };
        let partnership = report("partnership", &[]);
        let eu = report("eu", &["--definition", "eu"]);
        let header = |dir: &Path| {
            std::fs::read_to_string(dir.join("targets.csv"))
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header(&partnership), header(&eu));
        assert_eq!(
            std::fs::read_to_string(partnership.join("targets.csv")).unwrap(),
            std::fs::read_to_string(eu.join("targets.csv")).unwrap(),
            "targets.csv holds both definitions whichever the report leads with"
        );

        let html = std::fs::read_to_string(eu.join("summary.html")).unwrap();
        assert!(
            html.contains("VET mobility rate, EU definition, network"),
            "{html}"
        );
        assert!(html.contains("IVET graduates"), "{html}");
        assert!(html.contains("On track for 12.0%"), "{html}");
        let summary_text = std::fs::read_to_string(eu.join("summary.txt")).unwrap();
        assert!(summary_text.contains("at least 10 days"), "{summary_text}");
        let svg = std::fs::read_to_string(eu.join("vet_rate_by_region.svg")).unwrap();
        assert!(svg.contains("(EU definition)"));
        assert!(
            svg.contains("graduates"),
            "the axis names the EU denominator"
        );
        let partnership_html = std::fs::read_to_string(partnership.join("summary.html")).unwrap();
        assert!(partnership_html.contains("On track for 20.0%"));
        assert!(!partnership_html.contains("On track for 12.0%"));

        // The setting chooses the same, and a bad value names the key.
        std::fs::write(
            workspace.path("mobmatch.toml"),
            "[reports]\ndefinition = \"eu\"\n",
        )
        .unwrap();
        let configured = report("configured", &[]);
        assert_eq!(
            std::fs::read_to_string(configured.join("summary.html")).unwrap(),
            html
        );
        std::fs::write(
            workspace.path("mobmatch.toml"),
            "[reports]\ndefinition = \"cedefop\"\n",
        )
        .unwrap();
        let output = workspace.run(&["--database-url", database.url(), "report"]);
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
        assert!(
            text(&output.stderr).contains("reports.definition"),
            "{}",
            text(&output.stderr)
        );
    }
);
