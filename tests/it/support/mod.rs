//! The test harness: a fresh database per test, on SQLite and on PostgreSQL.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::SqliteConnection;
use sqlx::{ConnectOptions, Connection};
use tempfile::TempDir;

/// The server that hosts the throwaway PostgreSQL databases, unless
/// `MOBMATCH_TEST_POSTGRES_URL` names another.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Generates two tests from one body, `sqlite` and `postgres`, inside a module named
/// like the test, each with a fresh database bound to the given name:
///
/// ```ignore
/// on_both_backends!(a_thing_works, |database| {
///     let store = database.connect().await;
/// });
/// ```
macro_rules! on_both_backends {
    ($name:ident, |$database:ident| $body:block) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let $database = $crate::support::TestDatabase::sqlite();
                $body
            }

            #[tokio::test]
            async fn postgres() {
                let $database = $crate::support::TestDatabase::postgres().await;
                $body
            }
        }
    };
}

/// A database that exists for one test: a file in a temporary directory, or a
/// PostgreSQL database that is dropped when this value is, also when the test panics.
pub struct TestDatabase {
    url: String,
    location: Location,
}

enum Location {
    SqliteFile { _directory: TempDir },
    PostgresDatabase { server_url: String, name: String },
}

impl TestDatabase {
    pub fn sqlite() -> TestDatabase {
        let directory = tempfile::tempdir().expect("a temporary directory can be created");
        let url = format!(
            "sqlite://{}",
            directory.path().join("mobmatch.db").display()
        );
        TestDatabase {
            url,
            location: Location::SqliteFile {
                _directory: directory,
            },
        }
    }

    pub async fn postgres() -> TestDatabase {
        let server_url = std::env::var("MOBMATCH_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("mobmatch_test_{:016x}", rand::random::<u64>());
        let mut server = PgConnection::connect(&server_url)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "cannot reach the PostgreSQL test server at {server_url} ({error}); start it \
                 or set MOBMATCH_TEST_POSTGRES_URL"
                )
            });
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut server)
            .await
            .expect("the test server lets us create databases");
        server.close().await.expect("the connection closes");
        let url = PgConnectOptions::from_str(&server_url)
            .expect("MOBMATCH_TEST_POSTGRES_URL is a postgres:// URL")
            .database(&name)
            .to_url_lossy()
            .to_string();
        TestDatabase {
            url,
            location: Location::PostgresDatabase { server_url, name },
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn connect(&self) -> mobmatch::store::Store {
        mobmatch::store::Store::connect(&self.url)
            .await
            .unwrap_or_else(|error| panic!("cannot open the test database: {error:?}"))
    }

    /// Runs SQL behind the store's back, to plant data the store would never write.
    pub async fn execute_behind_the_store(&self, sql: &str) {
        match &self.location {
            Location::SqliteFile { .. } => {
                let mut connection = SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
                connection.close().await.unwrap();
            }
            Location::PostgresDatabase { .. } => {
                let mut connection = PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
                connection.close().await.unwrap();
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Location::PostgresDatabase { server_url, name } = &self.location else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with
        // its own runtime can. FORCE ends the connections the store's pool still holds.
        let server_url = server_url.clone();
        let drop_database = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        let outcome = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for cleaning up")
                .block_on(async {
                    let mut server = PgConnection::connect(&server_url).await?;
                    sqlx::raw_sql(&drop_database).execute(&mut server).await?;
                    server.close().await
                })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("could not drop the test database {name}; drop it by hand: {outcome:?}");
        }
    }
}

/// A column of the schema the migrations created, and whether it holds text or bytes
/// (dates and times are text in SQLite, not in PostgreSQL).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaColumn {
    pub table: String,
    pub column: String,
    pub holds_bytes: bool,
    pub holds_text: bool,
}

