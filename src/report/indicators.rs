//! The indicators of DESIGN.md section 9, computed with polars from the tables of
//! `frames.rs`. Every definition is written out in `reports/README.md`; the tests at the
//! bottom check them on hand-computed data.

use polars::prelude::*;
use serde::Serialize;

use super::ReportMonth;
use crate::config::{RateDefinition, TargetSettings};
use crate::domain::{MobilityStatus, MobilityType, Region};

/// The `region` value of the row for the whole network.
pub const ALL_REGIONS: &str = "ALL";
/// Cedefop counts learning mobilities of at least this many days.
pub const EU_MINIMUM_DAYS: u32 = 10;

/// The columns of `targets.*` that hold shares (0.2 = 20%), shown as percentages.
pub const TARGETS_PERCENT_COLUMNS: &[&str] = &[
    "vet_mobility_rate",
    "fewer_opportunities_share",
    "target_vet_rate",
    "target_fewer_opportunities_share",
    "path_vet_rate",
    "eu_vet_mobility_rate",
    "target_eu_vet_rate",
    "eu_path_vet_rate",
];

const TARGETS_COLUMNS: &[&str] = &[
    "year",
    "month",
    "region",
    "region_name",
    "country",
    "vet_participants",
    "vet_population",
    "vet_mobility_rate",
    "participants",
    "fewer_opportunities",
    "fewer_opportunities_share",
    "target_vet_rate",
    "target_fewer_opportunities_share",
    "on_track",
    "path_vet_rate",
    "population_year",
    "eu_vet_participants",
    "ivet_graduates",
    "eu_vet_mobility_rate",
    "target_eu_vet_rate",
    "eu_path_vet_rate",
    "eu_on_track",
];

/// One row of the targets table, as plain values for the summary and the charts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TargetRow {
    pub region: String,
    pub region_name: String,
    pub vet_participants: i64,
    pub vet_population: Option<i64>,
    pub vet_mobility_rate: Option<f64>,
    pub participants: i64,
    pub fewer_opportunities: i64,
    pub fewer_opportunities_share: Option<f64>,
    pub on_track: Option<bool>,
    pub path_vet_rate: f64,
    pub eu_vet_participants: i64,
    pub ivet_graduates: Option<i64>,
    pub eu_vet_mobility_rate: Option<f64>,
    pub eu_on_track: Option<bool>,
    pub eu_path_vet_rate: f64,
}

/// A region's VET mobility figures by one definition.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DefinedRate {
    /// Participants counted in the numerator.
    pub participants: i64,
    /// VET learners or IVET graduates; `None` when unknown.
    pub population: Option<i64>,
    pub rate: Option<f64>,
    pub path: f64,
    pub on_track: Option<bool>,
}

impl TargetRow {
    pub fn by(&self, definition: RateDefinition) -> DefinedRate {
        match definition {
            RateDefinition::Partnership => DefinedRate {
                participants: self.vet_participants,
                population: self.vet_population,
                rate: self.vet_mobility_rate,
                path: self.path_vet_rate,
                on_track: self.on_track,
            },
            RateDefinition::Eu => DefinedRate {
                participants: self.eu_vet_participants,
                population: self.ivet_graduates,
                rate: self.eu_vet_mobility_rate,
                path: self.eu_path_vet_rate,
                on_track: self.eu_on_track,
            },
        }
    }
}

