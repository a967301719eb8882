//! Moving from SQLite to PostgreSQL: every table of a SQLite database copied into an
//! empty, migrated PostgreSQL database, keeping ids. The tables and columns are read from
//! both databases' catalogues, so a table that a migration adds is copied without a
//! change here; each value is read from SQLite as the type its PostgreSQL column has
//! (SQLite keeps dates, times and booleans as text and integers).
//!
//! The whole copy is one PostgreSQL transaction: it is committed only after every table's
//! row count matched, so a failed copy leaves the target empty and can simply be run
//! again. The source is read in one read transaction, a consistent snapshot even if
//! something still writes to it. PostgreSQL keeps times to the microsecond, so the
//! nanoseconds SQLite kept are cut, as they are when mobmatch writes to PostgreSQL itself.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Row};

use super::{Pool, Store, StoreError};

/// Rows read and written at a time; a batch is also kept under PostgreSQL's limit of
/// 65,535 bound values in one statement.
const BATCH_ROWS: usize = 500;
const MAX_BOUND_VALUES: usize = 65_535;

/// One copied table: its rows in the source and, counted after copying, in the target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableCopy {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
}

/// The tables in the order they were copied (every table after those it refers to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    pub tables: Vec<TableCopy>,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|table| table.target_rows).sum()
    }
}

/// How a PostgreSQL column's values are read from SQLite and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ColumnType {
    BigInt,
    Integer,
    Double,
    Boolean,
    Text,
    Bytes,
    Date,
    Timestamp,
}

impl ColumnType {
    fn from_postgres(data_type: &str) -> Option<ColumnType> {
        Some(match data_type {
            "bigint" => ColumnType::BigInt,
            "integer" => ColumnType::Integer,
            "double precision" => ColumnType::Double,
            "boolean" => ColumnType::Boolean,
            "text" => ColumnType::Text,
            "bytea" => ColumnType::Bytes,
            "date" => ColumnType::Date,
            "timestamp with time zone" => ColumnType::Timestamp,
            _ => return None,
        })
    }
}

#[derive(Debug)]
struct Column {
    name: String,
    column_type: ColumnType,
}

#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<Column>,
    /// The tables this one refers to by foreign key.
    references: BTreeSet<String>,
}

