//! Monitoring reports (DESIGN.md section 9): the indicators against the partnership's
//! targets (`indicators.rs`, polars), the export tables (`frames.rs`, `exports.rs`), the
//! charts (`charts.rs`, plotters) and the summary page (`summary.rs`, minijinja).
//!
//! The indicators and the chart layout are computed from plain values; this module only
//! adds the writing of the files into the report folder. It never reads the database or
//! sends mail: the caller passes the records in, and gets [`ReportFiles`] back, which is
//! everything an email needs (HTML, text, PNG charts, `targets.xlsx`).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, PolarsError};

use crate::config::{RateDefinition, TargetSettings};
use crate::domain::{Mobility, Population};

mod charts;
mod exports;
mod frames;
mod indicators;
mod month;
mod summary;
mod xlsx;

pub use charts::{ChartData, ChartKind, chart_size, render_chart};
pub use exports::{ExportFormat, ExportTable};
pub use frames::{
    MobilityColumns, mobilities_frame, population_frame, submissions_frame,
    submissions_frame_with_contacts,
};
pub use indicators::{
    ALL_REGIONS, DefinedRate, EU_MINIMUM_DAYS, MonthlyMobilities, MonthlyShare,
    TARGETS_PERCENT_COLUMNS, TargetRow, YearRate, expected_year_to_date_rate,
    monthly_fewer_opportunities, monthly_mobilities, network_trajectory, target_rows,
    targets_table,
};
pub use month::ReportMonth;
pub use summary::{Summary, chart_content_id};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("computing the report failed: {0}")]
    Polars(#[from] PolarsError),
    #[error("cannot write {path}: {source}; check that the folder is writable")]
    File { path: PathBuf, source: io::Error },
    #[error("writing failed: {0}")]
    Io(#[from] io::Error),
    #[error("writing JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("drawing the chart {chart} failed: {message}")]
    Chart {
        chart: &'static str,
        message: String,
    },
    #[error("rendering the summary failed: {0}")]
    Template(#[from] minijinja::Error),
    #[error(
        "the {table} table has {rows} rows, more than an Excel sheet holds; export it as CSV or Parquet"
    )]
    TooLongForExcel { table: &'static str, rows: usize },
    #[error(
        "the {table} table's {column} in row {row} has more than the 32,767 characters an Excel cell holds; export it as CSV or Parquet"
    )]
    TextTooLongForExcel {
        table: String,
        column: String,
        row: usize,
    },
    #[error(
        "{part} of the workbook would be larger than the 4 GB an XLSX file without ZIP64 holds; export the table as CSV or Parquet"
    )]
    TooLargeForXlsx { part: &'static str },
    #[error("column {column} has type {dtype}, which the exports do not write")]
    UnsupportedColumn { column: String, dtype: String },
}

/// The formats `targets` and `mobilities` are written in, in every report folder.
const TABLE_FORMATS: [ExportFormat; 3] =
    [ExportFormat::Csv, ExportFormat::Xlsx, ExportFormat::Parquet];

/// What a report wrote, as plain values, so that the monthly email can be built from it
/// without knowing how the report was made.
#[derive(Clone, Debug)]
pub struct ReportFiles {
    pub month: ReportMonth,
    pub dir: PathBuf,
    pub summary_html: String,
    /// The summary for an email, showing each chart of `chart_pngs` from the message part
    /// whose Content-ID is [`chart_content_id`] of its file name.
    pub summary_email_html: String,
    /// The text alternative of the summary, for mail clients that show no HTML.
    pub summary_text: String,
    pub chart_pngs: Vec<PathBuf>,
    pub targets_xlsx: PathBuf,
    /// Every file written, in the order written.
    pub written: Vec<PathBuf>,
}

/// The records a report is computed from, as tables.
pub struct ReportInput {
    pub mobilities: DataFrame,
    pub population: DataFrame,
}

impl ReportInput {
    /// The input from mobilities already gathered into columns as they were read.
    pub fn from_columns(
        mobilities: MobilityColumns,
        population: &[Population],
    ) -> Result<ReportInput, ReportError> {
        Ok(ReportInput {
            mobilities: mobilities.finish()?,
            population: population_frame(population)?,
        })
    }

    pub fn new(
        mobilities: &[Mobility],
        population: &[Population],
    ) -> Result<ReportInput, ReportError> {
        Ok(ReportInput {
            mobilities: mobilities_frame(mobilities)?,
            population: population_frame(population)?,
        })
    }
}

