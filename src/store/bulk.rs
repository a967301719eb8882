//! Reads of whole tables for reports, one row at a time: a report over a million
//! mobilities hands each to its caller as it is read instead of collecting them first.
//! Each value is borrowed from its row, and a code or date is parsed once per distinct
//! text, not once per row: a million mobilities share a few hundred regions and dates.

use std::collections::HashMap;

use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::Row;

use super::rows::{count, parse};
use super::{Pool, Store, StoreError};
use crate::domain::{
    Country, DateWindow, Destination, IntroductionId, InvalidValue, MobilityDetails, MobilityId,
    MobilityStatus, MobilityType, Region, Source,
};

/// The columns a report reads, in the order [`MobilityText`] takes them; the dates as
/// text (`YYYY-MM-DD` from either backend), to be parsed once per distinct date.
const REPORTED_MOBILITY_SQL: &str = "SELECT id, sending_organisation, sending_region, \
    receiving_organisation, receiving_region, receiving_country, mobility_type, participants, \
    fewer_opportunities, CAST(start_date AS TEXT), CAST(end_date AS TEXT), status, \
    introduction_id, source FROM mobilities";

impl Store {
    /// Every mobility's id, details and source (all that a report shows of it), handed
    /// to `visit` as it is read, in no particular order (sorting a million whole rows
    /// costs the database more than sorting the finished table costs the caller);
    /// returns how many.
    pub async fn for_each_mobility(
        &self,
        mut visit: impl FnMut(MobilityId, MobilityDetails, Source),
    ) -> Result<usize, StoreError> {
        let mut parsed = ParsedValues::default();
        let mut count = 0;
        on_backend!(Pool, &self.pool, |pool| {
            let mut rows = sqlx::query(REPORTED_MOBILITY_SQL).fetch(pool);
            while let Some(row) = rows.try_next().await? {
                let text = MobilityText {
                    id: row.try_get(0)?,
                    sending_organisation: row.try_get(1)?,
                    sending_region: row.try_get(2)?,
                    receiving_organisation: row.try_get(3)?,
                    receiving_region: row.try_get(4)?,
                    receiving_country: row.try_get(5)?,
                    mobility_type: row.try_get(6)?,
                    participants: row.try_get(7)?,
                    fewer_opportunities: row.try_get(8)?,
                    start_date: row.try_get(9)?,
                    end_date: row.try_get(10)?,
                    status: row.try_get(11)?,
                    introduction_id: row.try_get(12)?,
                    source: row.try_get(13)?,
                };
                let (details, source) = parsed.mobility(&text)?;
                visit(MobilityId::new(text.id), details, source);
                count += 1;
            }
        });
        Ok(count)
    }
}

/// A mobility row's values as the database returns them, borrowed from the row.
struct MobilityText<'row> {
    id: i64,
    sending_organisation: &'row str,
    sending_region: &'row str,
    receiving_organisation: &'row str,
    receiving_region: Option<&'row str>,
    receiving_country: &'row str,
    mobility_type: &'row str,
    participants: i64,
    fewer_opportunities: i64,
    start_date: &'row str,
    end_date: &'row str,
    status: &'row str,
    introduction_id: Option<i64>,
    source: &'row str,
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
        let destination = match text.receiving_region {
            Some(region) => Destination::region(once(
                &mut self.regions,
                "receiving_region",
                region,
                Region::parse,
            )?),
            None => Destination::country_only(once(
                &mut self.countries,
                "receiving_country",
                text.receiving_country,
                Country::parse,
            )?),
        };
        let start = once(&mut self.dates, "start_date", text.start_date, parse_date)?;
        let end = once(&mut self.dates, "end_date", text.end_date, parse_date)?;
        let dates = DateWindow::new(start, end)
            .map_err(|invalid| StoreError::corrupt(TABLE, "end_date", text.end_date, invalid))?;
        let details = MobilityDetails {
            sending_organisation: text.sending_organisation.to_owned(),
            sending_region: once(
                &mut self.regions,
                "sending_region",
                text.sending_region,
                Region::parse,
            )?,
            receiving_organisation: text.receiving_organisation.to_owned(),
            destination,
            mobility_type: once(
                &mut self.mobility_types,
                "mobility_type",
                text.mobility_type,
                MobilityType::from_value,
            )?,
            participants: count(TABLE, "participants", text.participants)?,
            fewer_opportunities: count(TABLE, "fewer_opportunities", text.fewer_opportunities)?,
            dates,
            status: once(
                &mut self.statuses,
                "status",
                text.status,
                MobilityStatus::from_value,
            )?,
            introduction: text.introduction_id.map(IntroductionId::new),
        };
        let source = once(&mut self.sources, "source", text.source, Source::from_value)?;
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
