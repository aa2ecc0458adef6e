//! The locomotion observation's mirror image (reflection y -> -y through the base's x-z plane),
//! read from the deploy contract's observation layout ([`robots::contract::ObsLayout::mirror`]):
//! legs trade places by name ([`robots::joint_mirror`]).

use crate::env::Mirror;
use robots::RobotSpec;
use robots::contract::ObsLayout;

/// The mirror of the observation laid out by `layout` and of the action of `spec`. Errors say
/// which part has no mirror image.
pub fn locomotion_mirror(spec: &RobotSpec, layout: &ObsLayout) -> Result<Mirror, String> {
    let joints = robots::joint_mirror(spec)?;
    let obs = layout.mirror(&joints).map_err(|e| e.to_string())?;
    Ok(Mirror {
        obs,
        action: joints,
    })
}

#[cfg(test)]
mod tests {
    use crate::Terrain;
    use crate::env::Env;
    use crate::tasks::locomotion::{HeightScan, LocomotionConfig, LocomotionEnv};
    use robots::{GAIT_OBS_DIM, TrotGait, proprio_obs_dim};
    use std::sync::Arc;

    fn rough_env(scan: HeightScan) -> Result<LocomotionEnv, crate::SimError> {
        let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("quadruped"));
        let config = LocomotionConfig {
            gait: Some(TrotGait::default()),
            height_scan: Some(scan),
            ..LocomotionConfig::default()
        };
        LocomotionEnv::new(spec, Terrain::flat(), config, 1)
    }

    #[test]
    fn the_rough_terrain_observation_mirrors_onto_itself() {
        let scan = HeightScan::default();
        let m = rough_env(scan.clone())
            .expect("env")
            .mirror()
            .expect("mirror");
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
        let scan = HeightScan {
            y: vec![0.0, 0.1, 0.2],
            ..Default::default()
        };
        let e = rough_env(scan).expect("env").mirror().unwrap_err();
        assert!(
            e.contains("height_scan") && e.contains("y has no offset"),
            "{e}"
        );
    }
}
