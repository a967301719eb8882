//! Reads of whole tables for reports. The ids of the mobilities are split into ranges
//! read at once, on a task each, and each record is handed to the caller as it is
//! parsed instead of being collected first. SQLite's rows are stepped through by SQLite
//! itself on a blocking thread, on the handle sqlx lends for direct calls: through
//! sqlx, its worker thread hands each row over with a wake-up and copies every value,
//! which cost several times more than the records themselves. PostgreSQL sends pages
//! of ids, each page one row whose single value is the page's records as a JSON array,
//! the next page read while this one is parsed. Values are borrowed from the row or page
//! where they need no unescaping, and a code or date is parsed once per distinct text,
//! not once per row: a million mobilities share a few hundred regions and dates.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use chrono::NaiveDate;
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgPool;
use sqlx::sqlite::Sqlite;

use super::rows::{count, parse};
use super::{Pool, Store, StoreError};
use crate::domain::{
    Country, DateWindow, Destination, IntroductionId, InvalidValue, MobilityDetails, MobilityId,
    MobilityStatus, MobilityType, Region, Source,
};

/// The columns a report reads, in the order [`MobilityText`] takes them; the dates as
/// text (`YYYY-MM-DD` from either backend), to be parsed once per distinct date.
macro_rules! reported_mobility_columns {
    () => {
        "id, sending_organisation, sending_region, receiving_organisation, receiving_region, \
        receiving_country, mobility_type, participants, fewer_opportunities, \
        CAST(start_date AS TEXT), CAST(end_date AS TEXT), status, introduction_id, source"
    };
}

/// The mobilities whose ids are in `[?1, ?2)`, for SQLite to step through.
const SQLITE_MOBILITIES_SQL: &str = concat!(
    "SELECT ",
    reported_mobility_columns!(),
    " FROM mobilities WHERE id >= ?1 AND id < ?2"
);
/// The mobilities whose ids are in `[$1, $2)` as one JSON array of arrays.
const POSTGRES_MOBILITY_PAGE_SQL: &str = concat!(
    "SELECT COALESCE(json_agg(json_build_array(",
    reported_mobility_columns!(),
    "))::text, '[]') FROM mobilities WHERE id >= $1 AND id < $2"
);

/// SQLite's default page cache (2,000 KiB), for scans.
const SCAN_CACHE_SQL: &str = "PRAGMA cache_size = -2000";

/// How many ids a page spans: about 2 MB of JSON when the ids have no gaps.
const PAGE_IDS: i64 = 10_000;

impl Store {
    /// Every mobility's id, details and source (all that a report shows of it), read in
    /// `parts` ranges of ids at once, each on a task of its own: `visit` hands each record
    /// of a part to that part's value, made by `start`. Returns the parts' values in the
    /// order of their ids, none when there are no mobilities. Within a part the records
    /// come in no particular order: sorting a million whole rows costs the database more
    /// than sorting the finished table costs the caller.
    pub async fn fold_mobilities<T: Send + 'static>(
        &self,
        parts: usize,
        start: impl Fn() -> T,
        visit: fn(&mut T, MobilityId, MobilityDetails, Source),
    ) -> Result<Vec<T>, StoreError> {
        let (first, last): (Option<i64>, Option<i64>) = on_backend!(Pool, &self.pool, |pool| {
            sqlx::query_as("SELECT MIN(id), MAX(id) FROM mobilities")
                .fetch_one(pool)
                .await?
        });
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        let parts = i64::try_from(parts.max(1)).unwrap_or(1);
        let span = (last - first + parts) / parts;
        let tasks: Vec<_> = (0..parts)
            .map(|part| {
                let pool = self.pool.clone();
                let value = start();
                let ids = first + part * span..(first + (part + 1) * span).min(last + 1);
                tokio::spawn(fold_mobility_range(pool, ids, value, visit))
            })
            .collect();
        let mut values = Vec::with_capacity(tasks.len());
        for task in tasks {
            values.push(task.await.expect("reading mobilities does not panic")?);
        }
        Ok(values)
    }
}

/// The mobilities whose ids are in `ids` folded into `value` by `visit`.
async fn fold_mobility_range<T: Send + 'static>(
    pool: Pool,
    ids: Range<i64>,
    mut value: T,
    visit: fn(&mut T, MobilityId, MobilityDetails, Source),
) -> Result<T, StoreError> {
    match pool {
        Pool::Sqlite(pool) => {
            let connection = pool.acquire().await?;
            tokio::task::spawn_blocking(move || {
                scan_sqlite_mobilities(connection, ids, |id, details, source| {
                    visit(&mut value, id, details, source);
                })?;
                Ok(value)
            })
            .await
            .expect("reading mobilities does not panic")
        }
        Pool::Postgres(pool) => {
            visit_postgres_mobility_pages(pool, ids, |id, details, source| {
                visit(&mut value, id, details, source);
            })
            .await?;
            Ok(value)
        }
    }
}

