//! `mobmatch copy-database`: a SQLite database filled through the commands, copied into
//! a fresh PostgreSQL database, compared table by table and value by value.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{Connection, Row};

use crate::cli::{Workspace, example, text};
use crate::support::TestDatabase;

/// Every row of every table, each value written in one canonical way whichever backend
/// holds it (times to the microsecond, as PostgreSQL keeps them), rows sorted.
type Tables = BTreeMap<String, Vec<Vec<String>>>;

#[tokio::test]
async fn a_sqlite_database_is_copied_into_postgresql_row_for_row_and_only_into_an_empty_one() {
    let sqlite = TestDatabase::sqlite();
    let postgres = TestDatabase::postgres().await;
    let workspace = Workspace::new();
    std::fs::write(
        workspace.path("mobmatch.toml"),
        "secret = \"copy-test-secret\"\n[mail]\naddress = \"matchmaking@earlall.example\"\n\
         secretariat = [\"secretariat@earlall.example\"]\n",
    )
    .unwrap();
    let run = |arguments: &[&str]| workspace.run_ok(&sqlite, arguments);
    run(&[
        "synth",
        "--offers",
        "25",
        "--requests",
        "25",
        "--maildir",
        "mail/inbox",
    ]);
    run(&["fetch"]);
    run(&["round"]);
    run(&["import", "mobilities", &example("mobilities.csv")]);
    run(&["import", "population", &example("population.csv")]);
    run(&["report", "--month", "2026-10", "--email"]);
    run(&["call"]);
    run(&["send"]);
    let submissions = workspace.json_lines(&sqlite, &["submissions"]);
    let contact = submissions[0]["contact_email"].as_str().unwrap().to_owned();
    run(&["forget", &contact, "--by", "Secretariat"]);
    let store = sqlite.connect().await;
    let mut transaction = store.begin().await.unwrap();
    transaction
        .set_admin_password_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Utc::now())
        .await
        .unwrap();
    // A run of the daemon's, as `serve` records it.
    let started_at = Utc::now();
    let run = transaction
        .start_job_run(&mobmatch::store::NewJobRun {
            job: "fetch_mail",
            slot: Some(started_at.with_nanosecond(0).unwrap()),
            trigger: mobmatch::store::JobTrigger::Schedule,
            instance: "copy-test:1",
            started_at,
        })
        .await
        .unwrap()
        .unwrap();
    transaction
        .finish_job_run(
            run,
            mobmatch::store::JobOutcome::Succeeded,
            Utc::now(),
            &serde_json::json!({"accepted": 50}),
            None,
        )
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    store.close().await;

    let column_types = postgres_column_types(&postgres).await;
    let before = all_rows(&sqlite, &column_types).await;
    let empty: Vec<&String> = before
        .iter()
        .filter(|(_, rows)| rows.is_empty())
        .map(|(table, _)| table)
        .collect();
    assert!(
        empty.is_empty(),
        "fill {empty:?} above too, so that the copy is tested on every table"
    );

    let copied = workspace.json_lines(&sqlite, &["copy-database", "--to", postgres.url()]);
    assert_eq!(copied.len(), 1);
    let reported: BTreeMap<String, (u64, u64)> = copied[0]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|table| {
            (
                table["table"].as_str().unwrap().to_owned(),
                (
                    table["source_rows"].as_u64().unwrap(),
                    table["target_rows"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let expected: BTreeMap<String, (u64, u64)> = before
        .iter()
        .map(|(table, rows)| (table.clone(), (rows.len() as u64, rows.len() as u64)))
        .collect();
    assert_eq!(reported, expected);
    let total: usize = before.values().map(Vec::len).sum();
    assert_eq!(copied[0]["rows"], total);

    assert_eq!(all_rows(&postgres, &column_types).await, before);
    for listing in [
        &["submissions", "--json"][..],
        &["introductions", "--json"],
        &["mobilities", "--json"],
        &[
            "export", "--what", "targets", "--format", "csv", "--month", "2026-10",
        ],
    ] {
        assert_eq!(
            without_nanoseconds(&workspace.run_ok(&postgres, listing)),
            without_nanoseconds(&workspace.run_ok(&sqlite, listing)),
            "{listing:?}"
        );
    }

    // The id sequences go on after the copied ids.
    let organisations = before["organisations"].len();
    workspace.run_ok(
        &postgres,
        &["synth", "--offers", "1", "--requests", "1", "--seed", "7"],
    );
    let new_ids: Vec<String> = workspace
        .json_lines(&postgres, &["submissions"])
        .iter()
        .map(|submission| submission["reference"].as_str().unwrap().to_owned())
        .collect();
    assert!(new_ids.contains(&format!("S-{}", before["submissions"].len() + 2)));
    assert!(all_rows(&postgres, &column_types).await["organisations"].len() > organisations);

    let again = workspace.run(&[
        "--database-url",
        sqlite.url(),
        "copy-database",
        "--to",
        postgres.url(),
    ]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let message = text(&again.stderr);
    assert!(
        message.contains("the target database is not empty"),
        "{message}"
    );
    assert!(message.contains("organisations ("), "{message}");
    assert!(message.contains("nothing was copied"), "{message}");
}

#[tokio::test]
async fn copying_into_anything_but_postgresql_is_refused_before_it_starts() {
    let sqlite = TestDatabase::sqlite();
    let workspace = Workspace::new();
    let output = workspace.run(&[
        "--database-url",
        sqlite.url(),
        "copy-database",
        "--to",
        "sqlite://other.db",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("expected a PostgreSQL database URL"),
        "{}",
        text(&output.stderr)
    );

    let postgres = TestDatabase::postgres().await;
    let backwards = workspace.run(&[
        "--database-url",
        postgres.url(),
        "copy-database",
        "--to",
        postgres.url(),
    ]);
    assert_eq!(backwards.status.code(), Some(1));
    assert!(
        text(&backwards.stderr).contains("copies a SQLite database into PostgreSQL"),
        "{}",
        text(&backwards.stderr)
    );
}

/// Times in listings as PostgreSQL keeps them: fractions of a second cut to six digits,
/// and written as chrono writes them, without trailing zeros (".100" for 100,000 µs, none
/// for a whole second).
fn without_nanoseconds(listing: &str) -> String {
    let mut kept = String::with_capacity(listing.len());
    let mut characters = listing.chars().peekable();
    let mut previous = ' ';
    while let Some(character) = characters.next() {
        if character == '.'
            && previous.is_ascii_digit()
            && characters.peek().is_some_and(char::is_ascii_digit)
        {
            let mut fraction = String::new();
            while let Some(digit) = characters.next_if(char::is_ascii_digit) {
                fraction.push(digit);
            }
            fraction.truncate(6);
            let fraction = fraction.trim_end_matches('0');
            if !fraction.is_empty() {
                kept.push('.');
                kept.push_str(fraction);
            }
            previous = '0';
            continue;
        }
        previous = character;
        kept.push(character);
    }
    kept
}

/// Each column's PostgreSQL type, by table, leaving out sqlx's record of migrations.
async fn postgres_column_types(database: &TestDatabase) -> ColumnTypes {
    database.connect().await.close().await;
    let mut connection = PgConnection::connect(database.url()).await.unwrap();
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text \
         FROM information_schema.columns \
         WHERE table_schema = 'public' AND substr(table_name, 1, 1) <> '_' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut connection)
    .await
    .unwrap();
    connection.close().await.unwrap();
    let mut tables = ColumnTypes::new();
    for (table, column, data_type) in rows {
        tables.entry(table).or_default().push((column, data_type));
    }
    tables
}

type ColumnTypes = BTreeMap<String, Vec<(String, String)>>;

/// Every table of `database` (SQLite or PostgreSQL), each value read as the type of its
/// PostgreSQL column in `types`.
async fn all_rows(database: &TestDatabase, types: &ColumnTypes) -> Tables {
    let mut tables = Tables::new();
    let sqlite = database.url().starts_with("sqlite:");
    let mut sqlite_connection = None;
    let mut postgres_connection = None;
    if sqlite {
        sqlite_connection = Some(SqliteConnection::connect(database.url()).await.unwrap());
    } else {
        postgres_connection = Some(PgConnection::connect(database.url()).await.unwrap());
    }
    for (table, columns) in types {
        // Both backends read a 32-bit PostgreSQL integer as a 64-bit one this way.
        let expressions: Vec<String> = columns
            .iter()
            .map(|(column, data_type)| match data_type.as_str() {
                "integer" => format!("CAST({column} AS BIGINT)"),
                _ => column.clone(),
            })
            .collect();
        let sql = format!("SELECT {} FROM {table}", expressions.join(", "));
        let mut rows: Vec<Vec<String>> = match (&mut sqlite_connection, &mut postgres_connection) {
            (Some(connection), _) => {
                let rows: Vec<SqliteRow> = sqlx::query(&sql).fetch_all(connection).await.unwrap();
                rows.iter().map(|row| canonical_row(row, columns)).collect()
            }
            (None, Some(connection)) => {
                let rows: Vec<PgRow> = sqlx::query(&sql).fetch_all(connection).await.unwrap();
                rows.iter().map(|row| canonical_row(row, columns)).collect()
            }
            (None, None) => unreachable!("one connection is open"),
        };
        rows.sort();
        tables.insert(table.clone(), rows);
    }
    tables
}

fn canonical_row<'r, R>(row: &'r R, columns: &[(String, String)]) -> Vec<String>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    NaiveDate: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    columns
        .iter()
        .enumerate()
        .map(|(index, (_, data_type))| match data_type.as_str() {
            "bigint" | "integer" => shown(row.get::<Option<i64>, _>(index)),
            "double precision" => shown(row.get::<Option<f64>, _>(index)),
            "boolean" => shown(row.get::<Option<bool>, _>(index)),
            "date" => shown(row.get::<Option<NaiveDate>, _>(index)),
            // As PostgreSQL keeps them: to the microsecond.
            "timestamp with time zone" => shown(
                row.get::<Option<DateTime<Utc>>, _>(index)
                    .map(|time| time.timestamp_micros()),
            ),
            "bytea" => shown(row.get::<Option<Vec<u8>>, _>(index).map(|bytes| {
                bytes
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect::<String>()
            })),
            _ => shown(row.get::<Option<String>, _>(index)),
        })
        .collect()
}

fn shown<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "NULL".to_owned(), |value| value.to_string())
}
