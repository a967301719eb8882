//! Workbooks of one sheet as XLSX files (SpreadsheetML parts in a ZIP package), made for
//! sheets of up to a million rows. The sheet's rows are turned into XML and deflated in
//! pieces on every core; every piece but the last ends on a byte boundary without ending
//! the deflate stream, so the pieces joined in order are one stream, and their checksums
//! combine into the entry's. The parts and their markup are those Excel writes for a
//! plain sheet: typed cells, strings inline, a bold frozen header row, dates and shares
//! with number formats; but a cell names its reference only after a gap in its row, as
//! the format allows and Excel, LibreOffice and calamine read.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Condvar, Mutex};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

use super::ReportError;
use super::exports::{Cell, CellColumn};

/// Excel's sheet limit, less the header row; a longer table is refused rather than cut.
pub(super) const MAX_DATA_ROWS: usize = 1_048_575;
/// Excel refuses a cell with more characters.
const MAX_TEXT_CHARACTERS: usize = 32_767;
const MAX_COLUMN_WIDTH: usize = 60;
/// About 20 MB of XML a piece for the mobilities table.
const ROWS_PER_PIECE: usize = 20_000;

/// The table a sheet shows: its header and its columns, read cell by cell.
pub(super) struct Sheet<'a> {
    pub name: &'a str,
    pub header: Vec<&'a str>,
    pub columns: Vec<CellColumn<'a>>,
    pub rows: usize,
}

/// The cell styles of `xl/styles.xml`, by their index there.
const STYLE_HEADER: &[u8] = b" s=\"1\"";
const STYLE_DATE: &[u8] = b" s=\"2\"";
const STYLE_PERCENT: &[u8] = b" s=\"3\"";

pub(super) fn write_workbook(sheet: &Sheet<'_>, out: impl Write) -> Result<(), ReportError> {
    write_workbook_in_pieces(sheet, ROWS_PER_PIECE, out)
}

fn write_workbook_in_pieces(
    sheet: &Sheet<'_>,
    rows_per_piece: usize,
    out: impl Write,
) -> Result<(), ReportError> {
    let mut package = Package::new(out);
    package.add("[Content_Types].xml", CONTENT_TYPES.as_bytes())?;
    package.add("_rels/.rels", PACKAGE_RELATIONSHIPS.as_bytes())?;
    package.add("xl/workbook.xml", workbook_xml(sheet.name).as_bytes())?;
    package.add(
        "xl/_rels/workbook.xml.rels",
        WORKBOOK_RELATIONSHIPS.as_bytes(),
    )?;
    package.add("xl/styles.xml", STYLES.as_bytes())?;
    package.start_streamed("xl/worksheets/sheet1.xml")?;
    let letters: Vec<Vec<u8>> = (0..sheet.columns.len()).map(column_letters).collect();
    let head = sheet_head(sheet, &letters);
    package.stream(&checksum(&head), &deflate(&head, false)?)?;
    write_rows(sheet, &letters, rows_per_piece, &mut package)?;
    let tail = SHEET_TAIL.as_bytes();
    package.stream(&checksum(tail), &deflate(tail, true)?)?;
    package.end_streamed()?;
    package.finish()
}

