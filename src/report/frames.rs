//! Domain values as polars tables. The column names here are the export interface
//! documented in `reports/README.md`: they stay stable.

use std::fmt::{Display, Write};

use polars::prelude::*;

use crate::domain::{
    DateWindow, Destination, IntroductionId, Mobility, MobilityDetails, MobilityId, MobilityStatus,
    MobilityType, Population, Region, Source, Submission,
};

/// Every mobility record, one row each, with the Erasmus+ activity code. Organisation
/// names are kept; contact names and addresses are not part of a mobility.
pub fn mobilities_frame(mobilities: &[Mobility]) -> PolarsResult<DataFrame> {
    let mut columns = MobilityColumns::default();
    for mobility in mobilities {
        columns.push(mobility.id, mobility.details.clone(), mobility.source);
    }
    columns.finish()
}

/// The values behind [`mobilities_frame`], a column each, filled one record at a time as
/// the records are read, so that a report over a million of them never holds them all as
/// records too. What a value implies (a region's name and country, the activity code,
/// the days) is made with the table. The records may come in any order: the table is
/// sorted by start date, then by record, once they are all in, which is much faster than
/// having the database sort whole rows.
#[derive(Default)]
pub struct MobilityColumns {
    id: Vec<i64>,
    status: Vec<MobilityStatus>,
    sending_organisation: Vec<String>,
    sending_region: Vec<Region>,
    receiving_organisation: Vec<Option<String>>,
    destination: Vec<Destination>,
    mobility_type: Vec<MobilityType>,
    participants: Vec<u32>,
    fewer_opportunities: Vec<u32>,
    dates: Vec<DateWindow>,
    introduction: Vec<Option<IntroductionId>>,
    source: Vec<Source>,
}

impl MobilityColumns {
    pub fn push(&mut self, id: MobilityId, details: MobilityDetails, source: Source) {
        self.id.push(id.get());
        self.status.push(details.status);
        self.sending_organisation.push(details.sending_organisation);
        self.sending_region.push(details.sending_region);
        // CSV and Excel cannot tell an empty text from a missing one.
        self.receiving_organisation.push(
            (!details.receiving_organisation.is_empty()).then_some(details.receiving_organisation),
        );
        self.destination.push(details.destination);
        self.mobility_type.push(details.mobility_type);
        self.participants.push(details.participants);
        self.fewer_opportunities.push(details.fewer_opportunities);
        self.dates.push(details.dates);
        self.introduction.push(details.introduction);
        self.source.push(source);
    }

    /// These columns followed by `other`'s.
    pub fn append(mut self, mut other: MobilityColumns) -> MobilityColumns {
        self.id.append(&mut other.id);
        self.status.append(&mut other.status);
        self.sending_organisation
            .append(&mut other.sending_organisation);
        self.sending_region.append(&mut other.sending_region);
        self.receiving_organisation
            .append(&mut other.receiving_organisation);
        self.destination.append(&mut other.destination);
        self.mobility_type.append(&mut other.mobility_type);
        self.participants.append(&mut other.participants);
        self.fewer_opportunities
            .append(&mut other.fewer_opportunities);
        self.dates.append(&mut other.dates);
        self.introduction.append(&mut other.introduction);
        self.source.append(&mut other.source);
        self
    }

