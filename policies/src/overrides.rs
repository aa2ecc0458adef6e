//! `--set key=value` overrides on a TOML config table, shared by every command's config.

use crate::PolicyError;
use std::path::Path;

/// Reads the config file `path` and parses it with `parse` (text, overrides); a config error
/// gets the file's name in front of its key, a read error names the file.
pub fn load_config_file<T>(
    path: &Path,
    overrides: &[String],
    parse: impl FnOnce(&str, &[String]) -> Result<T, PolicyError>,
) -> Result<T, PolicyError> {
    let text = std::fs::read_to_string(path).map_err(|e| PolicyError::File {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    parse(&text, overrides).map_err(|e| match e {
        PolicyError::Config { key, message } => PolicyError::Config {
            key: format!("{}: {key}", path.display()),
            message,
        },
        other => other,
    })
}

/// Parses a `key=value` override value: a TOML literal (number, bool, array, quoted string), or
/// else a bare string.
fn parse_value(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

/// Sets each `dotted.key=value` of `overrides` in `table` (creating missing tables); the
/// error names the key.
pub fn apply_overrides(table: &mut toml::Table, overrides: &[String]) -> Result<(), PolicyError> {
    for item in overrides {
        let (key, raw) = item
            .split_once('=')
            .ok_or_else(|| PolicyError::config(item.clone(), "expected key=value"))?;
        let parts: Vec<&str> = key.trim().split('.').collect();
        let mut node = &mut *table;
        for part in &parts[..parts.len() - 1] {
            let entry = node
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            node = entry
                .as_table_mut()
                .ok_or_else(|| PolicyError::config(key, format!("'{part}' is not a table")))?;
        }
        node.insert(parts[parts.len() - 1].to_string(), parse_value(raw.trim()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_nested_keys_and_parses_literals() {
        let mut t: toml::Table = toml::from_str("[a]\nb = 1").expect("toml");
        apply_overrides(
            &mut t,
            &["a.b=2.5".into(), "c.d=word".into(), "e=[1, 2]".into()],
        )
        .expect("applies");
        assert_eq!(t["a"]["b"].as_float(), Some(2.5));
        assert_eq!(t["c"]["d"].as_str(), Some("word"));
        assert_eq!(t["e"].as_array().map(Vec::len), Some(2));
        let err = apply_overrides(&mut t, &["a.b.c=1".into()]).expect_err("b is a number");
        assert!(err.to_string().contains("a.b.c"), "{err}");
        assert!(apply_overrides(&mut t, &["novalue".into()]).is_err());
    }
}
