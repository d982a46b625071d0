//! A large, realistic CSV for upload benchmarks: clinical visits with a unique id per row and
//! varied values of every type strata infers (integers, decimals, dates, timestamps,
//! booleans, text, quoted text with commas) and nulls (`NA`, empty fields), drawn from a
//! seeded generator so that runs are comparable. Repeating a small sample instead would let
//! distinct-value tracking see a few hundred values and give up nothing, which is not what a
//! real export does.
//!
//! [`VisitsCsv::mark`] rewrites a fixed-width field of the first data row in place, so that
//! every upload of the file has new content (and a new SHA-256), and does all the work an
//! upload of new data does, publishing its blob included.
#![allow(dead_code)]

use std::io::Write as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

/// The columns, in order.
pub const HEADER: &str = "record_id,subject_id,site,visit_date,sampled_at,age,sex,weight_kg,\
                          systolic_bp,responder,outcome_score,comment";

/// The marker in the first row's `comment`: `run ` and ten digits.
const MARKER_PREFIX: &str = "run ";
const MARKER_DIGITS: usize = 10;

const SITES: [&str; 12] = [
    "Lyon Sud",
    "Hôpital Saint-Louis",
    "Karolinska",
    "Charité Mitte",
    "Leiden UMC",
    "Vall d'Hebron",
    "Rigshospitalet",
    "UZ Leuven",
    "Sahlgrenska",
    "AMC Amsterdam",
    "Gemelli",
    "Hospital Clínic",
];

const COMMENTS: [&str; 8] = [
    "",
    "",
    "",
    "fasting sample",
    "\"repeat visit, patient unwell\"",
    "NA",
    "dose reduced per protocol",
    "\"late arrival, sample at 11:40\"",
];

/// A generated CSV file.
pub struct VisitsCsv {
    /// Where it is.
    pub path: PathBuf,
    /// Its length in bytes.
    pub len: u64,
    /// Data rows (the header excluded).
    pub rows: u64,
    /// Byte offset of the marker's digits.
    marker_at: u64,
}

/// SplitMix64: a small, fast, seeded generator (quality is ample for test data).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Ten years of dates from 2015-01-01, as text.
fn dates() -> Vec<String> {
    let first = chrono::NaiveDate::from_ymd_opt(2015, 1, 1).expect("a valid date");
    (0..3653)
        .map(|d| {
            (first + chrono::Days::new(d))
                .format("%Y-%m-%d")
                .to_string()
        })
        .collect()
}

impl VisitsCsv {
    /// Writes about `bytes` bytes of visits (whole rows) to `path`.
    pub fn write(path: &Path, bytes: u64) -> VisitsCsv {
        let file = std::fs::File::create(path).expect("create CSV");
        let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
        let dates = dates();
        let mut rng = Rng(0x5EED_2024);
        writeln!(out, "{HEADER}").expect("write CSV");
        let mut len = HEADER.len() as u64 + 1;
        let mut marker_at = 0;
        let mut row = Vec::with_capacity(256);
        let mut rows = 0u64;
        while len < bytes {
            rows += 1;
            row.clear();
            let marker = write_row(&mut row, rows, &mut rng, &dates);
            if rows == 1 {
                marker_at = len + marker.expect("the first row has the marker") as u64;
            }
            out.write_all(&row).expect("write CSV");
            len += row.len() as u64;
        }
        out.flush().expect("write CSV");
        out.get_ref().sync_all().expect("fsync CSV");
        VisitsCsv {
            path: path.to_path_buf(),
            len,
            rows,
            marker_at,
        }
    }

    /// Writes `run` into the first row's marker: the file's content is then unlike that of
    /// any other run (same length, same schema).
    pub fn mark(&self, run: u64) {
        let digits = format!("{run:0MARKER_DIGITS$}");
        assert_eq!(digits.len(), MARKER_DIGITS, "run {run} fits the marker");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .expect("open CSV");
        file.write_all_at(digits.as_bytes(), self.marker_at)
            .expect("mark CSV");
    }
}

/// Appends data row number `id` (from 1) to `row`; for the first row, returns the offset in
/// the row of the marker's digits.
fn write_row(row: &mut Vec<u8>, id: u64, rng: &mut Rng, dates: &[String]) -> Option<usize> {
    // About four visits per subject, subjects numbered in order of their first visit.
    let subject = id / 4 + rng.below(3);
    let site = SITES[(subject % SITES.len() as u64) as usize];
    let date = &dates[rng.below(dates.len() as u64) as usize];
    let (hour, minute, second) = (7 + rng.below(11), rng.below(60), rng.below(60));
    write!(
        row,
        "{id},SUBJ-{subject:07},{site},{date},{date}T{hour:02}:{minute:02}:{second:02},{},",
        18 + rng.below(73)
    )
    .expect("write to a Vec");
    let sex = match rng.below(50) {
        0 => "",
        n if n % 2 == 0 => "F",
        _ => "M",
    };
    row.extend_from_slice(sex.as_bytes());
    row.push(b',');
    if rng.percent(5) {
        row.extend_from_slice(b"NA");
    } else {
        let decigrams = 4_000 + rng.below(9_000);
        write!(row, "{}.{}", decigrams / 100, decigrams / 10 % 10).expect("write to a Vec");
    }
    row.push(b',');
    if !rng.percent(3) {
        write!(row, "{}", 95 + rng.below(90)).expect("write to a Vec");
    }
    let responder = if rng.percent(40) { "true" } else { "false" };
    let score = rng.below(20_001) as i64 - 5_000;
    write!(
        row,
        ",{responder},{}{}.{:03},",
        if score < 0 { "-" } else { "" },
        score.abs() / 1000,
        score.abs() % 1000
    )
    .expect("write to a Vec");
    let marker = if id == 1 {
        row.extend_from_slice(MARKER_PREFIX.as_bytes());
        let at = row.len();
        row.extend_from_slice(&[b'0'; MARKER_DIGITS]);
        Some(at)
    } else {
        row.extend_from_slice(COMMENTS[rng.below(COMMENTS.len() as u64) as usize].as_bytes());
        None
    };
    row.push(b'\n');
    marker
}
