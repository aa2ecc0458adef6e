//! The TOML gamepad mapping: which axis drives which velocity, dead zone, scaling, rate limits,
//! and which button does what.

use super::{Axis, Button, Mode};
use crate::error::SimError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// How one axis drives one velocity component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisMap {
    /// The axis.
    pub axis: Axis,
    /// Velocity at full deflection (m/s or rad/s), >= 0.
    pub max: f32,
    /// Largest change of the command per second (m/s² or rad/s²), > 0.
    pub rate: f32,
    /// Flip the sign (e.g. stick right means a negative lateral velocity).
    #[serde(default)]
    pub invert: bool,
}

/// Which button does what.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ButtonMap {
    /// Toggles between walking and standing at the default pose.
    pub stand: Button,
    /// Latches the emergency stop.
    pub estop: Button,
    /// Releases the emergency stop (into standing).
    pub release: Button,
    /// Switches to the next policy.
    pub next_policy: Button,
    /// Switches to the previous policy.
    pub previous_policy: Button,
}

/// A complete gamepad mapping (`assets/configs/gamepad.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GamepadMapping {
    /// Axis values with magnitude below this read as 0; above it the range is rescaled so the
    /// output still reaches full scale. In `[0, 1)`.
    pub dead_zone: f32,
    /// The mode at start-up (`stand` is the safe choice on a real robot).
    pub initial_mode: Mode,
    /// Forward velocity.
    pub forward: AxisMap,
    /// Lateral velocity (positive to the left).
    pub lateral: AxisMap,
    /// Yaw rate (counter-clockwise positive).
    pub yaw: AxisMap,
    /// Buttons.
    pub buttons: ButtonMap,
}

impl Default for GamepadMapping {
    /// The mapping of `assets/configs/gamepad.toml`.
    fn default() -> Self {
        Self {
            dead_zone: 0.1,
            initial_mode: Mode::Stand,
            forward: AxisMap {
                axis: Axis::LeftStickY,
                max: 1.0,
                rate: 2.0,
                invert: false,
            },
            lateral: AxisMap {
                axis: Axis::LeftStickX,
                max: 0.6,
                rate: 2.0,
                invert: true,
            },
            yaw: AxisMap {
                axis: Axis::RightStickX,
                max: 1.0,
                rate: 4.0,
                invert: true,
            },
            buttons: ButtonMap {
                stand: Button::South,
                estop: Button::East,
                release: Button::Start,
                next_policy: Button::RightBumper,
                previous_policy: Button::LeftBumper,
            },
        }
    }
}

impl GamepadMapping {
    /// Reads and validates a mapping file. Errors name the file and the key.
    pub fn load(path: &Path) -> Result<Self, SimError> {
        let text = std::fs::read_to_string(path).map_err(|e| SimError::File {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::from_toml_str(&text).map_err(|e| e.in_file(path))
    }

    /// Reads `path`, or the shipped mapping `assets/configs/gamepad.toml` when `None` (the one
    /// `embody play` and the ROS 2 teleop node use by default).
    pub fn load_or_shipped(path: Option<&Path>) -> Result<Self, SimError> {
        match path {
            Some(p) => Self::load(p),
            None => Self::load(&robots::assets_dir().join("configs/gamepad.toml")),
        }
    }

    /// Parses and validates mapping TOML (errors name the key, e.g. `forward.axis`).
    pub fn from_toml_str(text: &str) -> Result<Self, SimError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| SimError::Config {
            key: "<toml>".into(),
            message: e.message().to_string(),
        })?;
        let mapping: Self =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                SimError::Config {
                    key: e.path().to_string(),
                    message: e.inner().message().to_string(),
                }
            })?;
        mapping.validate()?;
        Ok(mapping)
    }

    /// Checks ranges: dead zone in `[0, 1)`, `max >= 0`, `rate > 0`, all finite.
    pub fn validate(&self) -> Result<(), SimError> {
        let bad = |key: &str, message: &str| {
            Err(SimError::Config {
                key: key.to_string(),
                message: message.to_string(),
            })
        };
        if !(0.0..1.0).contains(&self.dead_zone) {
            return bad("dead_zone", "must be in [0, 1)");
        }
        for (name, a) in [
            ("forward", &self.forward),
            ("lateral", &self.lateral),
            ("yaw", &self.yaw),
        ] {
            if !(a.max.is_finite() && a.max >= 0.0) {
                return bad(&format!("{name}.max"), "must be finite and >= 0");
            }
            if !(a.rate.is_finite() && a.rate > 0.0) {
                return bad(&format!("{name}.rate"), "must be finite and > 0");
            }
        }
        Ok(())
    }

    /// An axis value after the dead zone: 0 inside it, rescaled to reach ±1 at full deflection.
    pub fn shape(&self, value: f32) -> f32 {
        let v = if value.is_finite() {
            value.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        let m = v.abs();
        if m <= self.dead_zone {
            0.0
        } else {
            v.signum() * (m - self.dead_zone) / (1.0 - self.dead_zone)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_mapping_file_is_the_default() {
        let path = robots::assets_dir().join("configs/gamepad.toml");
        let m = GamepadMapping::load(&path).expect("assets/configs/gamepad.toml loads");
        assert_eq!(m, GamepadMapping::default());
    }

    #[test]
    fn unknown_axis_name_names_the_key_and_file() {
        let text = toml::to_string(&GamepadMapping::default())
            .expect("serialises")
            .replace("left_stick_y", "left_stik_y");
        let err = GamepadMapping::from_toml_str(&text)
            .expect_err("typo is rejected")
            .in_file(Path::new("pad.toml"));
        let msg = err.to_string();
        assert!(msg.contains("pad.toml"), "{msg}");
        assert!(msg.contains("forward.axis"), "{msg}");
        assert!(msg.contains("left_stik_y"), "{msg}");
    }

    #[test]
    fn unknown_key_and_bad_ranges_are_rejected_by_name() {
        let good = toml::to_string(&GamepadMapping::default()).expect("serialises");
        let unknown = good.replace("dead_zone", "deadzone");
        let msg = GamepadMapping::from_toml_str(&unknown)
            .expect_err("unknown key")
            .to_string();
        assert!(msg.contains("deadzone"), "{msg}");
        let mut m = GamepadMapping::default();
        m.yaw.rate = 0.0;
        let msg = GamepadMapping::from_toml_str(&toml::to_string(&m).expect("serialises"))
            .expect_err("zero rate")
            .to_string();
        assert!(msg.contains("yaw.rate"), "{msg}");
        m = GamepadMapping::default();
        m.dead_zone = 1.0;
        assert!(m.validate().is_err());
    }

    #[test]
    fn dead_zone_is_rescaled_to_full_range() {
        let m = GamepadMapping::default();
        assert_eq!(m.shape(0.05), 0.0);
        assert_eq!(m.shape(-0.1), 0.0);
        assert!((m.shape(1.0) - 1.0).abs() < 1e-6);
        assert!((m.shape(-1.0) + 1.0).abs() < 1e-6);
        assert!((m.shape(0.55) - 0.5).abs() < 1e-6);
        assert_eq!(m.shape(f32::NAN), 0.0);
        assert_eq!(m.shape(7.0), 1.0);
    }
}