/// The sheet's rows, made and deflated in pieces by a worker per core and written in
/// order as they are done. A worker waits rather than run far ahead of the writing, so
/// that only a few pieces are held at a time.
fn write_rows<W: Write>(
    sheet: &Sheet<'_>,
    letters: &[Vec<u8>],
    rows_per_piece: usize,
    package: &mut Package<W>,
) -> Result<(), ReportError> {
    let piece_count = sheet.rows.div_ceil(rows_per_piece);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(piece_count);
    let most_ahead = 2 * workers;
    let progress = Mutex::new(Progress {
        next_piece: 0,
        written: 0,
        done: BTreeMap::new(),
        failed: false,
    });
    let changed = Condvar::new();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut xml = Vec::new();
                    loop {
                        let index = {
                            let mut progress = changed
                                .wait_while(lock(&progress), |progress| {
                                    !progress.failed
                                        && progress.next_piece < piece_count
                                        && progress.next_piece >= progress.written + most_ahead
                                })
                                .expect("no worker panics");
                            if progress.failed || progress.next_piece == piece_count {
                                return;
                            }
                            progress.next_piece += 1;
                            progress.next_piece - 1
                        };
                        let start = index * rows_per_piece;
                        let end = (start + rows_per_piece).min(sheet.rows);
                        let piece = RowsPiece::make(sheet, letters, start..end, &mut xml);
                        let mut progress = lock(&progress);
                        progress.failed |= piece.is_err();
                        progress.done.insert(index, piece);
                        changed.notify_all();
                    }
                })
            })
            .collect();
        let written = (0..piece_count).try_for_each(|index| {
            let piece = {
                let mut progress = changed
                    .wait_while(lock(&progress), |progress| {
                        !progress.done.contains_key(&index)
                    })
                    .expect("no worker panics");
                progress.done.remove(&index).expect("waited for")
            };
            let written = piece.and_then(|piece| package.stream(&piece.crc, &piece.deflated));
            let mut progress = lock(&progress);
            progress.written = index + 1;
            progress.failed |= written.is_err();
            changed.notify_all();
            written
        });
        for worker in workers {
            worker.join().expect("making a piece does not panic");
        }
        written
    })
}

/// What the workers and the writing of a sheet's rows share.
struct Progress {
    /// The first piece no worker has taken yet.
    next_piece: usize,
    /// How many pieces are written.
    written: usize,
    /// Pieces made and not yet written, by their place in the sheet.
    done: BTreeMap<usize, Result<RowsPiece, ReportError>>,
    /// Whether a piece could not be made or written, which stops the workers.
    failed: bool,
}

fn lock(progress: &Mutex<Progress>) -> std::sync::MutexGuard<'_, Progress> {
    progress.lock().expect("no worker panics")
}

/// Some rows of the sheet as deflated XML, with the checksum and length of the XML.
struct RowsPiece {
    deflated: Vec<u8>,
    crc: Crc,
}

impl RowsPiece {
    fn make(
        sheet: &Sheet<'_>,
        letters: &[Vec<u8>],
        rows: std::ops::Range<usize>,
        xml: &mut Vec<u8>,
    ) -> Result<RowsPiece, ReportError> {
        xml.clear();
        for row in rows {
            // Row 1 is the header.
            let number = row + 2;
            let mut digits: DigitBuffer = [0; 20];
            let digits = format_unsigned(&mut digits, number as u64);
            xml.extend_from_slice(b"<row r=\"");
            xml.extend_from_slice(digits);
            xml.extend_from_slice(b"\">");
            let mut follows_previous = true;
            for (index, column) in sheet.columns.iter().enumerate() {
                let cell = column.cell(row);
                // A cell without a reference is the one after the cell before it
                // (ECMA-376 §18.3.1.4): only a cell after a gap needs one. This keeps a
                // fifth of a large sheet's markup out of what is written and deflated.
                let reference = (!follows_previous).then(|| (letters[index].as_slice(), digits));
                follows_previous = write_cell(xml, reference, &cell, sheet, index, number)?;
            }
            xml.extend_from_slice(b"</row>");
        }
        if u32::try_from(xml.len()).is_err() {
            return Err(ReportError::TooLargeForXlsx {
                part: "a piece of the sheet",
            });
        }
        Ok(RowsPiece {
            deflated: deflate(xml, false)?,
            crc: checksum(xml),
        })
    }
}

