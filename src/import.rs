//! CSV imports of mobilities and population figures (FORMS.md "CSV imports"). Reading
//! rows into domain values is pure (`read_*_rows`); `import_*` write the good rows to the
//! store in batches, so a bad row never stops the good ones.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::{EmailAddress, InvalidValue, MobilityDetails, Population, Region};
use crate::forms::{FieldError, FieldKey, FieldSet, FormLanguage, parse_mobility_report};
use crate::outreach::Recipient;
use crate::store::{MobilityImport, PopulationWrite, Store, StoreError, Tx};

/// A row that could not be imported, with every problem found in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    pub errors: Vec<FieldError>,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let problems: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        write!(formatter, "line {}: {}", self.line, problems.join("; "))
    }
}

/// The file as a whole cannot be read: no header, or a required column is missing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty; the first line must name the columns, for example {expected}")]
    NoHeader { expected: &'static str },
    #[error("the header has no column {missing}; the columns are {expected} (in any order)")]
    MissingColumn {
        missing: String,
        expected: &'static str,
    },
    #[error("cannot read the CSV file; save it as CSV (UTF-8) and try again")]
    Csv(#[from] csv::Error),
    #[error("cannot read {path}; check the path and that the file is readable")]
    Open {
        path: String,
        #[source]
        cause: std::io::Error,
    },
    #[error("cannot read the file")]
    Read(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did, row by row, for people and scripts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub file: String,
    /// Rows read, not counting the header and blank lines.
    pub rows: u64,
    /// New records.
    pub imported: u64,
    /// Records that an earlier import created and this one changed (for population
    /// figures: replaced).
    pub updated: u64,
    /// Rows that an earlier import already stored as they are.
    pub unchanged: u64,
    pub rejected: u64,
    pub errors: Vec<RowError>,
}

/// Rows are written in transactions of this many, so a huge file neither holds one
/// giant transaction nor pays a commit per row. Re-running after a failure is safe:
/// mobilities are found again by their import key, population figures are replaced.
const ROWS_PER_TRANSACTION: usize = 1000;

pub async fn import_mobilities(
    store: &Store,
    path: &Path,
    now: DateTime<Utc>,
    show_progress: bool,
) -> Result<ImportReport, ImportError> {
    let bytes = read_file(path)?;
    let rows = read_mobility_rows(bytes.as_slice())?;
    import_rows(store, path, &bytes, rows, now, show_progress).await
}

pub async fn import_population(
    store: &Store,
    path: &Path,
    now: DateTime<Utc>,
    show_progress: bool,
) -> Result<ImportReport, ImportError> {
    let bytes = read_file(path)?;
    let rows = read_population_rows(bytes.as_slice())?;
    import_rows(store, path, &bytes, rows, now, show_progress).await
}

/// Imports population figures from the bytes of an uploaded CSV file called `name`, as
/// `import_population` does from a file.
pub async fn import_population_csv(
    store: &Store,
    name: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let rows = read_population_rows(bytes)?;
    import_rows(store, Path::new(name), bytes, rows, now, false).await
}

/// What writing one good row did.
enum RowWrite {
    Imported,
    Updated,
    Unchanged,
    Rejected(RowError),
}

/// A row read from a CSV file that knows how to store itself.
trait ImportRow {
    async fn write(
        self,
        transaction: &mut Tx<'_>,
        now: DateTime<Utc>,
    ) -> Result<RowWrite, StoreError>;
}

impl ImportRow for MobilityRow {
    async fn write(
        self,
        transaction: &mut Tx<'_>,
        now: DateTime<Utc>,
    ) -> Result<RowWrite, StoreError> {
        if let Some(introduction) = self.details.introduction
            && !transaction.introduction_exists(introduction).await?
        {
            return Ok(RowWrite::Rejected(RowError {
                line: self.line,
                errors: vec![FieldError::in_english(
                    FieldKey::Introduction.key(),
                    introduction.to_string(),
                    "no introduction has this reference; check it, or leave the column empty"
                        .to_owned(),
                )],
            }));
        }
        Ok(
            match transaction
                .import_mobility(&self.details, &self.import_key, now)
                .await?
            {
                MobilityImport::Inserted(_) => RowWrite::Imported,
                MobilityImport::Updated(_) => RowWrite::Updated,
                MobilityImport::Unchanged(_) => RowWrite::Unchanged,
            },
        )
    }
}

impl ImportRow for PopulationRow {
    async fn write(
        self,
        transaction: &mut Tx<'_>,
        now: DateTime<Utc>,
    ) -> Result<RowWrite, StoreError> {
        Ok(
            match transaction.upsert_population(&self.population, now).await? {
                PopulationWrite::Inserted => RowWrite::Imported,
                PopulationWrite::Replaced => RowWrite::Updated,
            },
        )
    }
}

async fn import_rows<R: ImportRow>(
    store: &Store,
    path: &Path,
    bytes: &[u8],
    rows: impl Iterator<Item = Result<R, RowError>>,
    now: DateTime<Utc>,
    show_progress: bool,
) -> Result<ImportReport, ImportError> {
    let progress = progress_bar(bytes, show_progress);
    let mut report = ImportReport::new(path);
    let mut rows = rows.peekable();
    while rows.peek().is_some() {
        let mut transaction = store.begin().await?;
        for row in rows.by_ref().take(ROWS_PER_TRANSACTION) {
            progress.inc(1);
            report.rows += 1;
            let written = match row {
                Ok(row) => row.write(&mut transaction, now).await?,
                Err(error) => RowWrite::Rejected(error),
            };
            match written {
                RowWrite::Imported => report.imported += 1,
                RowWrite::Updated => report.updated += 1,
                RowWrite::Unchanged => report.unchanged += 1,
                RowWrite::Rejected(error) => {
                    report.rejected += 1;
                    report.errors.push(error);
                }
            }
        }
        transaction.commit().await?;
    }
    progress.finish_and_clear();
    Ok(report)
}

impl ImportReport {
    fn new(path: &Path) -> ImportReport {
        ImportReport {
            file: path.display().to_string(),
            rows: 0,
            imported: 0,
            updated: 0,
            unchanged: 0,
            rejected: 0,
            errors: Vec::new(),
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|cause| ImportError::Open {
        path: path.display().to_string(),
        cause,
    })
}

/// A bar on the terminal, counted in data lines; hidden when output is not a terminal.
fn progress_bar(bytes: &[u8], show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let lines = bytes
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        .saturating_sub(1);
    let bar = ProgressBar::new(lines as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {per_sec}, {eta} left")
            .expect("the progress template is valid"),
    );
    bar
}

/// A mobility read from one CSV row, with the row's stable identity: the same mobility
/// in a later import of the same (or a corrected) file gets the same key, so it is
/// updated rather than counted twice.
#[derive(Clone, Debug, PartialEq)]
pub struct MobilityRow {
    pub line: u64,
    pub details: MobilityDetails,
    pub import_key: String,
}

pub const MOBILITY_COLUMNS: &str = "sending_organisation, sending_region, receiving_organisation, receiving_region, receiving_country, mobility_type, participants, fewer_opportunities, start_date, end_date, status, introduction";

pub const POPULATION_COLUMNS: &str = "region, year, vet_learners, ivet_graduates (optional)";

pub fn read_mobility_rows(
    input: impl Read,
) -> Result<impl Iterator<Item = Result<MobilityRow, RowError>>, ImportError> {
    let mut table = CsvTable::open(input, MOBILITY_COLUMNS)?;
    let columns: Vec<Option<FieldKey>> = table
        .headers
        .iter()
        .map(|header| FieldKey::find(header))
        .collect();
    for required in [
        FieldKey::SendingRegion,
        FieldKey::MobilityType,
        FieldKey::StartDate,
    ] {
        if !columns.contains(&Some(required)) {
            return Err(ImportError::MissingColumn {
                missing: required.key().to_owned(),
                expected: MOBILITY_COLUMNS,
            });
        }
    }
    let mut occurrences: HashMap<String, u32> = HashMap::new();
    Ok(std::iter::from_fn(move || {
        let (line, cells) = table.next_row()?;
        let row = cells.and_then(|cells| {
            let pairs = columns
                .iter()
                .zip(&cells)
                .filter_map(|(column, cell)| column.map(|key| (key.key(), cell.as_str())));
            parse_mobility_report(&FieldSet::from_pairs(pairs))
                .map_err(|errors| RowError { line, errors })
        });
        Some(row.map(|details| {
            let identity = mobility_identity(&details);
            let occurrence = occurrences.entry(identity.clone()).or_default();
            *occurrence += 1;
            let import_key = hex_digest(&format!("{identity}|{occurrence}"));
            MobilityRow {
                line,
                details,
                import_key,
            }
        }))
    }))
}

pub const CALL_COLUMNS: &str =
    "email, name (optional), organisation (optional), language (optional)";

/// The recipients of a call for submissions from a CSV file (`email,name,organisation,
/// language`), or every bad row with its line number. A language other than the five
/// mobmatch writes, or none, means English.
pub fn read_call_recipients(input: impl Read) -> Result<Vec<Recipient>, CallListError> {
    let mut table = CsvTable::open(input, CALL_COLUMNS)?;
    let column = |name: &str| {
        table
            .headers
            .iter()
            .position(|header| header.trim().eq_ignore_ascii_case(name))
    };
    let Some(email) = column("email") else {
        return Err(ImportError::MissingColumn {
            missing: "email".to_owned(),
            expected: CALL_COLUMNS,
        }
        .into());
    };
    let (name, organisation, language) =
        (column("name"), column("organisation"), column("language"));
    let mut recipients = Vec::new();
    let mut errors = Vec::new();
    while let Some((line, cells)) = table.next_row() {
        let cells = match cells {
            Ok(cells) => cells,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let cell = |index: Option<usize>| {
            index
                .and_then(|index| cells.get(index))
                .cloned()
                .unwrap_or_default()
        };
        let written = cell(Some(email));
        match EmailAddress::parse(&written) {
            Ok(address) => {
                let code = cell(language).to_ascii_lowercase();
                recipients.push(Recipient {
                    address,
                    name: cell(name),
                    organisation: cell(organisation),
                    language: FormLanguage::ALL
                        .iter()
                        .copied()
                        .find(|language| language.code() == code)
                        .unwrap_or(FormLanguage::En),
                });
            }
            Err(problem) => errors.push(RowError {
                line,
                errors: vec![FieldError::in_english(
                    "email",
                    written,
                    format!("{problem}; write one address such as anna.berg@example.org"),
                )],
            }),
        }
    }
    if errors.is_empty() {
        Ok(recipients)
    } else {
        Err(CallListError::Rows(errors))
    }
}

/// Why the recipients of a call cannot be read; nobody is written to then.
#[derive(Debug, thiserror::Error)]
pub enum CallListError {
    #[error(transparent)]
    File(#[from] ImportError),
    #[error("{}; correct these rows and run the call again (nothing was sent)", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Rows(Vec<RowError>),
}

/// Reads the recipients of a call from the CSV file at `path`.
pub fn read_call_recipients_file(path: &Path) -> Result<Vec<Recipient>, CallListError> {
    read_call_recipients(read_file(path)?.as_slice())
}

/// What makes a reported mobility the same one across imports: who sent whom where,
/// of which type, on which dates. Status and figures may change between imports.
fn mobility_identity(details: &MobilityDetails) -> String {
    let destination = &details.destination;
    [
        "mobility-import-v1".to_owned(),
        details.sending_organisation.to_lowercase(),
        details.sending_region.code().to_owned(),
        details.receiving_organisation.to_lowercase(),
        destination
            .nuts_region()
            .map(|region| region.code())
            .unwrap_or_default()
            .to_owned(),
        destination.country().code().to_owned(),
        details.mobility_type.value().to_owned(),
        details.dates.start().to_string(),
        details.dates.end().to_string(),
    ]
    .join("|")
}

fn hex_digest(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A population figure read from one CSV row.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationRow {
    pub line: u64,
    pub population: Population,
}

pub fn read_population_rows(
    input: impl Read,
) -> Result<impl Iterator<Item = Result<PopulationRow, RowError>>, ImportError> {
    let mut table = CsvTable::open(input, POPULATION_COLUMNS)?;
    let position = |name: &str| {
        table
            .headers
            .iter()
            .position(|header| header.trim().eq_ignore_ascii_case(name))
    };
    let column = |name: &str| {
        position(name).ok_or_else(|| ImportError::MissingColumn {
            missing: name.to_owned(),
            expected: POPULATION_COLUMNS,
        })
    };
    let region_column = column("region")?;
    let year_column = column("year")?;
    let learners_column = column("vet_learners")?;
    let graduates_column = position("ivet_graduates");
    Ok(std::iter::from_fn(move || {
        let (line, cells) = table.next_row()?;
        Some(cells.and_then(|cells| {
            let cell = |index: usize| cells.get(index).map(String::as_str).unwrap_or_default();
            let mut errors = Vec::new();
            let region = cell_value(&mut errors, "region", cell(region_column), Region::parse);
            let year = cell_value(&mut errors, "year", cell(year_column), year);
            let vet_learners = cell_value(
                &mut errors,
                "vet_learners",
                cell(learners_column),
                whole_number,
            );
            let ivet_graduates = match graduates_column.map(cell).filter(|value| !value.is_empty())
            {
                Some(value) => {
                    cell_value(&mut errors, "ivet_graduates", value, whole_number).map(Some)
                }
                None => Some(None),
            };
            match (region, year, vet_learners, ivet_graduates) {
                (Some(region), Some(year), Some(vet_learners), Some(ivet_graduates))
                    if errors.is_empty() =>
                {
                    Ok(PopulationRow {
                        line,
                        population: Population {
                            region,
                            year,
                            vet_learners,
                            ivet_graduates,
                        },
                    })
                }
                _ => Err(RowError { line, errors }),
            }
        }))
    }))
}

fn cell_value<T>(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    parse: impl Fn(&str) -> Result<T, InvalidValue>,
) -> Option<T> {
    parse(value)
        .map_err(|error| {
            errors.push(FieldError::new(
                field,
                value.to_owned(),
                error.problem().clone().into(),
            ))
        })
        .ok()
}

fn year(text: &str) -> Result<i32, InvalidValue> {
    match text.trim().parse::<i32>() {
        Ok(year) if (2000..=2100).contains(&year) => Ok(year),
        _ => Err(InvalidValue::new("not a year; write a year such as 2026")),
    }
}

fn whole_number(text: &str) -> Result<u32, InvalidValue> {
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '_'))
        .collect();
    digits.parse::<u32>().map_err(|_| {
        InvalidValue::new("not a whole number; write a count such as 12500, without decimals")
    })
}

/// A CSV file with a header row. Excel's habits are tolerated: a byte-order mark, CRLF
/// line ends, and semicolons as separators where the comma is the decimal mark.
struct CsvTable {
    headers: Vec<String>,
    records: csv::StringRecordsIntoIter<std::io::Cursor<Vec<u8>>>,
}

impl CsvTable {
    fn open(mut input: impl Read, expected: &'static str) -> Result<CsvTable, ImportError> {
        let mut bytes = Vec::new();
        input.read_to_end(&mut bytes)?;
        let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
        let header = bytes
            .split(|&byte| byte == b'\n')
            .next()
            .unwrap_or_default();
        if header.iter().all(u8::is_ascii_whitespace) {
            return Err(ImportError::NoHeader { expected });
        }
        let delimiter = if header.contains(&b';') && !header.contains(&b',') {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(std::io::Cursor::new(with_countable_lines(bytes, delimiter)));
        let headers = reader.headers()?.iter().map(str::to_owned).collect();
        Ok(CsvTable {
            headers,
            records: reader.into_records(),
        })
    }

    /// The next non-empty row with its line number, or the reason it cannot be read.
    fn next_row(&mut self) -> Option<(u64, Result<Vec<String>, RowError>)> {
        loop {
            let record = self.records.next()?;
            let line = match &record {
                Ok(record) => record.position().map(csv::Position::line),
                Err(error) => error.position().map(csv::Position::line),
            }
            .unwrap_or_default();
            match record {
                Ok(record) if record.iter().all(str::is_empty) => continue,
                Ok(record) => return Some((line, Ok(record.iter().map(str::to_owned).collect()))),
                Err(error) => {
                    let message = if matches!(error.kind(), csv::ErrorKind::Utf8 { .. }) {
                        "this row is not UTF-8 text; save the file as CSV (UTF-8) and import it again".to_owned()
                    } else {
                        format!("{error}; check the quotes and separators on this line")
                    };
                    let errors = vec![FieldError::in_english("row", String::new(), message)];
                    return Some((line, Err(RowError { line, errors })));
                }
            }
        }
    }
}

/// The csv crate counts neither blank lines nor CRLF line ends in record positions, so
/// error line numbers would drift from what a spreadsheet or editor shows. Blank lines
/// become a lone separator (an empty record, skipped) and CRLF becomes LF.
fn with_countable_lines(bytes: &[u8], delimiter: u8) -> Vec<u8> {
    let mut normalised = Vec::with_capacity(bytes.len() + 64);
    for line in bytes.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            normalised.push(delimiter);
        } else {
            normalised.extend_from_slice(line);
        }
        normalised.push(b'\n');
    }
    normalised
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mobility_rows(csv: &str) -> Vec<Result<MobilityRow, RowError>> {
        read_mobility_rows(csv.as_bytes()).unwrap().collect()
    }

    #[test]
    fn columns_come_in_any_order_and_unknown_ones_are_ignored() {
        let rows = mobility_rows(
            "status,start_date,end_date,comment,sending_region,sending_organisation,receiving_country,mobility_type,participants\n\
             completed,2026-03-02,2026-03-20,first group,ES21,TKNIKA,SE,vet_learner,8\n",
        );
        let row = rows[0].as_ref().unwrap();
        assert_eq!(row.line, 2);
        assert_eq!(row.details.sending_region.code(), "ES21");
        assert_eq!(row.details.destination.country().code(), "SE");
        assert_eq!(row.details.participants, 8);
    }

    #[test]
    fn excel_byte_order_marks_semicolons_and_labels_as_headers_are_understood() {
        let rows = mobility_rows(
            "\u{feff}Sending organisation;Sending region;Receiving region;Mobility type;Participants;Start date;End date;Status\n\
             Omnia;FI1B;ES21;Apprentices;2;6.4.2026;24.4.2026;completed\n",
        );
        let row = rows[0].as_ref().unwrap();
        assert_eq!(
            row.details.destination.nuts_region().unwrap().code(),
            "ES21"
        );
        assert_eq!(row.details.dates.days(), 19);
    }

    #[test]
    fn a_bad_row_is_reported_with_its_line_and_all_its_errors_and_the_rest_is_read() {
        let rows = mobility_rows(
            "sending_organisation,sending_region,receiving_country,mobility_type,participants,start_date,end_date,status\n\
             A,ES21,SE,vet_learner,3,2026-01-10,2026-01-20,completed\n\
             \n\
             B,XX99,SE,holiday,many,2026-01-10,2026-01-20,completed\n\
             C,SE23,ES,apprentice,2,2026-02-01,2026-02-14,planned\n",
        );
        assert_eq!(rows.len(), 3);
        let error = rows[1].as_ref().unwrap_err();
        assert_eq!(error.line, 4);
        let fields: Vec<&str> = error.errors.iter().map(|error| error.field).collect();
        assert_eq!(fields, ["sending_region", "mobility_type", "participants"]);
        assert!(rows[2].is_ok());
    }

    #[test]
    fn a_mobility_keeps_its_identity_when_its_status_or_date_format_changes() {
        let header = "sending_organisation,sending_region,receiving_country,mobility_type,participants,start_date,end_date,status\n";
        let planned = mobility_rows(&format!(
            "{header}TKNIKA,ES21,SE,vet_learner,8,2026-03-02,2026-03-20,planned\n"
        ));
        let completed = mobility_rows(&format!(
            "{header}Tknika,ES21,SE,vet_learner,7,2.3.2026,20.3.2026,completed\n"
        ));
        assert_eq!(
            planned[0].as_ref().unwrap().import_key,
            completed[0].as_ref().unwrap().import_key
        );
    }

    #[test]
    fn line_numbers_count_blank_lines_and_crlf_line_ends() {
        let rows = mobility_rows(
            "sending_organisation,sending_region,receiving_country,mobility_type,participants,start_date,end_date,status\r\n\
             A,ES21,SE,vet_learner,3,2026-01-10,2026-01-20,completed\r\n\
             \r\n\
             \r\n\
             B,XX99,SE,vet_learner,3,2026-01-10,2026-01-20,completed\r\n",
        );
        assert_eq!(rows[0].as_ref().unwrap().line, 2);
        assert_eq!(rows[1].as_ref().unwrap_err().line, 5);
    }

    #[test]
    fn two_identical_rows_are_two_mobilities() {
        let line = "TKNIKA,ES21,SE,vet_learner,8,2026-03-02,2026-03-20,completed\n";
        let rows = mobility_rows(&format!(
            "sending_organisation,sending_region,receiving_country,mobility_type,participants,start_date,end_date,status\n{line}{line}"
        ));
        let keys: Vec<&str> = rows
            .iter()
            .map(|row| row.as_ref().unwrap().import_key.as_str())
            .collect();
        assert_ne!(keys[0], keys[1]);
    }

    #[test]
    fn a_file_without_a_required_column_or_header_is_refused_whole() {
        let missing = read_mobility_rows("sending_organisation,participants\nA,3\n".as_bytes())
            .err()
            .unwrap();
        assert!(missing.to_string().contains("sending_region"), "{missing}");
        let empty = read_mobility_rows("".as_bytes()).err().unwrap();
        assert!(empty.to_string().contains("the file is empty"), "{empty}");
    }

    #[test]
    fn a_row_that_is_not_utf8_says_how_to_save_the_file() {
        let mut bytes = b"sending_organisation,sending_region,receiving_country,mobility_type,participants,start_date,end_date,status\n".to_vec();
        bytes
            .extend_from_slice(b"Lyc\xe9e,FRK2,ES,vet_learner,3,2026-01-10,2026-01-20,completed\n");
        let rows: Vec<_> = read_mobility_rows(bytes.as_slice()).unwrap().collect();
        let error = rows[0].as_ref().unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.errors[0].message.contains("UTF-8"), "{error}");
    }

    #[test]
    fn population_rows_are_read_and_bad_values_named() {
        let rows: Vec<_> = read_population_rows(
            "region,year,vet_learners,ivet_graduates\nES21,2026,41 250,9800\nSE23,2026,38000,\nES21,26,lots,-1\n".as_bytes(),
        )
        .unwrap()
        .collect();
        let first = &rows[0].as_ref().unwrap().population;
        assert_eq!(
            (
                first.region.code(),
                first.year,
                first.vet_learners,
                first.ivet_graduates
            ),
            ("ES21", 2026, 41250, Some(9800))
        );
        assert_eq!(rows[1].as_ref().unwrap().population.ivet_graduates, None);
        let error = rows[2].as_ref().unwrap_err();
        let fields: Vec<&str> = error.errors.iter().map(|error| error.field).collect();
        assert_eq!(fields, ["year", "vet_learners", "ivet_graduates"]);
        let missing = read_population_rows("region,vet_learners\nES21,3\n".as_bytes())
            .err()
            .unwrap();
        assert!(missing.to_string().contains("year"), "{missing}");
    }
}