/// `targets.*`: one row per sending region (by code) and then the `ALL` row, for the
/// year to date through `month`.
pub fn targets_table(
    mobilities: &DataFrame,
    population: &DataFrame,
    month: ReportMonth,
    targets: &TargetSettings,
) -> PolarsResult<DataFrame> {
    let year = month.year();
    let start_of_year = ReportMonth::new(year, 1)
        .expect("January is a month")
        .first_day();
    let counts = completed_between(mobilities, start_of_year, month.last_day())
        .group_by([col("sending_region").alias("region")])
        .agg([
            participants_where(vet_mobility()).alias("vet_participants"),
            participants_where(vet_mobility().and(col("days").gt_eq(lit(EU_MINIMUM_DAYS))))
                .alias("eu_vet_participants"),
            participants_where(lit(true)).alias("participants"),
            col("fewer_opportunities")
                .cast(DataType::Int64)
                .sum()
                .alias("fewer_opportunities"),
        ]);
    let latest_population = population
        .clone()
        .lazy()
        .filter(col("year").lt_eq(lit(year)))
        .sort(["year"], SortMultipleOptions::default())
        .group_by([col("region")])
        .agg([
            col("year").last().alias("population_year"),
            col("vet_learners")
                .cast(DataType::Int64)
                .last()
                .alias("vet_population"),
            col("ivet_graduates")
                .cast(DataType::Int64)
                .last()
                .alias("ivet_graduates"),
        ]);
    let regions = concat(
        [
            counts.clone().select([col("region")]),
            latest_population.clone().select([col("region")]),
        ],
        UnionArgs::default(),
    )?
    .unique(None, UniqueKeepStrategy::Any)
    .left_join(counts, col("region"), col("region"))
    .left_join(latest_population, col("region"), col("region"))
    .with_columns([
        col("vet_participants").fill_null(lit(0i64)),
        col("eu_vet_participants").fill_null(lit(0i64)),
        col("participants").fill_null(lit(0i64)),
        col("fewer_opportunities").fill_null(lit(0i64)),
    ])
    // A rate's numerator counts only regions whose denominator is known, so that the
    // network rate compares like with like.
    .with_columns([
        known_or_zero("vet_participants", "vet_population").alias("rate_numerator"),
        known_or_zero("eu_vet_participants", "ivet_graduates").alias("eu_rate_numerator"),
    ])
    .sort(["region"], SortMultipleOptions::default());
    let network = regions.clone().select([
        lit(ALL_REGIONS).alias("region"),
        col("vet_participants").sum(),
        col("eu_vet_participants").sum(),
        col("participants").sum(),
        col("fewer_opportunities").sum(),
        lit(Null {}).cast(DataType::Int32).alias("population_year"),
        sum_of_known("vet_population"),
        sum_of_known("ivet_graduates"),
        col("rate_numerator").sum(),
        col("eu_rate_numerator").sum(),
    ]);
    let path = expected_year_to_date_rate(targets.vet_mobility_rate, targets, month);
    let eu_path = expected_year_to_date_rate(targets.eu_vet_benchmark, targets, month);
    let table = concat([regions, network], UnionArgs::default())?
        .with_columns([
            share("rate_numerator", "vet_population").alias("vet_mobility_rate"),
            share("fewer_opportunities", "participants").alias("fewer_opportunities_share"),
            share("eu_rate_numerator", "ivet_graduates").alias("eu_vet_mobility_rate"),
            lit(year).alias("year"),
            lit(month.month()).alias("month"),
            lit(targets.vet_mobility_rate).alias("target_vet_rate"),
            lit(targets.fewer_opportunities_share).alias("target_fewer_opportunities_share"),
            lit(path).alias("path_vet_rate"),
            lit(targets.eu_vet_benchmark).alias("target_eu_vet_rate"),
            lit(eu_path).alias("eu_path_vet_rate"),
        ])
        .with_columns([
            // The tolerance keeps a rate that sits exactly on the path on track despite
            // floating-point rounding.
            col("vet_mobility_rate")
                .gt_eq(lit(path - 1e-12))
                .alias("on_track"),
            col("eu_vet_mobility_rate")
                .gt_eq(lit(eu_path - 1e-12))
                .alias("eu_on_track"),
        ])
        .collect()?;
    with_region_names(table)?.select(TARGETS_COLUMNS.iter().copied())
}

