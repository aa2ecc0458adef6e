//! Holding a whole scene at its initial pose for a while and measuring how well it holds:
//! `embody sim` and `embody bench physics-vs-mujoco` on MJCF scenes, and the scene tests.

use crate::error::SimError;
use crate::physics::PhysicsConfig;
use crate::scene::Scene;
use robots::{JointKind, SceneSpec};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a hold run measured. Angles in degrees unless named `_rad`, lengths in metres.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SceneHoldSummary {
    /// The scene file.
    pub robot: String,
    /// Simulated seconds.
    pub seconds: f32,
    /// Control steps taken.
    pub steps: usize,
    /// Largest deviation of any hinge joint from its target over the last half of the run (the
    /// target is the initial angle unless overridden).
    pub joint_error_deg_max: f32,
    /// Largest deviation of any slide joint from its target over the last half of the run (m).
    pub slide_error_m_max: f32,
    /// Largest displacement of any free object that collides between the end of the first second
    /// (settling onto its support) and the end of the run (m); 0 without objects. Objects
    /// without colliders (goal markers a task moves itself) fall freely and are left out.
    pub object_drift_m: f32,
    /// Final position of every 1-dof joint by name (rad or m).
    pub joints: BTreeMap<String, f32>,
    /// Final position of every object by name (m).
    pub objects: BTreeMap<String, [f32; 3]>,
    /// Largest joint anchor separation over the run (mm): the constraint error.
    pub max_joint_error_mm: f32,
    /// Whether any state turned NaN or infinite.
    pub nan: bool,
    /// Wall-clock seconds of the stepping loop.
    pub wall_s: f64,
    /// Control steps per wall-clock second.
    pub control_steps_per_s: f64,
    /// Counts of articulations, objects and static shapes.
    pub articulations: usize,
    /// Free objects.
    pub object_count: usize,
    /// Static shapes.
    pub statics: usize,
    /// What the file says that the simulator does not reproduce.
    pub notes: Vec<String>,
}

/// Builds the scene and holds every joint at its initial position (the PD target) for
/// `seconds`.
pub fn run_scene_hold(
    spec: &SceneSpec,
    seconds: f32,
    physics: PhysicsConfig,
) -> Result<SceneHoldSummary, SimError> {
    run_scene_hold_with_targets(spec, seconds, physics, &[])
}

/// [`run_scene_hold`] with some joints' targets set by name (`(joint, target)`, rad or m): the
/// way to see a tendon pull its coupled joint along.
pub fn run_scene_hold_with_targets(
    spec: &SceneSpec,
    seconds: f32,
    physics: PhysicsConfig,
    targets: &[(String, f32)],
) -> Result<SceneHoldSummary, SimError> {
    let mut scene = Scene::from_spec(spec, physics)?;
    for (name, value) in targets {
        let (a, _) = spec.find_joint(name).ok_or_else(|| SimError::Config {
            key: format!("joint '{name}'"),
            message: "no joint of that name in the scene".into(),
        })?;
        scene.set_joint_target(a, name, *value)?;
    }
    let steps = (seconds / physics.control_dt).round().max(1.0) as usize;
    let settle = ((1.0 / physics.control_dt).round() as usize).min(steps);
    let initial: Vec<Vec<f32>> = scene
        .articulations()
        .iter()
        .map(|a| a.targets().to_vec())
        .collect();
    let mut q: Vec<Vec<f32>> = initial.iter().map(|v| vec![0.0; v.len()]).collect();
    let (mut hinge_max, mut slide_max, mut anchor_max) = (0.0f32, 0.0f32, 0.0f32);
    let mut settled: Vec<[f32; 3]> = Vec::new();
    let mut drift = 0.0f32;
    let mut nan = false;
    let start = std::time::Instant::now();
    for step in 1..=steps {
        scene.step();
        for (a, art) in scene.articulations().iter().enumerate() {
            art.joint_positions(scene.physics(), &mut q[a]);
            anchor_max = anchor_max.max(art.max_joint_error(scene.physics()));
            if 2 * step < steps {
                continue;
            }
            let mut at = 0;
            for j in &art.spec().joints {
                let d = (q[a][at] - initial[a][at]).abs();
                match j.kind {
                    JointKind::Revolute | JointKind::Continuous => {
                        hinge_max = hinge_max.max(d.to_degrees());
                    }
                    JointKind::Prismatic => slide_max = slide_max.max(d),
                    JointKind::Spherical => {}
                }
                at += j.kind.nq();
            }
        }
        if step == settle {
            settled = (0..scene.objects().len())
                .map(|i| scene.object_state(i).map(|s| s.pos_w))
                .collect::<Result<_, _>>()?;
        }
        if step > settle {
            for (i, p0) in settled.iter().enumerate() {
                if scene.objects()[i].colliders.is_empty() {
                    continue;
                }
                let p = scene.object_state(i)?.pos_w;
                let d = ((p[0] - p0[0]).powi(2) + (p[1] - p0[1]).powi(2) + (p[2] - p0[2]).powi(2))
                    .sqrt();
                drift = drift.max(d);
            }
        }
        if scene.has_non_finite_state() {
            nan = true;
            break;
        }
    }
    let wall_s = start.elapsed().as_secs_f64();
    let mut joints = BTreeMap::new();
    for (a, art) in scene.articulations().iter().enumerate() {
        let mut at = 0;
        for j in &art.spec().joints {
            if j.kind != JointKind::Spherical {
                joints.insert(j.name.clone(), q[a][at]);
            }
            at += j.kind.nq();
        }
    }
    let mut objects = BTreeMap::new();
    for (i, o) in scene.objects().iter().enumerate() {
        objects.insert(o.name.clone(), scene.object_state(i)?.pos_w);
    }
    Ok(SceneHoldSummary {
        robot: spec.source.display().to_string(),
        seconds,
        steps,
        joint_error_deg_max: hinge_max,
        slide_error_m_max: slide_max,
        object_drift_m: drift,
        joints,
        objects,
        max_joint_error_mm: anchor_max * 1000.0,
        nan,
        wall_s,
        control_steps_per_s: steps as f64 / wall_s.max(1e-9),
        articulations: scene.articulations().len(),
        object_count: scene.objects().len(),
        statics: scene.statics().len(),
        notes: spec.notes.clone(),
    })
}
