//! The four charts of DESIGN.md section 9, drawn with plotters into PNG and SVG. The
//! layout decisions (sizes, axis ranges, labels) are plain functions, tested without
//! drawing; the fonts are shipped in `assets/fonts/` so no system font is needed.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use super::indicators::{ALL_REGIONS, MonthlyMobilities, MonthlyShare, TargetRow, YearRate};
use super::{ReportError, ReportMonth};
use crate::config::{RateDefinition, TargetSettings};
use crate::domain::MobilityType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    MobilitiesPerMonth,
    VetRateByRegion,
    FewerOpportunitiesShare,
    Trajectory,
}

impl ChartKind {
    pub const ALL: [ChartKind; 4] = [
        ChartKind::MobilitiesPerMonth,
        ChartKind::VetRateByRegion,
        ChartKind::FewerOpportunitiesShare,
        ChartKind::Trajectory,
    ];

    /// The file name without extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            ChartKind::MobilitiesPerMonth => "mobilities_per_month",
            ChartKind::VetRateByRegion => "vet_rate_by_region",
            ChartKind::FewerOpportunitiesShare => "fewer_opportunities_share",
            ChartKind::Trajectory => "trajectory_2030",
        }
    }

    pub fn title(self, data: &ChartData) -> String {
        match self {
            ChartKind::MobilitiesPerMonth => {
                "Completed mobilities per month, by type (by start date)".to_owned()
            }
            ChartKind::VetRateByRegion => format!(
                "VET mobility rate by sending region, {} to date{}",
                data.month.year(),
                definition_suffix(data.definition)
            ),
            ChartKind::FewerOpportunitiesShare => {
                "Share of participants with fewer opportunities, per month".to_owned()
            }
            ChartKind::Trajectory => format!(
                "Network VET mobility rate on the way to {}{}",
                data.targets.year,
                definition_suffix(data.definition)
            ),
        }
    }
}

/// The partnership's definition is the report's default and goes unnamed in titles.
fn definition_suffix(definition: RateDefinition) -> &'static str {
    match definition {
        RateDefinition::Partnership => "",
        RateDefinition::Eu => " (EU definition)",
    }
}

/// What the rate's denominator is, for the axis that shows it.
fn rate_axis_description(definition: RateDefinition) -> &'static str {
    match definition {
        RateDefinition::Partnership => {
            "VET learners on a completed mobility, share of the region's VET learners"
        }
        RateDefinition::Eu => {
            "Completed VET mobilities of 10 days or more, share of the region's IVET graduates"
        }
    }
}

/// Everything the charts show, as plain values.
#[derive(Clone, Debug)]
pub struct ChartData {
    pub month: ReportMonth,
    pub targets: TargetSettings,
    pub monthly_mobilities: MonthlyMobilities,
    pub monthly_shares: Vec<MonthlyShare>,
    /// The rows of the targets table, including `ALL`.
    pub regions: Vec<TargetRow>,
    pub trajectory: Vec<YearRate>,
    /// The rate the region chart and the trajectory show.
    pub definition: RateDefinition,
}

pub struct ChartFiles {
    pub png: PathBuf,
    pub svg: PathBuf,
}

/// Draws `kind` into `dir` as `<stem>.png` and `<stem>.svg`.
pub fn write_chart(
    kind: ChartKind,
    data: &ChartData,
    dir: &Path,
) -> Result<ChartFiles, ReportError> {
    let png = dir.join(format!("{}.png", kind.file_stem()));
    let svg = dir.join(format!("{}.svg", kind.file_stem()));
    let size = chart_size(kind, data);
    let failed = |error: Box<dyn Error>| ReportError::Chart {
        chart: kind.file_stem(),
        message: error.to_string(),
    };
    render_chart(
        kind,
        data,
        BitMapBackend::new(&png, size).into_drawing_area(),
    )
    .map_err(failed)?;
    render_chart(kind, data, SVGBackend::new(&svg, size).into_drawing_area()).map_err(failed)?;
    Ok(ChartFiles { png, svg })
}

