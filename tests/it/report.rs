//! `mobmatch report` and `mobmatch export` as a user runs them, on both backends: every
//! file is read back (CSV parsed, XLSX opened with calamine, Parquet read with polars)
//! and must hold the same rows and values as the JSON export.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, DataType, Reader, Xlsx, open_workbook};
use polars::prelude::{AnyValue, ParquetReader, SerReader};
use serde_json::Value;

use crate::cli::{Workspace, example, text};
use crate::support::TestDatabase;

/// A value as every format can say it: dates as `YYYY-MM-DD` text.
#[derive(Clone, Debug)]
enum Cell {
    Empty,
    Number(f64),
    Text(String),
    Bool(bool),
}

impl PartialEq for Cell {
    fn eq(&self, other: &Cell) -> bool {
        match (self, other) {
            (Cell::Number(left), Cell::Number(right)) => {
                (left - right).abs() <= 1e-12 * left.abs().max(1.0)
            }
            (Cell::Empty, Cell::Empty) => true,
            (Cell::Text(left), Cell::Text(right)) => left == right,
            (Cell::Bool(left), Cell::Bool(right)) => left == right,
            _ => false,
        }
    }
}

type Rows = Vec<BTreeMap<String, Cell>>;

fn run(workspace: &Workspace, database: &TestDatabase, arguments: &[&str]) -> String {
    workspace.run_ok(database, arguments)
}

fn import_examples(workspace: &Workspace, database: &TestDatabase) {
    run(
        workspace,
        database,
        &["import", "mobilities", &example("mobilities.csv")],
    );
    run(
        workspace,
        database,
        &["import", "population", &example("population.csv")],
    );
}