/// Copies every table of `source` (SQLite) into `target` (PostgreSQL, migrated and
/// empty), keeping ids; then sets each id sequence of the target past the largest id, and
/// compares the row counts of every table before committing. `progress` is told the
/// table being copied and how many of its rows are copied so far.
pub async fn copy_database(
    source: &Store,
    target: &Store,
    mut progress: impl FnMut(&str, u64),
) -> Result<CopyReport, StoreError> {
    let (Pool::Sqlite(source_pool), Pool::Postgres(target_pool)) = (&source.pool, &target.pool)
    else {
        return Err(StoreError::CopyDirection {
            source_backend: source.backend(),
            target_backend: target.backend(),
        });
    };
    let mut reading = source_pool.begin().await?;
    let source_tables = sqlite_tables(&mut reading).await?;
    let mut writing = target_pool.begin().await?;
    let tables = postgres_tables(&mut writing, &source_tables).await?;
    let filled = non_empty_tables(&mut writing, &tables).await?;
    if !filled.is_empty() {
        return Err(StoreError::CopyTargetNotEmpty {
            tables: filled
                .iter()
                .map(|(table, rows)| format!("{table} ({rows} rows)"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let mut report = CopyReport { tables: Vec::new() };
    for table in dependency_order(tables)? {
        let source_rows = count_rows_sqlite(&mut reading, &table.name).await?;
        copy_table(&mut reading, &mut writing, &table, &mut progress).await?;
        let target_rows = count_rows_postgres(&mut writing, &table.name).await?;
        if source_rows != target_rows {
            return Err(StoreError::CopyCountMismatch {
                table: table.name,
                source_rows,
                target_rows,
            });
        }
        report.tables.push(TableCopy {
            table: table.name,
            source_rows,
            target_rows,
        });
    }
    reset_sequences(&mut writing).await?;
    writing.commit().await?;
    reading.rollback().await?;
    Ok(report)
}

/// The source's tables, their columns and the tables they refer to, leaving out SQLite's
/// own tables and sqlx's record of the migrations.
async fn sqlite_tables(
    reading: &mut sqlx::SqliteConnection,
) -> Result<BTreeMap<String, (Vec<String>, BTreeSet<String>)>, StoreError> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_%' ESCAPE '\\'",
    )
    .fetch_all(&mut *reading)
    .await?;
    let mut tables = BTreeMap::new();
    for name in names {
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut *reading)
                .await?;
        let references: Vec<String> =
            sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                .bind(&name)
                .fetch_all(&mut *reading)
                .await?;
        tables.insert(name, (columns, references.into_iter().collect()));
    }
    Ok(tables)
}

/// The target's tables with the types of their columns, checked against the source's:
/// both are migrated by this build, so they differ only if one was changed by hand.
async fn postgres_tables(
    writing: &mut sqlx::PgConnection,
    source_tables: &BTreeMap<String, (Vec<String>, BTreeSet<String>)>,
) -> Result<Vec<Table>, StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text \
         FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_%' \
         ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&mut *writing)
    .await?;
    let mut target_columns: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for (table, name, data_type) in rows {
        let column_type =
            ColumnType::from_postgres(&data_type).ok_or_else(|| StoreError::CopySchema {
                difference: format!(
                    "the PostgreSQL column {table}.{name} has the type {data_type}, which copy-database does not know how to copy"
                ),
            })?;
        target_columns
            .entry(table)
            .or_default()
            .push(Column { name, column_type });
    }
    let source_names: BTreeSet<&String> = source_tables.keys().collect();
    let target_names: BTreeSet<&String> = target_columns.keys().collect();
    if source_names != target_names {
        return Err(StoreError::CopySchema {
            difference: format!(
                "the SQLite database has the tables {source_names:?} and the PostgreSQL one {target_names:?}"
            ),
        });
    }
    let mut tables = Vec::new();
    for (name, columns) in target_columns {
        let (source_columns, references) = &source_tables[&name];
        let source_set: BTreeSet<&str> = source_columns.iter().map(String::as_str).collect();
        let target_set: BTreeSet<&str> =
            columns.iter().map(|column| column.name.as_str()).collect();
        if source_set != target_set {
            return Err(StoreError::CopySchema {
                difference: format!(
                    "the table {name} has the columns {source_set:?} in SQLite and {target_set:?} in PostgreSQL"
                ),
            });
        }
        tables.push(Table {
            name,
            columns,
            references: references.clone(),
        });
    }
    Ok(tables)
}

async fn non_empty_tables(
    writing: &mut sqlx::PgConnection,
    tables: &[Table],
) -> Result<Vec<(String, u64)>, StoreError> {
    let mut filled = Vec::new();
    for table in tables {
        let rows = count_rows_postgres(writing, &table.name).await?;
        if rows > 0 {
            filled.push((table.name.clone(), rows));
        }
    }
    Ok(filled)
}

/// The tables ordered so that each comes after every table it refers to (and otherwise
/// by name), so that PostgreSQL's foreign keys hold at every insert.
fn dependency_order(tables: Vec<Table>) -> Result<Vec<Table>, StoreError> {
    let mut remaining: BTreeMap<String, Table> = tables
        .into_iter()
        .map(|table| (table.name.clone(), table))
        .collect();
    let mut ordered: Vec<Table> = Vec::with_capacity(remaining.len());
    while !remaining.is_empty() {
        let ready = remaining
            .values()
            .find(|table| {
                table
                    .references
                    .iter()
                    .all(|reference| reference == &table.name || !remaining.contains_key(reference))
            })
            .map(|table| table.name.clone());
        let Some(ready) = ready else {
            return Err(StoreError::CopySchema {
                difference: format!(
                    "the tables {:?} refer to each other in a cycle, so no order of copying keeps their foreign keys",
                    remaining.keys().collect::<Vec<_>>()
                ),
            });
        };
        ordered.extend(remaining.remove(&ready));
    }
    Ok(ordered)
}

/// Copies one table in batches of rows read by SQLite's rowid, each batch one
/// multi-row insert that keeps the ids (`OVERRIDING SYSTEM VALUE`).
async fn copy_table(
    reading: &mut sqlx::SqliteConnection,
    writing: &mut sqlx::PgConnection,
    table: &Table,
    progress: &mut impl FnMut(&str, u64),
) -> Result<(), StoreError> {
    let column_list = table
        .columns
        .iter()
        .map(|column| quoted(&column.name))
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!(
        "SELECT rowid, {column_list} FROM {} WHERE rowid > $1 ORDER BY rowid LIMIT $2",
        quoted(&table.name)
    );
    let batch_rows = BATCH_ROWS.min(MAX_BOUND_VALUES / table.columns.len());
    let mut last_rowid = i64::MIN;
    let mut copied = 0;
    progress(&table.name, copied);
    loop {
        let rows: Vec<SqliteRow> = sqlx::query(&select)
            .bind(last_rowid)
            .bind(batch_rows as i64)
            .fetch_all(&mut *reading)
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        last_rowid = last.try_get(0)?;
        let mut arguments = PgArguments::default();
        let mut placeholders = Vec::with_capacity(rows.len());
        let mut bound = 0;
        for row in &rows {
            let mut row_placeholders = Vec::with_capacity(table.columns.len());
            for (index, column) in table.columns.iter().enumerate() {
                bind_value(
                    &mut arguments,
                    row,
                    index + 1,
                    column.column_type,
                    table,
                    column,
                )?;
                bound += 1;
                row_placeholders.push(format!("${bound}"));
            }
            placeholders.push(format!("({})", row_placeholders.join(", ")));
        }
        let insert = format!(
            "INSERT INTO {} ({column_list}) OVERRIDING SYSTEM VALUE VALUES {}",
            quoted(&table.name),
            placeholders.join(", ")
        );
        sqlx::query_with(&insert, arguments)
            .execute(&mut *writing)
            .await?;
        copied += rows.len() as u64;
        progress(&table.name, copied);
    }
}

/// Reads column `index` of a SQLite row as the PostgreSQL column's type and binds it.
fn bind_value(
    arguments: &mut PgArguments,
    row: &SqliteRow,
    index: usize,
    column_type: ColumnType,
    table: &Table,
    column: &Column,
) -> Result<(), StoreError> {
    let unreadable = |error: sqlx::Error| StoreError::CopyValue {
        table: table.name.clone(),
        column: column.name.clone(),
        expected: column_type.describe(),
        reason: error.to_string(),
    };
    let bound = match column_type {
        ColumnType::BigInt => {
            arguments.add(row.try_get::<Option<i64>, _>(index).map_err(unreadable)?)
        }
        ColumnType::Integer => {
            arguments.add(row.try_get::<Option<i32>, _>(index).map_err(unreadable)?)
        }
        ColumnType::Double => {
            arguments.add(row.try_get::<Option<f64>, _>(index).map_err(unreadable)?)
        }
        ColumnType::Boolean => {
            arguments.add(row.try_get::<Option<bool>, _>(index).map_err(unreadable)?)
        }
        ColumnType::Text => arguments.add(
            row.try_get::<Option<String>, _>(index)
                .map_err(unreadable)?,
        ),
        ColumnType::Bytes => arguments.add(
            row.try_get::<Option<Vec<u8>>, _>(index)
                .map_err(unreadable)?,
        ),
        ColumnType::Date => arguments.add(
            row.try_get::<Option<NaiveDate>, _>(index)
                .map_err(unreadable)?,
        ),
        ColumnType::Timestamp => arguments.add(
            row.try_get::<Option<DateTime<Utc>>, _>(index)
                .map_err(unreadable)?,
        ),
    };
    bound.map_err(|error| StoreError::CopyValue {
        table: table.name.clone(),
        column: column.name.clone(),
        expected: column_type.describe(),
        reason: error.to_string(),
    })
}

/// Sets every sequence behind an id column (identity or serial) to the largest id copied,
/// so that the next row written gets the next id.
async fn reset_sequences(writing: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_%' \
         AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')",
    )
    .fetch_all(&mut *writing)
    .await?;
    for (table, column) in columns {
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table}",
            column = quoted(&column),
            table = quoted(&table),
        );
        sqlx::query(&sql)
            .bind(quoted(&table))
            .bind(&column)
            .execute(&mut *writing)
            .await?;
    }
    Ok(())
}

