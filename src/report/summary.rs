//! `summary.html` and its text alternative: the network's figures, the regions' table
//! and the charts, rendered from `templates/report/` with minijinja.

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, context};
use serde::Serialize;

use super::charts::{ChartKind, percent};
use super::indicators::{ALL_REGIONS, TargetRow, YearRate};
use super::{ReportError, ReportMonth};
use crate::config::{RateDefinition, TargetSettings};

const HTML_TEMPLATE: &str = include_str!("../../templates/report/summary.html");
const TEXT_TEMPLATE: &str = include_str!("../../templates/report/summary.txt");

/// The figures of a report, ready for a template: shares already written as percentages.
/// The rate, its population and its target are those of the report's definition; the
/// other definition's rate is shown beside it.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    month: String,
    /// `December 2026`.
    month_label: String,
    year: i32,
    target_year: i32,
    pledge: String,
    fewer_opportunities_target: String,
    eu_benchmark: String,
    definition: DefinitionLine,
    other_definition: DefinitionLine,
    network: Option<RegionLine>,
    regions: Vec<RegionLine>,
    trajectory: Vec<TrajectoryLine>,
    charts: Vec<ChartLine>,
    /// Rendered for an email: the charts are parts of the message, not files beside it.
    email: bool,
}

/// How the summary names a definition of the VET mobility rate.
#[derive(Clone, Debug, Serialize)]
struct DefinitionLine {
    /// The rate's name, such as "VET mobility rate".
    rate: &'static str,
    /// What the rate counts, for one sentence.
    counts: &'static str,
    participants: &'static str,
    population: &'static str,
    target: String,
    target_name: &'static str,
}

impl DefinitionLine {
    fn new(definition: RateDefinition, targets: &TargetSettings) -> DefinitionLine {
        match definition {
            RateDefinition::Partnership => DefinitionLine {
                rate: "VET mobility rate",
                counts: "VET learners on a completed mobility, over the region's VET learners",
                participants: "VET participants",
                population: "VET learners",
                target: percent(targets.vet_mobility_rate),
                target_name: "partnership pledge",
            },
            RateDefinition::Eu => DefinitionLine {
                rate: "VET mobility rate, EU definition",
                counts: "VET learners on a completed mobility of at least 10 days, over the region's IVET graduates (Cedefop)",
                participants: "VET participants (10+ days)",
                population: "IVET graduates",
                target: percent(targets.eu_vet_benchmark),
                target_name: "EU benchmark",
            },
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct RegionLine {
    region: String,
    region_name: String,
    /// The numerator, population, rate, path and on-track of the report's definition.
    /// Counts are written with thousands separators, and "–" when unknown.
    rate_participants: String,
    population: String,
    rate: String,
    path: String,
    on_track: &'static str,
    other_rate: String,
    participants: String,
    fewer_opportunities: String,
    fewer_opportunities_share: String,
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
    content_id: String,
}

impl Summary {
    pub fn new(
        month: ReportMonth,
        targets: &TargetSettings,
        definition: RateDefinition,
        rows: &[TargetRow],
        trajectory: &[YearRate],
        chart_titles: &[(ChartKind, String)],
    ) -> Summary {
        let other = match definition {
            RateDefinition::Partnership => RateDefinition::Eu,
            RateDefinition::Eu => RateDefinition::Partnership,
        };
        let lines: Vec<RegionLine> = rows
            .iter()
            .map(|row| RegionLine::new(row, definition, other))
            .collect();
        let (network, regions): (Vec<_>, Vec<_>) = lines
            .into_iter()
            .partition(|line| line.region == ALL_REGIONS);
        Summary {
            month: month.to_string(),
            month_label: month.long_label(),
            year: month.year(),
            target_year: targets.year,
            pledge: percent(targets.vet_mobility_rate),
            fewer_opportunities_target: percent(targets.fewer_opportunities_share),
            eu_benchmark: percent(targets.eu_vet_benchmark),
            definition: DefinitionLine::new(definition, targets),
            other_definition: DefinitionLine::new(other, targets),
            network: network.into_iter().next(),
            regions,
            trajectory: trajectory
                .iter()
                .map(|point| TrajectoryLine {
                    year: point.year,
                    rate: optional_percent(point.by(definition)),
                    to_date: point.to_date,
                })
                .collect(),
            charts: chart_titles
                .iter()
                .map(|(kind, title)| {
                    let png = format!("{}.png", kind.file_stem());
                    ChartLine {
                        title: title.clone(),
                        content_id: chart_content_id(&png),
                        svg: format!("{}.svg", kind.file_stem()),
                        png,
                    }
                })
                .collect(),
            email: false,
        }
    }

    /// The page for a browser, with the charts linked by file name beside it.
    pub fn html(&self) -> Result<String, ReportError> {
        render("summary.html", HTML_TEMPLATE, self)
    }

    /// The page for an email: the charts are shown from the message's own parts, by
    /// their [`chart_content_id`].
    pub fn email_html(&self) -> Result<String, ReportError> {
        let email = Summary {
            email: true,
            ..self.clone()
        };
        render("summary.html", HTML_TEMPLATE, &email)
    }

    pub fn text(&self) -> Result<String, ReportError> {
        render("summary.txt", TEXT_TEMPLATE, self)
    }
}

impl RegionLine {
    fn new(row: &TargetRow, definition: RateDefinition, other: RateDefinition) -> RegionLine {
        let chosen = row.by(definition);
        RegionLine {
            region: row.region.clone(),
            region_name: row.region_name.clone(),
            rate_participants: thousands(chosen.participants),
            population: chosen.population.map_or_else(|| "–".to_owned(), thousands),
            rate: optional_percent(chosen.rate),
            path: percent(chosen.path),
            on_track: match chosen.on_track {
                Some(true) => "yes",
                Some(false) => "no",
                None => "unknown",
            },
            other_rate: optional_percent(row.by(other).rate),
            participants: thousands(row.participants),
            fewer_opportunities: thousands(row.fewer_opportunities),
            fewer_opportunities_share: optional_percent(row.fewer_opportunities_share),
        }
    }
}

/// The Content-ID under which an email carries the chart `png_file_name`, for the
/// `cid:` URL of its image in the email's HTML.
pub fn chart_content_id(png_file_name: &str) -> String {
    format!("{png_file_name}@report.mobmatch")
}

/// `644,750`: a count as people read it.
fn thousands(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if count < 0 {
        grouped.insert(0, '-');
    }
    grouped
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        for (count, text) in [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (644_750, "644,750"),
            (1_000_000, "1,000,000"),
            (-12_345, "-12,345"),
        ] {
            assert_eq!(thousands(count), text);
        }
    }
}
