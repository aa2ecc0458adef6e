//! The sim node's core, without ROS: one Rapier robot ([`sim::RobotWorld`]) on a terrain,
//! stepped in real time, taking joint position targets and reporting what a robot's drivers
//! would publish (joint states, IMU, odometry), and what a depth camera would see: the terrain
//! around the base as world-frame points, ray-cast on a grid aligned with the heading.

use embody_ros::height_cloud::HeightCloudConfig;
use sim::{PhysicsConfig, Quat, RobotWorld, Terrain, Vec3};
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
    /// Builds the robot `spec` standing on `terrain` over the origin at its default pose, stepped at `hz`
    /// (substeps chosen so the PD runs at the trained 2.5 ms).
    pub fn new(spec: robots::RobotSpec, hz: f64, terrain: &Terrain) -> Result<Self, sim::SimError> {
        let dt = 1.0 / hz;
        let physics = PhysicsConfig {
            control_dt: dt as f32,
            decimation: 1,
            solver_substeps: ((dt / TRAINED_SUBSTEP_S).round() as usize).max(1),
            ..PhysicsConfig::default()
        };
        let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
        let n = names.len();
        let nominal = robots::nominal_base_height(&spec).unwrap_or(0.5) as f32;
        let mut world = RobotWorld::new(Arc::new(spec), terrain, physics)?;
        let targets32 = world.default_positions().to_vec();
        // Standing at the default pose over the spawn point, as training episodes start.
        let z = nominal + terrain.height_at(0.0, 0.0) + 0.02;
        world.reset_pose(Vec3::new(0.0, 0.0, z), Quat::IDENTITY, &targets32)?;
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

    /// The simulated world, mutable (tests place the robot).
    pub fn world_mut(&mut self) -> &mut RobotWorld {
        &mut self.world
    }

    /// The terrain around the base as world-frame points `(x, y, ground z)`: a grid `spacing_m`
    /// apart over +-`half_length_m` along the heading and +-`half_width_m` across it, each point
    /// ray-cast down onto the scene (what the locomotion task's height scan reads).
    pub fn height_cloud(&self, cfg: &HeightCloudConfig, out: &mut Vec<[f32; 3]>) {
        let base = self.world.base_state();
        let heading = base.rot_w * Vec3::X;
        let yaw = heading.y.atan2(heading.x);
        let axis = |half: f64| {
            let n = (half / cfg.spacing_m).floor() as i32;
            (-n..=n)
                .map(|i| (i as f64 * cfg.spacing_m) as f32)
                .collect::<Vec<f32>>()
        };
        let (xs, ys) = (axis(cfg.half_length_m), axis(cfg.half_width_m));
        let p = base.pos_w;
        out.clear();
        for [x, y] in robots::contract::height_scan_points(&xs, &ys, [p.x, p.y], yaw) {
            out.push([x, y, self.world.ground_z(x, y, p.z)]);
        }
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
    use crate::test_checkpoint::{test_contract, test_height_scan, write_test_checkpoint_with};
    use embody_ros::config::{NodeConfig, config_dir};
    use embody_ros::core::PolicyCore;
    use embody_ros::height_cloud::{CloudMsg, encode_xyz, xyz_fields};
    use embody_ros::safety::Mode;
    use policies::deploy::DeployPolicy;
    use robots::contract::{ObsSources, ObsTerm};

    #[test]
    fn stands_at_the_default_pose_and_refuses_bad_commands() {
        let spec = robots::load_builtin_or_path("quadruped").expect("robot");
        let default: Vec<f64> = spec.default_positions();
        let mut s = SimRobot::new(spec, 200.0, &Terrain::flat()).expect("sim");
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

    /// A policy node core on the test checkpoint (embody_ros's test helper).
    fn core(height_scan: bool) -> PolicyCore {
        let dir = std::env::temp_dir().join(format!(
            "embody_ros_sim_core_{}_{height_scan}",
            std::process::id()
        ));
        write_test_checkpoint_with(&dir, true, height_scan);
        let cfg = NodeConfig::load(
            &config_dir().join("quadruped.yaml"),
            &["safety.soft_start_s=0".into()],
        )
        .expect("config");
        PolicyCore::new(cfg, DeployPolicy::load(&dir).expect("checkpoint")).expect("core")
    }

    /// Feeds `c` the sim's state as the sim node publishes it (joint state in reverse order:
    /// matched by name) and runs a cycle.
    fn feed(c: &mut PolicyCore, sim: &SimRobot, cloud: Option<&[[f32; 3]]>, now: f64) {
        let mut r = SimReadout::default();
        sim.readout(&mut r);
        let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<f64>>();
        let rnames: Vec<String> = sim.joint_names().iter().rev().cloned().collect();
        c.on_joint_state(now, &rnames, &rev(&r.q), &rev(&r.qd))
            .expect("joints");
        c.on_odometry(now, r.rot_w, r.lin_vel_b, r.ang_vel_b)
            .expect("odom");
        c.on_pose(now, r.pos_w, r.rot_w).expect("pose");
        c.on_cmd_vel(now, [0.5, -0.2, 0.3]).expect("cmd");
        if let Some(points) = cloud {
            let mut data = Vec::new();
            encode_xyz(points, &mut data);
            let fields = xyz_fields();
            c.on_height_cloud(now, &CloudMsg::xyz("odom", &fields, &data))
                .expect("cloud");
        }
        assert!(c.cycle(now + 0.001).publish, "{}", c.status_json());
    }

    /// The observation the node builds from ROS messages equals the one the contract's layout
    /// builds from the simulator's own state (its gravity, body-frame velocities and joint
    /// order), for a robot in motion.
    #[test]
    fn node_observation_equals_the_simulator_observation() {
        let mut c = core(false);
        let spec = robots::load_builtin_or_path("quadruped").expect("robot");
        let mut sim = SimRobot::new(spec, 50.0, &Terrain::flat()).expect("sim");
        let t: Vec<f64> = c
            .config()
            .joints
            .default_position
            .iter()
            .enumerate()
            .map(|(k, d)| d + 0.2 * ((k as f64) * 0.7).sin())
            .collect();
        sim.set_targets(&t).expect("targets");
        for _ in 0..5 {
            sim.step();
        }
        feed(&mut c, &sim, None, 0.0);
        assert_eq!(c.mode(), Mode::Running);
        let n = sim.joint_names().len();
        let (mut q, mut qd) = (vec![0.0; n], vec![0.0; n]);
        sim.world().joint_positions(&mut q);
        sim.world().joint_velocities(&mut qd);
        let base = sim.world().base_state();
        let src = ObsSources {
            lin_vel_b: base.lin_vel_b.to_array(),
            ang_vel_b: base.ang_vel_b.to_array(),
            gravity_b: base.gravity_b.to_array(),
            command: [0.5, -0.2, 0.3],
            joint_pos: &q,
            joint_vel: &qd,
            last_action: &vec![0.0; n],
            ..Default::default()
        };
        let layout = test_contract(false).observation;
        let mut expect = vec![0.0f32; layout.dim()];
        layout.write(&src, &mut expect).expect("layout");
        for (k, (a, b)) in c.last_observation().iter().zip(&expect).enumerate() {
            assert!((a - b).abs() < 1e-5, "obs[{k}]: node {a} vs sim {b}");
        }
    }

    /// On stairs, the height scan the node reads from the sim's published cloud equals the
    /// scan the simulator ray-casts itself at the same pose.
    #[test]
    fn the_node_scan_from_the_sim_cloud_equals_the_ray_cast_scan_on_stairs() {
        let terrain = Terrain::new(
            sim::TerrainKind::Stairs {
                step_height: -0.08,
                step_width: 0.31,
                steps: 6,
                cell: 0.05,
                size: 24.0,
            },
            0,
        );
        let spec = robots::load_builtin_or_path("quadruped").expect("robot");
        let mut sim = SimRobot::new(spec, 50.0, &terrain).expect("sim");
        let cfg = HeightCloudConfig::default();
        // Put the base over the edge of the centre platform (1 m half-width): the scan sees risers.
        let mut state = sim.world().state();
        state.base_pos_w[0] += 1.0;
        sim.world_mut().set_state(&state).expect("state");
        sim.step();
        let mut cloud = Vec::new();
        sim.height_cloud(&cfg, &mut cloud);
        let mut c = core(true);
        feed(&mut c, &sim, Some(&cloud), 0.0);
        let ObsTerm::HeightScan {
            x,
            y,
            base_offset,
            scale,
            ..
        } = test_height_scan()
        else {
            unreachable!("a height scan term")
        };
        let base = sim.world().base_state();
        let heading = base.rot_w * Vec3::X;
        let yaw = heading.y.atan2(heading.x);
        let p = base.pos_w;
        let scan = &c.last_observation()[48..];
        let mut distinct = std::collections::BTreeSet::new();
        for (k, [px, py]) in
            robots::contract::height_scan_points(&x, &y, [p.x, p.y], yaw).enumerate()
        {
            let ground = sim.world().ground_z(px, py, p.z);
            let expect = (p.z - base_offset - ground).clamp(-1.0, 1.0) * scale;
            distinct.insert((expect * 100.0).round() as i64);
            assert!(
                (scan[k] - expect).abs() < 1e-3,
                "scan point {k} at ({px:.2}, {py:.2}): node {} vs ray cast {expect}",
                scan[k]
            );
        }
        assert!(distinct.len() >= 2, "the scan sees a step: {distinct:?}");
    }
}