/// Draws `kind` on any plotters drawing area.
pub fn render_chart<DB: DrawingBackend>(
    kind: ChartKind,
    data: &ChartData,
    root: DrawingArea<DB, Shift>,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    register_fonts();
    root.fill(&WHITE)?;
    let titled = root
        .margin(12, 0, 0, 0)
        .titled(&chart_text(&kind.title(data)), title_font())?;
    let (plot, legend) = titled.split_horizontally(WIDTH - LEGEND_WIDTH);
    let entries = match kind {
        ChartKind::MobilitiesPerMonth => draw_mobilities_per_month(&plot, data)?,
        ChartKind::VetRateByRegion => draw_vet_rate_by_region(&plot, data)?,
        ChartKind::FewerOpportunitiesShare => draw_fewer_opportunities(&plot, data)?,
        ChartKind::Trajectory => draw_trajectory(&plot, data)?,
    };
    draw_legend(&legend, &entries)?;
    root.present()?;
    Ok(())
}

const WIDTH: u32 = 1200;
const HEIGHT: u32 = 700;
const LEGEND_WIDTH: u32 = 290;
/// Pixels per region bar, so that 300 regions still get a readable line each.
const REGION_ROW_HEIGHT: u32 = 24;
const REGION_CHART_FRAME: u32 = 190;
const REGION_LABEL_CHARACTERS: usize = 42;
const FONT: &str = "sans-serif";

/// The picture size: fixed, except the region chart, which grows with its regions.
pub fn chart_size(kind: ChartKind, data: &ChartData) -> (u32, u32) {
    match kind {
        ChartKind::VetRateByRegion => (
            WIDTH,
            region_chart_height(ranked_regions(&data.regions, data.definition).len()),
        ),
        _ => (WIDTH, HEIGHT),
    }
}

pub fn region_chart_height(regions: usize) -> u32 {
    let rows = u32::try_from(regions.max(1)).unwrap_or(u32::MAX / REGION_ROW_HEIGHT);
    (REGION_CHART_FRAME + rows * REGION_ROW_HEIGHT).max(HEIGHT)
}

/// `Name (CODE)`, shortened with an ellipsis so that every label fits the label column.
pub fn region_label(name: &str, code: &str) -> String {
    let suffix = format!(" ({code})");
    let room = REGION_LABEL_CHARACTERS.saturating_sub(suffix.chars().count());
    let name = if name.chars().count() > room {
        let kept: String = name.chars().take(room.saturating_sub(1)).collect();
        format!("{}…", kept.trim_end())
    } else {
        name.to_owned()
    };
    format!("{name}{suffix}")
}

/// Regions with a known rate by `definition`, highest first.
pub fn ranked_regions(rows: &[TargetRow], definition: RateDefinition) -> Vec<(String, f64)> {
    let mut ranked: Vec<(String, f64)> = rows
        .iter()
        .filter(|row| row.region != ALL_REGIONS)
        .filter_map(|row| {
            row.by(definition)
                .rate
                .map(|rate| (region_label(&row.region_name, &row.region), rate))
        })
        .collect();
    ranked.sort_by(|left, right| {
        right
            .1
            .total_cmp(&left.1)
            .then_with(|| left.0.cmp(&right.0))
    });
    ranked
}

/// The top of a share axis: room above the highest value and the target lines, for the
/// value labels, rounded up to a whole 5%.
pub fn share_axis_max(values: impl Iterator<Item = f64>, lines: &[f64]) -> f64 {
    let highest = values.chain(lines.iter().copied()).fold(0.0_f64, f64::max);
    let padded = (highest * 1.2).clamp(0.05, SHARE_AXIS_CEILING);
    (padded * 20.0).ceil() / 20.0
}

/// No share exceeds 100%; the axis goes a little higher to leave room for the labels.
const SHARE_AXIS_CEILING: f64 = 1.1;

/// The top of a count axis, with room above the highest bar.
pub fn count_axis_max(highest: u32) -> u32 {
    (highest + highest / 5).max(highest + 1).max(5)
}

/// A share as a percentage: one decimal, or two significant digits below 1% so that a
/// small rate does not read as zero.
pub fn percent(share: f64) -> String {
    let percent = share * 100.0;
    let decimals = if percent != 0.0 && percent.abs() < 1.0 {
        (1.0 - percent.abs().log10().floor()).clamp(1.0, 6.0) as usize
    } else {
        1
    };
    format!("{percent:.decimals$}%")
}

