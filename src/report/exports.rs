//! Tables written as CSV (UTF-8 with a header row), XLSX (typed cells, shares formatted
//! as percentages, a frozen header row), Parquet, or JSON lines.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use chrono::NaiveDate;
use polars::prelude::*;

use super::ReportError;
use super::xlsx::{self, Sheet};
use crate::domain::InvalidValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Parquet,
    Json,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Csv,
        ExportFormat::Xlsx,
        ExportFormat::Parquet,
        ExportFormat::Json,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Parquet => "parquet",
            ExportFormat::Json => "json",
        }
    }

    /// Whether the bytes are text a terminal can show.
    pub fn is_text(self) -> bool {
        matches!(self, ExportFormat::Csv | ExportFormat::Json)
    }
}

impl FromStr for ExportFormat {
    type Err = InvalidValue;

    fn from_str(text: &str) -> Result<ExportFormat, InvalidValue> {
        ExportFormat::ALL
            .into_iter()
            .find(|format| format.extension() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                InvalidValue::new(format!(
                    "{text:?} is not a format; write csv, xlsx, parquet or json"
                ))
            })
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.extension())
    }
}

/// A table ready to export: its sheet name in a workbook and which columns hold shares.
pub struct ExportTable {
    pub name: &'static str,
    pub frame: DataFrame,
    pub percent_columns: &'static [&'static str],
}

impl ExportTable {
    /// A table of records, without share columns.
    pub fn new(name: &'static str, frame: DataFrame) -> ExportTable {
        ExportTable {
            name,
            frame,
            percent_columns: &[],
        }
    }

    pub fn write(
        &mut self,
        format: ExportFormat,
        out: impl Write + Send,
    ) -> Result<(), ReportError> {
        self.frame.rechunk_mut();
        match format {
            ExportFormat::Csv => CsvWriter::new(out)
                .include_header(true)
                .finish(&mut self.frame)?,
            ExportFormat::Parquet => {
                // zstd's fastest level, not its default 3: a million mobilities come out
                // no larger (24.9 MB, 25.0 at level 3).
                ParquetWriter::new(out)
                    .with_compression(ParquetCompression::Zstd(Some(
                        polars::polars_utils::compression::ZstdLevel::try_new(1)?,
                    )))
                    .finish(&mut self.frame)?;
            }
            ExportFormat::Xlsx => self.write_xlsx(out)?,
            ExportFormat::Json => self.write_json_lines(out)?,
        }
        Ok(())
    }

    fn cell_columns(&self) -> Result<Vec<CellColumn<'_>>, ReportError> {
        self.frame
            .columns()
            .iter()
            .map(|column| {
                CellColumn::new(
                    column,
                    self.percent_columns.contains(&column.name().as_str()),
                )
            })
            .collect()
    }

    fn write_xlsx(&self, out: impl Write) -> Result<(), ReportError> {
        if self.frame.height() > xlsx::MAX_DATA_ROWS {
            return Err(ReportError::TooLongForExcel {
                table: self.name,
                rows: self.frame.height(),
            });
        }
        let header = self.frame.get_column_names();
        let sheet = Sheet {
            name: self.name,
            header: header.iter().map(|name| name.as_str()).collect(),
            columns: self.cell_columns()?,
            rows: self.frame.height(),
        };
        xlsx::write_workbook(&sheet, out)
    }

    fn write_json_lines(&self, mut out: impl Write) -> Result<(), ReportError> {
        let columns = self.cell_columns()?;
        let names = self.frame.get_column_names();
        for row in 0..self.frame.height() {
            let object: serde_json::Map<String, serde_json::Value> = names
                .iter()
                .zip(&columns)
                .map(|(name, column)| (name.to_string(), column.cell(row).to_json()))
                .collect();
            serde_json::to_writer(&mut out, &object)?;
            writeln!(out)?;
        }
        Ok(())
    }
}

/// One value of a table, typed for the formats that know types.
#[derive(Debug, PartialEq)]
pub(super) enum Cell<'a> {
    Empty,
    Text(&'a str),
    Integer(i64),
    Number(f64),
    Percent(f64),
    Bool(bool),
    Date(NaiveDate),
}