/// Writes `cell`, with `reference` (its column's letters and its row's number) when
/// given; returns whether a cell was written: an empty one is left out.
fn write_cell(
    xml: &mut Vec<u8>,
    reference: Option<(&[u8], &[u8])>,
    cell: &Cell<'_>,
    sheet: &Sheet<'_>,
    column: usize,
    row: usize,
) -> Result<bool, ReportError> {
    let start = |xml: &mut Vec<u8>, style: &[u8], kind: &[u8]| {
        xml.extend_from_slice(b"<c");
        if let Some((letters, row_digits)) = reference {
            xml.extend_from_slice(b" r=\"");
            xml.extend_from_slice(letters);
            xml.extend_from_slice(row_digits);
            xml.push(b'"');
        }
        xml.extend_from_slice(style);
        xml.extend_from_slice(kind);
        xml.push(b'>');
    };
    let mut digits: DigitBuffer = [0; 20];
    match cell {
        Cell::Empty => return Ok(false),
        Cell::Text(text) => {
            if text.len() > MAX_TEXT_CHARACTERS && text.chars().count() > MAX_TEXT_CHARACTERS {
                return Err(ReportError::TextTooLongForExcel {
                    table: sheet.name.to_owned(),
                    column: sheet.header[column].to_owned(),
                    row,
                });
            }
            start(xml, b"", b" t=\"inlineStr\"");
            write_inline_text(xml, text);
            xml.extend_from_slice(b"</c>");
            return Ok(true);
        }
        Cell::Integer(number) => {
            start(xml, b"", b"");
            xml.extend_from_slice(b"<v>");
            if *number < 0 {
                xml.push(b'-');
            }
            xml.extend_from_slice(format_unsigned(&mut digits, number.unsigned_abs()));
        }
        Cell::Number(number) | Cell::Percent(number) => {
            // Excel has no infinity and no NaN: such a share is shown as unknown.
            if !number.is_finite() {
                return Ok(false);
            }
            let style = if matches!(cell, Cell::Percent(_)) {
                STYLE_PERCENT
            } else {
                b""
            };
            start(xml, style, b"");
            xml.extend_from_slice(b"<v>");
            write!(xml, "{number}")?;
        }
        Cell::Bool(value) => {
            start(xml, b"", b" t=\"b\"");
            xml.extend_from_slice(if *value { b"<v>1" } else { b"<v>0" });
        }
        Cell::Date(date) => {
            start(xml, STYLE_DATE, b"");
            xml.extend_from_slice(b"<v>");
            let serial = excel_date_serial(*date);
            if serial < 0 {
                xml.push(b'-');
            }
            xml.extend_from_slice(format_unsigned(&mut digits, serial.unsigned_abs()));
        }
    }
    xml.extend_from_slice(b"</v></c>");
    Ok(true)
}

/// Days since Excel's day 0 (1899-12-30, so that 1900-03-01 onwards count as Excel does).
fn excel_date_serial(date: chrono::NaiveDate) -> i64 {
    let day_zero = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date");
    (date - day_zero).num_days()
}

/// `<is><t>…</t></is>` with the text escaped for XML, and for Excel: a control character
/// XML cannot hold is written `_xHHHH_`, so a text that itself looks like that has its
/// underscore written `_x005F_`.
fn write_inline_text(xml: &mut Vec<u8>, text: &str) {
    let keeps_spaces = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    xml.extend_from_slice(if keeps_spaces {
        b"<is><t xml:space=\"preserve\">"
    } else {
        b"<is><t>"
    });
    let bytes = text.as_bytes();
    if !bytes
        .iter()
        .any(|byte| matches!(byte, b'&' | b'<' | b'>' | b'_') || *byte < 0x20)
    {
        xml.extend_from_slice(bytes);
    } else {
        for (index, byte) in bytes.iter().enumerate() {
            match byte {
                b'&' => xml.extend_from_slice(b"&amp;"),
                b'<' => xml.extend_from_slice(b"&lt;"),
                b'>' => xml.extend_from_slice(b"&gt;"),
                b'_' if looks_escaped(&bytes[index..]) => xml.extend_from_slice(b"_x005F_"),
                b'\t' | b'\n' => xml.push(*byte),
                byte if *byte < 0x20 => {
                    write!(xml, "_x{byte:04X}_").expect("writing to memory does not fail");
                }
                byte => xml.push(*byte),
            }
        }
    }
    xml.extend_from_slice(b"</t></is>");
}

/// Whether `text` starts like `_x000D_`, Excel's escape of a character.
fn looks_escaped(text: &[u8]) -> bool {
    text.len() >= 7
        && text[1] == b'x'
        && text[2..6].iter().all(u8::is_ascii_hexdigit)
        && text[6] == b'_'
}

/// Room for any `u64` in decimal.
type DigitBuffer = [u8; 20];