async fn count_rows_sqlite(
    reading: &mut sqlx::SqliteConnection,
    table: &str,
) -> Result<u64, StoreError> {
    let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quoted(table)))
        .fetch_one(&mut *reading)
        .await?;
    Ok(rows.unsigned_abs())
}

async fn count_rows_postgres(
    writing: &mut sqlx::PgConnection,
    table: &str,
) -> Result<u64, StoreError> {
    let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quoted(table)))
        .fetch_one(&mut *writing)
        .await?;
    Ok(rows.unsigned_abs())
}

/// A table or column name as a quoted SQL identifier (the names come from the catalogue).
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl ColumnType {
    fn describe(self) -> &'static str {
        match self {
            ColumnType::BigInt => "a 64-bit integer",
            ColumnType::Integer => "a 32-bit integer",
            ColumnType::Double => "a floating-point number",
            ColumnType::Boolean => "a boolean (0 or 1)",
            ColumnType::Text => "text",
            ColumnType::Bytes => "bytes",
            ColumnType::Date => "a date (YYYY-MM-DD)",
            ColumnType::Timestamp => "a time (RFC 3339)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str, references: &[&str]) -> Table {
        Table {
            name: name.to_owned(),
            columns: Vec::new(),
            references: references.iter().map(|name| (*name).to_owned()).collect(),
        }
    }

    #[test]
    fn tables_come_after_the_tables_they_refer_to() {
        let order = dependency_order(vec![
            table("call_recipients", &["calls", "outreach_addresses"]),
            table("introductions", &["rounds", "submissions"]),
            table("submissions", &["organisations"]),
            table("organisations", &[]),
            table("rounds", &[]),
            table("calls", &[]),
            table("outreach_addresses", &[]),
        ])
        .unwrap();
        let names: Vec<&str> = order.iter().map(|table| table.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "calls",
                "organisations",
                "outreach_addresses",
                "call_recipients",
                "rounds",
                "submissions",
                "introductions"
            ]
        );
    }

    #[test]
    fn a_cycle_of_references_is_refused_naming_the_tables() {
        let error = dependency_order(vec![
            table("a", &["b"]),
            table("b", &["a"]),
            table("c", &[]),
        ])
        .unwrap_err();
        assert!(error.to_string().contains("[\"a\", \"b\"]"), "{error}");
    }
}
