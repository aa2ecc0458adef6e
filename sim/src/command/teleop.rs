//! The teleoperation state machine: input events in, a rate-limited command and a mode out.

use super::{Axis, AxisMap, GamepadMapping, InputEvent, Mode, TeleopOutput, VelocityCommand};

/// Turns [`InputEvent`]s into commands with a [`GamepadMapping`]. No I/O: feed it events with
/// [`Teleop::handle`] and read one output per control step with [`Teleop::update`].
#[derive(Debug, Clone)]
pub struct Teleop {
    mapping: GamepadMapping,
    axes: [f32; Axis::ALL.len()],
    command: VelocityCommand,
    mode: Mode,
    policy_switch: i32,
}

impl Teleop {
    /// A teleop in the mapping's initial mode, sticks at rest.
    pub fn new(mapping: GamepadMapping) -> Self {
        Self {
            mode: mapping.initial_mode,
            mapping,
            axes: [0.0; Axis::ALL.len()],
            command: VelocityCommand::ZERO,
            policy_switch: 0,
        }
    }

    /// The mapping in use.
    pub fn mapping(&self) -> &GamepadMapping {
        &self.mapping
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Sets the mode directly (e.g. a keyboard shortcut); leaving [`Mode::EStop`] this way is
    /// allowed only into [`Mode::Stand`].
    pub fn set_mode(&mut self, mode: Mode) {
        if self.mode == Mode::EStop && mode == Mode::Walk {
            return;
        }
        self.mode = mode;
        if mode != Mode::Walk {
            self.command = VelocityCommand::ZERO;
        }
    }

    /// The raw value of an axis (after clamping, before the dead zone).
    pub fn axis(&self, axis: Axis) -> f32 {
        self.axes[axis.index()]
    }

    /// Applies one input event.
    pub fn handle(&mut self, event: InputEvent) {
        let b = self.mapping.buttons;
        match event {
            InputEvent::Axis { axis, value } => {
                self.axes[axis.index()] = if value.is_finite() {
                    value.clamp(-1.0, 1.0)
                } else {
                    0.0
                };
            }
            InputEvent::Pressed(button) => {
                // The e-stop wins over everything mapped to the same button.
                if button == b.estop {
                    self.set_mode(Mode::EStop);
                } else if button == b.release {
                    if self.mode == Mode::EStop {
                        self.set_mode(Mode::Stand);
                    }
                } else if button == b.stand {
                    match self.mode {
                        Mode::Walk => self.set_mode(Mode::Stand),
                        Mode::Stand => self.set_mode(Mode::Walk),
                        Mode::EStop => {}
                    }
                } else if button == b.next_policy {
                    self.policy_switch += 1;
                } else if button == b.previous_policy {
                    self.policy_switch -= 1;
                }
            }
            InputEvent::Released(_) => {}
            InputEvent::Disconnected => {
                self.axes = [0.0; Axis::ALL.len()];
                if self.mode == Mode::Walk {
                    self.set_mode(Mode::Stand);
                }
            }
        }
    }

    /// The command the sticks ask for now (dead zone and scaling, no rate limit).
    pub fn target(&self) -> VelocityCommand {
        if self.mode != Mode::Walk {
            return VelocityCommand::ZERO;
        }
        let value = |a: &AxisMap| {
            let v = self.mapping.shape(self.axes[a.axis.index()]) * a.max;
            if a.invert { -v } else { v }
        };
        VelocityCommand::new(
            value(&self.mapping.forward),
            value(&self.mapping.lateral),
            value(&self.mapping.yaw),
        )
    }

    /// Advances `dt` seconds: the command moves toward [`Teleop::target`] by at most each axis'
    /// `rate * dt`; outside [`Mode::Walk`] it is zero at once. Returns the command, the mode and
    /// the policy switches asked for since the last update.
    pub fn update(&mut self, dt: f32) -> TeleopOutput {
        let dt = if dt.is_finite() { dt.max(0.0) } else { 0.0 };
        let target = self.target();
        let m = &self.mapping;
        let slew = |cur: f32, tgt: f32, rate: f32| {
            let step = rate * dt;
            cur + (tgt - cur).clamp(-step, step)
        };
        self.command = if self.mode == Mode::Walk {
            VelocityCommand::new(
                slew(self.command.vx, target.vx, m.forward.rate),
                slew(self.command.vy, target.vy, m.lateral.rate),
                slew(self.command.yaw_rate, target.yaw_rate, m.yaw.rate),
            )
        } else {
            VelocityCommand::ZERO
        };
        TeleopOutput {
            command: self.command,
            mode: self.mode,
            policy_switch: std::mem::take(&mut self.policy_switch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Button;

    fn walking() -> Teleop {
        let mut t = Teleop::new(GamepadMapping::default());
        assert_eq!(t.mode(), Mode::Stand, "starts standing");
        t.handle(InputEvent::Pressed(Button::South));
        assert_eq!(t.mode(), Mode::Walk);
        t
    }

    fn axis(axis: Axis, value: f32) -> InputEvent {
        InputEvent::Axis { axis, value }
    }

    fn run(t: &mut Teleop, seconds: f32) -> TeleopOutput {
        let mut out = TeleopOutput::default();
        for _ in 0..(seconds / 0.02).round() as usize {
            out = t.update(0.02);
        }
        out
    }

    #[test]
    fn left_stick_drives_forward_and_lateral_right_stick_yaw() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, 1.0));
        t.handle(axis(Axis::LeftStickX, 1.0));
        t.handle(axis(Axis::RightStickX, -1.0));
        let out = run(&mut t, 2.0);
        assert!((out.command.vx - 1.0).abs() < 1e-5, "{out:?}");
        // Stick right moves right: negative lateral velocity; stick left turns left: positive yaw.
        assert!((out.command.vy + 0.6).abs() < 1e-5, "{out:?}");
        assert!((out.command.yaw_rate - 1.0).abs() < 1e-5, "{out:?}");
    }

    #[test]
    fn dead_zone_holds_a_drifting_stick_at_zero() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, 0.08));
        t.handle(axis(Axis::RightStickX, -0.09));
        assert_eq!(run(&mut t, 1.0).command, VelocityCommand::ZERO);
        t.handle(axis(Axis::LeftStickY, 0.55));
        let out = run(&mut t, 1.0);
        assert!((out.command.vx - 0.5).abs() < 1e-5, "{out:?}");
    }

    #[test]
    fn rate_limit_bounds_the_change_per_step() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, 1.0));
        let first = t.update(0.02);
        assert!((first.command.vx - 2.0 * 0.02).abs() < 1e-6, "{first:?}");
        let mut last = first.command.vx;
        for _ in 0..100 {
            let vx = t.update(0.02).command.vx;
            assert!(vx - last <= 2.0 * 0.02 + 1e-6);
            last = vx;
        }
        // Full stick back: it takes 1 s (2 m/s / 2 m/s²) to get from +1 to -1.
        t.handle(axis(Axis::LeftStickY, -1.0));
        let half = run(&mut t, 0.5);
        assert!(half.command.vx.abs() < 1e-4, "{half:?}");
        assert!((run(&mut t, 0.5).command.vx + 1.0).abs() < 1e-4);
    }

    #[test]
    fn stand_button_toggles_and_zeroes_the_command_at_once() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, 1.0));
        assert!(run(&mut t, 1.0).command.vx > 0.9);
        t.handle(InputEvent::Pressed(Button::South));
        let out = t.update(0.02);
        assert_eq!(out.mode, Mode::Stand);
        assert_eq!(out.command, VelocityCommand::ZERO);
        t.handle(InputEvent::Released(Button::South));
        t.handle(InputEvent::Pressed(Button::South));
        assert_eq!(t.update(0.02).mode, Mode::Walk);
    }

    #[test]
    fn estop_latches_until_release_and_release_leads_to_stand() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, 1.0));
        run(&mut t, 1.0);
        t.handle(InputEvent::Pressed(Button::East));
        let out = t.update(0.02);
        assert_eq!(
            (out.mode, out.command),
            (Mode::EStop, VelocityCommand::ZERO)
        );
        // Neither the stand button nor set_mode(Walk) leaves the e-stop.
        t.handle(InputEvent::Pressed(Button::South));
        t.set_mode(Mode::Walk);
        assert_eq!(t.update(0.02).mode, Mode::EStop);
        t.handle(InputEvent::Pressed(Button::Start));
        let out = t.update(0.02);
        assert_eq!(
            (out.mode, out.command),
            (Mode::Stand, VelocityCommand::ZERO)
        );
    }

    #[test]
    fn policy_switches_are_counted_once() {
        let mut t = walking();
        t.handle(InputEvent::Pressed(Button::RightBumper));
        t.handle(InputEvent::Pressed(Button::RightBumper));
        t.handle(InputEvent::Pressed(Button::LeftBumper));
        assert_eq!(t.update(0.02).policy_switch, 1);
        assert_eq!(t.update(0.02).policy_switch, 0);
    }

    #[test]
    fn disconnect_recentres_sticks_and_stands() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, 1.0));
        run(&mut t, 1.0);
        t.handle(InputEvent::Disconnected);
        let out = t.update(0.02);
        assert_eq!(
            (out.mode, out.command),
            (Mode::Stand, VelocityCommand::ZERO)
        );
        assert_eq!(t.axis(Axis::LeftStickY), 0.0);
    }

    #[test]
    fn garbage_values_are_clamped_or_zeroed() {
        let mut t = walking();
        t.handle(axis(Axis::LeftStickY, f32::NAN));
        t.handle(axis(Axis::RightStickX, -30.0));
        let out = run(&mut t, 2.0);
        assert_eq!(out.command.vx, 0.0);
        assert!((out.command.yaw_rate - 1.0).abs() < 1e-5);
        assert_eq!(t.update(f32::NAN).command, out.command);
    }
}
