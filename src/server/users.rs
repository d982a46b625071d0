//! The users file: who may use the server, with which role, by salted password hash
//! (argon2id, in the PHC string format) and by API token (stored as its SHA-256 only).
//!
//! The file is JSON and must not be readable or writable by group or others: a file with such
//! permissions is refused, and [`UsersFile::save`] writes it with mode 0600 (to a temporary
//! file beside it, fsynced, then renamed into place).

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a user may do. Each role may do everything the roles before it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read everything, including verify and table exports (an auditor).
    Reader,
    /// Also upload and roll back.
    Writer,
    /// Also take snapshots (and, later, manage users through the API).
    Admin,
}

impl Role {
    /// `reader`, `writer` or `admin`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        match s {
            "reader" => Ok(Role::Reader),
            "writer" => Ok(Role::Writer),
            "admin" => Ok(Role::Admin),
            other => Err(format!(
                "`{other}` is not a role: use reader, writer or admin"
            )),
        }
    }
}

/// A problem with the users file or a change to it.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The file cannot be read or written.
    #[error("cannot {op} the users file {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file's permissions let group or others read or write it.
    #[error("the users file {} has mode {mode:03o}: group and others must have no access to it (password hashes and token hashes are in it); run `chmod 600 {}`", path.display(), path.display())]
    Permissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The file is not a users file.
    #[error("the users file {} is malformed: {detail}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A change that cannot be made (an existing user, an unknown one, a bad name or password).
    #[error("{0}")]
    Refused(String),
}

/// An API token's record: its id (shown) and the SHA-256 of the whole token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// The token's id: the part between `st_` and the second `_`.
    pub id: String,
    /// SHA-256 of the whole token, in hex.
    pub sha256: String,
    /// When it was made (RFC 3339).
    pub created: String,
}

/// A user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The name recorded as the actor of every event the user causes.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// The argon2id hash of the password, in the PHC string format (salt included).
    pub password_hash: String,
    /// The user's API tokens.
    #[serde(default)]
    pub tokens: Vec<TokenRecord>,
}

/// The users file's contents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersFile {
    /// The users, in the order they were added.
    pub users: Vec<User>,
}

/// Where group or others have any access.
const GROUP_OTHER_BITS: u32 = 0o077;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