/// `number` in decimal, written into the end of `buffer`.
fn format_unsigned(buffer: &mut DigitBuffer, mut number: u64) -> &[u8] {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            return &buffer[start..];
        }
    }
}

/// A column's name in cell references: A to Z, then AA, AB …
fn column_letters(index: usize) -> Vec<u8> {
    let mut letters = Vec::new();
    let mut number = index + 1;
    while number > 0 {
        let remainder = (number - 1) % 26;
        letters.insert(0, b'A' + remainder as u8);
        number = (number - 1) / 26;
    }
    letters
}

/// The sheet's XML up to its first data row: the used range, the frozen header, the
/// column widths (in characters, with Excel's padding) and the header row.
fn sheet_head(sheet: &Sheet<'_>, letters: &[Vec<u8>]) -> Vec<u8> {
    let mut xml = Vec::new();
    xml.extend_from_slice(XML_DECLARATION.as_bytes());
    xml.extend_from_slice(
        b"<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
          xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">",
    );
    let last_column = letters.last().map_or("A".into(), |letters| {
        String::from_utf8_lossy(letters).into_owned()
    });
    write!(
        xml,
        "<dimension ref=\"A1:{last_column}{}\"/>\
         <sheetViews><sheetView tabSelected=\"1\" workbookViewId=\"0\">\
         <pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>\
         <selection pane=\"bottomLeft\"/></sheetView></sheetViews>\
         <sheetFormatPr defaultRowHeight=\"15\"/>",
        sheet.rows + 1
    )
    .expect("writing to memory does not fail");
    if !sheet.columns.is_empty() {
        xml.extend_from_slice(b"<cols>");
        for (index, (name, column)) in sheet.header.iter().zip(&sheet.columns).enumerate() {
            let width = (name.len().max(column.widest_cell(sheet.rows)) + 2).min(MAX_COLUMN_WIDTH);
            // Excel stores a width of n characters as n + 182/256 (its cell padding).
            write!(
                xml,
                "<col min=\"{column}\" max=\"{column}\" width=\"{width}.7109375\" customWidth=\"1\"/>",
                column = index + 1
            )
            .expect("writing to memory does not fail");
        }
        xml.extend_from_slice(b"</cols>");
    }
    xml.extend_from_slice(b"<sheetData><row r=\"1\">");
    for (name, letters) in sheet.header.iter().zip(letters) {
        xml.extend_from_slice(b"<c r=\"");
        xml.extend_from_slice(letters);
        xml.extend_from_slice(b"1\"");
        xml.extend_from_slice(STYLE_HEADER);
        xml.extend_from_slice(b" t=\"inlineStr\">");
        write_inline_text(&mut xml, name);
        xml.extend_from_slice(b"</c>");
    }
    xml.extend_from_slice(b"</row>");
    xml
}

const SHEET_TAIL: &str = "</sheetData><pageMargins left=\"0.7\" right=\"0.7\" top=\"0.75\" \
    bottom=\"0.75\" header=\"0.3\" footer=\"0.3\"/></worksheet>";

/// Raw deflate at the fastest level: a million-row sheet compresses several times faster
/// than at the default level, for a file about a third larger. `last` ends the stream;
/// otherwise the output ends on a byte boundary, ready for the next piece.
fn deflate(input: &[u8], last: bool) -> io::Result<Vec<u8>> {
    let mut compress = Compress::new(Compression::fast(), false);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut output = Vec::with_capacity(input.len() / 4 + 1024);
    loop {
        if output.capacity() - output.len() < 1024 {
            output.reserve(output.capacity());
        }
        let consumed = usize::try_from(compress.total_in()).expect("input fits in memory");
        let status = compress
            .compress_vec(&input[consumed..], &mut output, flush)
            .map_err(io::Error::other)?;
        let all_in = compress.total_in() as usize == input.len();
        match status {
            Status::StreamEnd => return Ok(output),
            // Room left in the output once all input is in: the flush is complete.
            _ if !last && all_in && output.len() < output.capacity() => return Ok(output),
            _ => {}
        }
    }
}

