//! Streaming CSV ingest over real public tables (see tests/data/README.md) and over a lazily
//! generated 20 MB stream.

use sha2::{Digest, Sha256};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Read};
use std::path::PathBuf;
use strata::blob::BlobStore;
use strata::schema::{
    scan_csv, schema_fingerprint, Column, ColumnType, Delimiter, IngestError, TableScan,
};

fn data_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file)
}

fn read_data(file: &str) -> Vec<u8> {
    std::fs::read(data_path(file)).unwrap_or_else(|e| panic!("reading tests/data/{file}: {e}"))
}

/// Scans a file from disk through a `File` reader (the streaming path), discarding the bytes.
fn scan_file(file: &str) -> TableScan {
    let reader = std::fs::File::open(data_path(file)).unwrap();
    scan_csv(reader, file, &mut |_: &[u8]| Ok(())).unwrap()
}

fn scan_bytes(bytes: &[u8]) -> Result<TableScan, IngestError> {
    scan_csv(bytes, "upload.csv", &mut |_: &[u8]| Ok(()))
}

/// The content hash an upload of `bytes` gets: the name of the blob the scan's sink wrote.
fn content_hash(bytes: &[u8]) -> [u8; 32] {
    let dir = tempfile::tempdir().unwrap();
    let mut blob = BlobStore::open(dir.path()).writer().unwrap();
    scan_csv(bytes, "upload.csv", &mut |chunk: &[u8]| blob.write(chunk)).unwrap();
    blob.finish().unwrap().hash.0
}

fn column<'a>(scan: &'a TableScan, name: &str) -> &'a Column {
    scan.schema
        .column(name)
        .unwrap_or_else(|| panic!("no column `{name}` in {:?}", scan.schema))
}

const REAL_FILES: [&str; 5] = [
    "penguins-raw.csv",
    "penguins.csv",
    "seattle-weather.csv",
    "stocks.csv",
    "airports.csv",
];

#[test]
fn penguins_raw_has_344_rows_and_17_columns() {
    let scan = scan_file("penguins-raw.csv");
    assert_eq!(scan.row_count, 344);
    assert_eq!(scan.column_count, 17);
    assert_eq!(scan.schema.columns.len(), 17);
    assert_eq!(scan.delimiter, Delimiter::Comma);
    assert_eq!(scan.schema.columns[0].name, "studyName");
    assert_eq!(scan.schema.columns[16].name, "Comments");
}

#[test]
fn penguins_raw_infers_dates_numbers_booleans_and_text() {
    let scan = scan_file("penguins-raw.csv");
    let expect = |name: &str, column_type: ColumnType, nullable: bool| {
        let c = column(&scan, name);
        assert_eq!(
            (c.column_type, c.nullable),
            (column_type, nullable),
            "{name}"
        );
    };
    expect("Date Egg", ColumnType::Date, false);
    expect("Body Mass (g)", ColumnType::Int64, true);
    expect("Flipper Length (mm)", ColumnType::Int64, true);
    expect("Culmen Length (mm)", ColumnType::Float64, true);
    expect("Delta 15 N (o/oo)", ColumnType::Float64, true);
    expect("Sample Number", ColumnType::Int64, false);
    expect("Clutch Completion", ColumnType::Boolean, false);
    expect("Stage", ColumnType::Utf8, false);
    expect("Comments", ColumnType::Utf8, true);
}

#[test]
fn penguins_raw_identifier_columns_are_found_by_name() {
    let scan = scan_file("penguins-raw.csv");
    let identifiers: Vec<&str> = scan
        .schema
        .columns
        .iter()
        .filter(|c| c.identifier)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(identifiers, ["Sample Number", "Individual ID"]);
}

#[test]
fn penguins_clean_has_344_rows_and_8_columns() {
    let scan = scan_file("penguins.csv");
    assert_eq!((scan.row_count, scan.column_count), (344, 8));
    assert_eq!(
        column(&scan, "bill_length_mm").column_type,
        ColumnType::Float64
    );
    assert_eq!(column(&scan, "body_mass_g").column_type, ColumnType::Int64);
    assert_eq!(column(&scan, "year").column_type, ColumnType::Int64);
    assert!(!column(&scan, "year").nullable);
    assert_eq!(column(&scan, "sex").column_type, ColumnType::Utf8);
}

#[test]
fn seattle_weather_slash_dates_are_dates() {
    let scan = scan_file("seattle-weather.csv");
    assert_eq!((scan.row_count, scan.column_count), (1461, 6));
    assert_eq!(column(&scan, "date").column_type, ColumnType::Date);
    assert_eq!(
        column(&scan, "precipitation").column_type,
        ColumnType::Float64
    );
    assert_eq!(column(&scan, "weather").column_type, ColumnType::Utf8);
}

