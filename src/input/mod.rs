//! Input: finding the files ([`discover`]), opening them whatever their compression
//! ([`decompress`]), and cutting their bytes into chunks of whole lines ([`chunk`]).

pub mod chunk;
pub mod decompress;
pub mod discover;
pub mod utf16;

pub use discover::Input;

/// Most bytes read from a configuration file, OpenAPI document or baseline report.
pub const MAX_SETTINGS_BYTES: u64 = 64 << 20;

/// Read a settings file (configuration, OpenAPI document, baseline) whatever it is — a regular
/// file, a pipe, a device — stopping at [`MAX_SETTINGS_BYTES`]: `/dev/zero` given as a
/// configuration is an error, not a run that fills memory. `what` names it in the message.
pub fn read_settings(path: &std::path::Path, what: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| format!("{what} {name}: cannot read it: {e}"))?;
    let mut buf = Vec::new();
    f.take(MAX_SETTINGS_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{what} {name}: cannot read it: {e}"))?;
    if buf.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(format!(
            "{what} {name}: more than {} MiB; is it the right file?",
            MAX_SETTINGS_BYTES >> 20
        ));
    }
    Ok(buf)
}