/// Text as drawn on a chart. plotters applies the font's kerning between `T` and a space
/// with whole-pixel rounding, which at chart sizes swallows the space ("VETlearners"); a
/// second space restores it, and SVG viewers collapse it back to one.
fn chart_text(text: &str) -> String {
    text.replace("T ", "T  ")
}

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        )
        .unwrap_or_else(|_| panic!("the shipped DejaVu Sans font is a valid TrueType font"));
        register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
        )
        .unwrap_or_else(|_| panic!("the shipped DejaVu Sans Bold font is a valid TrueType font"));
    });
}

fn title_font() -> TextStyle<'static> {
    (FONT, 26).into_font().style(FontStyle::Bold).into()
}

fn text_font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

const PLEDGE_COLOUR: RGBColor = RGBColor(200, 30, 30);
const EU_COLOUR: RGBColor = RGBColor(30, 90, 200);
const BAR_COLOUR: RGBColor = RGBColor(70, 140, 110);
const SERIES_COLOUR: RGBColor = RGBColor(90, 60, 160);

fn type_colour(kind: MobilityType) -> RGBColor {
    match kind {
        MobilityType::VetLearner => RGBColor(31, 119, 180),
        MobilityType::Apprentice => RGBColor(255, 127, 14),
        MobilityType::AdultLearner => RGBColor(44, 160, 44),
        MobilityType::InformalLearner => RGBColor(148, 103, 189),
        MobilityType::StaffJobShadowing => RGBColor(140, 86, 75),
        MobilityType::StudyVisit => RGBColor(127, 127, 127),
    }
}

enum LegendMark {
    Box,
    Line,
    Point,
    OpenPoint,
    /// Text only, for a remark under the legend.
    Note,
}

type LegendEntry = (String, RGBColor, LegendMark);

/// A legend beside the plot, in its own column, so it never covers data.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let top = 60;
    for (index, (label, colour, mark)) in entries.iter().enumerate() {
        let y = top + 30 * i32::try_from(index).unwrap_or(0);
        match mark {
            LegendMark::Box => {
                area.draw(&Rectangle::new([(10, y - 7), (24, y + 7)], colour.filled()))?
            }
            LegendMark::Line => area.draw(&PathElement::new(
                vec![(6, y), (28, y)],
                colour.stroke_width(3),
            ))?,
            LegendMark::Point => area.draw(&Circle::new((17, y), 5, colour.filled()))?,
            LegendMark::OpenPoint => area.draw(&Circle::new((17, y), 5, colour.stroke_width(2)))?,
            LegendMark::Note => {}
        }
        area.draw(&Text::new(chart_text(label), (36, y - 8), text_font(15)))?;
    }
    Ok(())
}

fn draw_empty_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, height) = area.dim_in_pixel();
    let x = i32::try_from(width / 2).unwrap_or(0);
    let y = i32::try_from(height / 2).unwrap_or(0);
    let style = text_font(18).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(note.to_owned(), (x, y), style))
}

fn draw_mobilities_per_month<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<Vec<LegendEntry>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let monthly = &data.monthly_mobilities;
    let months = monthly.months.len();
    let totals: Vec<u32> = (0..months)
        .map(|slot| monthly.counts.iter().map(|(_, values)| values[slot]).sum())
        .collect();
    let highest = totals.iter().copied().max().unwrap_or(0);
    let labels: Vec<String> = monthly
        .months
        .iter()
        .map(|month| month.short_label())
        .collect();
    let mut chart = ChartBuilder::on(plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (0..last_segment(months)).into_segmented(),
            0..count_axis_max(highest),
        )?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(months)
        .x_label_formatter(&|value| segment_label(value, &labels))
        .x_desc("Month the mobility started")
        .y_desc("Completed mobilities")
        .label_style(text_font(13))
        .axis_desc_style(text_font(16))
        .draw()?;
    for (slot, _) in totals.iter().enumerate() {
        let mut base = 0;
        for (kind, values) in &monthly.counts {
            let value = values[slot];
            if value == 0 {
                continue;
            }
            let slot = i32::try_from(slot).unwrap_or(0);
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(slot), base),
                    (SegmentValue::Exact(slot + 1), base + value),
                ],
                type_colour(*kind).filled(),
            );
            bar.set_margin(0, 0, 8, 8);
            chart.draw_series(std::iter::once(bar))?;
            base += value;
        }
    }
    if highest == 0 {
        draw_empty_note(
            plot,
            "No completed mobilities started in these twelve months",
        )?;
    }
    let entries: Vec<_> = monthly
        .counts
        .iter()
        .map(|(kind, _)| (kind.label().to_owned(), type_colour(*kind), LegendMark::Box))
        .collect();
    Ok(entries)
}