/// The mobilities whose ids are in `ids`, stepped through by SQLite itself on this
/// (blocking) thread, on the connection's handle that sqlx lends for direct calls.
/// Through sqlx, each row would be handed over from the connection's worker thread and
/// its values copied, which cost several times more than reading the rows. The scan
/// uses SQLite's small default page cache, not the connection's large one: it reads
/// each page of the table once, and a full cache per reading connection would add to
/// the report's peak memory.
///
/// This is the crate's one `unsafe` block: rusqlite needs it to wrap a handle it did
/// not open.
#[allow(unsafe_code)]
fn scan_sqlite_mobilities(
    mut connection: PoolConnection<Sqlite>,
    ids: Range<i64>,
    mut visit: impl FnMut(MobilityId, MobilityDetails, Source),
) -> Result<(), StoreError> {
    let mut locked = tokio::runtime::Handle::current().block_on(connection.lock_handle())?;
    // SAFETY: the handle is an open connection, kept from sqlx's worker thread until
    // `locked` is dropped, which is after `database` is; a connection made by
    // `from_handle` never closes the handle it is given.
    let database = unsafe { rusqlite::Connection::from_handle(locked.as_raw_handle().as_ptr())? };
    database.execute_batch(SCAN_CACHE_SQL)?;
    let scanned = step_through_mobilities(&database, ids, &mut visit);
    database.execute_batch(&super::sqlite_cache_pragma())?;
    scanned
}

fn step_through_mobilities(
    database: &rusqlite::Connection,
    ids: Range<i64>,
    visit: &mut impl FnMut(MobilityId, MobilityDetails, Source),
) -> Result<(), StoreError> {
    let mut statement = database.prepare(SQLITE_MOBILITIES_SQL)?;
    let mut rows = statement.query([ids.start, ids.end])?;
    let mut parsed = ParsedValues::default();
    while let Some(row) = rows.next()? {
        let text = MobilityText::from_sqlite_row(row)?;
        let (details, source) = parsed.mobility(&text)?;
        visit(MobilityId::new(text.id), details, source);
    }
    Ok(())
}

/// The mobilities whose ids are in `ids`, page by page, the next page read while this
/// one is parsed.
async fn visit_postgres_mobility_pages(
    pool: PgPool,
    ids: Range<i64>,
    mut visit: impl FnMut(MobilityId, MobilityDetails, Source),
) -> Result<(), StoreError> {
    let mut parsed = ParsedValues::default();
    let mut next_page =
        (!ids.is_empty()).then(|| read_postgres_mobility_page(&pool, ids.start, ids.end));
    while let Some(page) = next_page.take() {
        let (end, json) = page.await.expect("reading a page does not panic")?;
        if end < ids.end {
            next_page = Some(read_postgres_mobility_page(&pool, end, ids.end));
        }
        let rows: Vec<MobilityText<'_>> =
            serde_json::from_str(&json).map_err(|error| StoreError::Corrupt {
                table: TABLE,
                column: "(a row)",
                value: error.to_string(),
                expected: "the columns of a mobility with their types".to_owned(),
            })?;
        for text in &rows {
            let (details, source) = parsed.mobility(text)?;
            visit(MobilityId::new(text.id), details, source);
        }
    }
    Ok(())
}

/// Starts reading the page of mobilities whose ids begin at `start` (and end before
/// `before`) on a task of its own, so that the database builds it while the page before
/// is parsed. The task returns where the page ends, and the page.
fn read_postgres_mobility_page(
    pool: &PgPool,
    start: i64,
    before: i64,
) -> tokio::task::JoinHandle<Result<(i64, String), StoreError>> {
    let pool = pool.clone();
    let end = start.saturating_add(PAGE_IDS).min(before);
    tokio::spawn(async move {
        let json: String = sqlx::query_scalar(POSTGRES_MOBILITY_PAGE_SQL)
            .bind(start)
            .bind(end)
            .fetch_one(&pool)
            .await?;
        Ok((end, json))
    })
}

