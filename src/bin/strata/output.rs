//! A small printer for standard output: human text or JSON Lines, colour only on a terminal
//! without `NO_COLOR`, and a closed pipe turned into a quiet exit. Also the progress bars,
//! which go to standard error and only appear on a terminal.

use crate::error::{CliError, CliResult};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::fmt::Display;
use std::io::{self, IsTerminal, StdoutLock, Write};
use std::time::Duration;

/// A text style, written as plain ANSI escape codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bold.
    Bold,
    /// Dimmed: secondary information.
    Dim,
    /// Green: success.
    Green,
    /// Yellow: warnings.
    Yellow,
    /// Red: refusals and problems.
    Red,
    /// Cyan: names and hashes.
    Cyan,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Green => "32",
            Style::Yellow => "33",
            Style::Red => "31",
            Style::Cyan => "36",
        }
    }
}

/// Whether the `NO_COLOR` convention asks for no colour (set and not empty).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Wraps `text` in the style's escape codes when `enabled`.
pub fn paint(enabled: bool, style: Style, text: impl Display) -> String {
    if enabled {
        format!("\x1b[{}m{text}\x1b[0m", style.code())
    } else {
        text.to_string()
    }
}

/// Everything a command prints on standard output goes through here.
pub struct Printer {
    out: StdoutLock<'static>,
    json: bool,
    color: bool,
    terminal: bool,
}

impl Printer {
    /// A printer for JSON Lines (`json`) or human text, coloured when standard output is a
    /// terminal and `NO_COLOR` is not set.
    pub fn new(json: bool) -> Printer {
        let terminal = io::stdout().is_terminal();
        let color = !json && terminal && !no_color();
        Printer {
            out: io::stdout().lock(),
            json,
            color,
            terminal,
        }
    }

    /// Whether standard output is a terminal (a person reads it: relative times are fine).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Whether the user asked for JSON Lines.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// `text` in `style` if colour is on.
    pub fn paint(&self, style: Style, text: impl Display) -> String {
        paint(self.color, style, text)
    }

    /// One line of human text (ignored in JSON mode). Every control character in it is
    /// written as a visible escape (see [`one_line`]): a line is one line, whatever names or
    /// notes it holds.
    pub fn line(&mut self, text: impl Display) -> CliResult {
        if self.json {
            return Ok(());
        }
        writeln!(self.out, "{}", one_line(&text.to_string())).map_err(stdout_error)
    }

    /// Several lines the front end composed (each is escaped as by [`Printer::line`]).
    pub fn lines(&mut self, text: &str) -> CliResult {
        text.split('\n').try_for_each(|line| self.line(line))
    }

    /// Text as it is, in human mode (a proof file or a note on standard output; ignored in
    /// JSON mode, whose shapes carry the text).
    pub fn raw(&mut self, text: &str) -> CliResult {
        if self.json {
            return Ok(());
        }
        self.out.write_all(text.as_bytes()).map_err(stdout_error)?;
        self.out.flush().map_err(stdout_error)
    }

    /// An aligned table (ignored in JSON mode): the first row is the header, in bold; each
    /// other row in the style `style` gives it, if any.
    pub fn table(
        &mut self,
        rows: &[Vec<String>],
        style: impl Fn(&[String]) -> Option<Style>,
    ) -> CliResult {
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|row| row.iter().map(|cell| one_line(cell)).collect())
            .collect();
        for (i, row) in crate::display::align(&rows).into_iter().enumerate() {
            let line = row.join("  ").trim_end().to_string();
            let style = if i == 0 {
                Some(Style::Bold)
            } else {
                style(&row)
            };
            let line = match style {
                Some(style) => self.paint(style, line),
                None => line,
            };
            self.line(line)?;
        }
        Ok(())
    }

    /// One JSON object on its own line (ignored in human mode): one of the library's
    /// `strata::report` shapes.
    pub fn json(&mut self, value: &impl Serialize) -> CliResult {
        if !self.json {
            return Ok(());
        }
        let line = serde_json::to_string(value)
            .map_err(|e| CliError::io(format!("internal error: cannot write JSON: {e}")))?;
        writeln!(self.out, "{line}").map_err(stdout_error)?;
        self.out.flush().map_err(stdout_error)
    }

    /// Every line of `values` as JSON (ignored in human mode).
    pub fn json_lines<T: Serialize>(&mut self, values: &[T]) -> CliResult {
        values.iter().try_for_each(|value| self.json(value))
    }

    /// Raw bytes (table contents).
    pub fn bytes(&mut self, bytes: &[u8]) -> CliResult {
        self.out.write_all(bytes).map_err(stdout_error)
    }

    /// Flushes standard output.
    pub fn flush(&mut self) -> CliResult {
        self.out.flush().map_err(stdout_error)
    }
}