/// The targets table as plain rows, in the table's order.
pub fn target_rows(table: &DataFrame) -> PolarsResult<Vec<TargetRow>> {
    let region = table.column("region")?.str()?;
    let region_name = table.column("region_name")?.str()?;
    let vet_participants = table.column("vet_participants")?.i64()?;
    let vet_population = table.column("vet_population")?.i64()?;
    let vet_mobility_rate = table.column("vet_mobility_rate")?.f64()?;
    let participants = table.column("participants")?.i64()?;
    let fewer_opportunities = table.column("fewer_opportunities")?.i64()?;
    let fewer_opportunities_share = table.column("fewer_opportunities_share")?.f64()?;
    let on_track = table.column("on_track")?.bool()?;
    let path_vet_rate = table.column("path_vet_rate")?.f64()?;
    let eu_vet_participants = table.column("eu_vet_participants")?.i64()?;
    let ivet_graduates = table.column("ivet_graduates")?.i64()?;
    let eu_vet_mobility_rate = table.column("eu_vet_mobility_rate")?.f64()?;
    let eu_on_track = table.column("eu_on_track")?.bool()?;
    let eu_path_vet_rate = table.column("eu_path_vet_rate")?.f64()?;
    Ok((0..table.height())
        .map(|row| TargetRow {
            region: region.get(row).unwrap_or_default().to_owned(),
            region_name: region_name.get(row).unwrap_or_default().to_owned(),
            vet_participants: vet_participants.get(row).unwrap_or_default(),
            vet_population: vet_population.get(row),
            vet_mobility_rate: vet_mobility_rate.get(row),
            participants: participants.get(row).unwrap_or_default(),
            fewer_opportunities: fewer_opportunities.get(row).unwrap_or_default(),
            fewer_opportunities_share: fewer_opportunities_share.get(row),
            on_track: on_track.get(row),
            path_vet_rate: path_vet_rate.get(row).unwrap_or_default(),
            eu_vet_participants: eu_vet_participants.get(row).unwrap_or_default(),
            ivet_graduates: ivet_graduates.get(row),
            eu_vet_mobility_rate: eu_vet_mobility_rate.get(row),
            eu_on_track: eu_on_track.get(row),
            eu_path_vet_rate: eu_path_vet_rate.get(row).unwrap_or_default(),
        })
        .collect())
}

/// Where a straight path from 0 in the baseline year to the target in the target year
/// stands in `month`'s year, prorated to the months elapsed: the year-to-date rate a
/// region needs to be on track. Before the baseline year the path is 0; after the
/// target year it stays at the target.
pub fn expected_year_to_date_rate(
    target: f64,
    targets: &TargetSettings,
    month: ReportMonth,
) -> f64 {
    let span = f64::from(targets.year - targets.baseline_year);
    let progress = (f64::from(month.year() - targets.baseline_year) / span).clamp(0.0, 1.0);
    target * progress * f64::from(month.month()) / 12.0
}

/// Completed mobilities per start month and type, for the twelve months ending with
/// `month`: `counts[type][i]` belongs to `months[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct MonthlyMobilities {
    pub months: Vec<ReportMonth>,
    pub counts: Vec<(MobilityType, Vec<u32>)>,
}

pub fn monthly_mobilities(
    mobilities: &DataFrame,
    month: ReportMonth,
) -> PolarsResult<MonthlyMobilities> {
    let months = month.last_twelve();
    let grouped = by_start_month(mobilities, &months)?
        .group_by([col("month_index"), col("mobility_type")])
        .agg([len().alias("mobilities")])
        .collect()?;
    let month_index = grouped.column("month_index")?.i32()?;
    let mobility_type = grouped.column("mobility_type")?.str()?;
    let count = grouped.column("mobilities")?.cast(&DataType::UInt32)?;
    let count = count.u32()?;
    let first_index = months[0].index();
    let mut counts: Vec<(MobilityType, Vec<u32>)> = MobilityType::ALL
        .iter()
        .map(|kind| (*kind, vec![0; months.len()]))
        .collect();
    for row in 0..grouped.height() {
        let (Some(index), Some(kind), Some(value)) =
            (month_index.get(row), mobility_type.get(row), count.get(row))
        else {
            continue;
        };
        let slot = usize::try_from(index - first_index).expect("filtered to the twelve months");
        if let Some((_, values)) = counts
            .iter_mut()
            .find(|(candidate, _)| candidate.value() == kind)
        {
            values[slot] = value;
        }
    }
    Ok(MonthlyMobilities { months, counts })
}

/// The fewer-opportunities share of one month's completed mobilities (by start date).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonthlyShare {
    pub month: String,
    pub participants: i64,
    pub share: Option<f64>,
}