/// `report --json` for December 2026 into `out`; returns what it printed.
fn write_december_report(workspace: &Workspace, database: &TestDatabase, out: &Path) -> String {
    run(
        workspace,
        database,
        &[
            "report",
            "--month",
            "2026-12",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
    )
}

fn from_json_lines(lines: &str) -> Rows {
    lines
        .lines()
        .map(|line| {
            let object: BTreeMap<String, Value> = serde_json::from_str(line).unwrap();
            object
                .into_iter()
                .map(|(key, value)| {
                    let cell = match value {
                        Value::Null => Cell::Empty,
                        Value::Bool(value) => Cell::Bool(value),
                        Value::Number(number) => Cell::Number(number.as_f64().unwrap()),
                        Value::String(text) => Cell::Text(text),
                        other => panic!("unexpected JSON value {other}"),
                    };
                    (key, cell)
                })
                .collect()
        })
        .collect()
}

/// CSV has no types: each field is read as the type of the same cell in `like`.
fn from_csv(path: &Path, like: &Rows) -> Rows {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .zip(like)
        .map(|(record, like)| {
            header
                .iter()
                .zip(record.unwrap().iter())
                .map(|(name, field)| {
                    let cell = match (field, &like[name]) {
                        ("", _) => Cell::Empty,
                        (_, Cell::Number(_)) => Cell::Number(field.parse().unwrap()),
                        (_, Cell::Bool(_)) => Cell::Bool(field.parse().unwrap()),
                        _ => Cell::Text(field.to_owned()),
                    };
                    (name.to_owned(), cell)
                })
                .collect()
        })
        .collect()
}

fn from_xlsx(path: &Path, sheet: &str) -> Rows {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .unwrap()
        .iter()
        .map(|cell| cell.to_string())
        .collect();
    rows.map(|row| {
        header
            .iter()
            .zip(row)
            .map(|(name, data)| {
                let cell = match data {
                    Data::Empty => Cell::Empty,
                    Data::Float(number) => Cell::Number(*number),
                    Data::Int(number) => Cell::Number(*number as f64),
                    Data::Bool(value) => Cell::Bool(*value),
                    Data::String(text) => Cell::Text(text.clone()),
                    Data::DateTime(_) => Cell::Text(data.as_datetime().unwrap().date().to_string()),
                    other => panic!("unexpected cell {other:?} in {name}"),
                };
                (name.clone(), cell)
            })
            .collect()
    })
    .collect()
}

fn from_parquet(path: &Path) -> Rows {
    let frame = ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap();
    (0..frame.height())
        .map(|row| {
            frame
                .columns()
                .iter()
                .map(|column| {
                    let cell = match column.get(row).unwrap() {
                        AnyValue::Null => Cell::Empty,
                        AnyValue::Boolean(value) => Cell::Bool(value),
                        AnyValue::String(text) => Cell::Text(text.to_owned()),
                        AnyValue::StringOwned(text) => Cell::Text(text.to_string()),
                        AnyValue::Date(_) => Cell::Text(
                            column
                                .get(row)
                                .unwrap()
                                .to_string()
                                .trim_matches('"')
                                .to_owned(),
                        ),
                        number => Cell::Number(number.extract::<f64>().unwrap()),
                    };
                    (column.name().to_string(), cell)
                })
                .collect()
        })
        .collect()
}

fn assert_same_rows(expected: &Rows, actual: &Rows, what: &str) {
    assert_eq!(expected.len(), actual.len(), "{what}: row count");
    for (index, (expected, actual)) in expected.iter().zip(actual).enumerate() {
        assert_eq!(expected, actual, "{what}: row {index}");
    }
}

on_both_backends!(
    report_writes_every_file_and_the_three_table_formats_hold_the_same_rows,
    |database| {
        let workspace = Workspace::new();
        import_examples(&workspace, &database);
        let out = workspace.path("monthly");
        let printed = write_december_report(&workspace, &database, &out);
        let printed: Value = serde_json::from_str(printed.trim()).unwrap();
        assert_eq!(printed["month"], "2026-12");
        assert_eq!(printed["files"].as_array().unwrap().len(), 6 + 8 + 2);

        for stem in [
            "mobilities_per_month",
            "vet_rate_by_region",
            "fewer_opportunities_share",
            "trajectory_2030",
        ] {
            let png = std::fs::read(out.join(format!("{stem}.png"))).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{stem}.png is a PNG");
            let svg = std::fs::read_to_string(out.join(format!("{stem}.svg"))).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{stem}.svg"
            );
        }
        let summary = std::fs::read_to_string(out.join("summary.html")).unwrap();
        assert!(summary.contains("País Vasco (ES21)"), "{summary}");
        assert!(summary.contains("vet_rate_by_region.png"));

        for table in ["targets", "mobilities"] {
            let arguments = [
                "export", "--what", table, "--format", "json", "--month", "2026-12",
            ];
            let expected = from_json_lines(&run(&workspace, &database, &arguments));
            let csv = from_csv(&out.join(format!("{table}.csv")), &expected);
            assert_same_rows(&expected, &csv, &format!("{table}.csv"));
            let xlsx = from_xlsx(&out.join(format!("{table}.xlsx")), table);
            assert_same_rows(&expected, &xlsx, &format!("{table}.xlsx"));
            let parquet = from_parquet(&out.join(format!("{table}.parquet")));
            assert_same_rows(&expected, &parquet, &format!("{table}.parquet"));
        }

        let targets = from_json_lines(&run(
            &workspace,
            &database,
            &[
                "export", "--what", "targets", "--format", "json", "--month", "2026-12",
            ],
        ));
        let basque = targets
            .iter()
            .find(|row| row["region"] == Cell::Text("ES21".to_owned()))
            .unwrap();
        // CIFP Tartanga's 8 VET learners over the 41,250 Basque VET learners of 2026.
        assert_eq!(basque["vet_participants"], Cell::Number(8.0));
        assert_eq!(basque["vet_mobility_rate"], Cell::Number(8.0 / 41250.0));
        let network = targets.last().unwrap();
        assert_eq!(network["region"], Cell::Text("ALL".to_owned()));
        // Completed in 2026: 3 + 6 + 8 + 5 + 6 + 10 + 4 + 4 participants.
        assert_eq!(network["participants"], Cell::Number(46.0));
        assert_eq!(network["fewer_opportunities"], Cell::Number(16.0));
        let mobilities = from_json_lines(&run(
            &workspace,
            &database,
            &["export", "--what", "mobilities", "--format", "json"],
        ));
        assert_eq!(mobilities.len(), 11);
        assert_eq!(
            mobilities[0]["erasmus_activity_code"],
            Cell::Text("SM-JOB-SHDW".to_owned())
        );
    }
);