fn draw_vet_rate_by_region<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<Vec<LegendEntry>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let ranked = ranked_regions(&data.regions, data.definition);
    let pledge = data.targets.vet_mobility_rate;
    let benchmark = data.targets.eu_vet_benchmark;
    let axis_max = share_axis_max(ranked.iter().map(|(_, rate)| *rate), &[pledge, benchmark]);
    let rows = i32::try_from(ranked.len().max(1)).unwrap_or(i32::MAX);
    // Highest rate at the top: segment 0 is at the bottom of the plot.
    let labels: Vec<String> = ranked
        .iter()
        .rev()
        .map(|(label, _)| label.clone())
        .collect();
    // A long list also gets the axis at the top, where the reader starts.
    let mut chart = ChartBuilder::on(plot)
        .margin(20)
        .x_label_area_size(60)
        .top_x_label_area_size(60)
        .y_label_area_size(330)
        .build_cartesian_2d(
            0.0..axis_max,
            (0..last_segment(ranked.len())).into_segmented(),
        )?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(ranked.len().max(1))
        .y_label_formatter(&|value| segment_label(value, &labels))
        .x_label_formatter(&|share| format!("{:.0}%", share * 100.0))
        .x_desc(chart_text(rate_axis_description(data.definition)))
        .label_style(text_font(13))
        .axis_desc_style(text_font(16))
        .draw()?;
    for (index, (_, rate)) in ranked.iter().rev().enumerate() {
        let index = i32::try_from(index).unwrap_or(0);
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(index)),
                (*rate, SegmentValue::Exact(index + 1)),
            ],
            BAR_COLOUR.filled(),
        );
        bar.set_margin(3, 3, 0, 0);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(Text::new(
            percent(*rate),
            (*rate + axis_max * 0.005, SegmentValue::CenterOf(index)),
            text_font(12).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    for (share, colour) in [(pledge, PLEDGE_COLOUR), (benchmark, EU_COLOUR)] {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![
                (share, SegmentValue::Exact(0)),
                (share, SegmentValue::Exact(rows)),
            ],
            colour.stroke_width(2),
        )))?;
    }
    if ranked.is_empty() {
        draw_empty_note(
            plot,
            "No region has both a population figure and completed VET mobilities yet",
        )?;
    }
    let without_rate = data
        .regions
        .iter()
        .filter(|row| row.region != ALL_REGIONS && row.by(data.definition).rate.is_none())
        .count();
    let mut entries = vec![
        (
            "Region's rate, year to date".to_owned(),
            BAR_COLOUR,
            LegendMark::Box,
        ),
        (
            format!("{} partnership pledge", percent(pledge)),
            PLEDGE_COLOUR,
            LegendMark::Line,
        ),
        (
            format!("{} EU benchmark", percent(benchmark)),
            EU_COLOUR,
            LegendMark::Line,
        ),
    ];
    if without_rate > 0 {
        entries.push((
            format!("Not shown: {without_rate} region(s)"),
            BLACK,
            LegendMark::Note,
        ));
        entries.push((
            "without population figures".to_owned(),
            BLACK,
            LegendMark::Note,
        ));
    }
    Ok(entries)
}

