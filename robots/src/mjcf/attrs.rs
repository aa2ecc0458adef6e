//! Typed attribute access: an element's own attributes over those of its default class, every
//! number checked (finite, right count) with errors naming the element and the attribute.

use super::xml::{Document, Elem};
use crate::error::RobotError;
use nalgebra::Vector3;

/// Attribute/value pairs of one element kind in one default class.
pub(crate) type AttrMap = Vec<(String, String)>;

/// The attributes that set an orientation: an element that gives any of them ignores those its
/// default class gives (MuJoCo allows only one orientation per element).
pub(crate) const ORIENTATION_KEYS: [&str; 5] = ["quat", "axisangle", "euler", "xyaxes", "zaxis"];

/// Tri-state `limited`-style flags (`true`, `false`, `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag {
    /// `true`.
    True,
    /// `false`.
    False,
    /// `auto` (or absent): decided by `compiler autolimits` and whether a range is given.
    Auto,
}

/// One element's attributes, with its default class's attributes underneath.
#[derive(Clone, Copy)]
pub(crate) struct Attrs<'a> {
    /// The element.
    pub elem: &'a Elem,
    defaults: &'a [(String, String)],
    doc: &'a Document,
}

impl<'a> Attrs<'a> {
    /// `elem`'s attributes over `defaults` (its class's attributes for its kind, if any).
    pub fn new(elem: &'a Elem, defaults: Option<&'a AttrMap>, doc: &'a Document) -> Self {
        Self {
            elem,
            defaults: defaults.map(Vec::as_slice).unwrap_or(&[]),
            doc,
        }
    }

    /// The attribute's text: the element's own, else its default class's.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        if let Some(v) = self.elem.attr(key) {
            return Some(v);
        }
        if ORIENTATION_KEYS.contains(&key)
            && ORIENTATION_KEYS.iter().any(|k| self.elem.attr(k).is_some())
        {
            return None;
        }
        self.defaults
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the attribute is given (by the element or its class).
    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The element's `name`, or an empty string.
    pub fn name(&self) -> &'a str {
        self.elem.attr("name").unwrap_or("")
    }

    /// An error about this element.
    pub fn err(&self, message: impl Into<String>) -> RobotError {
        self.doc.err(self.elem, message)
    }

    /// An error about attribute `key` of this element.
    pub fn attr_err(&self, key: &str, message: impl std::fmt::Display) -> RobotError {
        self.err(format!("attribute '{key}': {message}"))
    }

    /// All numbers in the attribute (at least one), each finite.
    pub fn numbers(&self, key: &str) -> Result<Option<Vec<f64>>, RobotError> {
        let Some(text) = self.get(key) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for word in text.split_whitespace() {
            let v: f64 = word
                .parse()
                .map_err(|_| self.attr_err(key, format!("'{word}' is not a number")))?;
            if !v.is_finite() {
                return Err(self.attr_err(key, format!("'{word}' is not a finite number")));
            }
            out.push(v);
        }
        if out.is_empty() {
            return Err(self.attr_err(key, "is empty: expected numbers"));
        }
        Ok(Some(out))
    }

    /// Between `min` and `max` numbers.
    pub fn numbers_between(
        &self,
        key: &str,
        min: usize,
        max: usize,
    ) -> Result<Option<Vec<f64>>, RobotError> {
        let Some(v) = self.numbers(key)? else {
            return Ok(None);
        };
        if v.len() < min || v.len() > max {
            let want = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(self.attr_err(
                key,
                format!(
                    "expected {want} numbers, got {} ('{}')",
                    v.len(),
                    self.get(key).unwrap_or("")
                ),
            ));
        }
        Ok(Some(v))
    }

    /// Exactly `n` numbers.
    pub fn numbers_n(&self, key: &str, n: usize) -> Result<Option<Vec<f64>>, RobotError> {
        self.numbers_between(key, n, n)
    }

    /// One number.
    pub fn number(&self, key: &str) -> Result<Option<f64>, RobotError> {
        Ok(self.numbers_n(key, 1)?.and_then(|v| v.first().copied()))
    }

    /// One number, or `default` when absent.
    pub fn number_or(&self, key: &str, default: f64) -> Result<f64, RobotError> {
        Ok(self.number(key)?.unwrap_or(default))
    }

    /// One number that must not be negative, or `default` when absent.
    pub fn non_negative_or(&self, key: &str, default: f64) -> Result<f64, RobotError> {
        let v = self.number_or(key, default)?;
        if v < 0.0 {
            return Err(self.attr_err(key, format!("must not be negative, got {v}")));
        }
        Ok(v)
    }

    /// Three numbers.
    pub fn vec3(&self, key: &str) -> Result<Option<Vector3<f64>>, RobotError> {
        Ok(self
            .numbers_n(key, 3)?
            .map(|v| Vector3::from_iterator(v.into_iter())))
    }

    /// Two numbers, as a `(low, high)` range.
    pub fn range(&self, key: &str) -> Result<Option<(f64, f64)>, RobotError> {
        Ok(self.numbers_n(key, 2)?.and_then(|v| match v.as_slice() {
            [a, b] => Some((*a, *b)),
            _ => None,
        }))
    }

    /// `true` or `false`.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, RobotError> {
        match self.get(key).map(str::trim) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => {
                Err(self.attr_err(key, format!("expected true or false, got '{other}'")))
            }
        }
    }

    /// `true`, `false` or `auto` (the default).
    pub fn flag(&self, key: &str) -> Result<Flag, RobotError> {
        match self.get(key).map(str::trim) {
            None | Some("auto") => Ok(Flag::Auto),
            Some("true") => Ok(Flag::True),
            Some("false") => Ok(Flag::False),
            Some(other) => {
                Err(self.attr_err(key, format!("expected true, false or auto, got '{other}'")))
            }
        }
    }

    /// An integer.
    pub fn int(&self, key: &str) -> Result<Option<i64>, RobotError> {
        match self.get(key).map(str::trim) {
            None => Ok(None),
            Some(text) => text
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.attr_err(key, format!("'{text}' is not an integer"))),
        }
    }

    /// A non-negative integer that fits 32 bits (contact bit masks).
    pub fn bits(&self, key: &str, default: u32) -> Result<u32, RobotError> {
        match self.int(key)? {
            None => Ok(default),
            Some(v) => u32::try_from(v).map_err(|_| {
                self.attr_err(
                    key,
                    format!("must be a 32-bit non-negative integer, got {v}"),
                )
            }),
        }
    }
}

/// Resolves a `limited`-style flag: `auto` means limited exactly when `compiler autolimits` is on
/// and a range other than `0 0` was given; with autolimits off, such a range without `limited`
/// is an error (as in MuJoCo).
pub(crate) fn resolve_limited(
    attrs: &Attrs,
    flag_key: &str,
    range_key: &str,
    range: Option<(f64, f64)>,
    autolimits: bool,
) -> Result<bool, RobotError> {
    let has_range = range.is_some_and(|(a, b)| !(a == 0.0 && b == 0.0));
    match attrs.flag(flag_key)? {
        Flag::True => Ok(true),
        Flag::False => Ok(false),
        Flag::Auto if has_range && !autolimits => Err(attrs.err(format!(
            "'{range_key}' is given but '{flag_key}' is not, and compiler autolimits is false: set {flag_key}=\"true\" or \"false\""
        ))),
        Flag::Auto => Ok(has_range),
    }
}