on_both_backends!(
    a_mobility_confirmed_as_completed_after_being_planned_counts_once,
    |database| {
        let workspace = Workspace::new();
        let header = "sending_organisation,sending_region,receiving_organisation,receiving_country,mobility_type,participants,fewer_opportunities,start_date,end_date,status\n";
        let planned = workspace.path("planned.csv");
        std::fs::write(
            &planned,
            format!(
                "{header}Omnia,FI1B,TKNIKA,ES,vet_learner,10,2,2026-03-02,2026-03-27,planned\n"
            ),
        )
        .unwrap();
        let completed = workspace.path("completed.csv");
        std::fs::write(
            &completed,
            format!(
                "{header}Omnia,FI1B,TKNIKA,ES,vet_learner,9,3,2026-03-02,2026-03-27,completed\n"
            ),
        )
        .unwrap();
        let targets = |workspace: &Workspace| {
            from_json_lines(&run(
                workspace,
                &database,
                &[
                    "export", "--what", "targets", "--format", "json", "--month", "2026-04",
                ],
            ))
        };
        run(
            &workspace,
            &database,
            &["import", "mobilities", planned.to_str().unwrap()],
        );
        let before = targets(&workspace);
        assert_eq!(before.len(), 1, "only the ALL row: nothing completed yet");
        assert_eq!(before[0]["participants"], Cell::Number(0.0));

        run(
            &workspace,
            &database,
            &["import", "mobilities", completed.to_str().unwrap()],
        );
        let after = targets(&workspace);
        let finland = &after[0];
        assert_eq!(finland["region"], Cell::Text("FI1B".to_owned()));
        assert_eq!(finland["vet_participants"], Cell::Number(9.0));
        assert_eq!(finland["fewer_opportunities"], Cell::Number(3.0));
        let mobilities = run(
            &workspace,
            &database,
            &["export", "--what", "mobilities", "--format", "csv"],
        );
        assert_eq!(mobilities.lines().count(), 2, "{mobilities}");
    }
);

