//! The safety layer between the policy and the robot: a plain struct, no ROS.
//!
//! Modes and what the node publishes in each (the documented safe behaviour):
//!
//! | mode        | entered when                                        | joint targets published            |
//! |-------------|-----------------------------------------------------|------------------------------------|
//! | `waiting`   | no valid state has ever arrived                     | none                               |
//! | `soft_start`| fresh state after waiting, hold, e-stop release     | ramp from the measured pose to the default pose over `soft_start_s` |
//! | `running`   | the ramp finished                                   | policy targets, clamped (below)     |
//! | `hold`      | no fresh joint/base state for `state_timeout_ms` (stale, malformed or killed publisher) | the last published targets |
//! | `e_stop`    | `true` on the e-stop topic                          | damp: targets = measured positions (PD then only damps), the last targets if the state is stale |
//! | `safe_mode` | tilt beyond `max_tilt_deg`, or `max_nonfinite_actions` non-finite policy outputs in a row | damp, as for e-stop; latched until an e-stop press and release |
//!
//! In `running` every target passes, in order: a NaN/inf guard (a non-finite output repeats the
//! last targets), a rate limit (`velocity_limit * dt` per cycle), an effort clamp (the PD effort
//! `kp (target - q) - kd qd` stays within `effort_limit` for the measured `q`, `qd`), and the
//! position limits. Every published target is inside the position limits.

use crate::config::{JointsConfig, SafetyConfig};
use serde::Serialize;

/// What the node is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// No valid state yet: nothing is published.
    Waiting,
    /// Ramping from the measured pose to the default pose.
    SoftStart,
    /// The policy commands the joints.
    Running,
    /// State is stale: the last targets are held.
    Hold,
    /// E-stop pressed: damping.
    EStop,
    /// A fault (tilt, repeated non-finite actions): damping, latched.
    SafeMode,
}

impl Mode {
    /// Snake-case name (as in the status JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Waiting => "waiting",
            Mode::SoftStart => "soft_start",
            Mode::Running => "running",
            Mode::Hold => "hold",
            Mode::EStop => "e_stop",
            Mode::SafeMode => "safe_mode",
        }
    }
}

/// The measured robot state of this cycle (joint order), when it is fresh.
#[derive(Debug, Clone, Copy)]
pub struct Measured<'a> {
    /// Joint positions (rad).
    pub q: &'a [f64],
    /// Joint velocities (rad/s).
    pub qd: &'a [f64],
    /// Angle between body z and world z (deg).
    pub tilt_deg: f64,
}

/// The safety layer. Call [`SafetyLayer::decide`] then [`SafetyLayer::command`] once per cycle.
#[derive(Debug, Clone)]
pub struct SafetyLayer {
    joints: JointsConfig,
    cfg: SafetyConfig,
    dt: f64,
    mode: Mode,
    reason: String,
    targets: Vec<f64>,
    has_targets: bool,
    ramp_from: Vec<f64>,
    ramp_t: f64,
    estop: bool,
    latched: Option<String>,
    nonfinite: u32,
    events: Vec<String>,
}

/// Angle between the body z axis and the world z axis (deg) from the gravity direction in the
/// body frame.
pub fn tilt_deg(gravity_b: [f64; 3]) -> f64 {
    (-gravity_b[2]).clamp(-1.0, 1.0).acos().to_degrees()
}