#[test]
fn stocks_month_name_dates_stay_text() {
    // `Jan 1 2000` is a locale-dependent spelling; inference only accepts ISO forms.
    let scan = scan_file("stocks.csv");
    assert_eq!((scan.row_count, scan.column_count), (560, 3));
    assert_eq!(column(&scan, "date").column_type, ColumnType::Utf8);
    assert_eq!(column(&scan, "price").column_type, ColumnType::Float64);
}

#[test]
fn airports_quoted_names_na_cells_and_unique_codes() {
    let scan = scan_file("airports.csv");
    assert_eq!((scan.row_count, scan.column_count), (3376, 7));
    let city = column(&scan, "city");
    assert_eq!((city.column_type, city.nullable), (ColumnType::Utf8, true));
    assert_eq!(column(&scan, "latitude").column_type, ColumnType::Float64);
    assert!(column(&scan, "iata").identifier, "distinct short codes");
    assert!(!column(&scan, "name").identifier, "names contain spaces");
}

#[test]
fn content_hash_is_sha256_of_the_file_and_sink_gets_exactly_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::open(dir.path());
    for file in REAL_FILES {
        let bytes = read_data(file);
        let mut received = Vec::new();
        let mut blob = blobs.writer().unwrap();
        let reader = std::fs::File::open(data_path(file)).unwrap();
        let scan = scan_csv(reader, file, &mut |chunk: &[u8]| {
            received.extend_from_slice(chunk);
            blob.write(chunk)
        })
        .unwrap();
        let staged = blob.finish().unwrap();
        let expected: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(staged.hash.0, expected, "{file}");
        assert_eq!(staged.len, bytes.len() as u64, "{file}");
        assert_eq!(scan.byte_len, bytes.len() as u64, "{file}");
        assert!(
            received == bytes,
            "{file}: the sink did not receive the file's bytes"
        );
    }
}

#[test]
fn tab_semicolon_and_bom_variants_infer_the_same_schema() {
    let comma = read_data("penguins.csv");
    let original = scan_bytes(&comma).unwrap();
    let replace = |to: u8| -> Vec<u8> {
        comma
            .iter()
            .map(|&b| if b == b',' { to } else { b })
            .collect()
    };
    let tab = scan_bytes(&replace(b'\t')).unwrap();
    let semicolon = scan_bytes(&replace(b';')).unwrap();
    let bom = scan_bytes(&[b"\xEF\xBB\xBF".as_slice(), &comma].concat()).unwrap();
    assert_eq!(tab.delimiter, Delimiter::Tab);
    assert_eq!(semicolon.delimiter, Delimiter::Semicolon);
    for variant in [&tab, &semicolon, &bom] {
        assert_eq!(variant.schema, original.schema);
        assert_eq!(variant.row_count, 344);
    }
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), &comma].concat();
    assert_ne!(
        content_hash(&with_bom),
        content_hash(&comma),
        "the BOM is hashed"
    );
}

#[test]
fn fingerprint_is_stable_across_scans_and_differs_between_shapes() {
    let raw = schema_fingerprint(&scan_file("penguins-raw.csv").schema);
    assert_eq!(
        raw,
        schema_fingerprint(&scan_file("penguins-raw.csv").schema)
    );
    assert_ne!(raw, schema_fingerprint(&scan_file("penguins.csv").schema));
}

