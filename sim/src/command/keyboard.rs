//! The terminal keyboard as a virtual gamepad: keys move virtual sticks in steps and press the
//! mapped buttons, so keyboard teleoperation goes through the same [`super::Teleop`] as a pad.

use super::{AxisMap, Button, GamepadMapping, InputEvent};

/// Keys to virtual-stick events for a [`GamepadMapping`].
#[derive(Debug, Clone)]
pub struct KeyboardPad {
    mapping: GamepadMapping,
    /// Fraction of full scale of forward, lateral, yaw in `[-1, 1]`.
    fractions: [f32; 3],
    step: f32,
}

impl KeyboardPad {
    /// One line of help for the terminal.
    pub const HELP: &'static str = "keys: w/s forward/back, a/d left/right, q/e turn left/right, space stop, \
         t stand/walk, x e-stop, r release, n/p next/previous policy, Ctrl-C quit";

    /// A keyboard pad; each key press moves a velocity by `step` of its full scale.
    pub fn new(mapping: GamepadMapping, step: f32) -> Self {
        Self {
            mapping,
            fractions: [0.0; 3],
            step: step.clamp(0.01, 1.0),
        }
    }

    /// The current fractions of full scale `[forward, lateral, yaw]`.
    pub fn fractions(&self) -> [f32; 3] {
        self.fractions
    }

    /// The events one key press produces (none for an unmapped key).
    pub fn key(&mut self, key: char) -> Vec<InputEvent> {
        let press = |b: Button| vec![InputEvent::Pressed(b), InputEvent::Released(b)];
        let b = self.mapping.buttons;
        let (index, delta) = match key.to_ascii_lowercase() {
            'w' => (0, 1.0),
            's' => (0, -1.0),
            'a' => (1, 1.0),
            'd' => (1, -1.0),
            'q' => (2, 1.0),
            'e' => (2, -1.0),
            ' ' => {
                self.fractions = [0.0; 3];
                return (0..3).map(|i| self.axis_event(i)).collect();
            }
            't' => return press(b.stand),
            'x' => return press(b.estop),
            'r' => return press(b.release),
            'n' => return press(b.next_policy),
            'p' => return press(b.previous_policy),
            _ => return Vec::new(),
        };
        let f = &mut self.fractions[index];
        *f = ((*f + delta * self.step) * 1000.0).round() / 1000.0;
        *f = f.clamp(-1.0, 1.0);
        vec![self.axis_event(index)]
    }

    /// The raw axis value that the mapping's dead zone turns back into the wanted fraction.
    fn axis_event(&self, index: usize) -> InputEvent {
        let m = &self.mapping;
        let map: &AxisMap = [&m.forward, &m.lateral, &m.yaw][index];
        let f = self.fractions[index];
        let mut raw = if f == 0.0 {
            0.0
        } else {
            f.signum() * (m.dead_zone + f.abs() * (1.0 - m.dead_zone))
        };
        if map.invert {
            raw = -raw;
        }
        InputEvent::Axis {
            axis: map.axis,
            value: raw,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Mode, Teleop};

    #[test]
    fn keys_drive_the_same_teleop_as_a_pad() {
        let mapping = GamepadMapping::default();
        let mut pad = KeyboardPad::new(mapping, 0.25);
        let mut teleop = Teleop::new(mapping);
        for k in ['t', 'w', 'w', 'a', 'e', 'e', 'e', 'e', 'e'] {
            for ev in pad.key(k) {
                teleop.handle(ev);
            }
        }
        assert_eq!(teleop.mode(), Mode::Walk);
        assert_eq!(pad.fractions(), [0.5, 0.25, -1.0]);
        let t = teleop.target();
        assert!((t.vx - 0.5).abs() < 1e-5, "{t:?}");
        assert!((t.vy - 0.15).abs() < 1e-5, "{t:?}");
        assert!((t.yaw_rate + 1.0).abs() < 1e-5, "{t:?}");
        for ev in pad.key(' ') {
            teleop.handle(ev);
        }
        assert_eq!(teleop.target(), super::super::VelocityCommand::ZERO);
        for ev in pad.key('x') {
            teleop.handle(ev);
        }
        assert_eq!(teleop.mode(), Mode::EStop);
        assert!(pad.key('?').is_empty());
    }
}
