//! Velocity commands for legged robots and the sources they come from: a gamepad (teleoperation),
//! the keyboard, or a scripted command file.
//!
//! Pure core, thin adapters: [`Teleop`] turns [`InputEvent`]s (this crate's own gamepad event type)
//! into a rate-limited [`VelocityCommand`] and a [`Mode`] (walk, stand at the default pose,
//! emergency stop) following a TOML [`GamepadMapping`]. It has no I/O and is tested with synthetic
//! events. The gilrs reader (`gamepad`, behind the `gamepad` feature), the terminal keyboard
//! ([`KeyboardPad`]) and the ROS 2 teleop node only feed it events, so a pad drives the simulator and a
//! real robot the same way. [`CommandScript`] replays timed commands from a TOML or CSV file.
//!
//! Frames and units: body frame, `vx` forward and `vy` left in m/s, `yaw_rate` counter-clockwise
//! seen from above in rad/s (REP 103, Z up).
//!
//! A teleop loop (the simulator's `embody play --gamepad` and a ROS 2 node publishing
//! `geometry_msgs/Twist` look the same; with the `gamepad` feature the events come from
//! `gamepad::GamepadReader::poll`):
//!
//! ```
//! use sim::command::{Axis, Button, GamepadMapping, InputEvent, Mode, Teleop};
//!
//! let mut teleop = Teleop::new(GamepadMapping::default()); // or GamepadMapping::load(path)?
//! for event in [
//!     InputEvent::Pressed(Button::South), // stand -> walk
//!     InputEvent::Axis { axis: Axis::LeftStickY, value: 1.0 },
//! ] {
//!     teleop.handle(event);
//! }
//! let out = teleop.update(0.02); // once per control step
//! assert_eq!(out.mode, Mode::Walk);
//! assert!((out.command.vx - 0.04).abs() < 1e-6); // rate-limited: 2 m/s² x 20 ms
//! let (linear, angular) = out.command.to_twist(); // for geometry_msgs/Twist
//! assert_eq!((linear[1], angular[2]), (0.0, 0.0));
//! ```

#[cfg(feature = "gamepad")]
pub mod gamepad;
mod keyboard;
mod mapping;
mod script;
mod teleop;

pub use keyboard::KeyboardPad;
pub use mapping::{AxisMap, ButtonMap, GamepadMapping};
pub use script::{CommandScript, ScriptEntry};
pub use teleop::Teleop;

use serde::{Deserialize, Serialize};

/// A body-frame velocity command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VelocityCommand {
    /// Forward velocity (m/s).
    pub vx: f32,
    /// Lateral velocity, positive to the left (m/s).
    pub vy: f32,
    /// Yaw rate, counter-clockwise positive (rad/s).
    pub yaw_rate: f32,
}

impl VelocityCommand {
    /// Standing still.
    pub const ZERO: Self = Self {
        vx: 0.0,
        vy: 0.0,
        yaw_rate: 0.0,
    };

    /// A command from its parts.
    pub fn new(vx: f32, vy: f32, yaw_rate: f32) -> Self {
        Self { vx, vy, yaw_rate }
    }

    /// `[vx, vy, yaw_rate]`, the layout of locomotion observations.
    pub fn to_array(self) -> [f32; 3] {
        [self.vx, self.vy, self.yaw_rate]
    }

    /// From `[vx, vy, yaw_rate]`.
    pub fn from_array(a: [f32; 3]) -> Self {
        Self::new(a[0], a[1], a[2])
    }

    /// As a `geometry_msgs/Twist`: `(linear [x, y, z], angular [x, y, z])`.
    pub fn to_twist(self) -> ([f64; 3], [f64; 3]) {
        (
            [self.vx as f64, self.vy as f64, 0.0],
            [0.0, 0.0, self.yaw_rate as f64],
        )
    }
}

/// What the robot is asked to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Run the policy and follow the velocity command.
    Walk,
    /// Hold the default pose (the policy is off, the command is zero).
    #[default]
    Stand,
    /// Emergency stop: the command is zero and the joints hold where they are; only the release
    /// button leaves it (into [`Mode::Stand`]).
    EStop,
}

impl Mode {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Walk => "walk",
            Self::Stand => "stand",
            Self::EStop => "estop",
        }
    }
}

/// What a command source says at one control step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TeleopOutput {
    /// The velocity command (zero unless the mode is [`Mode::Walk`]).
    pub command: VelocityCommand,
    /// The mode.
    pub mode: Mode,
    /// Net policy switches asked for since the last update (+1 next, -1 previous).
    pub policy_switch: i32,
}

/// A gamepad axis, values in `[-1, 1]` (sticks: +x right, +y up; triggers: 0 released, 1 full).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// Left stick, horizontal.
    LeftStickX,
    /// Left stick, vertical.
    LeftStickY,
    /// Right stick, horizontal.
    RightStickX,
    /// Right stick, vertical.
    RightStickY,
    /// Left analog trigger.
    LeftTrigger,
    /// Right analog trigger.
    RightTrigger,
    /// D-pad as an axis, horizontal.
    DpadX,
    /// D-pad as an axis, vertical.
    DpadY,
}

impl Axis {
    /// Every axis, in index order.
    pub const ALL: [Axis; 8] = [
        Axis::LeftStickX,
        Axis::LeftStickY,
        Axis::RightStickX,
        Axis::RightStickY,
        Axis::LeftTrigger,
        Axis::RightTrigger,
        Axis::DpadX,
        Axis::DpadY,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A gamepad button (positional names: `south` is A on Xbox pads, cross on PlayStation pads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    /// Bottom face button.
    South,
    /// Right face button.
    East,
    /// Top face button.
    North,
    /// Left face button.
    West,
    /// Left shoulder button.
    LeftBumper,
    /// Right shoulder button.
    RightBumper,
    /// Left trigger pressed as a button.
    LeftTrigger,
    /// Right trigger pressed as a button.
    RightTrigger,
    /// Select / back / share.
    Select,
    /// Start / options.
    Start,
    /// The vendor (guide) button.
    Mode,
    /// Left stick pressed.
    LeftThumb,
    /// Right stick pressed.
    RightThumb,
    /// D-pad up.
    DpadUp,
    /// D-pad down.
    DpadDown,
    /// D-pad left.
    DpadLeft,
    /// D-pad right.
    DpadRight,
}

/// One input event, independent of the device library.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InputEvent {
    /// An axis moved to `value` (clamped into `[-1, 1]`; non-finite values count as 0).
    Axis {
        /// Which axis.
        axis: Axis,
        /// New value.
        value: f32,
    },
    /// A button went down.
    Pressed(Button),
    /// A button went up.
    Released(Button),
    /// The pad was disconnected: every axis returns to rest.
    Disconnected,
}