#[test]
fn truncated_real_file_reports_the_short_row() {
    // Cut penguins.csv in the middle of its third data row (line 4).
    let bytes = read_data("penguins.csv");
    let text = String::from_utf8(bytes).unwrap();
    let line_starts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    let cut = line_starts[2] + 12;
    let error = scan_bytes(&text.as_bytes()[..cut]).unwrap_err();
    assert!(
        matches!(
            error,
            IngestError::WrongFieldCount {
                line: 4,
                expected: 8,
                ..
            }
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Streaming: a 20 MB CSV generated row by row while it is read, never held anywhere whole.

/// Rows generated on demand; the whole file never exists in memory.
struct GeneratedCsv {
    rows: u64,
    next_row: u64,
    header_sent: bool,
    pending: Vec<u8>,
    offset: usize,
}

impl GeneratedCsv {
    const HEADER: &'static str = "id,site,value,day,flag,note\n";

    fn new(rows: u64) -> Self {
        GeneratedCsv {
            rows,
            next_row: 0,
            header_sent: false,
            pending: Vec::with_capacity(256),
            offset: 0,
        }
    }

    /// Row `i`: about 170 bytes, with a quoted note containing a delimiter and a newline.
    fn row(i: u64) -> String {
        format!(
            "{i},site{},{}.{},2021-{:02}-{:02},{},\"note {i}: lorem ipsum dolor sit amet, \
             consectetur adipiscing elit\nsed do eiusmod tempor incididunt ut labore et dolore \
             magna aliqua\"\n",
            i % 50,
            i % 1000,
            i % 10,
            1 + i % 12,
            1 + i % 28,
            if i.is_multiple_of(2) { "yes" } else { "no" },
        )
    }

    /// Loads the next line into `pending`; false at the end.
    fn refill(&mut self) -> bool {
        self.pending.clear();
        self.offset = 0;
        if !self.header_sent {
            self.header_sent = true;
            self.pending.extend_from_slice(Self::HEADER.as_bytes());
        } else if self.next_row < self.rows {
            self.pending
                .extend_from_slice(Self::row(self.next_row).as_bytes());
            self.next_row += 1;
        }
        !self.pending.is_empty()
    }
}

impl Read for GeneratedCsv {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < buf.len() {
            if self.offset == self.pending.len() && !self.refill() {
                break;
            }
            let n = (buf.len() - written).min(self.pending.len() - self.offset);
            buf[written..written + n].copy_from_slice(&self.pending[self.offset..self.offset + n]);
            self.offset += n;
            written += n;
        }
        Ok(written)
    }
}

/// Counts heap bytes allocated by the current thread, so that a test running the scan on its
/// own thread measures only the scan's heap, whatever other tests do in parallel.
struct ThreadHeapCounter;

thread_local! {
    static LIVE_BYTES: Cell<isize> = const { Cell::new(0) };
    static PEAK_BYTES: Cell<isize> = const { Cell::new(0) };
}

fn record_heap_change(delta: isize) {
    // `try_with`: allocations can happen while a thread's locals are being torn down.
    let _ = LIVE_BYTES.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK_BYTES.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

/// Resets the peak to the current live size and returns that size.
fn start_heap_measurement() -> isize {
    let live = LIVE_BYTES.with(Cell::get);
    PEAK_BYTES.with(|peak| peak.set(live));
    live
}

fn peak_heap_since(start: isize) -> isize {
    PEAK_BYTES.with(Cell::get) - start
}

// SAFETY: every method forwards to the system allocator with the same arguments and only adds
// bookkeeping in const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for ThreadHeapCounter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            record_heap_change(layout.size() as isize);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            record_heap_change(layout.size() as isize);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        record_heap_change(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_pointer = System.realloc(pointer, layout, new_size);
        if !new_pointer.is_null() {
            record_heap_change(new_size as isize - layout.size() as isize);
        }
        new_pointer
    }
}

#[global_allocator]
static HEAP_COUNTER: ThreadHeapCounter = ThreadHeapCounter;

#[test]
fn lazily_generated_20_mb_csv_is_scanned_in_one_streaming_pass_with_a_small_heap() {
    const ROWS: u64 = 120_000;
    let mut sink_bytes = 0u64;
    // The sink hashes, as the blob writer does: the scan hands it every byte, in order.
    let mut sink_hash = Sha256::new();
    let heap_start = start_heap_measurement();
    let scan = scan_csv(
        GeneratedCsv::new(ROWS),
        "generated.csv",
        &mut |chunk: &[u8]| {
            sink_bytes += chunk.len() as u64;
            sink_hash.update(chunk);
            Ok(())
        },
    )
    .unwrap();
    let peak_heap = peak_heap_since(heap_start);

    assert!(
        scan.byte_len >= 20_000_000,
        "generated {} bytes",
        scan.byte_len
    );
    assert_eq!(scan.row_count, ROWS);
    assert_eq!(sink_bytes, scan.byte_len);
    let mut expected = Sha256::new();
    io::copy(&mut GeneratedCsv::new(ROWS), &mut expected).unwrap();
    assert_eq!(sink_hash.finalize(), expected.finalize());

    let types: Vec<ColumnType> = scan.schema.columns.iter().map(|c| c.column_type).collect();
    use ColumnType::*;
    assert_eq!(types, [Int64, Utf8, Float64, Date, Boolean, Utf8]);
    assert!(scan.schema.columns[0].identifier);

    // The input is over 20 MB; a scan that buffered it would exceed this many times over.
    assert!(
        peak_heap < 8 * 1024 * 1024,
        "peak heap during the scan: {peak_heap} bytes"
    );
}