    /// The table, its rows sorted by start date, then by record. The rows are put in
    /// order before the table is made, so that each column's values lie in that order
    /// in memory: every export then reads them front to back. The columns of owned
    /// texts, the slowest to make, are made on a second thread, the references from the
    /// ids as they are put in.
    pub fn finish(mut self) -> PolarsResult<DataFrame> {
        let mut order: Vec<usize> = (0..self.id.len()).collect();
        order.sort_unstable_by_key(|&row| (self.dates[row].start(), self.id[row]));
        let order = &order;
        let columns = std::thread::scope(|scope| {
            let texts = scope.spawn(|| {
                [
                    references(
                        "reference",
                        order.iter().map(|&row| Some(MobilityId::new(self.id[row]))),
                    ),
                    column(
                        "sending_organisation",
                        taken(&mut self.sending_organisation, order),
                    ),
                    column(
                        "receiving_organisation",
                        taken(&mut self.receiving_organisation, order),
                    ),
                    references(
                        "introduction",
                        order.iter().map(|&row| self.introduction[row]),
                    ),
                ]
            });
            let sending_region = |row: usize| self.sending_region[row];
            let destination = |row: usize| self.destination[row];
            let dates = |row: usize| self.dates[row];
            let mut columns = vec![
                column("status", in_order(order, |row| self.status[row].value())),
                column(
                    "sending_region",
                    in_order(order, |row| sending_region(row).code()),
                ),
                column(
                    "sending_region_name",
                    in_order(order, |row| sending_region(row).name()),
                ),
                column(
                    "sending_country",
                    in_order(order, |row| sending_region(row).country().code()),
                ),
                column(
                    "receiving_region",
                    in_order(order, |row| {
                        destination(row).nuts_region().map(|region| region.code())
                    }),
                ),
                column(
                    "receiving_country",
                    in_order(order, |row| destination(row).country().code()),
                ),
                column(
                    "mobility_type",
                    in_order(order, |row| self.mobility_type[row].value()),
                ),
                column(
                    "erasmus_activity_code",
                    in_order(order, |row| {
                        self.mobility_type[row].erasmus_activity_code(dates(row).days())
                    }),
                ),
                column(
                    "participants",
                    in_order(order, |row| self.participants[row]),
                ),
                column(
                    "fewer_opportunities",
                    in_order(order, |row| self.fewer_opportunities[row]),
                ),
                column("start_date", in_order(order, |row| dates(row).start())),
                column("end_date", in_order(order, |row| dates(row).end())),
                column("days", in_order(order, |row| dates(row).days())),
                column("source", in_order(order, |row| self.source[row].value())),
            ];
            columns.extend(texts.join().expect("making columns does not panic"));
            columns
        });
        DataFrame::new(order.len(), columns)?.select(MOBILITY_COLUMNS)
    }
}

/// The columns of the mobilities table, in their exported order.
const MOBILITY_COLUMNS: [&str; 18] = [
    "reference",
    "status",
    "sending_organisation",
    "sending_region",
    "sending_region_name",
    "sending_country",
    "receiving_organisation",
    "receiving_region",
    "receiving_country",
    "mobility_type",
    "erasmus_activity_code",
    "participants",
    "fewer_opportunities",
    "start_date",
    "end_date",
    "days",
    "introduction",
    "source",
];

/// What `value` gives for each row, in `order`.
fn in_order<T>(order: &[usize], value: impl Fn(usize) -> T) -> Vec<T> {
    order.iter().map(|&row| value(row)).collect()
}

/// `values` moved out in `order`, leaving defaults behind.
fn taken<T: Default>(values: &mut [T], order: &[usize]) -> Vec<T> {
    order
        .iter()
        .map(|&row| std::mem::take(&mut values[row]))
        .collect()
}

/// A column of references (`M-12`), made from the ids when the table is made: each is
/// written into one buffer and copied into the column from there, rather than held as
/// a text of its own per record until then.
fn references<Reference: Display>(
    name: &str,
    references: impl ExactSizeIterator<Item = Option<Reference>>,
) -> Column {
    let mut column = StringChunkedBuilder::new(name.into(), references.len());
    let mut text = String::new();
    for reference in references {
        match reference {
            Some(reference) => {
                text.clear();
                write!(text, "{reference}").expect("writing to a string does not fail");
                column.append_value(&text);
            }
            None => column.append_null(),
        }
    }
    column.finish().into_column()
}

