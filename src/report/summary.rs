//! `summary.html` and its text alternative: the network's figures, the regions' table
//! and the charts, rendered from `templates/report/` with minijinja.

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use super::charts::{ChartKind, percent};
use super::indicators::{ALL_REGIONS, TargetRow, YearRate};
use super::{ReportError, ReportMonth};
use crate::config::TargetSettings;

const HTML_TEMPLATE: &str = include_str!("../../templates/report/summary.html");
const TEXT_TEMPLATE: &str = include_str!("../../templates/report/summary.txt");

/// The figures of a report, ready for a template: shares already written as percentages.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    month: String,
    year: i32,
    target_year: i32,
    pledge: String,
    fewer_opportunities_target: String,
    eu_benchmark: String,
    network: Option<RegionLine>,
    regions: Vec<RegionLine>,
    trajectory: Vec<TrajectoryLine>,
    charts: Vec<ChartLine>,
}

#[derive(Clone, Debug, Serialize)]
struct RegionLine {
    region: String,
    region_name: String,
    vet_participants: i64,
    vet_population: Option<i64>,
    vet_mobility_rate: String,
    eu_vet_mobility_rate: String,
    participants: i64,
    fewer_opportunities: i64,
    fewer_opportunities_share: String,
    path_vet_rate: String,
    on_track: &'static str,
}

#[derive(Clone, Debug, Serialize)]
struct TrajectoryLine {
    year: i32,
    rate: String,
    to_date: bool,
}

#[derive(Clone, Debug, Serialize)]
struct ChartLine {
    title: String,
    png: String,
    svg: String,
}

impl Summary {
    pub fn new(
        month: ReportMonth,
        targets: &TargetSettings,
        rows: &[TargetRow],
        trajectory: &[YearRate],
        chart_titles: &[(ChartKind, String)],
    ) -> Summary {
        let lines: Vec<RegionLine> = rows.iter().map(RegionLine::from).collect();
        let (network, regions): (Vec<_>, Vec<_>) = lines
            .into_iter()
            .partition(|line| line.region == ALL_REGIONS);
        Summary {
            month: month.to_string(),
            year: month.year(),
            target_year: targets.year,
            pledge: percent(targets.vet_mobility_rate),
            fewer_opportunities_target: percent(targets.fewer_opportunities_share),
            eu_benchmark: percent(targets.eu_vet_benchmark),
            network: network.into_iter().next(),
            regions,
            trajectory: trajectory
                .iter()
                .map(|point| TrajectoryLine {
                    year: point.year,
                    rate: optional_percent(point.rate),
                    to_date: point.to_date,
                })
                .collect(),
            charts: chart_titles
                .iter()
                .map(|(kind, title)| ChartLine {
                    title: title.clone(),
                    png: format!("{}.png", kind.file_stem()),
                    svg: format!("{}.svg", kind.file_stem()),
                })
                .collect(),
        }
    }

    /// The page for a browser, with the charts linked by file name beside it.
    pub fn html(&self) -> Result<String, ReportError> {
        render("summary.html", HTML_TEMPLATE, self)
    }

    pub fn text(&self) -> Result<String, ReportError> {
        render("summary.txt", TEXT_TEMPLATE, self)
    }
}

impl From<&TargetRow> for RegionLine {
    fn from(row: &TargetRow) -> RegionLine {
        RegionLine {
            region: row.region.clone(),
            region_name: row.region_name.clone(),
            vet_participants: row.vet_participants,
            vet_population: row.vet_population,
            vet_mobility_rate: optional_percent(row.vet_mobility_rate),
            eu_vet_mobility_rate: optional_percent(row.eu_vet_mobility_rate),
            participants: row.participants,
            fewer_opportunities: row.fewer_opportunities,
            fewer_opportunities_share: optional_percent(row.fewer_opportunities_share),
            path_vet_rate: percent(row.path_vet_rate),
            on_track: match row.on_track {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            },
        }
    }
}

fn optional_percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), percent)
}

/// minijinja escapes by the name's extension: the page is escaped, the text is not.
fn render(name: &str, template: &str, summary: &Summary) -> Result<String, ReportError> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.add_template(name, template)?;
    Ok(environment
        .get_template(name)?
        .render(context! { summary => Serde(summary) })?)
}