/// A ZIP archive written front to back: each entry's local header and deflated data, then
/// the central directory. An entry whose checksum and sizes are known only at its end
/// (`start_streamed`) has them in a data descriptor after its data.
struct Package<W: Write> {
    out: W,
    written: u64,
    entries: Vec<Entry>,
    streamed: Option<Streamed>,
}

struct Entry {
    name: &'static str,
    flags: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    offset: u32,
}

impl Entry {
    /// The fields the local header and the central directory both give, in their
    /// order: the version needed, flags, method, time, date, checksum, sizes and the
    /// name's length.
    fn write_shared_fields(&self, bytes: &mut Vec<u8>) {
        bytes.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
        bytes.extend_from_slice(&self.flags.to_le_bytes());
        bytes.extend_from_slice(&DEFLATED.to_le_bytes());
        bytes.extend_from_slice(&DOS_TIME.to_le_bytes());
        bytes.extend_from_slice(&DOS_DATE.to_le_bytes());
        bytes.extend_from_slice(&self.crc.to_le_bytes());
        bytes.extend_from_slice(&self.compressed.to_le_bytes());
        bytes.extend_from_slice(&self.size.to_le_bytes());
        bytes.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
    }
}

/// The entry being streamed: where it starts, and its checksum and sizes so far.
struct Streamed {
    name: &'static str,
    offset: u64,
    crc: Crc,
    size: u64,
    compressed: u64,
}

/// 1980-01-01 00:00 in MS-DOS form: a fixed time, so equal tables give equal files.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
const DEFLATED: u16 = 8;
const VERSION_NEEDED: u16 = 20;
/// The general purpose flag of an entry followed by a data descriptor.
const HAS_DATA_DESCRIPTOR: u16 = 1 << 3;

/// The CRC-32 and length of `bytes`, which ZIP entries carry.
fn checksum(bytes: &[u8]) -> Crc {
    let mut crc = Crc::new();
    crc.update(bytes);
    crc
}

fn zip_size(size: u64, part: &'static str) -> Result<u32, ReportError> {
    u32::try_from(size).map_err(|_| ReportError::TooLargeForXlsx { part })
}

impl<W: Write> Package<W> {
    fn new(out: W) -> Package<W> {
        Package {
            out,
            written: 0,
            entries: Vec::new(),
            streamed: None,
        }
    }

    fn add(&mut self, name: &'static str, contents: &[u8]) -> Result<(), ReportError> {
        let deflated = deflate(contents, true)?;
        let entry = Entry {
            name,
            flags: 0,
            crc: checksum(contents).sum(),
            compressed: zip_size(deflated.len() as u64, name)?,
            size: zip_size(contents.len() as u64, name)?,
            offset: zip_size(self.written, name)?,
        };
        self.write_local_header(&entry)?;
        self.write(&deflated)?;
        self.entries.push(entry);
        Ok(())
    }

    fn start_streamed(&mut self, name: &'static str) -> Result<(), ReportError> {
        let offset = self.written;
        let header = Entry {
            name,
            flags: HAS_DATA_DESCRIPTOR,
            crc: 0,
            compressed: 0,
            size: 0,
            offset: zip_size(offset, name)?,
        };
        self.write_local_header(&header)?;
        self.streamed = Some(Streamed {
            name,
            offset,
            crc: Crc::new(),
            size: 0,
            compressed: 0,
        });
        Ok(())
    }

    /// Adds XML, deflated as `deflated`, to the entry being streamed; `crc` is the
    /// XML's checksum and length.
    fn stream(&mut self, crc: &Crc, deflated: &[u8]) -> Result<(), ReportError> {
        let streamed = self.streamed.as_mut().expect("an entry is being streamed");
        streamed.crc.combine(crc);
        streamed.size += u64::from(crc.amount());
        streamed.compressed += deflated.len() as u64;
        self.write(deflated)?;
        Ok(())
    }