/// The escape sequences [`paint`] writes, the only ones a printed line keeps.
const OWN_STYLE_CODES: [&str; 7] = [
    "\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m",
];

/// `text` as one printable line: every control character (newline, carriage return, ANSI
/// escapes, the invisible format characters that reorder text) written as a visible escape by
/// [`strata::human::escape_controls`], except the colour codes this printer writes itself
/// (a name holding one of those could at worst colour the rest of its line, never move the
/// cursor, erase or add a line).
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('\x1b') {
        out.push_str(&strata::human::escape_controls(&rest[..at]));
        rest = &rest[at..];
        match OWN_STYLE_CODES.iter().find(|code| rest.starts_with(*code)) {
            Some(code) => {
                out.push_str(code);
                rest = &rest[code.len()..];
            }
            None => {
                out.push_str("\\u{1b}");
                rest = &rest[1..];
            }
        }
    }
    out.push_str(&strata::human::escape_controls(rest));
    out
}

/// Maps a failed write to standard output: a closed pipe ends the command quietly.
pub fn stdout_error(error: io::Error) -> CliError {
    if error.kind() == io::ErrorKind::BrokenPipe {
        CliError::BrokenPipe
    } else {
        CliError::io(format!("cannot write to standard output: {error}"))
    }
}

/// Prints `error: message` on standard error (red on a terminal without `NO_COLOR`).
pub fn print_error(message: &str) {
    let color = io::stderr().is_terminal() && !no_color();
    let _ = writeln!(
        io::stderr().lock(),
        "{} {}",
        paint(color, Style::Red, "error:"),
        strata::human::escape_controls(message)
    );
}

/// Prints a failure under `--json`: one [`strata::report::ErrorLine`] on standard error.
pub fn print_error_json(line: &strata::report::ErrorLine) {
    let text = serde_json::to_string(line).unwrap_or_else(|_| {
        r#"{"error":{"kind":"internal","message":"cannot write the error as JSON"}}"#.to_owned()
    });
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Whether progress bars may be drawn: standard error is a terminal.
pub fn progress_enabled() -> bool {
    io::stderr().is_terminal()
}

/// A spinner with a message on standard error, or a hidden one off a terminal.
pub fn spinner(message: impl Into<String>) -> ProgressBar {
    if !progress_enabled() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_message(message.into());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A progress bar over `len` bytes, or a hidden one off a terminal.
pub fn byte_bar(len: u64, message: impl Into<String>) -> ProgressBar {
    if !progress_enabled() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template(
        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    ProgressBar::new(len)
        .with_style(style)
        .with_message(message.into())
}

/// A progress bar over `len` items, or a hidden one off a terminal.
pub fn count_bar(len: u64, message: impl Into<String>) -> ProgressBar {
    if !progress_enabled() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::new(len)
        .with_style(style)
        .with_message(message.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_user_controls_and_keeps_its_own_colours() {
        let painted = paint(true, Style::Red, "refused");
        assert_eq!(one_line(&painted), painted);
        let forged = "ana\n#9  rollback  penguins  root\x1b[2K\x1b[1A";
        assert_eq!(
            one_line(forged),
            "ana\\n#9  rollback  penguins  root\\u{1b}[2K\\u{1b}[1A"
        );
    }
}