impl SafetyLayer {
    /// A layer for `joints` with thresholds `cfg`, called every `dt` seconds.
    pub fn new(joints: &JointsConfig, cfg: SafetyConfig, dt: f64) -> Self {
        let n = joints.names.len();
        Self {
            joints: joints.clone(),
            cfg,
            dt,
            mode: Mode::Waiting,
            reason: "no state received yet".into(),
            targets: joints.default_position.clone(),
            has_targets: false,
            ramp_from: vec![0.0; n],
            ramp_t: 0.0,
            estop: false,
            latched: None,
            nonfinite: 0,
            events: Vec::new(),
        }
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Why the layer is in its mode.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The last targets published (joint order).
    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    /// Whether the e-stop is pressed.
    pub fn estop(&self) -> bool {
        self.estop
    }

    /// Mode changes since the last call, as log lines.
    pub fn take_events(&mut self) -> Vec<String> {
        std::mem::take(&mut self.events)
    }

    /// E-stop input. Pressing enters `e_stop` at the next cycle; releasing also clears a latched
    /// safe mode, and the robot soft-starts again.
    pub fn set_estop(&mut self, pressed: bool) {
        if pressed && !self.estop {
            self.events.push("e-stop pressed".into());
        }
        if !pressed && self.estop {
            self.events.push("e-stop released".into());
            if let Some(r) = self.latched.take() {
                self.events
                    .push(format!("safe mode cleared by e-stop release (was: {r})"));
            }
            self.nonfinite = 0;
        }
        self.estop = pressed;
    }

    fn enter(&mut self, mode: Mode, reason: String) {
        if mode != self.mode || reason != self.reason {
            if mode != self.mode {
                self.events.push(format!(
                    "mode {} -> {}: {reason}",
                    self.mode.as_str(),
                    mode.as_str()
                ));
            }
            self.mode = mode;
            self.reason = reason;
        }
    }

    fn latch(&mut self, reason: String) {
        self.latched = Some(reason.clone());
        self.enter(Mode::SafeMode, reason);
    }

    /// Decides this cycle's mode from the measured state: `Ok` when fresh, `Err(why)` when not.
    pub fn decide(&mut self, measured: Result<&Measured<'_>, &str>) -> Mode {
        if self.estop {
            self.enter(Mode::EStop, "e-stop pressed".into());
            return self.mode;
        }
        if let Some(r) = &self.latched {
            let r = r.clone();
            self.enter(Mode::SafeMode, r);
            return self.mode;
        }
        let m = match measured {
            Err(why) => {
                let mode = if self.has_targets {
                    Mode::Hold
                } else {
                    Mode::Waiting
                };
                self.enter(mode, why.to_string());
                return self.mode;
            }
            Ok(m) => m,
        };
        if !(m.tilt_deg <= self.cfg.max_tilt_deg) {
            self.latch(format!(
                "tilt {:.1} deg beyond the limit of {} deg",
                m.tilt_deg, self.cfg.max_tilt_deg
            ));
            return self.mode;
        }
        match self.mode {
            Mode::Waiting | Mode::Hold | Mode::EStop | Mode::SafeMode => {
                self.ramp_from.copy_from_slice(m.q);
                self.ramp_t = 0.0;
                if self.cfg.soft_start_s > 0.0 {
                    self.enter(
                        Mode::SoftStart,
                        "fresh state: ramping to the default pose".into(),
                    );
                } else {
                    self.enter(Mode::Running, "fresh state (no soft start)".into());
                }
            }
            Mode::SoftStart => {
                if self.ramp_t >= self.cfg.soft_start_s {
                    self.enter(Mode::Running, "soft start done".into());
                }
            }
            Mode::Running => {}
        }
        self.mode
    }

    /// Writes this cycle's targets into `out` and returns whether to publish them.
    /// `policy` holds the policy's targets (joint order) in `running` mode.
    pub fn command(
        &mut self,
        measured: Option<&Measured<'_>>,
        policy: Option<&[f64]>,
        out: &mut [f64],
    ) -> bool {
        let n = self.targets.len();
        if out.len() != n {
            return false;
        }
        match self.mode {
            Mode::Waiting => return false,
            Mode::Hold => out.copy_from_slice(&self.targets),
            Mode::EStop | Mode::SafeMode => match measured {
                Some(m) => out.copy_from_slice(m.q),
                None => out.copy_from_slice(&self.targets),
            },
            Mode::SoftStart => {
                let a = if self.cfg.soft_start_s > 0.0 {
                    (self.ramp_t / self.cfg.soft_start_s).clamp(0.0, 1.0)
                } else {
                    1.0
                };
                let s = a * a * (3.0 - 2.0 * a);
                for k in 0..n {
                    let from = self.ramp_from[k];
                    out[k] = from + (self.joints.default_position[k] - from) * s;
                }
                self.ramp_t += self.dt;
            }
            Mode::Running => {
                let finite = policy.filter(|p| p.len() == n && p.iter().all(|v| v.is_finite()));
                match (finite, measured) {
                    (Some(p), Some(m)) => {
                        self.nonfinite = 0;
                        let j = &self.joints;
                        for k in 0..n {
                            let step = j.velocity_limit[k] * self.dt;
                            let prev = self.targets[k];
                            let mut t = p[k].clamp(prev - step, prev + step);
                            let lo = m.q[k] + (j.kd[k] * m.qd[k] - j.effort_limit[k]) / j.kp[k];
                            let hi = m.q[k] + (j.kd[k] * m.qd[k] + j.effort_limit[k]) / j.kp[k];
                            if lo <= hi {
                                t = t.clamp(lo, hi);
                            }
                            out[k] = t;
                        }
                    }
                    _ => {
                        self.nonfinite += 1;
                        self.events.push(format!(
                            "non-finite policy output ({} in a row): holding the last targets",
                            self.nonfinite
                        ));
                        if self.nonfinite >= self.cfg.max_nonfinite_actions {
                            self.latch(format!(
                                "{} non-finite policy outputs in a row",
                                self.nonfinite
                            ));
                            match measured {
                                Some(m) => out.copy_from_slice(m.q),
                                None => out.copy_from_slice(&self.targets),
                            }
                        } else {
                            out.copy_from_slice(&self.targets);
                        }
                    }
                }
            }
        }
        for k in 0..n {
            let (lo, hi) = (self.joints.position_lower[k], self.joints.position_upper[k]);
            out[k] = if out[k].is_finite() {
                out[k].clamp(lo, hi)
            } else {
                self.joints.default_position[k].clamp(lo, hi)
            };
        }
        self.targets.copy_from_slice(out);
        self.has_targets = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joints() -> JointsConfig {
        JointsConfig {
            names: vec!["a".into(), "b".into()],
            default_position: vec![0.5, -1.0],
            kp: vec![40.0, 40.0],
            kd: vec![1.0, 1.0],
            position_lower: vec![-1.0, -2.0],
            position_upper: vec![1.0, 0.0],
            velocity_limit: vec![10.0, 10.0],
            effort_limit: vec![20.0, 20.0],
        }
    }

    fn cfg(soft_start_s: f64) -> SafetyConfig {
        SafetyConfig {
            state_timeout_ms: 100.0,
            cmd_vel_timeout_ms: 500.0,
            max_tilt_deg: 45.0,
            soft_start_s,
            max_nonfinite_actions: 3,
            cmd_vel_limit: [1.0, 1.0, 1.0],
        }
    }

    const DT: f64 = 0.02;

    fn cycle(
        s: &mut SafetyLayer,
        m: Result<&Measured<'_>, &str>,
        p: Option<&[f64]>,
    ) -> Option<Vec<f64>> {
        s.decide(m);
        let mut out = vec![0.0; 2];
        s.command(m.ok(), p, &mut out).then_some(out)
    }

    #[test]
    fn waits_silently_until_the_first_state() {
        let mut s = SafetyLayer::new(&joints(), cfg(1.0), DT);
        assert_eq!(cycle(&mut s, Err("no joint state yet"), None), None);
        assert_eq!(s.mode(), Mode::Waiting);
    }

    #[test]
    fn soft_start_ramps_from_the_measured_pose_to_the_default_pose() {
        let mut s = SafetyLayer::new(&joints(), cfg(0.2), DT);
        let q = [0.0, 0.0];
        let m = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: 0.0,
        };
        let first = cycle(&mut s, Ok(&m), None).expect("publishes");
        assert_eq!(s.mode(), Mode::SoftStart);
        assert_eq!(first, vec![0.0, 0.0], "starts at the measured pose");
        let mut last = first;
        for _ in 0..9 {
            let t = cycle(&mut s, Ok(&m), None).expect("publishes");
            assert!(t[0] >= last[0] && t[1] <= last[1], "monotone ramp");
            last = t;
        }
        let t = cycle(&mut s, Ok(&m), None).expect("publishes");
        assert!(
            (t[0] - 0.5).abs() < 1e-9 && (t[1] + 1.0).abs() < 1e-9,
            "{t:?}"
        );
        cycle(&mut s, Ok(&m), Some(&[0.5, -1.0]));
        assert_eq!(s.mode(), Mode::Running);
    }

    #[test]
    fn watchdog_holds_the_last_targets_then_soft_starts_again() {
        let mut s = SafetyLayer::new(&joints(), cfg(0.0), DT);
        let q = [0.5, -1.0];
        let m = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: 0.0,
        };
        let t = cycle(&mut s, Ok(&m), Some(&[0.55, -1.05])).expect("runs");
        assert_eq!(s.mode(), Mode::Running);
        let held = cycle(&mut s, Err("state stale"), None).expect("holds");
        assert_eq!(s.mode(), Mode::Hold);
        assert_eq!(held, t);
        assert_eq!(s.reason(), "state stale");
        assert!(
            s.take_events()
                .iter()
                .any(|e| e.contains("running -> hold"))
        );
        cycle(&mut s, Ok(&m), Some(&[0.5, -1.0]));
        assert_eq!(s.mode(), Mode::Running);
    }