    fn end_streamed(&mut self) -> Result<(), ReportError> {
        let streamed = self.streamed.take().expect("an entry is being streamed");
        let entry = Entry {
            name: streamed.name,
            flags: HAS_DATA_DESCRIPTOR,
            crc: streamed.crc.sum(),
            compressed: zip_size(streamed.compressed, streamed.name)?,
            size: zip_size(streamed.size, streamed.name)?,
            offset: zip_size(streamed.offset, streamed.name)?,
        };
        let mut descriptor = Vec::with_capacity(16);
        descriptor.extend_from_slice(&0x0807_4b50_u32.to_le_bytes());
        descriptor.extend_from_slice(&entry.crc.to_le_bytes());
        descriptor.extend_from_slice(&entry.compressed.to_le_bytes());
        descriptor.extend_from_slice(&entry.size.to_le_bytes());
        self.write(&descriptor)?;
        self.entries.push(entry);
        Ok(())
    }

    fn write_local_header(&mut self, entry: &Entry) -> io::Result<()> {
        let mut header = Vec::with_capacity(30 + entry.name.len());
        header.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        entry.write_shared_fields(&mut header);
        header.extend_from_slice(&0_u16.to_le_bytes());
        header.extend_from_slice(entry.name.as_bytes());
        self.write(&header)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<(), ReportError> {
        let directory_offset = zip_size(self.written, "the package")?;
        let mut directory = Vec::new();
        for entry in &self.entries {
            directory.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
            // The version that made the entry, then the fields the local header has too.
            directory.extend_from_slice(&VERSION_NEEDED.to_le_bytes());
            entry.write_shared_fields(&mut directory);
            // Extra field, comment, disk number, internal and external attributes.
            directory.extend_from_slice(&[0; 12]);
            directory.extend_from_slice(&entry.offset.to_le_bytes());
            directory.extend_from_slice(entry.name.as_bytes());
        }
        let entries = self.entries.len() as u16;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]);
        end.extend_from_slice(&entries.to_le_bytes());
        end.extend_from_slice(&entries.to_le_bytes());
        end.extend_from_slice(&(directory.len() as u32).to_le_bytes());
        end.extend_from_slice(&directory_offset.to_le_bytes());
        end.extend_from_slice(&0_u16.to_le_bytes());
        self.write(&directory)?;
        self.write(&end)?;
        self.out.flush()?;
        Ok(())
    }
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

const CONTENT_TYPES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">",
    "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>",
    "<Default Extension=\"xml\" ContentType=\"application/xml\"/>",
    "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
    "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>",
    "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    "</Types>"
);

const PACKAGE_RELATIONSHIPS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>",
    "</Relationships>"
);

const WORKBOOK_RELATIONSHIPS: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>",
    "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    "</Relationships>"
);

/// Styles 0 plain, 1 bold (the header), 2 a date, 3 a percentage with one decimal.
const STYLES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n",
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    "<numFmts count=\"2\"><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/>",
    "<numFmt numFmtId=\"165\" formatCode=\"0.0%\"/></numFmts>",
    "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>",
    "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>",
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>",
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>",
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>",
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>",
    "<cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>",
    "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>",
    "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>",
    "<xf numFmtId=\"165\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>",
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>",
    "<dxfs count=\"0\"/><tableStyles count=\"0\"/></styleSheet>"
);

