//! The strictness the CSV parser does not have: a reader between the raw stream and the parser
//! that follows RFC 4180's quoting byte by byte and stops what the parser would silently
//! accept and misread.
//!
//! The parser (csv-core) is lenient: a quote left open swallows the rest of the file into one
//! field, text after a closing quote (`"ab"cd`) is glued onto the field, and NUL bytes are
//! ordinary bytes (so a binary or UTF-16 file reads as columns named `\0a\0`). This reader
//! sees exactly the bytes the parser sees, in the same quoting states, and:
//! * fails the stream at its end if a quoted field is still open, naming where the quote
//!   opened ([`StrictFailure::UnterminatedQuote`]);
//! * fails the stream at the byte after a closing quote that is neither a delimiter, a line
//!   end nor another quote ([`StrictFailure::TextAfterQuote`]);
//! * notes the first NUL byte, which the scan reports once the record holding it is parsed
//!   (so that a file that is not UTF-8 at all is still reported as such first).
//!
//! A quote inside an unquoted field (`5'10"`) is kept as a literal character, as the parser
//! does: it cannot be misread.

use std::io::{self, Read};

/// Where in the file: a 1-based physical line and a 0-based byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Place {
    pub(super) line: u64,
    pub(super) byte: u64,
}

/// What the strict reader stopped the stream for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StrictFailure {
    /// The file ended inside a quoted field opened here.
    UnterminatedQuote(Place),
    /// A byte other than a delimiter, a line end or a quote followed a closing quote, here.
    TextAfterQuote(Place),
}

/// The quoting state, as csv-core's with double-quote escaping and no escape character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (after a delimiter or a line end, or at the start).
    FieldStart,
    /// Inside a field that did not start with a quote.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: a second quote escapes it, anything else
    /// closes the field.
    QuoteInQuoted,
}

/// A reader that checks the quoting of the bytes it passes on (see the module docs).
pub(super) struct StrictReader<R> {
    inner: R,
    delimiter: u8,
    state: State,
    /// Offset of the next byte in the file (the parser's stream starts after a BOM).
    offset: u64,
    line: u64,
    /// Where the open quoted field's quote is.
    quote_opened: Place,
    failure: Option<StrictFailure>,
    first_nul: Option<Place>,
}

impl<R: Read> StrictReader<R> {
    /// A reader over `inner`, whose first byte is at `offset` in the file.
    pub(super) fn new(inner: R, delimiter: u8, offset: u64) -> Self {
        StrictReader {
            inner,
            delimiter,
            state: State::FieldStart,
            offset,
            line: 1,
            quote_opened: Place { line: 1, byte: 0 },
            failure: None,
            first_nul: None,
        }
    }

    pub(super) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub(super) fn into_inner(self) -> R {
        self.inner
    }

    /// Why the stream was stopped, if this reader stopped it.
    pub(super) fn failure(&self) -> Option<StrictFailure> {
        self.failure
    }

    /// The first NUL byte passed on so far.
    pub(super) fn first_nul(&self) -> Option<Place> {
        self.first_nul
    }

    /// Follows the quoting over `bytes`; the place of the first byte that breaks it.
    ///
    /// Only a quote or a NUL needs a look of its own: this pass sees every byte of every
    /// upload, so the runs between them (found with `memchr`, most files have none) are taken
    /// whole by [`Self::pass`].
    fn follow(&mut self, bytes: &[u8]) -> Option<StrictFailure> {
        let mut rest = bytes;
        while !rest.is_empty() {
            let run = match self.state {
                State::QuoteInQuoted => 0,
                _ => memchr::memchr2(b'"', 0, rest).unwrap_or(rest.len()),
            };
            self.pass(&rest[..run]);
            let Some((&byte, after)) = rest[run..].split_first() else {
                break;
            };
            if let Some(failure) = self.step(byte) {
                return Some(failure);
            }
            rest = after;
        }
        None
    }

    /// Follows the quoting over `run`, which holds no quote and no NUL, in a state other than
    /// just after a quote. Inside a quoted field such bytes keep it quoted. Outside one, each
    /// byte leaves the state at a field's start if it ends a field (the delimiter or a line
    /// end) and inside an unquoted field otherwise, so the run's last byte decides.
    fn pass(&mut self, run: &[u8]) {
        let Some(&last) = run.last() else {
            return;
        };
        self.line += memchr::memchr_iter(b'\n', run).count() as u64;
        self.offset += run.len() as u64;
        if self.state != State::Quoted {
            let ends_field = last == self.delimiter || last == b'\n' || last == b'\r';
            self.state = if ends_field {
                State::FieldStart
            } else {
                State::Unquoted
            };
        }
    }

    /// Follows the quoting over one byte.
    fn step(&mut self, byte: u8) -> Option<StrictFailure> {
        let here = Place {
            line: self.line,
            byte: self.offset,
        };
        if byte == 0 && self.first_nul.is_none() {
            self.first_nul = Some(here);
        }
        self.state = match (self.state, byte) {
            (State::FieldStart, b'"') => {
                self.quote_opened = here;
                State::Quoted
            }
            (State::FieldStart | State::Unquoted, b'\n' | b'\r') => State::FieldStart,
            (State::FieldStart | State::Unquoted, b) if b == self.delimiter => State::FieldStart,
            (State::FieldStart | State::Unquoted, _) => State::Unquoted,
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::QuoteInQuoted, b'\n' | b'\r') => State::FieldStart,
            (State::QuoteInQuoted, b) if b == self.delimiter => State::FieldStart,
            (State::QuoteInQuoted, _) => return Some(StrictFailure::TextAfterQuote(here)),
        };
        if byte == b'\n' {
            self.line += 1;
        }
        self.offset += 1;
        None
    }

    fn fail(&mut self, failure: StrictFailure) -> io::Error {
        self.failure = Some(failure);
        io::Error::new(io::ErrorKind::InvalidData, "malformed CSV quoting")
    }
}

