//! The terrain curriculum (legged_gym's game-inspired one): every env walks one terrain type at
//! a difficulty level; walking far enough promotes it to the next level, covering less than half
//! the commanded distance demotes it, and an env that clears the top level goes to a random level
//! so the hardest terrain never crowds out the rest.

use crate::terrain::TerrainKind;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Which family of terrain an env trains on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerrainType {
    /// Random rough ground.
    Rough,
    /// Pyramid slopes (up or down, by env).
    Slope,
    /// Stairs going down from the spawn platform.
    StairsDown,
    /// Stairs going up out of a pit.
    StairsUp,
}

/// Shares of the envs on each terrain type (normalised by their sum).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerrainProportions {
    /// Rough ground.
    pub rough: f32,
    /// Slopes.
    pub slope: f32,
    /// Stairs down.
    pub stairs_down: f32,
    /// Stairs up.
    pub stairs_up: f32,
}

impl Default for TerrainProportions {
    fn default() -> Self {
        Self {
            rough: 0.3,
            slope: 0.3,
            stairs_down: 0.2,
            stairs_up: 0.2,
        }
    }
}

/// Curriculum settings (`[env.curriculum]`; present means on). Difficulty ranges are
/// `[level 0, top level]` and interpolate linearly in between.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TerrainCurriculum {
    /// Number of levels.
    pub levels: u32,
    /// Envs start at a random level in `0..=max_initial_level`.
    pub max_initial_level: u32,
    /// Side length of each env's terrain tile (m).
    pub size: f32,
    /// Walking this far from the spawn point in one episode promotes (m).
    pub promote_distance: f32,
    /// Shares of terrain types.
    pub proportions: TerrainProportions,
    /// Rough-ground height amplitude (m).
    pub rough_amplitude: [f32; 2],
    /// Slope grade (rise over run).
    pub slope_grade: [f32; 2],
    /// Stair riser height (m).
    pub step_height: [f32; 2],
    /// Stair tread depth (m).
    pub step_width: f32,
    /// Stairs per flight.
    pub steps: u32,
}

impl Default for TerrainCurriculum {
    fn default() -> Self {
        Self {
            levels: 10,
            max_initial_level: 4,
            size: 16.0,
            promote_distance: 4.0,
            proportions: TerrainProportions::default(),
            rough_amplitude: [0.01, 0.06],
            slope_grade: [0.0, 0.4],
            step_height: [0.04, 0.14],
            step_width: 0.31,
            steps: 6,
        }
    }
}

/// Grid spacing of curriculum heightfields (m): legged_gym's horizontal scale is 0.1 m; stairs
/// use half of it so risers stay steep.
const ROUGH_CELL: f32 = 0.1;
const STAIRS_CELL: f32 = 0.05;
/// Horizontal length of a curriculum slope (m).
const SLOPE_LENGTH: f32 = 3.0;