/// The targets table of `month` as an export.
pub fn targets_export(
    input: &ReportInput,
    month: ReportMonth,
    targets: &TargetSettings,
) -> Result<ExportTable, ReportError> {
    Ok(ExportTable {
        name: "targets",
        frame: targets_table(&input.mobilities, &input.population, month, targets)?,
        percent_columns: TARGETS_PERCENT_COLUMNS,
    })
}

/// Writes the whole report for `month` into `dir`: the two tables in three formats, the
/// four charts as PNG and SVG, and `summary.html` (with `summary.txt`).
/// The summary, the region chart and the trajectory lead with the rate of `definition`;
/// `targets.*` holds both definitions' columns whichever it is.
pub fn write_report(
    input: ReportInput,
    month: ReportMonth,
    targets: &TargetSettings,
    definition: RateDefinition,
    dir: &Path,
) -> Result<ReportFiles, ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::File {
        path: dir.to_owned(),
        source,
    })?;
    let started = std::time::Instant::now();
    let mut targets_table = targets_export(&input, month, targets)?;
    let rows = target_rows(&targets_table.frame)?;
    let chart_data = charts::ChartData {
        month,
        targets: targets.clone(),
        monthly_mobilities: monthly_mobilities(&input.mobilities, month)?,
        monthly_shares: monthly_fewer_opportunities(&input.mobilities, month)?,
        regions: rows.clone(),
        trajectory: network_trajectory(&input.mobilities, &input.population, month, targets)?,
        definition,
    };
    let mut mobilities_workbook = ExportTable::new("mobilities", input.mobilities);
    mobilities_workbook.frame.rechunk_mut();
    // A second handle on the same columns, for the thread that writes the other formats.
    let mut mobilities_table = ExportTable::new("mobilities", mobilities_workbook.frame.clone());
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis(),
        "computed the indicators"
    );
    // The mobilities workbook is the slowest file: it is written on a thread of its own
    // (which hands its rows to a worker per core) while this one writes everything else.
    let (workbook, other_files) = std::thread::scope(|scope| {
        let workbook = scope.spawn(|| {
            let written = write_formats(&mut mobilities_workbook, &[ExportFormat::Xlsx], dir);
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis(),
                "wrote mobilities.xlsx"
            );
            written
        });
        let others = (|| -> Result<_, ReportError> {
            let mut files = write_formats(
                &mut mobilities_table,
                &[ExportFormat::Csv, ExportFormat::Parquet],
                dir,
            )?;
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis(),
                "wrote mobilities.csv and mobilities.parquet"
            );
            files.extend(write_formats(&mut targets_table, &TABLE_FORMATS, dir)?);
            let mut pngs = Vec::new();
            for kind in ChartKind::ALL {
                let chart_files = charts::write_chart(kind, &chart_data, dir)?;
                pngs.push(chart_files.png.clone());
                files.push(chart_files.png);
                files.push(chart_files.svg);
            }
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis(),
                "wrote the targets tables and the charts"
            );
            Ok((files, pngs))
        })();
        (
            workbook
                .join()
                .expect("the mobilities export does not panic"),
            others,
        )
    });
    let (other_files, chart_pngs) = other_files?;
    let mut written = workbook?;
    written.extend(other_files);
    let chart_titles: Vec<_> = ChartKind::ALL
        .iter()
        .map(|kind| (*kind, kind.title(&chart_data)))
        .collect();
    let summary = Summary::new(
        month,
        targets,
        definition,
        &rows,
        &chart_data.trajectory,
        &chart_titles,
    );
    let summary_html = summary.html()?;
    let summary_text = summary.text()?;
    let summary_email_html = summary.email_html()?;
    for (name, contents) in [
        ("summary.html", &summary_html),
        ("summary.txt", &summary_text),
    ] {
        let path = dir.join(name);
        fs::write(&path, contents).map_err(|source| ReportError::File {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(ReportFiles {
        month,
        dir: dir.to_owned(),
        summary_html,
        summary_email_html,
        summary_text,
        chart_pngs,
        targets_xlsx: dir.join("targets.xlsx"),
        written,
    })
}

fn write_formats(
    table: &mut ExportTable,
    formats: &[ExportFormat],
    dir: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    formats
        .iter()
        .map(|format| {
            let path = dir.join(format!("{}.{}", table.name, format.extension()));
            write_to_file(&path, |out| table.write(*format, out))?;
            Ok(path)
        })
        .collect()
}

/// Creates `path` and hands a buffered writer to `write`, naming the file in errors.
pub fn write_to_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let file_error = |source| ReportError::File {
        path: path.to_owned(),
        source,
    };
    let mut out = BufWriter::new(File::create(path).map_err(file_error)?);
    write(&mut out)?;
    out.flush().map_err(file_error)
}