impl<R: Read> Read for StrictReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(failure) = self.failure {
            return Err(self.fail(failure));
        }
        let n = self.inner.read(buf)?;
        if n == 0 && self.state == State::Quoted {
            return Err(self.fail(StrictFailure::UnterminatedQuote(self.quote_opened)));
        }
        if let Some(failure) = self.follow(&buf[..n]) {
            return Err(self.fail(failure));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> (io::Result<Vec<u8>>, StrictReader<&[u8]>) {
        let mut reader = StrictReader::new(bytes, b',', 0);
        let mut out = Vec::new();
        let result = reader.read_to_end(&mut out).map(|_| out);
        (result, reader)
    }

    #[test]
    fn well_quoted_input_passes_unchanged() {
        let input = b"a,\"b,\"\"c\"\"\nd\"\n1,\"\"\n5'10\",x\n";
        let (result, reader) = read_all(input);
        assert_eq!(result.unwrap(), input);
        assert_eq!(reader.failure(), None);
    }

    #[test]
    fn an_open_quote_at_the_end_names_where_it_opened() {
        let (result, reader) = read_all(b"a,b\n1,\"never\nclosed\n");
        assert!(result.is_err());
        assert_eq!(
            reader.failure(),
            Some(StrictFailure::UnterminatedQuote(Place { line: 2, byte: 6 }))
        );
    }

    #[test]
    fn text_after_a_closing_quote_names_its_byte() {
        let (result, reader) = read_all(b"a,b\n\"x\"y,2\n");
        assert!(result.is_err());
        assert_eq!(
            reader.failure(),
            Some(StrictFailure::TextAfterQuote(Place { line: 2, byte: 7 }))
        );
    }

    /// The rules of the module docs, one byte at a time with no skipping: the statement the
    /// skipping reader must agree with.
    fn reference(bytes: &[u8], delimiter: u8) -> (Option<StrictFailure>, Option<Place>) {
        let (mut state, mut line, mut quote_opened, mut first_nul) =
            (State::FieldStart, 1, Place { line: 1, byte: 0 }, None);
        for (offset, &byte) in (0u64..).zip(bytes) {
            let here = Place { line, byte: offset };
            if byte == 0 {
                first_nul = first_nul.or(Some(here));
            }
            let ends_field = byte == delimiter || byte == b'\n' || byte == b'\r';
            state = match state {
                State::FieldStart if byte == b'"' => {
                    quote_opened = here;
                    State::Quoted
                }
                State::FieldStart | State::Unquoted if ends_field => State::FieldStart,
                State::FieldStart | State::Unquoted => State::Unquoted,
                State::Quoted if byte == b'"' => State::QuoteInQuoted,
                State::Quoted => State::Quoted,
                State::QuoteInQuoted if byte == b'"' => State::Quoted,
                State::QuoteInQuoted if ends_field => State::FieldStart,
                State::QuoteInQuoted => {
                    return (Some(StrictFailure::TextAfterQuote(here)), first_nul)
                }
            };
            line += u64::from(byte == b'\n');
        }
        let open =
            (state == State::Quoted).then_some(StrictFailure::UnterminatedQuote(quote_opened));
        (open, first_nul)
    }

    /// Reads `bytes` through the strict reader in reads of at most `chunk` bytes.
    fn read_in_chunks(
        bytes: &[u8],
        delimiter: u8,
        chunk: usize,
    ) -> StrictReader<ChunkedReader<'_>> {
        let mut reader = StrictReader::new(ChunkedReader { bytes, chunk }, delimiter, 0);
        let mut out = Vec::new();
        let result = reader.read_to_end(&mut out);
        assert_eq!(result.is_err(), reader.failure().is_some());
        if result.is_ok() {
            assert_eq!(out, bytes, "the reader passes every byte on unchanged");
        }
        reader
    }

    struct ChunkedReader<'a> {
        bytes: &'a [u8],
        chunk: usize,
    }

    impl Read for ChunkedReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn skipping_runs_of_field_text_finds_what_the_byte_by_byte_rules_find(
            bytes in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'7', b',', b';', b'"', b'\n', b'\r', 0u8, b' ']),
                0..80,
            ),
            semicolon in proptest::bool::ANY,
            chunk in 1usize..20,
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            let reader = read_in_chunks(&bytes, delimiter, chunk);
            let (failure, first_nul) = reference(&bytes, delimiter);
            proptest::prop_assert_eq!(reader.failure(), failure);
            if failure.is_none() {
                proptest::prop_assert_eq!(reader.first_nul(), first_nul);
            }
        }
    }

    #[test]
    fn the_first_nul_byte_is_noted_with_its_place() {
        let (result, reader) = read_all(b"a\n\0b\0\n");
        assert!(result.is_ok());
        assert_eq!(reader.first_nul(), Some(Place { line: 2, byte: 2 }));
    }
}
