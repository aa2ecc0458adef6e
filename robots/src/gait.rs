//! A trot trajectory generator: an open-loop stepping pattern added to the policy's joint targets,
//! with the gait phase given to the policy as `[sin, cos]` (policies modulating trajectory
//! generators, Iscen et al. 2018; Lee et al. 2020 used a foot-trajectory generator the same way).
//! The policy then learns to steer a robot that already steps instead of discovering stepping
//! from noise. Shared by the simulator and the ROS 2 policy node, so both add the same offsets.

use serde::{Deserialize, Serialize};

/// Trot parameters (`[env.gait]` of a locomotion config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrotGait {
    /// Gait period (s): one swing of each diagonal pair.
    pub period_s: f32,
    /// Thigh offset at the top of a swing (rad).
    pub thigh_swing: f32,
    /// Calf offset at the top of a swing (rad; negative bends the knee on A1-style legs).
    pub calf_swing: f32,
    /// Leg-name prefixes of the first diagonal pair (the other legs swing half a period later).
    pub first_pair: Vec<String>,
    /// Substring naming thigh joints.
    pub thigh_joint: String,
    /// Substring naming calf joints.
    pub calf_joint: String,
}

/// The defaults step the project's quadruped in place: 0.4 s period, feet lifted ~4.5 cm, base
/// tilt under 5 deg and 0.5 m drift in 10 s open loop (a probe over period and amplitudes; at a
/// 0.5 s period the base rocked 16 deg, and a positive thigh swing walked it backwards).
impl Default for TrotGait {
    fn default() -> Self {
        Self {
            period_s: 0.4,
            thigh_swing: -0.15,
            calf_swing: -0.4,
            first_pair: vec!["FL".into(), "RR".into()],
            thigh_joint: "thigh".into(),
            calf_joint: "calf".into(),
        }
    }
}

/// The generator bound to a robot's joint order.
#[derive(Debug, Clone, PartialEq)]
pub struct TrotGenerator {
    gait: TrotGait,
    /// Per joint: (swing amplitude, pair offset in periods 0 or 0.5).
    joints: Vec<(f32, f32)>,
}

/// Length of the phase features appended to the observation.
pub const GAIT_OBS_DIM: usize = 2;

impl TrotGenerator {
    /// Binds `gait` to the joints named `joint_names` (in joint order); the error names the key
    /// that matched no joint.
    pub fn new<S: AsRef<str>>(
        gait: &TrotGait,
        joint_names: &[S],
    ) -> Result<Self, (String, String)> {
        if !(gait.period_s.is_finite() && gait.period_s > 0.0) {
            return Err((
                "gait.period_s".into(),
                format!("must be a positive number, got {}", gait.period_s),
            ));
        }
        if !(gait.thigh_swing.is_finite() && gait.calf_swing.is_finite()) {
            return Err(("gait.thigh_swing".into(), "must be finite".into()));
        }
        let mut thighs = 0;
        let mut calves = 0;
        let joints: Vec<(f32, f32)> = joint_names
            .iter()
            .map(|name| {
                let name = name.as_ref();
                let offset = if gait.first_pair.iter().any(|p| name.starts_with(p.as_str())) {
                    0.0
                } else {
                    0.5
                };
                if name.contains(gait.thigh_joint.as_str()) {
                    thighs += 1;
                    (gait.thigh_swing, offset)
                } else if name.contains(gait.calf_joint.as_str()) {
                    calves += 1;
                    (gait.calf_swing, offset)
                } else {
                    (0.0, offset)
                }
            })
            .collect();
        if thighs == 0 {
            return Err((
                "gait.thigh_joint".into(),
                format!("'{}' names no joint", gait.thigh_joint),
            ));
        }
        if calves == 0 {
            return Err((
                "gait.calf_joint".into(),
                format!("'{}' names no joint", gait.calf_joint),
            ));
        }
        Ok(Self {
            gait: gait.clone(),
            joints,
        })
    }

    /// Phase in `[0, 1)` at `t` seconds since the gait started.
    pub fn phase(&self, t: f64) -> f32 {
        (t / self.gait.period_s as f64).rem_euclid(1.0) as f32
    }

    /// Joint-target offsets (rad, joint order) at `phase`: each leg lifts (positive half of a
    /// sine) during its pair's half period and stands during the other.
    ///
    /// # Shapes
    /// `out: [joints]`
    pub fn offsets(&self, phase: f32, out: &mut [f32]) {
        for ((amp, offset), o) in self.joints.iter().zip(out.iter_mut()) {
            let s = (std::f32::consts::TAU * (phase + offset)).sin().max(0.0);
            *o = amp * s;
        }
    }

    /// The phase features the policy observes: `[sin 2 pi phase, cos 2 pi phase]`.
    pub fn observation(&self, phase: f32) -> [f32; GAIT_OBS_DIM] {
        let a = std::f32::consts::TAU * phase;
        [a.sin(), a.cos()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> crate::RobotSpec {
        crate::load_builtin_or_path("quadruped").expect("builtin quadruped")
    }

    fn names(s: &crate::RobotSpec) -> Vec<String> {
        s.joints.iter().map(|j| j.name.clone()).collect()
    }

    #[test]
    fn diagonal_pairs_swing_half_a_period_apart() {
        let s = spec();
        let g = TrotGenerator::new(&TrotGait::default(), &names(&s)).expect("binds");
        let mut out = vec![0.0; s.num_joints()];
        g.offsets(0.25, &mut out);
        for (j, o) in s.joints.iter().zip(&out) {
            let first = j.name.starts_with("FL") || j.name.starts_with("RR");
            let expect = match (first, j.name.contains("thigh"), j.name.contains("calf")) {
                (true, true, _) => -0.15,
                (true, _, true) => -0.4,
                _ => 0.0,
            };
            assert!((o - expect).abs() < 1e-6, "{}: {o}", j.name);
        }
        g.offsets(0.75, &mut out);
        let lifted: Vec<&str> = s
            .joints
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.abs() > 0.05)
            .map(|(j, _)| &j.name[..2])
            .collect();
        assert!(
            lifted.iter().all(|p| *p == "FR" || *p == "RL"),
            "{lifted:?}"
        );
        assert!(
            (g.phase(1.0) - 0.5).abs() < 1e-6,
            "1 s is 2.5 periods of 0.4 s"
        );
        let [s0, c0] = g.observation(0.0);
        assert!((s0, c0) == (0.0, 1.0));
    }

    #[test]
    fn a_joint_key_that_names_nothing_is_reported() {
        let gait = TrotGait {
            calf_joint: "knee".into(),
            ..TrotGait::default()
        };
        let (key, msg) = TrotGenerator::new(&gait, &names(&spec())).expect_err("no knee joints");
        assert_eq!(key, "gait.calf_joint");
        assert!(msg.contains("knee"), "{msg}");
        let gait = TrotGait {
            period_s: -1.0,
            ..TrotGait::default()
        };
        assert_eq!(
            TrotGenerator::new(&gait, &names(&spec()))
                .expect_err("bad")
                .0,
            "gait.period_s"
        );
    }
}