impl TerrainCurriculum {
    /// Checks the settings; errors name the key under `curriculum.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((format!("curriculum.{k}"), m));
        if self.levels == 0 {
            return err("levels", "needs at least one level".into());
        }
        if self.max_initial_level >= self.levels {
            return err(
                "max_initial_level",
                format!(
                    "must be below levels ({}), got {}",
                    self.levels, self.max_initial_level
                ),
            );
        }
        for (k, v) in [
            ("size", self.size),
            ("promote_distance", self.promote_distance),
            ("step_width", self.step_width),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return err(k, format!("must be a positive number, got {v}"));
            }
        }
        if self.size > 100.0 {
            return err(
                "size",
                format!("at most 100 m per env tile, got {}", self.size),
            );
        }
        let p = self.proportions;
        let shares = [p.rough, p.slope, p.stairs_down, p.stairs_up];
        if shares.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || shares.iter().sum::<f32>() <= 0.0
        {
            return err(
                "proportions",
                "shares must be non-negative with a positive sum".into(),
            );
        }
        for (k, [lo, hi]) in [
            ("rough_amplitude", self.rough_amplitude),
            ("slope_grade", self.slope_grade),
            ("step_height", self.step_height),
        ] {
            if !(lo.is_finite() && hi.is_finite() && lo >= 0.0 && hi >= 0.0) {
                return err(
                    k,
                    format!("must be [level 0, top level], both >= 0, got [{lo}, {hi}]"),
                );
            }
        }
        Ok(())
    }

    /// The terrain type for a uniform draw `u` in [0, 1).
    pub fn type_for(&self, u: f32) -> TerrainType {
        let p = self.proportions;
        let total = p.rough + p.slope + p.stairs_down + p.stairs_up;
        let mut acc = 0.0;
        for (share, ty) in [
            (p.rough, TerrainType::Rough),
            (p.slope, TerrainType::Slope),
            (p.stairs_down, TerrainType::StairsDown),
            (p.stairs_up, TerrainType::StairsUp),
        ] {
            acc += share / total;
            if u < acc && share > 0.0 {
                return ty;
            }
        }
        TerrainType::StairsUp
    }

    /// Difficulty in [0, 1] of `level`.
    pub fn difficulty(&self, level: u32) -> f32 {
        if self.levels <= 1 {
            1.0
        } else {
            level.min(self.levels - 1) as f32 / (self.levels - 1) as f32
        }
    }

    /// The terrain of type `ty` at `level`. `downhill` picks the sign of slopes.
    pub fn terrain_kind(&self, ty: TerrainType, level: u32, downhill: bool) -> TerrainKind {
        let d = self.difficulty(level);
        let lerp = |[lo, hi]: [f32; 2]| lo + (hi - lo) * d;
        match ty {
            TerrainType::Rough => TerrainKind::Rough {
                amplitude: lerp(self.rough_amplitude),
                cell: ROUGH_CELL,
                size: self.size,
            },
            TerrainType::Slope => {
                let g = lerp(self.slope_grade);
                TerrainKind::Slope {
                    grade: if downhill { g } else { -g },
                    length: SLOPE_LENGTH,
                    cell: ROUGH_CELL,
                    size: self.size,
                }
            }
            TerrainType::StairsDown | TerrainType::StairsUp => {
                let h = lerp(self.step_height);
                TerrainKind::Stairs {
                    step_height: if ty == TerrainType::StairsDown { h } else { -h },
                    step_width: self.step_width,
                    steps: self.steps,
                    cell: STAIRS_CELL,
                    size: self.size,
                }
            }
        }
    }

    /// The level after an episode that ended `distance` metres from its spawn point, where
    /// following its commands exactly would have ended `commanded` metres from it, and that
    /// ended in a fall if `fell`. A fall demotes; walking `promote_distance` promotes; covering
    /// less than half the commanded displacement demotes (legged_gym's rule, with the
    /// displacement the commands ask for rather than their speed times the episode length, so
    /// a robot told to walk in circles is not demoted for staying near its spawn point).
    pub fn next_level(
        &self,
        level: u32,
        distance: f32,
        commanded: f32,
        fell: bool,
        rng: &mut ChaCha8Rng,
    ) -> u32 {
        if fell {
            level.saturating_sub(1)
        } else if distance >= self.promote_distance {
            if level + 1 >= self.levels {
                rng.random_range(0..self.levels)
            } else {
                level + 1
            }
        } else if distance < 0.5 * commanded {
            level.saturating_sub(1)
        } else {
            level
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn far_walkers_promote_short_walkers_demote_and_the_top_wraps() {
        let c = TerrainCurriculum::default();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(c.next_level(3, 5.0, 10.0, false, &mut rng), 4);
        assert_eq!(c.next_level(3, 2.0, 10.0, false, &mut rng), 2);
        assert_eq!(c.next_level(0, 0.0, 10.0, false, &mut rng), 0);
        assert_eq!(
            c.next_level(3, 3.0, 4.0, false, &mut rng),
            3,
            "kept: far enough for its commands"
        );
        assert_eq!(
            c.next_level(3, 0.5, 0.8, false, &mut rng),
            3,
            "kept: circling commands ask for little displacement"
        );
        assert_eq!(
            c.next_level(3, 1.0, 1.0, true, &mut rng),
            2,
            "a fall demotes"
        );
        assert_eq!(
            c.next_level(3, 6.0, 6.0, true, &mut rng),
            2,
            "even after a long walk"
        );
        for _ in 0..50 {
            assert!(c.next_level(c.levels - 1, 9.0, 9.0, false, &mut rng) < c.levels);
        }
    }

    #[test]
    fn difficulty_scales_the_terrain() {
        let c = TerrainCurriculum::default();
        let top = c.levels - 1;
        match c.terrain_kind(TerrainType::StairsUp, top, true) {
            TerrainKind::Stairs { step_height, .. } => assert_eq!(step_height, -0.14),
            other => panic!("{other:?}"),
        }
        match c.terrain_kind(TerrainType::Slope, 0, true) {
            TerrainKind::Slope { grade, .. } => assert_eq!(grade, 0.0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn proportions_pick_types_in_order() {
        let c = TerrainCurriculum::default();
        assert_eq!(c.type_for(0.0), TerrainType::Rough);
        assert_eq!(c.type_for(0.45), TerrainType::Slope);
        assert_eq!(c.type_for(0.7), TerrainType::StairsDown);
        assert_eq!(c.type_for(0.99), TerrainType::StairsUp);
    }

    #[test]
    fn bad_settings_name_the_key() {
        let mut c = TerrainCurriculum {
            max_initial_level: 10,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().0, "curriculum.max_initial_level");
        c.max_initial_level = 0;
        c.step_height = [0.05, -1.0];
        assert_eq!(c.validate().unwrap_err().0, "curriculum.step_height");
    }
}

/// Command curriculum (`[env.command_curriculum]`; present means on): every env starts with
/// forward commands only and widens its backward, lateral and yaw-rate ranges one level at a time
/// as it tracks well, so a gait forms before it has to turn, back up and side-step. Levels are per env and
/// move only at episode ends, so runs stay deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommandCurriculum {
    /// Levels above 0; at the top level lateral and yaw ranges are the configured ones.
    pub levels: u32,
    /// Promote when the episode's mean linear tracking kernel `exp(-err^2 / sigma)` is above.
    pub promote_tracking: f32,
    /// Demote when it is below.
    pub demote_tracking: f32,
}

impl Default for CommandCurriculum {
    fn default() -> Self {
        Self {
            levels: 4,
            promote_tracking: 0.7,
            demote_tracking: 0.3,
        }
    }
}

impl CommandCurriculum {
    /// Checks the settings; errors name the key under `command_curriculum.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((format!("command_curriculum.{k}"), m));
        if self.levels == 0 {
            return err("levels", "needs at least one level".into());
        }
        let (lo, hi) = (self.demote_tracking, self.promote_tracking);
        if !(lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo < hi && hi <= 1.0) {
            return err(
                "promote_tracking",
                format!("need 0 <= demote_tracking < promote_tracking <= 1, got {lo} and {hi}"),
            );
        }
        Ok(())
    }

    /// Share of the backward, lateral and yaw ranges open at `level`.
    pub fn share(&self, level: u32) -> f32 {
        level.min(self.levels) as f32 / self.levels as f32
    }

    /// The level after an episode whose mean tracking kernel was `tracking`.
    pub fn next_level(&self, level: u32, tracking: f32) -> u32 {
        if tracking > self.promote_tracking {
            (level + 1).min(self.levels)
        } else if tracking < self.demote_tracking {
            level.saturating_sub(1)
        } else {
            level
        }
    }
}

#[cfg(test)]
mod command_tests {
    use super::*;

    #[test]
    fn good_trackers_widen_their_commands_and_poor_ones_narrow_them() {
        let c = CommandCurriculum::default();
        assert_eq!(c.share(0), 0.0);
        assert_eq!(c.share(c.levels), 1.0);
        assert_eq!(c.next_level(0, 0.9), 1);
        assert_eq!(c.next_level(c.levels, 0.9), c.levels);
        assert_eq!(c.next_level(2, 0.1), 1);
        assert_eq!(c.next_level(2, 0.5), 2);
        assert_eq!(c.next_level(0, 0.0), 0);
    }

    #[test]
    fn inverted_thresholds_name_the_key() {
        let c = CommandCurriculum {
            promote_tracking: 0.2,
            demote_tracking: 0.5,
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().0,
            "command_curriculum.promote_tracking"
        );
    }
}
