//! Reading DeepMimic's JSON files with errors that name the file, the element and the key.

use crate::error::RobotError;
use serde_json::Value;
use std::path::Path;

/// Reads a text file; the error names it.
pub(crate) fn read_text(path: &Path) -> Result<String, RobotError> {
    std::fs::read_to_string(path).map_err(|source| RobotError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a JSON file.
pub(crate) fn read_json(path: &Path) -> Result<Value, RobotError> {
    parse_json(&read_text(path)?, path)
}

/// Parses JSON text; `path` names it in errors.
///
/// Exporters write non-finite numbers as bare `NaN`, `inf` or `-Infinity`, which is not JSON.
/// Such a file is read with those words turned into strings, so the reader that expects a number
/// there can say which frame and value hold one.
pub(crate) fn parse_json(text: &str, path: &Path) -> Result<Value, RobotError> {
    serde_json::from_str(text).or_else(|e| {
        quote_non_finite_literals(text)
            .and_then(|quoted| serde_json::from_str(&quoted).ok())
            .ok_or_else(|| RobotError::Json {
                path: path.to_path_buf(),
                message: e.to_string(),
            })
    })
}

/// `text` with every bare `nan`, `inf` or `infinity` (any case, optional sign) outside string
/// literals put in quotes; `None` when there is none.
fn quote_non_finite_literals(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let (mut i, mut in_string, mut found) = (0, false, false);
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            if c == b'\\' && i + 1 < bytes.len() {
                // An escape: copy the backslash and the whole character after it.
                let len = 1 + utf8_len(bytes[i + 1]);
                out.push_str(&text[i..i + len]);
                i += len;
                continue;
            }
            in_string = c != b'"';
        } else if c == b'"' {
            in_string = true;
        } else if c.is_ascii_alphabetic()
            || ((c == b'-' || c == b'+')
                && i + 1 < bytes.len()
                && bytes[i + 1].is_ascii_alphabetic())
        {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word = &text[start..i];
            let bare = word.trim_start_matches(['-', '+']).to_ascii_lowercase();
            if matches!(bare.as_str(), "nan" | "inf" | "infinity") {
                found = true;
                out.push('"');
                out.push_str(word);
                out.push('"');
            } else {
                out.push_str(word);
            }
            continue;
        }
        // Multi-byte characters only occur inside strings, which are copied whole here.
        let len = utf8_len(c);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    found.then_some(out)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// One JSON object being read: `element` names it in errors (`joint 3 'right_hip'`).
pub(crate) struct Fields<'a> {
    pub(crate) value: &'a Value,
    pub(crate) path: &'a Path,
    pub(crate) element: String,
}

impl<'a> Fields<'a> {
    /// `value` as an object, or an error naming `element`.
    pub(crate) fn new(
        value: &'a Value,
        path: &'a Path,
        element: impl Into<String>,
    ) -> Result<Self, RobotError> {
        let element = element.into();
        if !value.is_object() {
            return Err(RobotError::invalid(path, element, "is not a JSON object"));
        }
        Ok(Self {
            value,
            path,
            element,
        })
    }

    /// An error about this element.
    pub(crate) fn error(&self, message: impl Into<String>) -> RobotError {
        RobotError::invalid(self.path, self.element.clone(), message)
    }

    /// The value under `key`, required.
    pub(crate) fn get(&self, key: &str) -> Result<&'a Value, RobotError> {
        self.value
            .get(key)
            .ok_or_else(|| self.error(format!("missing key '{key}'")))
    }

    /// A finite number under `key`, required.
    pub(crate) fn number(&self, key: &str) -> Result<f64, RobotError> {
        let v = self.get(key)?;
        let x = v
            .as_f64()
            .ok_or_else(|| self.error(format!("'{key}' is {v}, not a number")))?;
        if !x.is_finite() {
            return Err(self.error(format!("'{key}' is not finite")));
        }
        Ok(x)
    }

    /// A finite number under `key`, or `default` when the key is absent.
    pub(crate) fn number_or(&self, key: &str, default: f64) -> Result<f64, RobotError> {
        if self.value.get(key).is_none() {
            return Ok(default);
        }
        self.number(key)
    }

    /// A string under `key`, required.
    pub(crate) fn string(&self, key: &str) -> Result<&'a str, RobotError> {
        let v = self.get(key)?;
        v.as_str()
            .ok_or_else(|| self.error(format!("'{key}' is {v}, not a string")))
    }

    /// An integer under `key`, required.
    pub(crate) fn integer(&self, key: &str) -> Result<i64, RobotError> {
        let v = self.get(key)?;
        v.as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|x| x.fract() == 0.0 && x.abs() < 1e15)
                    .map(|x| x as i64)
            })
            .ok_or_else(|| self.error(format!("'{key}' is {v}, not an integer")))
    }

    /// An array under `key`, required.
    pub(crate) fn array(&self, key: &str) -> Result<&'a Vec<Value>, RobotError> {
        let v = self.get(key)?;
        v.as_array()
            .ok_or_else(|| self.error(format!("'{key}' is not an array")))
    }
}