on_both_backends!(
    a_stored_mobility_value_that_no_longer_parses_stops_the_report_naming_its_column,
    |database| {
        let workspace = Workspace::new();
        import_examples(&workspace, &database);
        database
            .execute_behind_the_store(
                "UPDATE mobilities SET sending_region = 'XX99' \
                 WHERE id = (SELECT MAX(id) FROM mobilities)",
            )
            .await;

        let out = workspace.path("report");
        let output = workspace.run(&[
            "--database-url",
            database.url(),
            "report",
            "--month",
            "2026-12",
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{stderr}");
        assert!(
            stderr.contains("mobilities.sending_region") && stderr.contains("XX99"),
            "{stderr}"
        );
        assert!(
            !out.join("targets.csv").exists(),
            "no report is written from records that cannot be read"
        );
    }
);

on_both_backends!(
    exports_leave_out_contact_names_and_addresses_in_every_format,
    |database| {
        let workspace = Workspace::new();
        run(
            &workspace,
            &database,
            &["synth", "--offers", "3", "--requests", "2"],
        );
        for format in ["csv", "xlsx", "parquet", "json"] {
            let file = workspace.path(&format!("submissions.{format}"));
            run(
                &workspace,
                &database,
                &[
                    "export",
                    "--what",
                    "submissions",
                    "--format",
                    format,
                    "--out",
                    file.to_str().unwrap(),
                ],
            );
            assert!(std::fs::metadata(&file).unwrap().len() > 0);
        }
        let csv = std::fs::read_to_string(workspace.path("submissions.csv")).unwrap();
        assert_eq!(csv.lines().count(), 6, "{csv}");
        assert!(!csv.contains('@'), "no email address in the export: {csv}");
        let header = csv.lines().next().unwrap();
        assert!(
            !header.contains("contact") && !header.contains("notes"),
            "{header}"
        );
        let xlsx = from_xlsx(&workspace.path("submissions.xlsx"), "submissions");
        let parquet = from_parquet(&workspace.path("submissions.parquet"));
        let json =
            from_json_lines(&std::fs::read_to_string(workspace.path("submissions.json")).unwrap());
        assert_same_rows(&json, &xlsx, "submissions.xlsx");
        assert_same_rows(&json, &parquet, "submissions.parquet");
        let csv_rows = from_csv(&workspace.path("submissions.csv"), &json);
        assert_same_rows(&json, &csv_rows, "submissions.csv");
    }
);

#[test]
fn a_malformed_month_is_bad_usage() {
    let workspace = Workspace::new();
    let output = workspace.run(&["report", "--month", "2026-13"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("YYYY-MM"),
        "{}",
        text(&output.stderr)
    );
}

/// LibreOffice, a second reader besides calamine, opens the workbooks a report writes:
/// it shows the mobilities as the CSV has them, and the shares as percentages.
#[tokio::test]
async fn libreoffice_opens_the_report_workbooks() {
    let database = TestDatabase::sqlite();
    let workspace = Workspace::new();
    import_examples(&workspace, &database);
    let tricky = workspace.path("tricky.csv");
    std::fs::write(
        &tricky,
        "sending_organisation,sending_region,receiving_organisation,receiving_country,mobility_type,participants,fewer_opportunities,start_date,end_date,status\n\
         \"Smith & Sons <Training>, \"\"Ltd\"\"\",FI1B,Ålands Yrkesgymnasium,FI,staff_job_shadowing,2,0,2026-05-04,2026-05-08,completed\n",
    )
    .unwrap();
    run(
        &workspace,
        &database,
        &["import", "mobilities", tricky.to_str().unwrap()],
    );
    let out = workspace.path("monthly");
    write_december_report(&workspace, &database, &out);
    let converted = workspace.path("libreoffice");
    let output = std::process::Command::new("soffice")
        .arg("--headless")
        .arg("--norestore")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            workspace.path("libreoffice-profile").display()
        ))
        .args(["--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1"])
        .arg("--outdir")
        .arg(&converted)
        .arg(out.join("mobilities.xlsx"))
        .arg(out.join("targets.xlsx"))
        .output()
        .expect("LibreOffice's soffice runs (scripts/test installs it)");
    assert!(output.status.success(), "{output:?}");

    let table = |path: &Path| {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().clone();
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        (header, records)
    };
    let (header, mobilities) = table(&converted.join("mobilities.csv"));
    assert_eq!(
        (header, mobilities.clone()),
        table(&out.join("mobilities.csv"))
    );
    assert_eq!(mobilities.len(), 12);
    assert!(
        mobilities
            .iter()
            .any(|row| &row[2] == "Smith & Sons <Training>, \"Ltd\""),
        "{mobilities:?}"
    );

    let (header, targets) = table(&converted.join("targets.csv"));
    let (expected_header, expected) = table(&out.join("targets.csv"));
    assert_eq!(header, expected_header);
    assert_eq!(targets.len(), expected.len());
    let rate = header
        .iter()
        .position(|name| name == "vet_mobility_rate")
        .unwrap();
    for (shown, stored) in targets.iter().zip(&expected) {
        let first_three = |row: &csv::StringRecord| -> Vec<String> {
            row.iter().take(3).map(str::to_owned).collect()
        };
        assert_eq!(first_three(shown), first_three(stored));
        match stored[rate].parse::<f64>() {
            Ok(share) => {
                let percent = shown[rate]
                    .strip_suffix('%')
                    .unwrap_or_else(|| panic!("{:?} is shown as a percentage", &shown[rate]));
                let shown_share = percent.parse::<f64>().unwrap() / 100.0;
                assert!(
                    (shown_share - share).abs() <= 0.0005,
                    "{percent}% for {share}"
                );
            }
            Err(_) => assert_eq!(&shown[rate], ""),
        }
    }
}