/// A mobility row's values as the database returns them in a page, borrowed from the
/// page where they need no unescaping.
#[derive(serde::Deserialize)]
struct MobilityText<'row> {
    id: i64,
    #[serde(borrow)]
    sending_organisation: Cow<'row, str>,
    #[serde(borrow)]
    sending_region: Cow<'row, str>,
    #[serde(borrow)]
    receiving_organisation: Cow<'row, str>,
    #[serde(borrow)]
    receiving_region: Option<Cow<'row, str>>,
    #[serde(borrow)]
    receiving_country: Cow<'row, str>,
    #[serde(borrow)]
    mobility_type: Cow<'row, str>,
    participants: i64,
    fewer_opportunities: i64,
    #[serde(borrow)]
    start_date: Cow<'row, str>,
    #[serde(borrow)]
    end_date: Cow<'row, str>,
    #[serde(borrow)]
    status: Cow<'row, str>,
    introduction_id: Option<i64>,
    #[serde(borrow)]
    source: Cow<'row, str>,
}

impl<'row> MobilityText<'row> {
    /// The values of a row of [`SQLITE_MOBILITIES_SQL`], borrowed from SQLite. The table
    /// is `STRICT`, so each column holds the type it declares.
    fn from_sqlite_row(row: &'row rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let text =
            |index| -> rusqlite::Result<_> { Ok(Cow::Borrowed(row.get_ref(index)?.as_str()?)) };
        Ok(MobilityText {
            id: row.get(0)?,
            sending_organisation: text(1)?,
            sending_region: text(2)?,
            receiving_organisation: text(3)?,
            receiving_region: row.get_ref(4)?.as_str_or_null()?.map(Cow::Borrowed),
            receiving_country: text(5)?,
            mobility_type: text(6)?,
            participants: row.get(7)?,
            fewer_opportunities: row.get(8)?,
            start_date: text(9)?,
            end_date: text(10)?,
            status: text(11)?,
            introduction_id: row.get(12)?,
            source: text(13)?,
        })
    }
}

/// The values parsed so far, by their stored text.
#[derive(Default)]
struct ParsedValues {
    regions: HashMap<String, Region>,
    countries: HashMap<String, Country>,
    dates: HashMap<String, NaiveDate>,
    mobility_types: HashMap<String, MobilityType>,
    statuses: HashMap<String, MobilityStatus>,
    sources: HashMap<String, Source>,
}

const TABLE: &str = "mobilities";

impl ParsedValues {
    fn mobility(
        &mut self,
        text: &MobilityText<'_>,
    ) -> Result<(MobilityDetails, Source), StoreError> {
        let destination = match text.receiving_region.as_deref() {
            Some(region) => Destination::region(once(
                &mut self.regions,
                "receiving_region",
                region,
                Region::parse,
            )?),
            None => Destination::country_only(once(
                &mut self.countries,
                "receiving_country",
                &text.receiving_country,
                Country::parse,
            )?),
        };
        let start = once(&mut self.dates, "start_date", &text.start_date, parse_date)?;
        let end = once(&mut self.dates, "end_date", &text.end_date, parse_date)?;
        let dates = DateWindow::new(start, end)
            .map_err(|invalid| StoreError::corrupt(TABLE, "end_date", &*text.end_date, invalid))?;
        let details = MobilityDetails {
            sending_organisation: text.sending_organisation.to_string(),
            sending_region: once(
                &mut self.regions,
                "sending_region",
                &text.sending_region,
                Region::parse,
            )?,
            receiving_organisation: text.receiving_organisation.to_string(),
            destination,
            mobility_type: once(
                &mut self.mobility_types,
                "mobility_type",
                &text.mobility_type,
                MobilityType::from_value,
            )?,
            participants: count(TABLE, "participants", text.participants)?,
            fewer_opportunities: count(TABLE, "fewer_opportunities", text.fewer_opportunities)?,
            dates,
            status: once(
                &mut self.statuses,
                "status",
                &text.status,
                MobilityStatus::from_value,
            )?,
            introduction: text.introduction_id.map(IntroductionId::new),
        };
        let source = once(
            &mut self.sources,
            "source",
            &text.source,
            Source::from_value,
        )?;
        Ok((details, source))
    }
}

/// `text` parsed by `parser` the first time it is seen, and from `parsed` after that.
fn once<T: Copy>(
    parsed: &mut HashMap<String, T>,
    column: &'static str,
    text: &str,
    parser: impl Fn(&str) -> Result<T, InvalidValue>,
) -> Result<T, StoreError> {
    if let Some(value) = parsed.get(text) {
        return Ok(*value);
    }
    let value = parse(TABLE, column, text, parser)?;
    parsed.insert(text.to_owned(), value);
    Ok(value)
}

fn parse_date(text: &str) -> Result<NaiveDate, InvalidValue> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| InvalidValue::new("a date written YYYY-MM-DD"))
}