impl Cell<'_> {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Empty => serde_json::Value::Null,
            Cell::Text(text) => serde_json::Value::from(*text),
            Cell::Integer(number) => serde_json::Value::from(*number),
            Cell::Number(number) | Cell::Percent(number) => serde_json::Value::from(*number),
            Cell::Bool(value) => serde_json::Value::from(*value),
            Cell::Date(date) => serde_json::Value::from(date.to_string()),
        }
    }

    /// Roughly how many characters Excel shows, for the column width.
    pub(super) fn display_width(&self) -> usize {
        match self {
            Cell::Empty | Cell::Bool(_) => 5,
            // Bytes, not characters: counting characters of every text cell of a
            // million-row sheet is measurable, and a name with accents only gets its
            // column a little wider.
            Cell::Text(text) => text.len(),
            Cell::Integer(number) => decimal_digits(*number),
            // Excel shows about ten significant digits of a fraction.
            Cell::Number(number) if number.fract() == 0.0 && number.abs() < 1e15 => {
                decimal_digits(*number as i64)
            }
            Cell::Number(_) => 12,
            Cell::Percent(_) => 6,
            Cell::Date(_) => 10,
        }
    }
}

/// How many characters `number` takes in decimal, with its sign; counted rather than
/// printed, since it is asked for every cell of a workbook.
fn decimal_digits(number: i64) -> usize {
    let sign = usize::from(number < 0);
    sign + number
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |log| log as usize + 1)
}

/// A column read cell by cell, which is how workbooks and JSON lines are written.
pub(super) enum CellColumn<'a> {
    Text(&'a StringChunked),
    UInt32(&'a UInt32Chunked),
    Int32(&'a Int32Chunked),
    Int64(&'a Int64Chunked),
    Float64 {
        values: &'a Float64Chunked,
        percent: bool,
    },
    Bool(&'a BooleanChunked),
    Date(&'a Int32Chunked),
}

impl<'a> CellColumn<'a> {
    pub(super) fn new(column: &'a Column, percent: bool) -> Result<CellColumn<'a>, ReportError> {
        Ok(match column.dtype() {
            DataType::String => CellColumn::Text(column.str()?),
            DataType::UInt32 => CellColumn::UInt32(column.u32()?),
            DataType::Int32 => CellColumn::Int32(column.i32()?),
            DataType::Int64 => CellColumn::Int64(column.i64()?),
            DataType::Float64 => CellColumn::Float64 {
                values: column.f64()?,
                percent,
            },
            DataType::Boolean => CellColumn::Bool(column.bool()?),
            DataType::Date => CellColumn::Date(column.date()?.physical()),
            other => {
                return Err(ReportError::UnsupportedColumn {
                    column: column.name().to_string(),
                    dtype: other.to_string(),
                });
            }
        })
    }

    /// How wide the widest of the first `rows` cells is shown ([`Cell::display_width`]).
    pub(super) fn widest_cell(&self, rows: usize) -> usize {
        match self {
            // Without making a cell of each text: a text column's lengths are at hand.
            CellColumn::Text(values) => {
                let longest = values.iter().flatten().map(str::len).max();
                let empty = (values.null_count() > 0).then(|| Cell::Empty.display_width());
                longest.max(empty).unwrap_or(0)
            }
            _ => (0..rows)
                .map(|row| self.cell(row).display_width())
                .max()
                .unwrap_or(0),
        }
    }

    pub(super) fn cell(&self, row: usize) -> Cell<'a> {
        let cell = match self {
            CellColumn::Text(values) => values.get(row).map(Cell::Text),
            CellColumn::UInt32(values) => values.get(row).map(|value| Cell::Integer(value.into())),
            CellColumn::Int32(values) => values.get(row).map(|value| Cell::Integer(value.into())),
            CellColumn::Int64(values) => values.get(row).map(Cell::Integer),
            CellColumn::Float64 { values, percent } => values.get(row).map(|value| {
                if *percent {
                    Cell::Percent(value)
                } else {
                    Cell::Number(value)
                }
            }),
            CellColumn::Bool(values) => values.get(row).map(Cell::Bool),
            CellColumn::Date(days) => days.get(row).and_then(date_from_epoch_days).map(Cell::Date),
        };
        cell.unwrap_or(Cell::Empty)
    }
}

fn date_from_epoch_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(days.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_widths_count_the_characters_excel_shows() {
        for (number, width) in [
            (0, 1),
            (7, 1),
            (10, 2),
            (99, 2),
            (1_000_000, 7),
            (-1, 2),
            (-1_000, 5),
            (i64::MAX, 19),
            (i64::MIN, 20),
        ] {
            assert_eq!(decimal_digits(number), width, "{number}");
            assert_eq!(Cell::Integer(number).display_width(), width, "{number}");
        }
        assert_eq!(Cell::Number(2.0).display_width(), 1);
        assert_eq!(Cell::Number(0.125).display_width(), 12);
        assert_eq!(Cell::Text("Pais").display_width(), 4);
        assert_eq!(Cell::Text("País").display_width(), 5, "a byte wider");
    }
}
