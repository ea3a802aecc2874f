//! Secret key files: 64 hex characters and a newline, readable by their owner only.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use ledger_core::keys::SecretKey;

use crate::error::CliError;
use crate::output;

/// The largest key file read: a key is 65 bytes, so anything much longer is not a key file.
const KEY_FILE_BYTES_MAX: u64 = 4096;

/// A new secret key from 32 bytes of the operating system's secure randomness.
pub fn generate() -> Result<SecretKey, CliError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|error| CliError::Failed(format!("cannot get random bytes: {error}")))?;
    Ok(SecretKey::from_seed(seed))
}

/// Writes `key` to a new file at `path`, mode 0600. An existing file is never overwritten: it
/// may hold the only copy of another key.
pub fn create(path: &Path, key: &SecretKey) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|error| match error.kind() {
        io::ErrorKind::AlreadyExists => {
            CliError::Usage(format!("{} already exists; refusing to overwrite it (it may hold a key)", path.display()))
        }
        _ => CliError::Config(format!("cannot create {}: {error}", path.display())),
    })?;
    let written = file.write_all(key.to_file_text().as_bytes()).and_then(|()| file.sync_all());
    if let Err(error) = written {
        // A half-written key file is worse than none: it would fail later, far from the cause.
        drop(file);
        let _ = fs::remove_file(path);
        return Err(CliError::Failed(format!("cannot write {}: {error}", path.display())));
    }
    Ok(())
}

/// Reads the secret key at `path` (from `--key` or `LEDGER_KEY`). Warns when other users may
/// read the file, as ssh does.
pub fn load(path: Option<&Path>) -> Result<SecretKey, CliError> {
    let path = path.ok_or_else(|| CliError::Config("no key given: pass --key FILE or set LEDGER_KEY".into()))?;
    let unreadable = |error: io::Error| CliError::Config(format!("cannot read key file {}: {error}", path.display()));
    let file = File::open(path).map_err(unreadable)?;
    warn_if_shared(path, &file);
    let mut text = String::new();
    file.take(KEY_FILE_BYTES_MAX).read_to_string(&mut text).map_err(unreadable)?;
    SecretKey::parse(&text).map_err(|error| CliError::Config(format!("key file {}: {error}", path.display())))
}

#[cfg(unix)]
fn warn_if_shared(path: &Path, file: &File) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = file.metadata()
        && metadata.permissions().mode() & 0o077 != 0
    {
        output::warn(&format!("key file {} can be read by other users; run chmod 600 on it", path.display()));
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path, _file: &File) {}