/// `sheet_name` is one of the names the exports give their tables, which need no escaping.
fn workbook_xml(sheet_name: &str) -> String {
    format!(
        "{XML_DECLARATION}<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <bookViews><workbookView/></bookViews>\
         <sheets><sheet name=\"{sheet_name}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
    )
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};
    use chrono::NaiveDate;
    use polars::prelude::*;

    use super::*;

    fn table() -> DataFrame {
        let dates: Vec<Option<NaiveDate>> = (0..10)
            .map(|day| NaiveDate::from_ymd_opt(2026, 1, day + 1).filter(|_| day != 4))
            .collect();
        df!(
            "text" => [
                Some("plain"), Some("a & b <c>"), Some(" leading space"), Some("tab\there"),
                Some("control \u{1} char"), Some("_x000D_ looks escaped"), None,
                Some("Västra Götaland"), Some("line\nbreak"), Some("end"),
            ],
            "integer" => [Some(0_i64), Some(-7), Some(1_000_000), None, Some(i64::from(i32::MAX)),
                Some(1), Some(2), Some(3), Some(4), Some(5)],
            "share" => [Some(0.25), Some(0.2), None, Some(f64::NAN), Some(1.0), Some(0.0),
                Some(0.125), Some(0.5), Some(0.75), Some(0.05)],
            "flag" => [Some(true), Some(false), None, Some(true), Some(true), Some(false),
                Some(true), Some(false), Some(true), Some(false)],
            "day" => dates,
        )
        .unwrap()
    }

    fn workbook(frame: &DataFrame, rows_per_piece: usize) -> Vec<u8> {
        let header = frame.get_column_names();
        let sheet = Sheet {
            name: "mobilities",
            header: header.iter().map(|name| name.as_str()).collect(),
            columns: frame
                .columns()
                .iter()
                .map(|column| CellColumn::new(column, column.name() == "share").unwrap())
                .collect(),
            rows: frame.height(),
        };
        let mut bytes = Vec::new();
        write_workbook_in_pieces(&sheet, rows_per_piece, &mut bytes).unwrap();
        bytes
    }

    fn read_back(bytes: Vec<u8>) -> Vec<Vec<Data>> {
        let mut workbook = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let range = workbook.worksheet_range("mobilities").unwrap();
        range.rows().map(<[Data]>::to_vec).collect()
    }

    #[test]
    fn a_sheet_in_many_pieces_reads_back_cell_for_cell() {
        let frame = table();
        let one_piece = workbook(&frame, 100);
        let pieces = workbook(&frame, 3);
        assert_ne!(one_piece, pieces, "the pieces are deflated apart");
        let rows = read_back(pieces);
        assert_eq!(rows, read_back(one_piece));
        assert_eq!(rows.len(), 11);
        let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
        assert_eq!(header, ["text", "integer", "share", "flag", "day"]);
        let texts: Vec<String> = rows[1..].iter().map(|row| row[0].to_string()).collect();
        assert_eq!(
            texts,
            [
                "plain",
                "a & b <c>",
                " leading space",
                "tab\there",
                "control \u{1} char",
                "_x000D_ looks escaped",
                "",
                "Västra Götaland",
                "line\nbreak",
                "end"
            ]
        );
        assert_eq!(rows[2][1], Data::Float(-7.0));
        assert_eq!(rows[3][1], Data::Float(1_000_000.0));
        assert_eq!(rows[4][1], Data::Empty);
        assert_eq!(rows[1][2], Data::Float(0.25));
        assert_eq!(rows[4][2], Data::Empty, "NaN is written as unknown");
        assert_eq!(
            rows[4][3],
            Data::Bool(true),
            "a cell after a gap keeps its column"
        );
        assert_eq!(
            rows[7][1],
            Data::Float(2.0),
            "a cell after an empty text too"
        );
        assert_eq!(rows[1][3], Data::Bool(true));
        assert_eq!(rows[2][3], Data::Bool(false));
        let day = |row: usize| match &rows[row][4] {
            Data::DateTime(value) => value.as_datetime().unwrap().date(),
            other => panic!("row {row}: {other:?} is not a date"),
        };
        assert_eq!(day(1), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(day(10), NaiveDate::from_ymd_opt(2026, 1, 10).unwrap());
        assert_eq!(rows[5][4], Data::Empty);
    }

    #[test]
    fn equal_tables_give_equal_files() {
        assert_eq!(workbook(&table(), 4), workbook(&table(), 4));
    }

    #[test]
    fn an_empty_table_is_a_sheet_with_its_header() {
        let frame = table().head(Some(0));
        let rows = read_back(workbook(&frame, 3));
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][4], Data::String("day".to_owned()));
    }

    #[test]
    fn excel_numbers_days_from_1899_12_30() {
        let date = |year, month, day| NaiveDate::from_ymd_opt(year, month, day).unwrap();
        assert_eq!(excel_date_serial(date(1900, 3, 1)), 61);
        assert_eq!(excel_date_serial(date(2026, 1, 1)), 46023);
    }

    #[test]
    fn columns_are_lettered_like_excel() {
        let letters: Vec<String> = [0, 25, 26, 51, 701, 702]
            .into_iter()
            .map(|index| String::from_utf8(column_letters(index)).unwrap())
            .collect();
        assert_eq!(letters, ["A", "Z", "AA", "AZ", "ZZ", "AAA"]);
    }
}
