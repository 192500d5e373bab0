//! `sim serve --state-dir DIR`: the cluster survives a restart. The CA, the token signing key,
//! the admin token, the address and every object are written to `DIR/state.json` (mode 0600:
//! it holds keys and tokens) at start and after every write, so kubeconfigs written before a
//! restart keep working after it, and what was applied is still there.

use super::tls::SavedCa;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

const FILE: &str = "state.json";
/// Raised when the layout changes: an older state is refused, never misread.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedState {
    pub version: u32,
    pub address: String,
    pub ca: SavedCa,
    /// The token signing key, base64.
    pub signing_key: String,
    pub admin_token: String,
    pub resource_version: u64,
    /// Every object, CRDs first, as stored.
    pub objects: Vec<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read the sim's state {path}: {message}")]
    Read { path: String, message: String },
    #[error("cannot write the sim's state {path}: {message}")]
    Write { path: String, message: String },
}

fn file_in(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The state kept in `dir`; None when there is none yet (a first start).
pub fn load(dir: &Path) -> Result<Option<SavedState>, PersistError> {
    let path = file_in(dir);
    let failed = |message: String| PersistError::Read {
        path: path.display().to_string(),
        message,
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(e.to_string())),
    };
    let state: SavedState = serde_json::from_str(&text).map_err(|e| failed(e.to_string()))?;
    if state.version != VERSION {
        return Err(failed(format!(
            "it is of version {}, this kn-mesh reads version {VERSION}: start with an empty directory",
            state.version
        )));
    }
    Ok(Some(state))
}

/// Writes the state whole, through a temporary file renamed over the old one, so a crash
/// mid-write leaves the previous state, never half of one.
pub fn save(dir: &Path, state: &SavedState) -> Result<(), PersistError> {
    let path = file_in(dir);
    let failed = |e: std::io::Error| PersistError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let text = serde_json::to_vec(state).map_err(|e| failed(std::io::Error::other(e)))?;
    create_private_dir(dir).map_err(failed)?;
    let temporary = dir.join(format!("{FILE}.tmp"));
    // A link planted where the temporary file goes would have the keys written through it.
    if std::fs::symlink_metadata(&temporary).is_ok_and(|m| m.file_type().is_symlink()) {
        std::fs::remove_file(&temporary).map_err(failed)?;
    }
    write_private(&temporary, &text).map_err(failed)?;
    std::fs::rename(&temporary, &path).map_err(failed)?;
    // The rename itself is durable once the directory is.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(failed)
}

/// The state's directory, made readable by its owner only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes a file that holds keys or tokens: created with mode 0600, so it is never readable by
/// others, not even for a moment; an existing file is truncated and narrowed to 0600 too.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let mut file = options.open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(path)?;
        file.write_all(bytes)?;
        file.sync_all()
    }
}
