//! The sim node's core, without ROS: one Rapier robot ([`sim::RobotWorld`]) stepped in real
//! time, taking joint position targets and reporting what a robot's drivers would publish
//! (joint states, IMU, odometry).

use crate::error::RosError;
use sim::{PhysicsConfig, RobotWorld, Terrain, Vec3};
use std::sync::Arc;

/// PD/solver substep the locomotion policies were trained with (0.02 s / 8 substeps).
const TRAINED_SUBSTEP_S: f64 = 0.0025;

/// What the simulated robot reports after a step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimReadout {
    /// Simulated time (s).
    pub time_s: f64,
    /// Joint positions (rad), joint order.
    pub q: Vec<f64>,
    /// Joint velocities (rad/s), joint order.
    pub qd: Vec<f64>,
    /// PD joint efforts (N m), joint order.
    pub effort: Vec<f64>,
    /// Base position, world frame (m).
    pub pos_w: [f64; 3],
    /// Base orientation `(x, y, z, w)`, world <- body.
    pub rot_w: [f64; 4],
    /// Base linear velocity, body frame (m/s).
    pub lin_vel_b: [f64; 3],
    /// Base angular velocity, body frame (rad/s).
    pub ang_vel_b: [f64; 3],
    /// Proper acceleration (what an accelerometer reads), body frame (m/s^2).
    pub lin_acc_b: [f64; 3],
}

/// A simulated robot driven by joint position targets.
pub struct SimRobot {
    world: RobotWorld,
    names: Vec<String>,
    dt: f64,
    time_s: f64,
    q32: Vec<f32>,
    qd32: Vec<f32>,
    tau32: Vec<f32>,
    targets32: Vec<f32>,
    prev_lin_vel_w: Vec3,
    lin_acc_w: Vec3,
}

impl SimRobot {
    /// Builds the robot `spec` standing on flat ground at its default pose, stepped at `hz`
    /// (substeps chosen so the PD runs at the trained 2.5 ms).
    pub fn new(spec: robots::RobotSpec, hz: f64) -> Result<Self, RosError> {
        let dt = 1.0 / hz;
        let physics = PhysicsConfig {
            control_dt: dt as f32,
            decimation: 1,
            solver_substeps: ((dt / TRAINED_SUBSTEP_S).round() as usize).max(1),
            ..PhysicsConfig::default()
        };
        let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
        let n = names.len();
        let terrain = Terrain::flat();
        let world = RobotWorld::new(Arc::new(spec), &terrain, physics)?;
        let targets32 = world.default_positions().to_vec();
        let mut s = Self {
            world,
            names,
            dt,
            time_s: 0.0,
            q32: vec![0.0; n],
            qd32: vec![0.0; n],
            tau32: vec![0.0; n],
            targets32,
            prev_lin_vel_w: Vec3::ZERO,
            lin_acc_w: Vec3::ZERO,
        };
        s.read_joints();
        Ok(s)
    }

    /// Joint names in joint order.
    pub fn joint_names(&self) -> &[String] {
        &self.names
    }

    /// Step length (s).
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The simulated world.
    pub fn world(&self) -> &RobotWorld {
        &self.world
    }

    /// Sets PD targets in joint order (clamped into the joint limits by the simulator).
    /// A wrong length or a non-finite value is refused and the previous targets stay.
    pub fn set_targets(&mut self, targets: &[f64]) -> Result<(), String> {
        if targets.len() != self.names.len() {
            return Err(format!(
                "command has {} values, the robot has {} joints",
                targets.len(),
                self.names.len()
            ));
        }
        if let Some(k) = targets.iter().position(|v| !v.is_finite()) {
            return Err(format!("non-finite target for joint '{}'", self.names[k]));
        }
        for (t, v) in self.targets32.iter_mut().zip(targets) {
            *t = *v as f32;
        }
        self.world
            .set_joint_targets(&self.targets32)
            .map_err(|e| e.to_string())
    }

