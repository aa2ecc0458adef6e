//! One ALOHA task scene ready to run episodes: the Rapier scene built from gym-aloha's MJCF
//! file, the rig, the task's contacts, and a reset that puts the arms in their start pose and
//! the objects where gym-aloha would.

use super::aloha_task::{AlohaTask, SUCCESS_LEVEL, TaskContacts};
use super::rig::{AlohaRig, aloha_physics, aloha_scene_options};
use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::{ArticulationState, ObjectState, Scene, SceneOptions};
use robots::SceneSpec;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the ALOHA MJCF files are by default: gym-aloha's files in the shared third-party
/// folder beside the checkout.
pub const DEFAULT_ALOHA_DIR: &str = "../shared/thirdparty/aloha";

/// The default ALOHA folder, from the working directory or else from the repository root
/// ([`crate::tasks::imitate::resolve_data_path`]).
pub fn aloha_dir() -> PathBuf {
    crate::tasks::imitate::resolve_data_path(Path::new(DEFAULT_ALOHA_DIR))
}

/// Reads the task's scene file from `dir`; the error names the file.
pub fn read_aloha_scene(dir: &Path, task: AlohaTask) -> Result<Arc<SceneSpec>, SimError> {
    let path = dir.join(task.scene_file());
    Ok(Arc::new(robots::read_mjcf_file(&path)?))
}

/// A task scene between episodes and during one.
pub struct AlohaScene {
    task: AlohaTask,
    scene: Scene,
    rig: AlohaRig,
    contacts: TaskContacts,
    objects: Vec<usize>,
    /// Each arm as built: at the keyframe, at rest.
    keyframe: Vec<ArticulationState>,
}

impl AlohaScene {
    /// Builds the scene of `task` from `spec` with the ALOHA physics ([`aloha_physics`]) and
    /// finger colliders ([`aloha_scene_options`]).
    pub fn new(spec: &SceneSpec, task: AlohaTask) -> Result<Self, SimError> {
        Self::with_physics(spec, task, aloha_physics())
    }

    /// The same with other physics settings.
    pub fn with_physics(
        spec: &SceneSpec,
        task: AlohaTask,
        physics: PhysicsConfig,
    ) -> Result<Self, SimError> {
        Self::with_settings(spec, task, physics, aloha_scene_options())
    }

    /// The same with other physics settings and scene options (finger colliders; the contact
    /// study in docs/BENCHMARKS.md, "Grasping").
    pub fn with_settings(
        spec: &SceneSpec,
        task: AlohaTask,
        physics: PhysicsConfig,
        options: SceneOptions,
    ) -> Result<Self, SimError> {
        let scene = Scene::from_spec_with(spec, physics, options)?;
        let rig = AlohaRig::new(&scene)?;
        let contacts = TaskContacts::new(&scene, task)?;
        let objects = task
            .objects()
            .iter()
            .map(|name| {
                scene.object_index(name).ok_or_else(|| SimError::Config {
                    key: format!("scene: body '{name}'"),
                    message: format!("the {} scene has no free body of that name", task.name()),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let keyframe = (0..scene.articulations().len())
            .map(|i| scene.articulation_state(i))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            task,
            scene,
            rig,
            contacts,
            objects,
            keyframe,
        })
    }

    /// The task.
    pub fn task(&self) -> AlohaTask {
        self.task
    }

    /// The Rapier scene.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Mutable access to the scene (snapshots, external forces).
    pub fn scene_mut(&mut self) -> &mut Scene {
        &mut self.scene
    }

    /// The rig.
    pub fn rig(&self) -> &AlohaRig {
        &self.rig
    }

    /// The task's contacts.
    pub fn contacts(&self) -> &TaskContacts {
        &self.contacts
    }

    /// Scene indices of the task's objects ([`AlohaTask::objects`] order).
    pub fn objects(&self) -> &[usize] {
        &self.objects
    }

    /// Starts an episode: arms at the keyframe with their targets there, the objects at
    /// `positions` (upright, at rest; [`AlohaTask::sample_positions`]).
    pub fn reset(&mut self, positions: &[[f32; 3]]) -> Result<(), SimError> {
        if positions.len() != self.objects.len() {
            return Err(SimError::Length {
                what: format!("{} object positions", self.task.name()),
                expected: self.objects.len(),
                got: positions.len(),
            });
        }
        // Setting states, not restoring a world snapshot: a restored world recomputes every
        // mesh collider's mass properties at its next step (a fifth of training time).
        for (i, state) in self.keyframe.iter().enumerate() {
            self.scene.set_articulation_state(i, state)?;
            let key = self.scene.articulations()[i].default_q().to_vec();
            self.scene.set_targets(i, &key)?;
        }
        for (&o, p) in self.objects.iter().zip(positions) {
            let state = ObjectState {
                pos_w: *p,
                rot_w: [1.0, 0.0, 0.0, 0.0],
                lin_vel_w: [0.0; 3],
                ang_vel_w: [0.0; 3],
            };
            self.scene.set_object_state(o, &state)?;
        }
        Ok(())
    }

    /// Applies a gym-aloha action (`[14]`), advances one control step (20 ms) and returns the
    /// reward level of the contacts after it.
    pub fn step(&mut self, action: &[f32]) -> Result<u8, SimError> {
        self.rig.apply_action(&mut self.scene, action)?;
        self.scene.step();
        Ok(self.level())
    }

    /// The reward level of the current contacts (0-4).
    pub fn level(&self) -> u8 {
        self.contacts.level(&self.scene, &self.rig)
    }

    /// Whether the current level is the task's success level.
    pub fn success(&self) -> bool {
        self.level() >= SUCCESS_LEVEL
    }

    /// World position of object `k` ([`AlohaTask::objects`] order).
    pub fn object_position(&self, k: usize) -> Result<[f32; 3], SimError> {
        Ok(self.scene.object_state(self.objects[k])?.pos_w)
    }
}