pub fn monthly_fewer_opportunities(
    mobilities: &DataFrame,
    month: ReportMonth,
) -> PolarsResult<Vec<MonthlyShare>> {
    let months = month.last_twelve();
    let grouped = by_start_month(mobilities, &months)?
        .group_by([col("month_index")])
        .agg([
            col("participants").cast(DataType::Int64).sum(),
            col("fewer_opportunities").cast(DataType::Int64).sum(),
        ])
        .collect()?;
    let month_index = grouped.column("month_index")?.i32()?;
    let participants = grouped.column("participants")?.i64()?;
    let fewer = grouped.column("fewer_opportunities")?.i64()?;
    Ok(months
        .iter()
        .map(|month| {
            let row =
                (0..grouped.height()).find(|row| month_index.get(*row) == Some(month.index()));
            let participants = row.and_then(|row| participants.get(row)).unwrap_or(0);
            let fewer = row.and_then(|row| fewer.get(row)).unwrap_or(0);
            MonthlyShare {
                month: month.short_label(),
                participants,
                share: (participants > 0).then(|| fewer as f64 / participants as f64),
            }
        })
        .collect())
}

/// The network's VET mobility rate for one year: the whole year, or the year to date
/// for the report's own year.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YearRate {
    pub year: i32,
    pub rate: Option<f64>,
    /// The rate by the EU (Cedefop) definition.
    pub eu_rate: Option<f64>,
    pub to_date: bool,
}

impl YearRate {
    pub fn by(&self, definition: RateDefinition) -> Option<f64> {
        match definition {
            RateDefinition::Partnership => self.rate,
            RateDefinition::Eu => self.eu_rate,
        }
    }
}

/// The network's rate in each year from the baseline year to `month`'s year, by the
/// same definitions as the `ALL` row of the targets table.
pub fn network_trajectory(
    mobilities: &DataFrame,
    population: &DataFrame,
    month: ReportMonth,
    targets: &TargetSettings,
) -> PolarsResult<Vec<YearRate>> {
    (targets.baseline_year..=month.year())
        .map(|year| {
            let to_date = year == month.year();
            let through = if to_date {
                month
            } else {
                ReportMonth::new(year, 12).expect("December is a month")
            };
            let table = targets_table(mobilities, population, through, targets)?;
            let network = target_rows(&table)?
                .into_iter()
                .find(|row| row.region == ALL_REGIONS);
            Ok(YearRate {
                year,
                rate: network.as_ref().and_then(|row| row.vet_mobility_rate),
                eu_rate: network.and_then(|row| row.eu_vet_mobility_rate),
                to_date,
            })
        })
        .collect()
}

fn completed_between(
    mobilities: &DataFrame,
    first_day: chrono::NaiveDate,
    last_day: chrono::NaiveDate,
) -> LazyFrame {
    mobilities.clone().lazy().filter(
        col("status")
            .eq(lit(MobilityStatus::Completed.value()))
            .and(col("start_date").gt_eq(lit(first_day)))
            .and(col("start_date").lt_eq(lit(last_day))),
    )
}

/// Completed mobilities starting in `months` (consecutive), with their `month_index`.
fn by_start_month(mobilities: &DataFrame, months: &[ReportMonth]) -> PolarsResult<LazyFrame> {
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Err(PolarsError::NoData("no months to report on".into()));
    };
    Ok(
        completed_between(mobilities, first.first_day(), last.last_day()).with_column(
            (col("start_date").dt().year() * lit(12i32)
                + col("start_date").dt().month().cast(DataType::Int32)
                - lit(1i32))
            .alias("month_index"),
        ),
    )
}

fn vet_mobility() -> Expr {
    MobilityType::ALL
        .iter()
        .filter(|kind| kind.counts_toward_vet_target())
        .map(|kind| col("mobility_type").eq(lit(kind.value())))
        .reduce(Expr::or)
        .expect("some mobility types count toward the VET target")
}

fn participants_where(condition: Expr) -> Expr {
    when(condition)
        .then(col("participants").cast(DataType::Int64))
        .otherwise(lit(0i64))
        .sum()
}

fn known_or_zero(count: &str, denominator: &str) -> Expr {
    when(col(denominator).is_not_null())
        .then(col(count))
        .otherwise(lit(0i64))
}