fn draw_fewer_opportunities<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<Vec<LegendEntry>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let shares = &data.monthly_shares;
    let target = data.targets.fewer_opportunities_share;
    let axis_max = share_axis_max(shares.iter().filter_map(|month| month.share), &[target]);
    let labels: Vec<String> = shares.iter().map(|month| month.month.clone()).collect();
    let slots = i32::try_from(shares.len().max(1)).unwrap_or(12);
    let last_slot = last_segment(shares.len());
    let mut chart = ChartBuilder::on(plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d((0..last_slot).into_segmented(), 0.0..axis_max)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(shares.len().max(1))
        .x_label_formatter(&|value| segment_label(value, &labels))
        .y_label_formatter(&|share| format!("{:.0}%", share * 100.0))
        .x_desc("Month the mobility started")
        .y_desc("Share of participants")
        .label_style(text_font(13))
        .axis_desc_style(text_font(16))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![
            (SegmentValue::Exact(0), target),
            (SegmentValue::Exact(slots), target),
        ],
        PLEDGE_COLOUR.stroke_width(2),
    )))?;
    let points: Vec<(i32, f64)> = shares
        .iter()
        .enumerate()
        .filter_map(|(slot, month)| {
            month
                .share
                .map(|share| (i32::try_from(slot).unwrap_or(0), share))
        })
        .collect();
    // A month without completed mobilities has no share: the line breaks there.
    for run in points.chunk_by(|left, right| right.0 == left.0 + 1) {
        chart.draw_series(LineSeries::new(
            run.iter()
                .map(|(slot, share)| (SegmentValue::CenterOf(*slot), *share)),
            SERIES_COLOUR.stroke_width(3),
        ))?;
    }
    for (slot, share) in &points {
        chart.draw_series(std::iter::once(Circle::new(
            (SegmentValue::CenterOf(*slot), *share),
            5,
            SERIES_COLOUR.filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            percent(*share),
            (SegmentValue::CenterOf(*slot), *share + axis_max * 0.02),
            text_font(12).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
    }
    if points.is_empty() {
        draw_empty_note(
            plot,
            "No completed mobilities started in these twelve months",
        )?;
    }
    Ok(vec![
        (
            "Fewer-opportunities share".to_owned(),
            SERIES_COLOUR,
            LegendMark::Point,
        ),
        (
            format!("{} target", percent(target)),
            PLEDGE_COLOUR,
            LegendMark::Line,
        ),
    ])
}

fn draw_trajectory<DB: DrawingBackend>(
    plot: &DrawingArea<DB, Shift>,
    data: &ChartData,
) -> Result<Vec<LegendEntry>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let targets = &data.targets;
    let first_year = targets.baseline_year.min(data.month.year());
    let last_year = targets.year.max(data.month.year());
    let rates: Vec<(i32, f64, bool)> = data
        .trajectory
        .iter()
        .filter_map(|point| {
            point
                .by(data.definition)
                .map(|rate| (point.year, rate, point.to_date))
        })
        .collect();
    let axis_max = share_axis_max(
        rates.iter().map(|(_, rate, _)| *rate),
        &[targets.vet_mobility_rate, targets.eu_vet_benchmark],
    );
    let mut chart = ChartBuilder::on(plot)
        .margin(20)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(
            f64::from(first_year) - 0.5..f64::from(last_year) + 0.5,
            0.0..axis_max,
        )?;
    chart
        .configure_mesh()
        .x_labels(usize::try_from(last_year - first_year + 1).unwrap_or(10))
        .x_label_formatter(&|year| {
            if (year - year.round()).abs() < 0.01 {
                format!("{:.0}", year)
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|share| format!("{:.0}%", share * 100.0))
        .x_desc("Year")
        .y_desc(chart_text("VET learners on a completed mobility"))
        .label_style(text_font(13))
        .axis_desc_style(text_font(16))
        .draw()?;
    let baseline = f64::from(targets.baseline_year);
    let target_year = f64::from(targets.year);
    for (target, colour) in [
        (targets.vet_mobility_rate, PLEDGE_COLOUR),
        (targets.eu_vet_benchmark, EU_COLOUR),
    ] {
        chart.draw_series(DashedLineSeries::new(
            [(baseline, 0.0), (target_year, target)],
            10,
            6,
            colour.stroke_width(2),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            percent(target),
            (target_year, target + axis_max * 0.02),
            text_font(13)
                .color(&colour)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
    }
    let full_years: Vec<(f64, f64)> = rates
        .iter()
        .filter(|(_, _, to_date)| !to_date)
        .map(|(year, rate, _)| (f64::from(*year), *rate))
        .collect();
    chart.draw_series(LineSeries::new(
        full_years.iter().copied(),
        SERIES_COLOUR.stroke_width(3),
    ))?;
    for (year, rate, to_date) in &rates {
        let point = (f64::from(*year), *rate);
        let marker = if *to_date {
            Circle::new(point, 6, SERIES_COLOUR.stroke_width(3))
        } else {
            Circle::new(point, 6, SERIES_COLOUR.filled())
        };
        chart.draw_series(std::iter::once(marker))?;
        chart.draw_series(std::iter::once(Text::new(
            percent(*rate),
            (point.0, point.1 + axis_max * 0.03),
            text_font(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
    }
    if rates.is_empty() {
        draw_empty_note(
            plot,
            "No network rate yet: import population figures and mobilities",
        )?;
    }
    Ok(vec![
        (
            "Network rate, full year".to_owned(),
            SERIES_COLOUR,
            LegendMark::Point,
        ),
        (
            format!("{} to date", data.month.year()),
            SERIES_COLOUR,
            LegendMark::OpenPoint,
        ),
        (
            format!("Path to the {} pledge", percent(targets.vet_mobility_rate)),
            PLEDGE_COLOUR,
            LegendMark::Line,
        ),
        (
            format!(
                "Path to the {} EU benchmark",
                percent(targets.eu_vet_benchmark)
            ),
            EU_COLOUR,
            LegendMark::Line,
        ),
    ])
}

/// plotters makes a segment of each value of the range, ends included: `count` segments
/// are `0..count - 1`.
fn last_segment(count: usize) -> i32 {
    i32::try_from(count.max(1) - 1).unwrap_or(i32::MAX)
}

fn segment_label(value: &SegmentValue<i32>, labels: &[String]) -> String {
    match value {
        SegmentValue::CenterOf(index) => usize::try_from(*index)
            .ok()
            .and_then(|index| labels.get(index))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Region;

    #[test]
    fn region_labels_keep_the_code_and_shorten_long_names() {
        assert_eq!(region_label("País Vasco", "ES21"), "País Vasco (ES21)");
        let long = region_label(
            "Provincia Autonoma di Bolzano/Bozen und noch viel mehr Text",
            "ITH1",
        );
        assert!(long.ends_with("… (ITH1)"), "{long}");
        assert_eq!(long.chars().count(), REGION_LABEL_CHARACTERS);
    }

    #[test]
    fn the_region_chart_grows_with_its_regions_but_never_below_the_standard_height() {
        assert_eq!(region_chart_height(0), HEIGHT);
        assert_eq!(region_chart_height(3), HEIGHT);
        assert_eq!(
            region_chart_height(300),
            REGION_CHART_FRAME + 300 * REGION_ROW_HEIGHT
        );
    }

    #[test]
    fn share_axes_leave_room_above_the_highest_value_and_the_target_lines() {
        assert_eq!(share_axis_max(std::iter::empty(), &[0.2, 0.12]), 0.25);
        assert_eq!(share_axis_max([0.41].into_iter(), &[0.2]), 0.5);
        assert_eq!(share_axis_max(std::iter::empty(), &[]), 0.05);
        assert_eq!(share_axis_max([1.0].into_iter(), &[0.2]), 1.1);
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

    fn row(region: &str, name: &str, rate: Option<f64>) -> TargetRow {
        TargetRow {
            region: region.to_owned(),
            region_name: name.to_owned(),
            vet_participants: 10,
            vet_population: rate.map(|_| 1000),
            vet_mobility_rate: rate,
            participants: 20,
            fewer_opportunities: 5,
            fewer_opportunities_share: Some(0.25),
            on_track: rate.map(|rate| rate > 0.05),
            path_vet_rate: 0.05,
            eu_vet_participants: 8,
            ivet_graduates: rate.map(|_| 400),
            eu_vet_mobility_rate: rate.map(|rate| rate * 2.0),
            eu_on_track: rate.map(|rate| rate * 2.0 > 0.03),
            eu_path_vet_rate: 0.03,
        }
    }

    fn data(regions: Vec<TargetRow>, with_mobilities: bool) -> ChartData {
        let month: ReportMonth = "2026-03".parse().unwrap();
        let months = month.last_twelve();
        let count = |value: u32| if with_mobilities { value } else { 0 };
        ChartData {
            month,
            targets: targets(),
            monthly_mobilities: MonthlyMobilities {
                counts: MobilityType::ALL
                    .iter()
                    .enumerate()
                    .map(|(index, kind)| {
                        let index = u32::try_from(index).unwrap();
                        (
                            *kind,
                            (0..12).map(|slot| count((slot + index) % 7)).collect(),
                        )
                    })
                    .collect(),
                months: months.clone(),
            },
            monthly_shares: months
                .iter()
                .enumerate()
                .map(|(slot, month)| MonthlyShare {
                    month: month.short_label(),
                    participants: if with_mobilities { 10 } else { 0 },
                    share: (with_mobilities && slot != 4).then_some(0.05 * (slot % 5) as f64),
                })
                .collect(),
            regions,
            trajectory: (2024..=2026)
                .map(|year| YearRate {
                    year,
                    rate: with_mobilities.then_some(0.01 * f64::from(year - 2023)),
                    eu_rate: with_mobilities.then_some(0.02 * f64::from(year - 2023)),
                    to_date: year == 2026,
                })
                .collect(),
            definition: RateDefinition::Partnership,
        }
    }

    fn assert_valid_charts(data: &ChartData) {
        let dir = tempfile::tempdir().unwrap();
        for kind in ChartKind::ALL {
            let files = write_chart(kind, data, dir.path()).unwrap();
            let png = std::fs::read(&files.png).unwrap();
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{kind:?} PNG");
            let svg = std::fs::read_to_string(&files.svg).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
                "{kind:?} SVG"
            );
            assert!(
                svg.contains(&chart_text(&kind.title(data))),
                "{kind:?} SVG has its title"
            );
        }
    }

    #[test]
    fn charts_of_an_empty_data_set_are_drawn_with_a_note() {
        assert_valid_charts(&data(vec![row(ALL_REGIONS, "All regions", None)], false));
    }

    #[test]
    fn charts_by_the_eu_definition_say_so_and_rank_by_the_eu_rate() {
        let mut data = data(
            vec![
                row("ES21", "País Vasco", Some(0.031)),
                row("SE23", "Västsverige", Some(0.02)),
                row(ALL_REGIONS, "All regions", Some(0.03)),
            ],
            true,
        );
        data.regions[1].eu_vet_mobility_rate = Some(0.5);
        data.definition = RateDefinition::Eu;
        assert_eq!(
            ranked_regions(&data.regions, RateDefinition::Eu),
            vec![
                ("Västsverige (SE23)".to_owned(), 0.5),
                ("País Vasco (ES21)".to_owned(), 0.062),
            ]
        );
        assert!(
            ChartKind::VetRateByRegion
                .title(&data)
                .ends_with("(EU definition)")
        );
        assert!(
            ChartKind::Trajectory
                .title(&data)
                .ends_with("(EU definition)")
        );
        assert_valid_charts(&data);
    }

    #[test]
    fn charts_of_a_single_region_are_drawn() {
        assert_valid_charts(&data(
            vec![
                row("ES21", "País Vasco", Some(0.031)),
                row(ALL_REGIONS, "All regions", Some(0.031)),
            ],
            true,
        ));
    }

    #[test]
    fn charts_of_three_hundred_regions_are_drawn_one_line_each() {
        let mut regions: Vec<TargetRow> = Region::all()
            .take(300)
            .enumerate()
            .map(|(index, region)| {
                let rate = (index % 9 != 0).then_some(0.001 * (index % 250) as f64);
                row(region.code(), region.name(), rate)
            })
            .collect();
        assert_eq!(regions.len(), 300);
        regions.push(row(ALL_REGIONS, "All regions", Some(0.1)));
        let data = data(regions, true);
        let ranked = ranked_regions(&data.regions, data.definition).len();
        assert_eq!(
            chart_size(ChartKind::VetRateByRegion, &data).1,
            region_chart_height(ranked)
        );
        assert_valid_charts(&data);
    }

    #[test]
    fn small_shares_keep_two_significant_digits() {
        assert_eq!(percent(0.2), "20.0%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(percent(0.0042), "0.42%");
        assert_eq!(percent(0.000042), "0.0042%");
        assert_eq!(percent(1.0), "100.0%");
    }

    #[test]
    fn count_axes_are_never_empty() {
        assert_eq!(count_axis_max(0), 5);
        assert_eq!(count_axis_max(100), 120);
    }
}