impl TestDatabase {
    /// Every column of every table, read from the database's own catalogue (leaving out
    /// sqlx's record of the migrations), so that a new table is covered without a change
    /// here.
    pub async fn schema_columns(&self) -> Vec<SchemaColumn> {
        let rows: Vec<(String, String, String)> = match &self.location {
            Location::SqliteFile { .. } => {
                let mut connection = SqliteConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query_as(
                    "SELECT tables.name, columns.name, upper(columns.type) \
                     FROM sqlite_master AS tables, pragma_table_info(tables.name) AS columns \
                     WHERE tables.type = 'table' AND substr(tables.name, 1, 1) <> '_' \
                     AND tables.name NOT LIKE 'sqlite%'",
                )
                .fetch_all(&mut connection)
                .await
                .unwrap();
                connection.close().await.unwrap();
                rows
            }
            Location::PostgresDatabase { .. } => {
                let mut connection = PgConnection::connect(&self.url).await.unwrap();
                let rows = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text \
                     FROM information_schema.columns \
                     WHERE table_schema = 'public' AND substr(table_name, 1, 1) <> '_'",
                )
                .fetch_all(&mut connection)
                .await
                .unwrap();
                connection.close().await.unwrap();
                rows
            }
        };
        let mut columns: Vec<SchemaColumn> = rows
            .into_iter()
            .map(|(table, column, kind)| {
                let holds_bytes = matches!(kind.as_str(), "BLOB" | "bytea");
                let holds_text = matches!(
                    kind.as_str(),
                    "TEXT" | "text" | "character varying" | "character" | "json" | "jsonb"
                );
                SchemaColumn {
                    table,
                    column,
                    holds_bytes,
                    holds_text,
                }
            })
            .collect();
        columns.sort();
        columns
    }

    /// The text and byte columns in which some value contains `needle`, compared without
    /// case (bytes read as UTF-8 text).
    pub async fn columns_containing(&self, needle: &str) -> Vec<String> {
        let needle = needle.to_lowercase();
        let mut found = Vec::new();
        for column in self.schema_columns().await {
            if !column.holds_text && !column.holds_bytes {
                continue;
            }
            let sql = format!(
                "SELECT {} FROM {} WHERE {} IS NOT NULL",
                column.column, column.table, column.column
            );
            let values: Vec<Vec<u8>> = match (&self.location, column.holds_bytes) {
                (Location::SqliteFile { .. }, bytes) => {
                    let mut connection = SqliteConnection::connect(&self.url).await.unwrap();
                    let values = if bytes {
                        sqlx::query_scalar(&sql).fetch_all(&mut connection).await
                    } else {
                        sqlx::query_scalar::<_, String>(&sql)
                            .fetch_all(&mut connection)
                            .await
                            .map(|texts| texts.into_iter().map(String::into_bytes).collect())
                    };
                    connection.close().await.unwrap();
                    values.unwrap()
                }
                (Location::PostgresDatabase { .. }, bytes) => {
                    let mut connection = PgConnection::connect(&self.url).await.unwrap();
                    let values = if bytes {
                        sqlx::query_scalar(&sql).fetch_all(&mut connection).await
                    } else {
                        sqlx::query_scalar::<_, String>(&sql)
                            .fetch_all(&mut connection)
                            .await
                            .map(|texts| texts.into_iter().map(String::into_bytes).collect())
                    };
                    connection.close().await.unwrap();
                    values.unwrap()
                }
            };
            if values.iter().any(|value| {
                String::from_utf8_lossy(value)
                    .to_lowercase()
                    .contains(&needle)
            }) {
                found.push(format!("{}.{}", column.table, column.column));
            }
        }
        found
    }
}

/// The mail rules of a test: our address `matchmaking@example.org`, the given signing
/// secret, links to `https://match.example.org`, five answers an hour per sender, no
/// moderation, and the default retention in the privacy notice.
pub fn mail_rules(secret: &str) -> mobmatch::mail::MailRules {
    use mobmatch::config::RetentionSettings;
    use mobmatch::domain::EmailAddress;
    use mobmatch::mail::PrivacyNotice;
    mobmatch::mail::MailRules {
        our_address: EmailAddress::parse("matchmaking@example.org").unwrap(),
        secret: secret.to_owned(),
        base_url: "https://match.example.org".to_owned(),
        reply_limit_per_hour: 5,
        moderation: false,
        privacy_notice: PrivacyNotice::new(
            &RetentionSettings::default(),
            &EmailAddress::parse("secretariat@example.org").unwrap(),
        ),
    }
}
