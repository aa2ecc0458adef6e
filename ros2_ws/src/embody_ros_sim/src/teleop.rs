//! The teleop node's core: one [`TeleopOutput`] per cycle in (from a gamepad through
//! `sim::command::Teleop`, or a command script), the `cmd_vel` twist and the e-stop message out.
//! Plain Rust, no ROS: `crate::ros::run_teleop_node` (feature `ros`) only wraps it.
//!
//! E-stop rule: the node publishes `true` when its user enters e-stop (and repeats it while the
//! mode stays e-stop, so a late subscriber still stops), and `false` once, when the user leaves
//! e-stop. It never publishes `false` otherwise: a teleop must not release an e-stop pressed
//! elsewhere.

use sim::command::{Mode, TeleopOutput};

/// What one cycle publishes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TeleopMessages {
    /// `geometry_msgs/Twist`: linear (vx, vy, 0) m/s and angular (0, 0, yaw rate) rad/s, body
    /// frame (REP 103). Zero unless the mode is walk.
    pub twist: ([f64; 3], [f64; 3]),
    /// `std_msgs/Bool` for the e-stop topic, when one is due this cycle.
    pub e_stop: Option<bool>,
}

/// Turns teleop outputs into messages; remembers the e-stop state between cycles.
#[derive(Debug, Clone)]
pub struct TeleopBridge {
    repeat_s: f64,
    in_estop: bool,
    since_estop_msg: f64,
}

impl TeleopBridge {
    /// A bridge that repeats an active e-stop every `repeat_s` seconds.
    pub fn new(repeat_s: f64) -> Self {
        Self {
            repeat_s: repeat_s.max(0.0),
            in_estop: false,
            since_estop_msg: 0.0,
        }
    }

    /// The messages of one cycle `dt` seconds after the last.
    pub fn cycle(&mut self, out: &TeleopOutput, dt: f64) -> TeleopMessages {
        let estop_now = out.mode == Mode::EStop;
        self.since_estop_msg += dt.max(0.0);
        let e_stop = match (self.in_estop, estop_now) {
            (false, true) | (true, false) => Some(estop_now),
            (true, true) if self.since_estop_msg >= self.repeat_s => Some(true),
            _ => None,
        };
        if e_stop.is_some() {
            self.since_estop_msg = 0.0;
        }
        self.in_estop = estop_now;
        let twist = if out.mode == Mode::Walk {
            out.command.to_twist()
        } else {
            ([0.0; 3], [0.0; 3])
        };
        TeleopMessages { twist, e_stop }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::command::VelocityCommand;

    fn out(mode: Mode, vx: f32, yaw: f32) -> TeleopOutput {
        TeleopOutput {
            command: VelocityCommand::new(vx, 0.0, yaw),
            mode,
            policy_switch: 0,
        }
    }

    #[test]
    fn walk_publishes_the_command_and_other_modes_publish_zero() {
        let mut b = TeleopBridge::new(0.5);
        let m = b.cycle(&out(Mode::Walk, 0.5, -0.25), 0.02);
        assert_eq!(m.twist, ([0.5, 0.0, 0.0], [0.0, 0.0, -0.25]));
        assert_eq!(m.e_stop, None, "no e-stop message while nothing changed");
        let m = b.cycle(&out(Mode::Stand, 0.5, -0.25), 0.02);
        assert_eq!(m.twist, ([0.0; 3], [0.0; 3]));
    }

    #[test]
    fn e_stop_is_sent_on_entry_repeated_while_held_and_released_once() {
        let mut b = TeleopBridge::new(0.1);
        let m = b.cycle(&out(Mode::EStop, 1.0, 0.0), 0.02);
        assert_eq!((m.e_stop, m.twist), (Some(true), ([0.0; 3], [0.0; 3])));
        let sent: Vec<Option<bool>> = (0..10)
            .map(|_| b.cycle(&out(Mode::EStop, 0.0, 0.0), 0.02).e_stop)
            .collect();
        assert_eq!(
            sent.iter().filter(|s| **s == Some(true)).count(),
            2,
            "{sent:?}"
        );
        assert_eq!(
            b.cycle(&out(Mode::Stand, 0.0, 0.0), 0.02).e_stop,
            Some(false)
        );
        for _ in 0..100 {
            assert_eq!(b.cycle(&out(Mode::Walk, 0.3, 0.0), 0.02).e_stop, None);
        }
    }
}
