//! Domain values as polars tables. The column names here are the export interface
//! documented in `reports/README.md`: they stay stable.

use polars::prelude::*;

use crate::domain::{Mobility, Population, Submission};

/// Every mobility record, one row each, with the Erasmus+ activity code. Organisation
/// names are kept; contact names and addresses are not part of a mobility.
pub fn mobilities_frame(mobilities: &[Mobility]) -> PolarsResult<DataFrame> {
    let rows = mobilities;
    let columns = vec![
        column("reference", each(rows, |row| row.id.to_string())),
        column("status", each(rows, |row| row.details.status.value())),
        column(
            "sending_organisation",
            each(rows, |row| row.details.sending_organisation.as_str()),
        ),
        column(
            "sending_region",
            each(rows, |row| row.details.sending_region.code()),
        ),
        column(
            "sending_region_name",
            each(rows, |row| row.details.sending_region.name()),
        ),
        column(
            "sending_country",
            each(rows, |row| row.details.sending_region.country().code()),
        ),
        column(
            "receiving_organisation",
            each(rows, |row| not_empty(&row.details.receiving_organisation)),
        ),
        column(
            "receiving_region",
            each(rows, |row| {
                row.details
                    .destination
                    .nuts_region()
                    .map(|region| region.code())
            }),
        ),
        column(
            "receiving_country",
            each(rows, |row| row.details.destination.country().code()),
        ),
        column(
            "mobility_type",
            each(rows, |row| row.details.mobility_type.value()),
        ),
        column(
            "erasmus_activity_code",
            each(rows, |row| row.details.erasmus_activity_code()),
        ),
        column("participants", each(rows, |row| row.details.participants)),
        column(
            "fewer_opportunities",
            each(rows, |row| row.details.fewer_opportunities),
        ),
        column("start_date", each(rows, |row| row.details.dates.start())),
        column("end_date", each(rows, |row| row.details.dates.end())),
        column("days", each(rows, |row| row.details.dates.days())),
        column(
            "introduction",
            each(rows, |row| {
                row.details.introduction.map(|id| id.to_string())
            }),
        ),
        column("source", each(rows, |row| row.source.value())),
    ];
    DataFrame::new(rows.len(), columns)
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
            not_empty(&row.details.organisation.contact_name)
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

/// CSV and Excel cannot tell an empty text from a missing one, so no export writes an
/// empty text: a value not given is null in every format.
fn not_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
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