    /// Sets PD targets by joint name (a `JointTrajectory` point); every joint must appear once.
    pub fn set_targets_by_name(&mut self, names: &[String], targets: &[f64]) -> Result<(), String> {
        if names.len() != targets.len() {
            return Err(format!(
                "{} joint names but {} positions",
                names.len(),
                targets.len()
            ));
        }
        let mut ordered = vec![f64::NAN; self.names.len()];
        for (name, &t) in names.iter().zip(targets) {
            let k = self
                .names
                .iter()
                .position(|n| n == name)
                .ok_or_else(|| format!("unknown joint '{name}'"))?;
            ordered[k] = t;
        }
        if let Some(k) = ordered.iter().position(|v| v.is_nan()) {
            return Err(format!("no target for joint '{}'", self.names[k]));
        }
        self.set_targets(&ordered)
    }

    fn read_joints(&mut self) {
        self.world.joint_positions(&mut self.q32);
        self.world.joint_velocities(&mut self.qd32);
        self.world
            .pd_torques(&self.q32, &self.qd32, &mut self.tau32);
    }

    /// Advances one step.
    pub fn step(&mut self) {
        self.world.step();
        self.time_s += self.dt;
        self.read_joints();
        let base = self.world.base_state();
        self.lin_acc_w = (base.lin_vel_w - self.prev_lin_vel_w) / self.dt as f32;
        self.prev_lin_vel_w = base.lin_vel_w;
    }

    /// The current state into `out` (reuses its buffers).
    pub fn readout(&self, out: &mut SimReadout) {
        let base = self.world.base_state();
        let d = |v: Vec3| [v.x as f64, v.y as f64, v.z as f64];
        out.time_s = self.time_s;
        let f = |src: &[f32], dst: &mut Vec<f64>| {
            dst.clear();
            dst.extend(src.iter().map(|&v| v as f64));
        };
        f(&self.q32, &mut out.q);
        f(&self.qd32, &mut out.qd);
        f(&self.tau32, &mut out.effort);
        out.pos_w = d(base.pos_w);
        let r = base.rot_w;
        out.rot_w = [r.x as f64, r.y as f64, r.z as f64, r.w as f64];
        out.lin_vel_b = d(base.lin_vel_b);
        out.ang_vel_b = d(base.ang_vel_b);
        // Accelerometer: (a - g) in the body frame.
        let proper_w = self.lin_acc_w - Vec3::new(0.0, 0.0, -9.81);
        out.lin_acc_b = d(r.inverse() * proper_w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stands_at_the_default_pose_and_refuses_bad_commands() {
        let spec = robots::load_builtin_or_path("quadruped").expect("robot");
        let default: Vec<f64> = spec.default_positions();
        let mut s = SimRobot::new(spec, 200.0).expect("sim");
        let mut r = SimReadout::default();
        for _ in 0..200 {
            s.step();
        }
        s.readout(&mut r);
        assert!((r.time_s - 1.0).abs() < 1e-9);
        assert!(r.pos_w[2] > 0.2, "standing: {:?}", r.pos_w);
        for (q, d) in r.q.iter().zip(&default) {
            assert!((q - d).abs() < 0.25, "{q} vs {d}");
        }
        assert!(
            (r.lin_acc_b[2] - 9.81).abs() < 1.0,
            "accelerometer at rest: {:?}",
            r.lin_acc_b
        );
        assert!(s.set_targets(&[0.0; 3]).is_err());
        let mut nan = default.clone();
        nan[4] = f64::NAN;
        let e = s.set_targets(&nan).expect_err("nan");
        assert!(e.contains("FR_thigh_joint"), "{e}");
        let names: Vec<String> = s.joint_names().to_vec();
        s.set_targets_by_name(&names, &default).expect("by name");
        let e = s
            .set_targets_by_name(&["nope".into()], &[0.0])
            .expect_err("unknown");
        assert!(e.contains("nope"), "{e}");
    }
}
