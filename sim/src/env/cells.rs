//! Cells: a coarse, discrete description of an env's state (Go-Explore's cell representation).
//! An env names the continuous features it can report ([`CellFeatures`]); a [`CellConfig`]
//! chooses which of them make a cell and how finely each is binned, so the same env can be
//! explored at any resolution without code changes.

use super::Env;
use crate::error::SimError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An env that can say where it is in a few named, continuous features: for robots the base
/// position, height and heading, plus task progress (a waypoint index, an object's height).
pub trait CellFeatures: Env {
    /// The features this env reports, in the order [`Self::cell_features`] writes them.
    fn cell_feature_names(&self) -> &'static [&'static str];
    /// The current values, one per name (`out.len() == cell_feature_names().len()`).
    fn cell_features(&self, out: &mut [f32]);
}

/// A cell: each chosen feature's bin index, in the config's feature order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CellKey(pub Vec<i32>);

/// Which features make a cell and the width of their bins (`[explore.cells]`, e.g.
/// `x = 0.5, y = 0.5, heading = 0.785`). Features left out do not split cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CellConfig(pub BTreeMap<String, f32>);

/// A [`CellConfig`] checked against one env's feature names: bins by feature index.
#[derive(Debug, Clone, PartialEq)]
pub struct CellFunction {
    /// `(index into the env's features, bin width)`, in the config's (sorted) key order.
    bins: Vec<(usize, f32)>,
    names: Vec<String>,
    scratch_len: usize,
}

impl CellConfig {
    /// Binds the config to an env's feature names. Errors name the key (under `prefix`) of a
    /// feature the env does not report or a bin width that is not positive.
    pub fn bind(&self, names: &[&str], prefix: &str) -> Result<CellFunction, SimError> {
        if self.0.is_empty() {
            return Err(SimError::Config {
                key: prefix.into(),
                message: format!("names no feature; the env reports {}", names.join(", ")),
            });
        }
        let mut bins = Vec::with_capacity(self.0.len());
        for (name, &width) in &self.0 {
            let Some(i) = names.iter().position(|n| n == name) else {
                return Err(SimError::Config {
                    key: format!("{prefix}.{name}"),
                    message: format!(
                        "the env reports no feature '{name}'; it reports {}",
                        names.join(", ")
                    ),
                });
            };
            if !(width.is_finite() && width > 0.0) {
                return Err(SimError::Config {
                    key: format!("{prefix}.{name}"),
                    message: format!("bin width must be a positive number, got {width}"),
                });
            }
            bins.push((i, width));
        }
        Ok(CellFunction {
            bins,
            names: self.0.keys().cloned().collect(),
            scratch_len: names.len(),
        })
    }
}

impl CellFunction {
    /// The cell of feature values `features` (all the env's features, in its order).
    /// Non-finite values fall into bin `i32::MIN`.
    pub fn key(&self, features: &[f32]) -> CellKey {
        CellKey(
            self.bins
                .iter()
                .map(|&(i, w)| {
                    let b = (features[i] / w).floor();
                    if b.is_finite() {
                        b.clamp(i32::MIN as f32, i32::MAX as f32) as i32
                    } else {
                        i32::MIN
                    }
                })
                .collect(),
        )
    }

    /// The cell `env` is in now.
    pub fn cell_of<E: CellFeatures + ?Sized>(&self, env: &E) -> CellKey {
        let mut f = vec![0.0; self.scratch_len];
        env.cell_features(&mut f);
        self.key(&f)
    }

    /// The features a key's bins belong to, in key order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The centre of a key's bin for each of its features, in key order.
    pub fn centre(&self, key: &CellKey) -> Vec<f32> {
        self.bins
            .iter()
            .zip(&key.0)
            .map(|(&(_, w), &b)| (b as f32 + 0.5) * w)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, f32)]) -> CellConfig {
        CellConfig(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect())
    }

    #[test]
    fn features_bin_by_their_widths_and_unlisted_ones_are_ignored() {
        let f = config(&[("x", 0.5), ("heading", 1.0)])
            .bind(&["x", "y", "heading"], "explore.cells")
            .unwrap();
        // Key order is the config's sorted key order: heading, x.
        assert_eq!(f.names(), ["heading", "x"]);
        assert_eq!(f.key(&[0.74, 9.0, -0.2]), CellKey(vec![-1, 1]));
        assert_eq!(
            f.key(&[0.74, -3.0, -0.2]),
            CellKey(vec![-1, 1]),
            "y ignored"
        );
        assert_eq!(f.key(&[f32::NAN, 0.0, 0.0]), CellKey(vec![0, i32::MIN]));
        assert_eq!(f.centre(&CellKey(vec![-1, 1])), vec![-0.5, 0.75]);
    }

    #[test]
    fn an_unknown_feature_or_a_bad_width_names_the_key() {
        let e = config(&[("z", 0.1)])
            .bind(&["x", "y"], "explore.cells")
            .unwrap_err()
            .to_string();
        assert!(e.contains("explore.cells.z") && e.contains("x, y"), "{e}");
        let e = config(&[("x", 0.0)])
            .bind(&["x"], "explore.cells")
            .unwrap_err()
            .to_string();
        assert!(e.contains("explore.cells.x"), "{e}");
        assert!(config(&[]).bind(&["x"], "explore.cells").is_err());
    }
}