    #[test]
    fn nonfinite_actions_hold_then_latch_safe_mode() {
        let mut s = SafetyLayer::new(&joints(), cfg(0.0), DT);
        let q = [0.5, -1.0];
        let m = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: 0.0,
        };
        let good = cycle(&mut s, Ok(&m), Some(&[0.52, -1.0])).expect("runs");
        for _ in 0..2 {
            let t = cycle(&mut s, Ok(&m), Some(&[f64::NAN, 0.0])).expect("holds");
            assert_eq!(t, good);
            assert_eq!(s.mode(), Mode::Running);
        }
        let t = cycle(&mut s, Ok(&m), Some(&[f64::INFINITY, 0.0])).expect("damps");
        assert_eq!(s.mode(), Mode::SafeMode);
        assert_eq!(t, q.to_vec(), "damp = measured pose");
        // Latched: fresh, finite state does not leave safe mode.
        cycle(&mut s, Ok(&m), Some(&[0.5, -1.0]));
        assert_eq!(s.mode(), Mode::SafeMode);
        s.set_estop(true);
        cycle(&mut s, Ok(&m), None);
        assert_eq!(s.mode(), Mode::EStop);
        s.set_estop(false);
        cycle(&mut s, Ok(&m), Some(&[0.5, -1.0]));
        assert_eq!(s.mode(), Mode::Running);
    }

    #[test]
    fn tilt_beyond_the_limit_latches_safe_mode() {
        let mut s = SafetyLayer::new(&joints(), cfg(0.0), DT);
        let q = [0.3, -0.5];
        let tilted = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: 60.0,
        };
        let t = cycle(&mut s, Ok(&tilted), Some(&[0.5, -1.0])).expect("damps");
        assert_eq!(s.mode(), Mode::SafeMode);
        assert_eq!(t, q.to_vec());
        assert!(s.reason().contains("tilt"));
        let nan_tilt = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: f64::NAN,
        };
        let mut s = SafetyLayer::new(&joints(), cfg(0.0), DT);
        cycle(&mut s, Ok(&nan_tilt), None);
        assert_eq!(s.mode(), Mode::SafeMode, "a NaN tilt is a fault");
        assert!((tilt_deg([0.0, 0.0, -1.0])).abs() < 1e-9);
        assert!((tilt_deg([1.0, 0.0, 0.0]) - 90.0).abs() < 1e-9);
    }

    #[test]
    fn estop_damps_and_release_soft_starts() {
        let mut s = SafetyLayer::new(&joints(), cfg(0.1), DT);
        let q = [0.4, -0.9];
        let m = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: 0.0,
        };
        s.set_estop(true);
        let t = cycle(&mut s, Ok(&m), None).expect("damps");
        assert_eq!(s.mode(), Mode::EStop);
        assert_eq!(t, q.to_vec());
        let t = cycle(&mut s, Err("stale"), None).expect("damps on last targets");
        assert_eq!(t, q.to_vec());
        s.set_estop(false);
        cycle(&mut s, Ok(&m), None);
        assert_eq!(s.mode(), Mode::SoftStart);
    }

    #[test]
    fn running_targets_are_rate_effort_and_position_clamped() {
        let mut s = SafetyLayer::new(&joints(), cfg(0.0), DT);
        let q = [0.5, -1.0];
        let m = Measured {
            q: &q,
            qd: &[0.0; 2],
            tilt_deg: 0.0,
        };
        cycle(&mut s, Ok(&m), Some(&[0.5, -1.0]));
        // Rate: 10 rad/s * 0.02 s = 0.2 rad per cycle.
        let t = cycle(&mut s, Ok(&m), Some(&[5.0, -1.0])).expect("runs");
        assert!((t[0] - 0.7).abs() < 1e-9, "{t:?}");
        // Effort: |40 (t - q)| <= 20 -> t within q +- 0.5; position limit 1.0 on joint a.
        for _ in 0..10 {
            cycle(&mut s, Ok(&m), Some(&[5.0, -5.0]));
        }
        let t = s.targets().to_vec();
        assert!((t[0] - 1.0).abs() < 1e-9, "position limit: {t:?}");
        assert!((t[1] + 1.5).abs() < 1e-9, "effort clamp: {t:?}");
        // Moving joint: damping shifts the effort window.
        let qd = [0.0, 10.0];
        let moving = Measured {
            q: &q,
            qd: &qd,
            tilt_deg: 0.0,
        };
        let t = cycle(&mut s, Ok(&moving), Some(&[1.0, -5.0])).expect("runs");
        assert!((t[1] - (-1.0 + (10.0 - 20.0) / 40.0)).abs() < 1e-9, "{t:?}");
    }
}
