//! The quantities the imitation reward and metrics compare, for the simulated character and for
//! the reference clip: root state, joint positions and velocities, where each joint is, the
//! centre of mass.

use crate::robot_world::RobotWorld;
use nalgebra::{Isometry3, UnitQuaternion};
use rapier3d::glamx::Quat;
use rapier3d::prelude::Vec3;
use robots::RobotSpec;
use robots::motion::MotionClip;

/// One character's pose and motion (world frame, f32).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoseFeatures {
    /// Root position (m).
    pub root_pos: Vec3,
    /// Root orientation.
    pub root_rot: Quat,
    /// Root linear velocity (m/s).
    pub root_lin_vel: Vec3,
    /// Root angular velocity (rad/s).
    pub root_ang_vel: Vec3,
    /// Joint positions (`[nq]`; `w, x, y, z` per ball joint).
    pub q: Vec<f32>,
    /// Joint velocities (`[nv]`).
    pub qd: Vec<f32>,
    /// Position of every site (a character's joints, a robot's bodies and feet; root first).
    pub joint_pos: Vec<Vec3>,
    /// Centre of mass (m).
    pub com: Vec3,
    /// Centre-of-mass velocity (m/s).
    pub com_vel: Vec3,
}

impl PoseFeatures {
    /// The rotation about z that turns the world's x axis onto the root's heading.
    pub fn heading_rot(&self) -> Quat {
        heading_rot(self.root_rot)
    }

    /// Joint `j`'s position relative to the root, in the root's heading frame.
    pub fn root_relative(&self, j: usize) -> Vec3 {
        self.heading_rot().inverse() * (self.joint_pos[j] - self.root_pos)
    }
}

/// The yaw-only part of an orientation.
pub fn heading_rot(rot: Quat) -> Quat {
    let x = rot * Vec3::X;
    Quat::from_rotation_z(x.y.atan2(x.x))
}

/// Where each comparison site sits: the spec body holding it and its offset there.
#[derive(Debug, Clone)]
pub struct JointSites {
    sites: Vec<(usize, Isometry3<f64>)>,
}

impl JointSites {
    /// Where the links `names` sit in `spec`; `Err` names the first link `spec` lacks.
    pub fn new(names: &[String], spec: &RobotSpec) -> Result<Self, String> {
        let sites = names
            .iter()
            .map(|n| spec.find_link(n).ok_or_else(|| n.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { sites })
    }

    /// Features of the simulated character.
    pub fn simulated(&self, world: &RobotWorld, out: &mut PoseFeatures) {
        let base = world.base_state();
        out.root_pos = base.pos_w;
        out.root_rot = base.rot_w;
        out.root_lin_vel = base.lin_vel_w;
        out.root_ang_vel = base.ang_vel_w;
        let spec = world.spec();
        out.q.resize(spec.nq(), 0.0);
        out.qd.resize(spec.nv(), 0.0);
        world.joint_positions(&mut out.q);
        world.joint_velocities(&mut out.qd);
        out.joint_pos.clear();
        for (body, offset) in &self.sites {
            let t = offset.translation.vector;
            let p = Vec3::new(t.x as f32, t.y as f32, t.z as f32);
            out.joint_pos
                .push(world.point_w(*body, p).unwrap_or(Vec3::ZERO));
        }
        // Masses and centres from the description (Rapier fills its own mass properties only
        // at the first step).
        let (mut mass, mut com, mut momentum) = (0.0, Vec3::ZERO, Vec3::ZERO);
        for (b, body) in spec.bodies.iter().enumerate() {
            let c = body.com_b;
            let Ok(c) = world.point_w(b, Vec3::new(c.x as f32, c.y as f32, c.z as f32)) else {
                continue;
            };
            let v = world.velocity_at_point(b, c).unwrap_or(Vec3::ZERO);
            let m = body.mass as f32;
            mass += m;
            com += c * m;
            momentum += v * m;
        }
        out.com = com / mass.max(1e-9);
        out.com_vel = momentum / mass.max(1e-9);
    }

    /// Features of the reference at clip time `t`, shifted by `offset` in the ground plane.
    /// The centre-of-mass velocity is a central difference over `h` seconds.
    pub fn reference(
        &self,
        spec: &RobotSpec,
        clip: &MotionClip,
        t: f64,
        offset: Vec3,
        h: f64,
        out: &mut PoseFeatures,
    ) {
        let pose = clip.pose_at(t);
        let vel = clip.velocity_at(t);
        let root = pose.root_pose();
        out.root_pos = vec3(&root.translation.vector) + offset;
        out.root_rot = quat(&root.rotation);
        out.root_lin_vel = vec3(&vel.root_lin_vel);
        out.root_ang_vel = vec3(&vel.root_ang_vel);
        out.q.clear();
        out.q.extend(pose.q.iter().map(|&x| x as f32));
        out.qd.clear();
        out.qd.extend(vel.qd.iter().map(|&x| x as f32));
        let poses = robots::body_poses(spec, root, &pose.q).expect("the clip fits its robot");
        out.joint_pos.clear();
        for (body, site) in &self.sites {
            out.joint_pos
                .push(vec3(&(poses[*body] * site).translation.vector) + offset);
        }
        out.com = vec3(&centre_of_mass(spec, &poses)) + offset;
        let com_at = |t: f64| {
            let p = clip.pose_at(t);
            let poses = robots::body_poses(spec, p.root_pose(), &p.q).expect("fits");
            centre_of_mass(spec, &poses)
        };
        let lo = (t - h).max(0.0);
        out.com_vel = vec3(&((com_at(t + h) - com_at(lo)) / (t + h - lo)));
    }
}

fn centre_of_mass(spec: &RobotSpec, poses: &[Isometry3<f64>]) -> nalgebra::Vector3<f64> {
    let mut sum = nalgebra::Vector3::zeros();
    for (body, pose) in spec.bodies.iter().zip(poses) {
        sum += pose.transform_point(&body.com_b.into()).coords * body.mass;
    }
    sum / spec.total_mass()
}

/// nalgebra to glam.
pub fn vec3(v: &nalgebra::Vector3<f64>) -> Vec3 {
    Vec3::new(v.x as f32, v.y as f32, v.z as f32)
}

/// nalgebra to glam.
pub fn quat(q: &UnitQuaternion<f64>) -> Quat {
    Quat::from_xyzw(q.i as f32, q.j as f32, q.k as f32, q.w as f32)
}