/// Population figures: `region`, `year`, `vet_learners`, `ivet_graduates` (nullable).
pub fn population_frame(population: &[Population]) -> PolarsResult<DataFrame> {
    let rows = population;
    let columns = vec![
        column("region", each(rows, |row| row.region.code())),
        column("year", each(rows, |row| row.year)),
        column("vet_learners", each(rows, |row| row.vet_learners)),
        column("ivet_graduates", each(rows, |row| row.ivet_graduates)),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Offers and requests for monitoring: what, where, how many and when, without the
/// contact person, the contact address or the free-text notes (which often hold both).
pub fn submissions_frame(submissions: &[Submission]) -> PolarsResult<DataFrame> {
    let rows = submissions;
    let columns = vec![
        column("reference", each(rows, |row| row.id.to_string())),
        column("status", each(rows, |row| row.status.value())),
        column("role", each(rows, |row| row.details.role.value())),
        column(
            "organisation",
            each(rows, |row| row.details.organisation.name.as_str()),
        ),
        column(
            "region",
            each(rows, |row| row.details.organisation.region.code()),
        ),
        column(
            "region_name",
            each(rows, |row| row.details.organisation.region.name()),
        ),
        column(
            "country",
            each(rows, |row| row.details.organisation.region.country().code()),
        ),
        column(
            "mobility_type",
            each(rows, |row| row.details.mobility_type.value()),
        ),
        column(
            "fields",
            each(rows, |row| {
                joined(row.details.fields.iter().map(|field| field.code()))
            }),
        ),
        column("participants", each(rows, |row| row.details.participants)),
        column(
            "fewer_opportunities",
            each(rows, |row| row.details.fewer_opportunities),
        ),
        column(
            "inclusion_support",
            each(rows, |row| row.details.inclusion_support),
        ),
        column(
            "earliest_start",
            each(rows, |row| row.details.window.start()),
        ),
        column("latest_end", each(rows, |row| row.details.window.end())),
        column(
            "min_days",
            each(rows, |row| row.details.duration.min_days()),
        ),
        column(
            "max_days",
            each(rows, |row| row.details.duration.max_days()),
        ),
        column(
            "languages",
            each(rows, |row| {
                joined(row.details.languages.iter().map(|language| language.code()))
            }),
        ),
        column(
            "partner_countries",
            each(rows, |row| {
                let countries = joined(
                    row.details
                        .partner_countries
                        .iter()
                        .map(|country| country.code()),
                );
                (!countries.is_empty()).then_some(countries)
            }),
        ),
        column("source", each(rows, |row| row.source.value())),
        column("created_on", each(rows, |row| row.created_at.date_naive())),
    ];
    DataFrame::new(rows.len(), columns)
}

/// The submissions export with the contact person and address added at the end: for the
/// secretariat's own follow-up, chosen explicitly with `export --with-contacts`.
pub fn submissions_frame_with_contacts(submissions: &[Submission]) -> PolarsResult<DataFrame> {
    let rows = submissions;
    let mut frame = submissions_frame(rows)?;
    frame.with_column(column(
        "contact_name",
        each(rows, |row| {
            let name = row.details.organisation.contact_name.as_str();
            (!name.is_empty()).then_some(name)
        }),
    ))?;
    frame.with_column(column(
        "contact_email",
        each(rows, |row| row.details.organisation.contact_email.as_str()),
    ))?;
    Ok(frame)
}

fn each<'a, Row, Value>(rows: &'a [Row], pick: impl Fn(&'a Row) -> Value) -> Vec<Value> {
    rows.iter().map(pick).collect()
}

fn joined(codes: impl Iterator<Item = &'static str>) -> String {
    codes.collect::<Vec<_>>().join(", ")
}

fn column<Values, Phantom: ?Sized>(name: &str, values: Values) -> Column
where
    Series: NamedFrom<Values, Phantom>,
{
    Series::new(name.into(), values).into()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::domain::{Country, DateWindow, Destination, MobilityStatus, MobilityType, Region};

    fn mobility(id: i64, start_day: u32, introduction: Option<i64>) -> Mobility {
        let start = NaiveDate::from_ymd_opt(2026, 3, start_day).unwrap();
        Mobility {
            id: MobilityId::new(id),
            details: MobilityDetails {
                sending_organisation: format!("School {id}"),
                sending_region: Region::parse("ES21").unwrap(),
                receiving_organisation: "Host".to_owned(),
                destination: Destination::country_only(Country::parse("SE").unwrap()),
                mobility_type: MobilityType::VetLearner,
                participants: 2,
                fewer_opportunities: 1,
                dates: DateWindow::new(start, start).unwrap(),
                status: MobilityStatus::Completed,
                introduction: introduction.map(IntroductionId::new),
            },
            source: Source::Email,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    fn texts(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
        frame
            .column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|text| text.map(str::to_owned))
            .collect()
    }

    #[test]
    fn rows_come_by_start_date_then_record_with_their_references() {
        let frame = mobilities_frame(&[
            mobility(12, 9, Some(7)),
            mobility(3, 20, None),
            mobility(5, 9, None),
        ])
        .unwrap();
        let some = |text: &str| Some(text.to_owned());
        assert_eq!(
            texts(&frame, "reference"),
            [some("M-5"), some("M-12"), some("M-3")]
        );
        assert_eq!(texts(&frame, "introduction"), [None, some("I-7"), None]);
        assert_eq!(
            texts(&frame, "sending_organisation"),
            [some("School 5"), some("School 12"), some("School 3")]
        );
    }
}