/// The sum of a column's known values, or null when none is known.
fn sum_of_known(name: &str) -> Expr {
    when(col(name).count().gt(lit(0)))
        .then(col(name).sum())
        .otherwise(lit(Null {}).cast(DataType::Int64))
        .alias(name)
}

/// `numerator / denominator`, or null when the denominator is unknown or zero.
fn share(numerator: &str, denominator: &str) -> Expr {
    when(col(denominator).gt(lit(0)))
        .then(col(numerator).cast(DataType::Float64) / col(denominator).cast(DataType::Float64))
        .otherwise(lit(Null {}).cast(DataType::Float64))
}

/// Adds `region_name` and `country` from the embedded NUTS list.
fn with_region_names(mut table: DataFrame) -> PolarsResult<DataFrame> {
    let regions: Vec<Option<Region>> = table
        .column("region")?
        .str()?
        .iter()
        .map(|code| code.and_then(|code| Region::parse(code).ok()))
        .collect();
    let names: Vec<&str> = regions
        .iter()
        .map(|region| region.map_or("All regions", |region| region.name()))
        .collect();
    let countries: Vec<Option<&str>> = regions
        .iter()
        .map(|region| region.map(|region| region.country().code()))
        .collect();
    table.with_column(Column::new("region_name".into(), names))?;
    table.with_column(Column::new("country".into(), countries))?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::domain::{
        Country, DateWindow, Destination, Mobility, MobilityDetails, MobilityId, Population, Source,
    };
    use crate::report::{mobilities_frame, population_frame};

    struct Case {
        mobilities: Vec<Mobility>,
        population: Vec<Population>,
    }

    impl Case {
        fn new() -> Case {
            Case {
                mobilities: Vec::new(),
                population: Vec::new(),
            }
        }

        #[allow(clippy::too_many_arguments)]
        fn mobility(
            mut self,
            region: &str,
            kind: MobilityType,
            participants: u32,
            fewer_opportunities: u32,
            start: &str,
            days: u32,
            status: MobilityStatus,
        ) -> Case {
            let start = date(start);
            let end = start + chrono::Duration::days(i64::from(days) - 1);
            let id = i64::try_from(self.mobilities.len()).unwrap() + 1;
            self.mobilities.push(Mobility {
                id: MobilityId::new(id),
                details: MobilityDetails {
                    sending_organisation: format!("School {id}"),
                    sending_region: Region::parse(region).unwrap(),
                    receiving_organisation: "Host".to_owned(),
                    destination: Destination::country_only(Country::parse("SE").unwrap()),
                    mobility_type: kind,
                    participants,
                    fewer_opportunities,
                    dates: DateWindow::new(start, end).unwrap(),
                    status,
                    introduction: None,
                },
                source: Source::Import,
                created_at: DateTime::UNIX_EPOCH,
                updated_at: DateTime::UNIX_EPOCH,
            });
            self
        }

        fn completed(
            self,
            region: &str,
            kind: MobilityType,
            participants: u32,
            start: &str,
        ) -> Case {
            self.mobility(
                region,
                kind,
                participants,
                0,
                start,
                20,
                MobilityStatus::Completed,
            )
        }

        fn population(mut self, region: &str, year: i32, vet: u32, ivet: Option<u32>) -> Case {
            self.population.push(Population {
                region: Region::parse(region).unwrap(),
                year,
                vet_learners: vet,
                ivet_graduates: ivet,
            });
            self
        }

        fn table(&self, month: &str) -> DataFrame {
            targets_table(
                &mobilities_frame(&self.mobilities).unwrap(),
                &population_frame(&self.population).unwrap(),
                month.parse().unwrap(),
                &targets(),
            )
            .unwrap()
        }

        fn rows(&self, month: &str) -> Vec<TargetRow> {
            target_rows(&self.table(month)).unwrap()
        }

        fn row(&self, month: &str, region: &str) -> TargetRow {
            self.rows(month)
                .into_iter()
                .find(|row| row.region == region)
                .unwrap_or_else(|| panic!("no row for {region}"))
        }
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

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn assert_close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a rate");
        assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
    }

    fn cell<'a>(table: &'a DataFrame, column: &str, region: &str) -> AnyValue<'a> {
        let row = table
            .column("region")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .position(|code| code == Some(region))
            .unwrap();
        table.column(column).unwrap().get(row).unwrap()
    }

    use MobilityStatus::{Cancelled, Completed, Planned};
    use MobilityType::{AdultLearner, Apprentice, StudyVisit, VetLearner};

    #[test]
    fn counts_completed_vet_and_all_participants_of_the_year_to_date_only() {
        let case = Case::new()
            .mobility("ES21", VetLearner, 10, 2, "2026-02-01", 30, Completed)
            .mobility("ES21", Apprentice, 5, 1, "2026-03-10", 5, Completed)
            .mobility("ES21", AdultLearner, 8, 4, "2026-01-20", 10, Completed)
            .mobility("ES21", VetLearner, 7, 7, "2026-03-01", 20, Planned)
            .mobility("ES21", VetLearner, 3, 3, "2026-03-02", 20, Cancelled)
            .mobility("ES21", VetLearner, 4, 0, "2026-04-01", 20, Completed)
            .mobility("ES21", VetLearner, 6, 0, "2025-12-15", 20, Completed)
            .population("ES21", 2026, 1000, Some(300));
        let row = case.row("2026-03", "ES21");
        assert_eq!(row.region_name, "País Vasco");
        assert_eq!(row.vet_participants, 15);
        assert_eq!(row.participants, 23);
        assert_eq!(row.fewer_opportunities, 7);
        assert_eq!(row.vet_population, Some(1000));
        assert_close(row.vet_mobility_rate, 0.015);
        assert_close(row.fewer_opportunities_share, 7.0 / 23.0);
        // The path in March 2026: 20% × 2/6 of the way × 3/12 of the year.
        assert!((row.path_vet_rate - 0.2 * 2.0 / 6.0 * 3.0 / 12.0).abs() < 1e-12);
        assert_eq!(row.on_track, Some(false));
        // The EU definition leaves out the 5-day mobility and divides by IVET graduates.
        let table = case.table("2026-03");
        assert_eq!(
            cell(&table, "eu_vet_participants", "ES21"),
            AnyValue::Int64(10)
        );
        assert_close(row.eu_vet_mobility_rate, 10.0 / 300.0);
        assert_eq!(cell(&table, "country", "ES21"), AnyValue::String("ES"));
        assert_eq!(
            cell(&table, "target_vet_rate", "ES21"),
            AnyValue::Float64(0.20)
        );
        assert_eq!(
            cell(&table, "target_eu_vet_rate", "ES21"),
            AnyValue::Float64(0.12)
        );
        assert_eq!(cell(&table, "month", "ES21"), AnyValue::UInt32(3));
    }

    #[test]
    fn the_mobilities_table_is_ordered_by_start_date_then_record_whatever_order_they_come_in() {
        let case = Case::new()
            .completed("ES21", VetLearner, 1, "2026-03-01")
            .completed("ES21", VetLearner, 1, "2026-01-15")
            .completed("ES21", VetLearner, 1, "2026-03-01")
            .completed("ES21", VetLearner, 1, "2025-12-31");
        let mut columns = crate::report::MobilityColumns::default();
        for mobility in case.mobilities.iter().rev() {
            columns.push(mobility.id, mobility.details.clone(), mobility.source);
        }
        let table = columns.finish().unwrap();
        let references: Vec<Option<&str>> = table
            .column("reference")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(
            references,
            [Some("M-4"), Some("M-2"), Some("M-1"), Some("M-3")]
        );
        assert_eq!(
            table.get_column_names(),
            mobilities_frame(&case.mobilities)
                .unwrap()
                .get_column_names(),
            "the sorting column is not exported"
        );
        assert_eq!(table.width(), 18);
    }

    #[test]
    fn the_eu_definition_has_its_own_path_to_the_benchmark_and_its_own_on_track() {
        // Västsverige: 40 VET participants in March 2026, 30 of them on mobilities of
        // 10 days or more (both ends counted: 1-10 March is 10 days, 1-9 March 9).
        let case = Case::new()
            .mobility("SE23", VetLearner, 30, 0, "2026-03-01", 10, Completed)
            .mobility("SE23", Apprentice, 10, 0, "2026-03-01", 9, Completed)
            .population("SE23", 2026, 10_000, Some(1_000));
        let row = case.row("2026-03", "SE23");
        // The partnership: 40 / 10,000 = 0.4% against a path of 20% × 2/6 × 3/12 = 1.67%.
        assert_close(row.vet_mobility_rate, 0.004);
        assert_eq!(row.on_track, Some(false));
        // The EU: 30 / 1,000 = 3% against a path of 12% × 2/6 × 3/12 = 1%.
        assert_eq!(row.eu_vet_participants, 30);
        assert_eq!(row.ivet_graduates, Some(1_000));
        assert_close(row.eu_vet_mobility_rate, 0.03);
        assert!((row.eu_path_vet_rate - 0.12 * 2.0 / 6.0 * 3.0 / 12.0).abs() < 1e-12);
        assert_eq!(row.eu_on_track, Some(true));
        let eu = row.by(RateDefinition::Eu);
        assert_eq!(
            (eu.participants, eu.population, eu.on_track),
            (30, Some(1_000), Some(true))
        );
        let partnership = row.by(RateDefinition::Partnership);
        assert_eq!(
            (partnership.participants, partnership.population),
            (40, Some(10_000))
        );
        // Without IVET graduates the EU rate and its on-track are empty, not zero.
        let unknown = Case::new()
            .completed("SE23", VetLearner, 30, "2026-03-01")
            .population("SE23", 2026, 10_000, None)
            .row("2026-03", "SE23");
        assert_eq!(unknown.eu_vet_mobility_rate, None);
        assert_eq!(unknown.eu_on_track, None);
    }

    #[test]
    fn a_region_without_population_has_empty_rates_and_the_network_rate_covers_known_regions() {
        let case = Case::new()
            .completed("ES21", VetLearner, 50, "2026-02-01")
            .completed("FI1B", Apprentice, 30, "2026-02-01")
            .mobility("FI1B", StudyVisit, 10, 5, "2026-02-01", 4, Completed)
            .population("ES21", 2026, 1000, None);
        let finland = case.row("2026-06", "FI1B");
        assert_eq!(finland.vet_population, None);
        assert_eq!(finland.vet_mobility_rate, None);
        assert_eq!(finland.on_track, None);
        assert_close(finland.fewer_opportunities_share, 5.0 / 40.0);
        let network = case.row("2026-06", ALL_REGIONS);
        assert_eq!(network.region_name, "All regions");
        assert_eq!(network.vet_participants, 80);
        assert_eq!(network.participants, 90);
        assert_eq!(network.vet_population, Some(1000));
        assert_close(network.vet_mobility_rate, 0.05);
        // No IVET graduates known anywhere: the EU rate is empty, not zero.
        assert_eq!(network.eu_vet_mobility_rate, None);
        let regions: Vec<String> = case
            .rows("2026-06")
            .into_iter()
            .map(|row| row.region)
            .collect();
        assert_eq!(regions, ["ES21", "FI1B", ALL_REGIONS]);
    }

    #[test]
    fn an_empty_month_gives_zeros_a_zero_rate_over_a_known_population_and_no_share() {
        let case = Case::new().population("SE23", 2026, 500, Some(100));
        let row = case.row("2026-01", "SE23");
        assert_eq!(row.vet_participants, 0);
        assert_eq!(row.participants, 0);
        assert_close(row.vet_mobility_rate, 0.0);
        assert_eq!(row.fewer_opportunities_share, None);
        let nothing = Case::new().rows("2026-01");
        assert_eq!(nothing.len(), 1);
        assert_eq!(nothing[0].region, ALL_REGIONS);
        assert_eq!(nothing[0].vet_population, None);
        assert_eq!(nothing[0].vet_mobility_rate, None);
        assert_eq!(nothing[0].on_track, None);
    }

    #[test]
    fn a_new_year_starts_a_new_year_to_date_on_the_latest_population_figure() {
        let case = Case::new()
            .completed("ES21", VetLearner, 12, "2026-12-20")
            .completed("ES21", VetLearner, 3, "2027-01-05")
            .population("ES21", 2025, 900, None)
            .population("ES21", 2026, 1000, None);
        assert_eq!(case.row("2026-12", "ES21").vet_participants, 12);
        assert_close(case.row("2026-12", "ES21").vet_mobility_rate, 0.012);
        let january = case.row("2027-01", "ES21");
        assert_eq!(january.vet_participants, 3);
        assert_close(january.vet_mobility_rate, 0.003);
        let table = case.table("2027-01");
        assert_eq!(
            cell(&table, "population_year", "ES21"),
            AnyValue::Int32(2026)
        );
        assert_eq!(cell(&table, "year", "ES21"), AnyValue::Int32(2027));
        assert_close(case.row("2025-12", "ES21").vet_mobility_rate, 0.0);
    }

    #[test]
    fn a_region_on_the_path_is_on_track() {
        // December 2027: 20% × 3/6 × 12/12 = 10%.
        let case = Case::new()
            .completed("ES21", VetLearner, 100, "2027-05-01")
            .completed("FI1B", VetLearner, 99, "2027-05-01")
            .population("ES21", 2027, 1000, None)
            .population("FI1B", 2027, 1000, None);
        assert_eq!(case.row("2027-12", "ES21").on_track, Some(true));
        assert_eq!(case.row("2027-12", "FI1B").on_track, Some(false));
    }

    #[test]
    fn the_path_runs_straight_from_the_baseline_year_to_the_target_year() {
        let path =
            |month: &str| expected_year_to_date_rate(0.2, &targets(), month.parse().unwrap());
        assert_eq!(path("2024-12"), 0.0);
        assert_eq!(path("2020-06"), 0.0);
        assert!((path("2027-12") - 0.1).abs() < 1e-12);
        assert!((path("2030-12") - 0.2).abs() < 1e-12);
        assert!((path("2031-06") - 0.1).abs() < 1e-12);
    }

    #[test]
    fn monthly_counts_cover_twelve_months_across_the_year_boundary() {
        let case = Case::new()
            .completed("ES21", VetLearner, 5, "2025-03-31")
            .completed("ES21", VetLearner, 5, "2025-04-01")
            .completed("ES21", Apprentice, 5, "2025-12-10")
            .completed("FI1B", Apprentice, 5, "2025-12-11")
            .mobility("ES21", VetLearner, 5, 0, "2026-02-01", 10, Planned)
            .completed("ES21", AdultLearner, 5, "2026-03-01");
        let monthly = monthly_mobilities(
            &mobilities_frame(&case.mobilities).unwrap(),
            "2026-03".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(monthly.months.first().unwrap().to_string(), "2025-04");
        let counts = |kind: MobilityType| {
            monthly
                .counts
                .iter()
                .find(|(candidate, _)| *candidate == kind)
                .unwrap()
                .1
                .clone()
        };
        assert_eq!(counts(VetLearner), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(counts(Apprentice), [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(counts(AdultLearner), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn a_month_without_participants_has_no_fewer_opportunities_share() {
        let case = Case::new()
            .mobility("ES21", VetLearner, 10, 3, "2026-03-05", 10, Completed)
            .mobility("ES21", VetLearner, 10, 10, "2026-02-05", 10, Cancelled);
        let shares = monthly_fewer_opportunities(
            &mobilities_frame(&case.mobilities).unwrap(),
            "2026-03".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(shares.len(), 12);
        assert_eq!(shares[10].share, None);
        assert_eq!(shares[11].participants, 10);
        assert_close(shares[11].share, 0.3);
    }

    #[test]
    fn the_trajectory_gives_full_years_and_the_current_year_to_date() {
        let case = Case::new()
            .completed("ES21", VetLearner, 50, "2025-05-01")
            .completed("ES21", VetLearner, 20, "2026-02-01")
            .population("ES21", 2025, 1000, None);
        let trajectory = network_trajectory(
            &mobilities_frame(&case.mobilities).unwrap(),
            &population_frame(&case.population).unwrap(),
            "2026-03".parse().unwrap(),
            &targets(),
        )
        .unwrap();
        let years: Vec<i32> = trajectory.iter().map(|point| point.year).collect();
        assert_eq!(years, [2024, 2025, 2026]);
        assert_eq!(trajectory[0].rate, None);
        assert_close(trajectory[1].rate, 0.05);
        assert!(!trajectory[1].to_date);
        assert_close(trajectory[2].rate, 0.02);
        assert!(trajectory[2].to_date);
    }
}
