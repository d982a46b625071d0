//! The rules for the names people give: dataset names, table names and actors.
//!
//! A name is what audit trails and listings show and what later commands look up, so it must
//! read as one unambiguous line: no control characters (a newline or an ANSI escape in a
//! name could forge lines of `strata log`), no invisible direction or zero-width format
//! characters, no leading or trailing whitespace, at most [`MAX_NAME_CHARS`] characters, and
//! compared in Unicode NFC (so `café` typed with a combining accent and `café` with the
//! precomposed letter are one name). Names already in a log from before these rules are
//! still found and shown (escaped); the rules apply to what is given from now on.

use crate::error::{Error, Result};
use std::borrow::Cow;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// The longest name, in characters (after NFC normalisation).
pub const MAX_NAME_CHARS: usize = 200;

/// What a name names, for its error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A dataset's name.
    Dataset,
    /// A table's name.
    Table,
    /// Who did something (an upload's or a rollback's actor).
    Actor,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            NameKind::Dataset => "dataset name",
            NameKind::Table => "table name",
            NameKind::Actor => "actor",
        }
    }
}

/// `name` in Unicode NFC (borrowed when it already is).
pub fn nfc(name: &str) -> Cow<'_, str> {
    match is_nfc_quick(name.chars()) {
        IsNormalized::Yes => Cow::Borrowed(name),
        _ => Cow::Owned(name.nfc().collect()),
    }
}

/// Whether `c` is invisible or moves the text around it: the control characters (C0, DEL,
/// C1) and the format characters that reorder or hide text (bidirectional marks, embeddings,
/// overrides and isolates, zero-width spaces and joiners, the byte order mark).
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}')
}

/// Checks a name given for a new dataset, table or an actor against the rules (see the
/// module docs), and returns it in NFC.
pub fn check_name(kind: NameKind, name: &str) -> Result<String> {
    let noun = kind.noun();
    let invalid = |why: String| Err(Error::InvalidRequest(why));
    if name.is_empty() {
        return invalid(format!("the {noun} is empty"));
    }
    let shown = crate::human::escape_controls(name);
    if let Some(c) = name.chars().find(|&c| is_hidden_control(c)) {
        return invalid(format!(
            "the {noun} `{shown}` holds the control character {}; names must be printable text",
            crate::human::escape_controls(&c.to_string())
        ));
    }
    if name.trim() != name {
        return invalid(format!(
            "the {noun} `{shown}` starts or ends with whitespace; remove it"
        ));
    }
    let normal = nfc(name).into_owned();
    let chars = normal.chars().count();
    if chars > MAX_NAME_CHARS {
        return invalid(format!(
            "the {noun} is {chars} characters long; the longest allowed is {MAX_NAME_CHARS}"
        ));
    }
    Ok(normal)
}

/// The operating-system account this process runs as: its user id and, where the system's
/// user database names it, its login name. Taken from the process (`getuid`, `getpwuid_r`),
/// never from environment variables anyone can set.
///
/// On disk (FORMAT.md, "Dataset events", `OsAccount`, in events of encoding version 2): its
/// fields are encoded in declaration order, so reordering, inserting or removing one is a
/// format break.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OsAccount {
    /// The real user id.
    pub uid: u32,
    /// The login name, if the user database has one for `uid`.
    pub name: Option<String>,
}

impl OsAccount {
    /// The account of this process, read once (it cannot change while the process runs:
    /// strata never calls `setuid`) and then shared by every event the process records.
    pub fn current() -> OsAccount {
        static CURRENT: std::sync::OnceLock<OsAccount> = std::sync::OnceLock::new();
        CURRENT.get_or_init(OsAccount::read).clone()
    }

    /// Reads the account of this process from the system.
    fn read() -> OsAccount {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        OsAccount {
            uid,
            name: login_name(uid),
        }
    }

    /// How the account is recorded as an actor: the login name, else `uid N`.
    pub fn actor(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("uid {}", self.uid))
    }
}

/// The actor of a command given none: the OS user (`USER`, then `LOGNAME`, if set and not
/// blank), else this process's own account ([`OsAccount::actor`]): never an empty or made-up
/// actor. Whatever it is, every event also records [`OsAccount::current`] beside it.
pub fn default_actor() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|u| !u.trim().is_empty())
        .unwrap_or_else(|| OsAccount::current().actor())
}

/// The login name of `uid` from the user database, if it has one that is a valid name.
fn login_name(uid: u32) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: a zeroed passwd is a valid out-parameter; `getpwuid_r` writes only into it and
    // into `buf` (of the length given), and `result` points at `pwd` or is null.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let status = unsafe {
        libc::getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        )
    };
    if status != 0 || result.is_null() || pwd.pw_name.is_null() {
        return None;
    }
    // SAFETY: on success `pw_name` points at a NUL-terminated string inside `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
    let name = name.to_str().ok()?.to_owned();
    check_name(NameKind::Actor, &name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_escaped_in_the_message() {
        for bad in [
            "a\nb",
            "x\u{1b}[2Ky",
            "tab\there",
            "del\u{7f}",
            "rtl\u{202E}x",
        ] {
            let error = check_name(NameKind::Dataset, bad).unwrap_err().to_string();
            assert!(error.contains("control character"), "{error}");
            assert!(!error.contains(bad), "printed raw: {error:?}");
        }
    }

    #[test]
    fn surrounding_whitespace_empty_and_overlong_names_are_refused() {
        assert!(check_name(NameKind::Actor, " ana").is_err());
        assert!(check_name(NameKind::Actor, "ana ").is_err());
        assert!(check_name(NameKind::Actor, "").is_err());
        assert!(check_name(NameKind::Table, &"x".repeat(MAX_NAME_CHARS)).is_ok());
        let long = check_name(NameKind::Table, &"x".repeat(MAX_NAME_CHARS + 1));
        assert!(long.unwrap_err().to_string().contains("201 characters"));
        assert_eq!(
            check_name(NameKind::Dataset, "trial 42").unwrap(),
            "trial 42"
        );
    }

    #[test]
    fn the_os_account_is_the_process_uid_and_never_empty() {
        let account = OsAccount::current();
        // SAFETY: getuid has no preconditions.
        assert_eq!(account.uid, unsafe { libc::getuid() });
        let actor = account.actor();
        assert!(!actor.is_empty());
        assert!(check_name(NameKind::Actor, &actor).is_ok(), "{actor}");
    }

    #[test]
    fn names_are_normalised_to_nfc() {
        let decomposed = "cafe\u{301}";
        assert_eq!(
            check_name(NameKind::Dataset, decomposed).unwrap(),
            "caf\u{e9}"
        );
        assert_eq!(nfc("caf\u{e9}"), Cow::Borrowed("caf\u{e9}"));
    }
}
