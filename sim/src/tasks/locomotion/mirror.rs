//! The locomotion observation's mirror image (reflection y -> -y through the base's x-z plane):
//! lateral velocity, roll and yaw rates, lateral gravity and the lateral and yaw commands change
//! sign; legs trade places (`robots::joint_mirror`); the trot generator's diagonal pairs trade
//! places, which is half a period of phase; height-scan columns trade places across the heading.

use crate::env::Mirror;
use crate::tasks::locomotion::HeightScan;
use robots::{GAIT_OBS_DIM, RobotSpec, SignedPermutation, joint_mirror, proprio_obs_dim};

/// The mirror of the locomotion observation `[proprio | gait phase? | height scan?]` and of
/// the action for `spec`. Errors say which part has no mirror image.
pub fn locomotion_mirror(
    spec: &RobotSpec,
    gait: bool,
    height_scan: Option<&HeightScan>,
) -> Result<Mirror, String> {
    let joints = joint_mirror(spec)?;
    let n = joints.len();
    let mut obs = SignedPermutation::identity(proprio_obs_dim(n));
    // Base linear velocity, angular velocity (a pseudovector: x and z flip), gravity, command.
    for (i, s) in [
        1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, 1.0, -1.0, -1.0,
    ]
    .into_iter()
    .enumerate()
    {
        obs.sign[i] = s;
    }
    // Joint positions, velocities and last actions.
    for block in 0..3 {
        let start = 12 + block * n;
        for j in 0..n {
            obs.index[start + j] = start + joints.index[j];
            obs.sign[start + j] = joints.sign[j];
        }
    }
    if gait {
        // (sin, cos) of phase + 1/2.
        let start = obs.len();
        obs.index.extend([start, start + 1]);
        obs.sign.extend([-1.0; GAIT_OBS_DIM]);
    }
    if let Some(scan) = height_scan {
        let start = obs.len();
        let ny = scan.y.len();
        let flipped: Vec<usize> = scan
            .y
            .iter()
            .map(|y| {
                scan.y
                    .iter()
                    .position(|other| (other + y).abs() < 1e-5)
                    .ok_or_else(|| format!("height_scan.y has no offset at {} to mirror {y}", -y))
            })
            .collect::<Result<_, _>>()?;
        for ix in 0..scan.x.len() {
            for fy in &flipped {
                obs.index.push(start + ix * ny + fy);
                obs.sign.push(1.0);
            }
        }
    }
    Ok(Mirror {
        obs,
        action: joints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rough_terrain_observation_mirrors_onto_itself() {
        let spec = robots::load_builtin_or_path("quadruped").expect("quadruped");
        let scan = HeightScan::default();
        let m = locomotion_mirror(&spec, true, Some(&scan)).expect("mirror");
        assert_eq!(m.obs.len(), proprio_obs_dim(12) + GAIT_OBS_DIM + scan.dim());
        assert_eq!(m.action.len(), 12);
        assert!(m.obs.is_involution() && m.action.is_involution());
        // A command to the left and turning left becomes one to the right, turning right.
        let mut obs = vec![0.0; m.obs.len()];
        obs[9..12].copy_from_slice(&[0.5, 0.3, 0.7]);
        // The scan sees a wall on the left (y > 0 columns).
        let start = proprio_obs_dim(12) + GAIT_OBS_DIM;
        for ix in 0..scan.x.len() {
            for (iy, y) in scan.y.iter().enumerate() {
                obs[start + ix * scan.y.len() + iy] = if *y > 0.0 { -1.0 } else { 0.0 };
            }
        }
        let mut mirrored = vec![0.0; obs.len()];
        m.obs.apply(&obs, &mut mirrored);
        assert_eq!(&mirrored[9..12], &[0.5, -0.3, -0.7]);
        for ix in 0..scan.x.len() {
            for (iy, y) in scan.y.iter().enumerate() {
                let v = mirrored[start + ix * scan.y.len() + iy];
                assert_eq!(
                    v,
                    if *y < 0.0 { -1.0 } else { 0.0 },
                    "wall now on the right"
                );
            }
        }
    }

    #[test]
    fn a_lopsided_scan_grid_says_why_it_has_no_mirror() {
        let spec = robots::load_builtin_or_path("quadruped").expect("quadruped");
        let scan = HeightScan {
            y: vec![0.0, 0.1, 0.2],
            ..Default::default()
        };
        let e = locomotion_mirror(&spec, true, Some(&scan)).unwrap_err();
        assert!(e.contains("height_scan.y"), "{e}");
    }
}