impl UsersFile {
    /// Reads the users file at `path`, refusing one that group or others may access.
    #[allow(
        clippy::disallowed_methods,
        reason = "the users file is the server's configuration, not a store file"
    )]
    pub fn load(path: &Path) -> Result<UsersFile, UsersError> {
        use std::os::unix::fs::PermissionsExt;
        let io = |op, source| UsersError::Io {
            op,
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(|e| io("read", e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & GROUP_OTHER_BITS != 0 {
            return Err(UsersError::Permissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| io("read", e))?;
        serde_json::from_str(&text).map_err(|e| UsersError::Malformed {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })
    }

    /// Reads the users file at `path`, or an empty one if there is no file there yet.
    pub fn load_or_new(path: &Path) -> Result<UsersFile, UsersError> {
        match UsersFile::load(path) {
            Err(UsersError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Ok(UsersFile::default())
            }
            other => other,
        }
    }

    /// Writes the file with mode 0600: to a temporary file beside it, fsynced, renamed.
    #[allow(
        clippy::disallowed_methods,
        clippy::disallowed_types,
        reason = "the users file is the server's configuration, not a store file"
    )]
    pub fn save(&self, path: &Path) -> Result<(), UsersError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let io = |op, source| UsersError::Io {
            op,
            path: path.to_path_buf(),
            source,
        };
        let mut text = serde_json::to_string_pretty(self).expect("serializable");
        text.push('\n');
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| io("create", e))?;
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("write", e));
        }
        Ok(())
    }

    /// The user named `name`.
    pub fn get(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Adds a user with a new salted hash of `password`.
    pub fn add(&mut self, name: &str, role: Role, password: &str) -> Result<(), UsersError> {
        check_name(name)?;
        if self.get(name).is_some() {
            return Err(UsersError::Refused(format!(
                "user `{name}` already exists; `strata user passwd {name}` sets a new password"
            )));
        }
        self.users.push(User {
            name: name.to_owned(),
            role,
            password_hash: hash_password(password)?,
            tokens: Vec::new(),
        });
        Ok(())
    }

    /// Sets a new password for `name`.
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), UsersError> {
        let hash = hash_password(password)?;
        self.user_mut(name)?.password_hash = hash;
        Ok(())
    }

    /// Removes `name` (and so its tokens).
    pub fn remove(&mut self, name: &str) -> Result<(), UsersError> {
        self.user_mut(name)?;
        self.users.retain(|u| u.name != name);
        Ok(())
    }

    /// Makes a new API token for `name` and returns it: only its hash is kept, so this is
    /// the one time it can be shown.
    pub fn new_token(&mut self, name: &str) -> Result<String, UsersError> {
        let id = hex(&random_bytes::<4>());
        let token = format!("st_{id}_{}", hex(&random_bytes::<32>()));
        self.user_mut(name)?.tokens.push(TokenRecord {
            id,
            sha256: sha256_hex(token.as_bytes()),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        Ok(token)
    }

    fn user_mut(&mut self, name: &str) -> Result<&mut User, UsersError> {
        self.users
            .iter_mut()
            .find(|u| u.name == name)
            .ok_or_else(|| UsersError::Refused(format!("there is no user `{name}`")))
    }

    /// The user whose password is `password`, if `name` is one and the password matches.
    /// An unknown name costs the same hashing work as a wrong password.
    pub fn check_password(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.get(name);
        let hash: &str = match user {
            Some(u) => &u.password_hash,
            None => dummy_hash(),
        };
        let ok = PasswordHash::new(hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        user.filter(|_| ok)
    }

    /// The user holding API token `token`.
    pub fn check_token(&self, token: &str) -> Option<&User> {
        let id = token.strip_prefix("st_")?.split('_').next()?;
        let digest = sha256_hex(token.as_bytes());
        self.users.iter().find(|u| {
            u.tokens
                .iter()
                .any(|t| t.id == id && constant_time_eq(t.sha256.as_bytes(), digest.as_bytes()))
        })
    }
}

/// A hash of a random password nobody has, verified for unknown names so that they take as
/// long as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&hex(&random_bytes::<16>())).unwrap_or_default())
}

fn check_name(name: &str) -> Result<(), UsersError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(UsersError::Refused(format!(
            "`{name}` is not a user name: use 1 to 64 letters, digits, `.`, `_`, `@` or `-`"
        )))
    }
}

fn hash_password(password: &str) -> Result<String, UsersError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(UsersError::Refused(format!(
            "the password is too short: use at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| UsersError::Refused(format!("cannot make a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Refused(format!("cannot hash the password: {e}")))
}

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).expect("the operating system's random source");
    bytes
}

/// Lowercase hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::digest::Digest::of(bytes).hex()
}

/// Compares without stopping at the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_checks_only_against_its_own_salted_hash() {
        let mut users = UsersFile::default();
        users.add("ana", Role::Writer, "correct horse").unwrap();
        users.add("bo", Role::Reader, "correct horse").unwrap();
        let (ana, bo) = (&users.users[0], &users.users[1]);
        assert_ne!(ana.password_hash, bo.password_hash, "salts differ");
        assert!(ana.password_hash.starts_with("$argon2id$"));
        assert_eq!(
            users.check_password("ana", "correct horse").unwrap().name,
            "ana"
        );
        assert!(users.check_password("ana", "wrong horse").is_none());
        assert!(users.check_password("cy", "correct horse").is_none());
    }

    #[test]
    fn a_token_is_kept_as_its_hash_and_checks_only_whole() {
        let mut users = UsersFile::default();
        users.add("ana", Role::Writer, "correct horse").unwrap();
        let token = users.new_token("ana").unwrap();
        let json = serde_json::to_string(&users).unwrap();
        assert!(!json.contains(&token[10..]), "the secret is not stored");
        assert_eq!(users.check_token(&token).unwrap().name, "ana");
        assert!(users.check_token(&token[..token.len() - 1]).is_none());
        assert!(users.check_token("st_nothing").is_none());
    }

    #[test]
    fn bad_names_short_passwords_and_duplicates_are_refused() {
        let mut users = UsersFile::default();
        assert!(users.add("a b", Role::Reader, "long enough").is_err());
        assert!(users.add("<b>", Role::Reader, "long enough").is_err());
        assert!(users.add("ana", Role::Reader, "short").is_err());
        users.add("ana", Role::Reader, "long enough").unwrap();
        assert!(users.add("ana", Role::Admin, "long enough").is_err());
    }
}
