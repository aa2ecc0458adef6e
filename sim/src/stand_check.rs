//! Holding the default pose under PD for a while, and measuring how well the robot stands.
//! `embody sim` and the standing tests share this.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::robot_world::RobotWorld;
use crate::terrain::Terrain;
use rapier3d::glamx::Quat;
use rapier3d::prelude::Vec3;
use robots::RobotSpec;
use serde::Serialize;
use std::sync::Arc;

/// What a standing run measured. Heights in metres, angles in degrees.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StandSummary {
    /// Robot name.
    pub robot: String,
    /// Simulated seconds.
    pub seconds: f32,
    /// Mean base height over the run after the first second (the drop and settling).
    pub base_height_mean: f32,
    /// Lowest base height over the whole run.
    pub base_height_min: f32,
    /// Base height of the default pose with the lowest point on the ground.
    pub base_height_nominal: f32,
    /// Largest tilt of the base over the run.
    pub max_tilt_deg: f32,
    /// Largest horizontal drift of any foot after the first second (m): feet that slip.
    pub max_foot_slip_m: f32,
    /// Largest joint anchor separation over the run (mm): the constraint error.
    pub max_joint_error_mm: f32,
    /// Mean joint anchor separation over the run (mm).
    pub mean_joint_error_mm: f32,
    /// RMS of joint position minus target over the run after the first second (rad).
    pub joint_rms_error_rad: f32,
    /// Whether any state turned NaN or infinite.
    pub nan: bool,
    /// Mesh collision shapes that were skipped (meshes are not simulated).
    pub skipped_meshes: usize,
}

/// Drops the robot from `drop_height` above its nominal height in its default pose and holds the
/// default pose under PD for `seconds`.
pub fn run_stand(
    spec: Arc<RobotSpec>,
    seconds: f32,
    drop_height: f32,
    physics: PhysicsConfig,
) -> Result<StandSummary, SimError> {
    let nominal = robots::nominal_base_height(&spec).unwrap_or(0.0) as f32;
    let mut world = RobotWorld::new(spec.clone(), &Terrain::flat(), physics)?;
    let q0 = world.default_positions().to_vec();
    world.reset_pose(
        Vec3::new(0.0, 0.0, nominal + drop_height),
        Quat::IDENTITY,
        &q0,
    )?;
    let steps = (seconds / physics.control_dt).round() as usize;
    let settle = (1.0 / physics.control_dt).round() as usize;
    let mut sum_h = 0.0f64;
    let mut count = 0usize;
    let mut min_h = f32::INFINITY;
    let mut max_tilt = 0.0f32;
    let mut max_err = 0.0f32;
    let mut sum_err = 0.0f64;
    let mut nan = false;
    let mut foot_start: Vec<Vec3> = Vec::new();
    let mut max_slip = 0.0f32;
    let mut q = vec![0.0f32; spec.num_joints()];
    let mut sq_err = 0.0f64;
    let mut sq_count = 0usize;
    for step in 0..steps {
        world.step();
        let base = world.base_state();
        if world.has_non_finite_state() {
            nan = true;
            break;
        }
        let h = base.pos_w.z;
        min_h = min_h.min(h);
        max_tilt = max_tilt.max(base.tilt_deg());
        let err = world.max_joint_error();
        max_err = max_err.max(err);
        sum_err += err as f64;
        if step >= settle {
            sum_h += h as f64;
            count += 1;
            world.joint_positions(&mut q);
            for (qi, ti) in q.iter().zip(world.joint_targets()) {
                sq_err += ((qi - ti) as f64).powi(2);
                sq_count += 1;
            }
            let feet: Vec<Vec3> = spec
                .feet
                .iter()
                .map(|f| {
                    let off = Vec3::new(
                        f.offset_b.x as f32,
                        f.offset_b.y as f32,
                        f.offset_b.z as f32,
                    );
                    world.point_w(f.body, off).unwrap_or(Vec3::ZERO)
                })
                .collect();
            if foot_start.is_empty() {
                foot_start = feet;
            } else {
                for (a, b) in foot_start.iter().zip(&feet) {
                    max_slip = max_slip.max((a.truncate() - b.truncate()).length());
                }
            }
        }
    }
    Ok(StandSummary {
        robot: spec.name.clone(),
        seconds,
        base_height_mean: if count > 0 {
            (sum_h / count as f64) as f32
        } else {
            f32::NAN
        },
        base_height_min: min_h,
        base_height_nominal: nominal,
        max_tilt_deg: max_tilt,
        max_foot_slip_m: max_slip,
        max_joint_error_mm: max_err * 1000.0,
        mean_joint_error_mm: (sum_err / steps.max(1) as f64) as f32 * 1000.0,
        joint_rms_error_rad: (sq_err / sq_count.max(1) as f64).sqrt() as f32,
        nan,
        skipped_meshes: world.skipped_meshes(),
    })
}
