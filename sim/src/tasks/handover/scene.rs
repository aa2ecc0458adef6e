//! The two-hand scene of the hand-over: the one-hand file read once, its hand mirrored into a
//! left hand facing it ([`robots::add_mirrored_twin`]), and each hand's joints and bodies as the
//! env addresses them.

use super::config::HandoverConfig;
use crate::error::SimError;
use crate::scene::Scene;
use robots::SceneSpec;
use std::path::Path;
use std::sync::Arc;

/// Body and joint name prefix of the right hand (gymnasium-robotics' hand).
pub const RIGHT_PREFIX: &str = "robot0:";
/// The mirrored left hand's articulation name and name prefix.
pub const LEFT_PREFIX: &str = "robot1:";
/// The fingertip bodies after the prefix: first, middle, ring, little finger, thumb.
pub const FINGERTIPS: [&str; 5] = ["ffdistal", "mfdistal", "rfdistal", "lfdistal", "thdistal"];
/// The free body the hands pass.
pub const OBJECT: &str = "object";
/// The goal marker (no collisions), kept at the goal pose for viewers.
pub const MARKER: &str = "target";

/// The two-hand scene description, read once and shared by every env of a run.
#[derive(Debug, Clone)]
pub struct HandoverAssets {
    /// The right hand as in the file, the left hand its mirror image (articulations 0 and 1).
    pub spec: Arc<SceneSpec>,
}

impl HandoverAssets {
    /// Reads `config.scene_file` and adds the mirrored left hand; errors name the file.
    pub fn load(config: &HandoverConfig) -> Result<Self, SimError> {
        config.validate()?;
        let path = crate::tasks::imitate::resolve_data_path(Path::new(&config.scene_file));
        let one = robots::read_mjcf_file(&path)?;
        Self::from_one_hand(&one, config).map_err(|e| e.in_file(&path))
    }

    /// The two-hand scene from a one-hand scene already read.
    pub fn from_one_hand(one: &SceneSpec, config: &HandoverConfig) -> Result<Self, SimError> {
        let bad = |key: &str, message: String| SimError::Config {
            key: key.into(),
            message,
        };
        if one.articulations.len() != 1 {
            return Err(bad(
                "articulations",
                format!(
                    "the hand-over needs a scene with one hand, this one has {}",
                    one.articulations.len()
                ),
            ));
        }
        if !one.objects.iter().any(|o| o.name == OBJECT) {
            return Err(bad(
                &format!("body '{OBJECT}'"),
                "the scene has no free body of that name (the block to pass)".into(),
            ));
        }
        let pair = robots::add_mirrored_twin(
            one,
            0,
            config.mirror_plane_y as f64,
            LEFT_PREFIX.trim_end_matches(':'),
            |n| n.replacen(RIGHT_PREFIX, LEFT_PREFIX, 1),
        )
        .ok_or_else(|| {
            bad(
                "articulations",
                "the hand has no base pose to mirror".into(),
            )
        })?;
        Ok(Self {
            spec: Arc::new(pair),
        })
    }
}

/// One hand as the env drives and observes it.
#[derive(Debug, Clone)]
pub struct Hand {
    /// Its articulation in the scene.
    pub articulation: usize,
    /// The actuated joints (non-zero stiffness; the tendon-coupled distal joints are not), in
    /// the file's joint order: the action's entries for this hand.
    pub actuated: Vec<usize>,
    /// Each actuated joint's target range (the actuator's `ctrlrange`, else the joint limits).
    pub ranges: Vec<(f32, f32)>,
    /// Every joint's limits (`[nq]`), for the observation's scaling to [-1, 1].
    pub limits: Vec<(f32, f32)>,
    /// The fingertip bodies ([`FINGERTIPS`] order).
    pub fingertips: [usize; 5],
    /// The palm body.
    pub palm: usize,
}

impl Hand {
    /// The hand of articulation `articulation` in `scene`, its bodies named with `prefix`.
    pub fn new(scene: &Scene, articulation: usize, prefix: &str) -> Result<Self, SimError> {
        let art = scene
            .articulations()
            .get(articulation)
            .ok_or_else(|| SimError::Config {
                key: "articulations".into(),
                message: format!("the scene has no articulation {articulation}"),
            })?;
        let spec = art.spec();
        let body = |name: &str| {
            let full = format!("{prefix}{name}");
            spec.bodies
                .iter()
                .position(|b| b.name == full)
                .ok_or_else(|| SimError::Config {
                    key: format!("body '{full}'"),
                    message: format!("hand '{}' has no body of that name", spec.name),
                })
        };
        let mut fingertips = [0; 5];
        for (slot, name) in fingertips.iter_mut().zip(FINGERTIPS) {
            *slot = body(name)?;
        }
        let palm = body("palm")?;
        if let Some(j) = spec
            .joints
            .iter()
            .find(|j| j.kind.nq() != 1 || j.kind.nv() != 1)
        {
            return Err(SimError::Config {
                key: format!("joint '{}'", j.name),
                message: "the hand-over drives one-degree-of-freedom joints only".into(),
            });
        }
        let limits: Vec<(f32, f32)> = spec
            .joints
            .iter()
            .map(|j| (j.lower.min(j.upper) as f32, j.lower.max(j.upper) as f32))
            .collect();
        let actuated: Vec<usize> = (0..spec.joints.len())
            .filter(|&k| spec.joints[k].stiffness > 0.0)
            .collect();
        if actuated.is_empty() {
            return Err(SimError::Config {
                key: format!("articulation '{}'", spec.name),
                message: "has no actuated joint (all stiffness 0)".into(),
            });
        }
        let ranges = actuated
            .iter()
            .map(|&k| {
                let j = &spec.joints[k];
                let (lo, hi) = j.target_range.unwrap_or((j.lower, j.upper));
                let (lo, hi) = (lo.min(hi) as f32, lo.max(hi) as f32);
                if lo.is_finite() && hi.is_finite() {
                    Ok((lo, hi))
                } else {
                    Err(SimError::Config {
                        key: format!("joint '{}'", j.name),
                        message: "an actuated joint needs a finite target range".into(),
                    })
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            articulation,
            actuated,
            ranges,
            limits,
            fingertips,
            palm,
        })
    }

    /// World position of body `body` of this hand.
    pub fn body_position(&self, scene: &Scene, body: usize) -> [f32; 3] {
        let handle = scene.articulations()[self.articulation].body_handles()[body];
        scene.physics().bodies[handle]
            .position()
            .translation
            .to_array()
    }
}
