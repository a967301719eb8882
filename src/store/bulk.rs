//! Reads of whole tables for reports. A report over a million mobilities reads them in
//! pages of ids, each page one row whose single value is the page's records as a JSON
//! array built by the database: row by row, the driver's per-row hand-over between its
//! thread and ours cost several times more than the records themselves. The ids are
//! split into ranges read at once, on a task each; in each range the next page is read
//! while this one is parsed, and each record is handed to the caller as it is parsed
//! instead of being collected first. Values are borrowed from the page where they
//! need no unescaping, and a code or date is parsed once per distinct text, not once per
//! row: a million mobilities share a few hundred regions and dates.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;

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

/// The mobilities whose ids are in `[$1, $2)` as one JSON array of arrays.
const SQLITE_MOBILITY_PAGE_SQL: &str = concat!(
    "SELECT json_group_array(json_array(",
    reported_mobility_columns!(),
    ")) FROM mobilities WHERE id >= $1 AND id < $2"
);
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
                let store = self.clone();
                let mut value = start();
                let ids = first + part * span..(first + (part + 1) * span).min(last + 1);
                tokio::spawn(async move {
                    store
                        .visit_mobilities(ids, |id, details, source| {
                            visit(&mut value, id, details, source);
                        })
                        .await?;
                    Ok::<T, StoreError>(value)
                })
            })
            .collect();
        let mut values = Vec::with_capacity(tasks.len());
        for task in tasks {
            values.push(task.await.expect("reading mobilities does not panic")?);
        }
        Ok(values)
    }

    /// The mobilities whose ids are in `ids`, page by page, the next page read while
    /// this one is parsed.
    async fn visit_mobilities(
        &self,
        ids: std::ops::Range<i64>,
        mut visit: impl FnMut(MobilityId, MobilityDetails, Source),
    ) -> Result<(), StoreError> {
        let mut parsed = ParsedValues::default();
        let mut next_page = (!ids.is_empty()).then(|| self.read_mobility_page(ids.start, ids.end));
        while let Some(page) = next_page.take() {
            let (end, json) = page.await.expect("reading a page does not panic")?;
            if end < ids.end {
                next_page = Some(self.read_mobility_page(end, ids.end));
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
    /// `before`) on a task of its own, so that the database builds it while the page
    /// before is parsed. The task returns where the page ends, and the page.
    fn read_mobility_page(
        &self,
        start: i64,
        before: i64,
    ) -> tokio::task::JoinHandle<Result<(i64, String), StoreError>> {
        let pool = self.pool.clone();
        let end = start.saturating_add(PAGE_IDS).min(before);
        tokio::spawn(async move {
            let json: String = match &pool {
                Pool::Sqlite(pool) => {
                    // The scan reads each page of the table once: with SQLite's own small
                    // page cache, not the connection's large one, a million mobilities
                    // do not fill a cache per reading connection (peak memory).
                    let mut connection = pool.acquire().await?;
                    sqlx::query(SCAN_CACHE_SQL)
                        .execute(&mut *connection)
                        .await?;
                    let page = sqlx::query_scalar(SQLITE_MOBILITY_PAGE_SQL)
                        .bind(start)
                        .bind(end)
                        .fetch_one(&mut *connection)
                        .await;
                    sqlx::query(&super::sqlite_cache_pragma())
                        .execute(&mut *connection)
                        .await?;
                    page?
                }
                Pool::Postgres(pool) => {
                    sqlx::query_scalar(POSTGRES_MOBILITY_PAGE_SQL)
                        .bind(start)
                        .bind(end)
                        .fetch_one(pool)
                        .await?
                }
            };
            Ok((end, json))
        })
    }
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
