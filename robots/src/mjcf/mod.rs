//! MJCF (MuJoCo XML) import: a whole scene (articulated robots, free objects, static geometry,
//! tendons, contact filters) as a [`SceneSpec`].
//!
//! Supported: `<include>`, `<compiler>` (angle, meshdir/assetdir, autolimits, inertiafromgeom,
//! inertiagrouprange, eulerseq, boundmass, boundinertia, strippath), `<option>` timestep and
//! gravity, nested `<default>` classes with `class`/`childclass`, every orientation attribute,
//! `<frame>`, hinge/slide/ball/free joints (one per body), primitive, mesh and plane geoms,
//! position servos, fixed tendons, contact excludes and pairs, the first keyframe. What the
//! file says that the simulator does not reproduce is listed in [`SceneSpec::notes`]; what
//! cannot be imported faithfully (several joints in one body, height fields, `global`
//! coordinates, ...) is an error naming the file, line and element.
//!
//! The importer never panics on user input.

mod actuators;
mod assemble;
mod attrs;
mod compiler;
mod contact;
mod defaults;
mod geom;
mod joint;
mod keyframe;
mod mesh;
mod orientation;
mod tendons;
mod tree;
mod xml;

use crate::error::RobotError;
use crate::scene::SceneSpec;
use joint::JointType;
use std::collections::HashMap;
use std::path::Path;

/// Reads and imports the MJCF file at `path` (includes and meshes are resolved against its
/// directory).
pub fn read_mjcf_file(path: &Path) -> Result<SceneSpec, RobotError> {
    let text = std::fs::read_to_string(path).map_err(|source| RobotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_mjcf_str(&text, path)
}

/// Imports MJCF text as if it had been read from `path`: includes and `meshdir` are resolved
/// against `path`'s directory, and errors and the scene's `source` name `path`.
pub fn parse_mjcf_str(text: &str, path: &Path) -> Result<SceneSpec, RobotError> {
    let doc = xml::load(text, path)?;
    let c = compiler::read_compiler(&doc)?;
    let options = compiler::read_options(&doc)?;
    let defaults = defaults::Defaults::read(&doc)?;
    let meshes = mesh::Meshes::read(&doc, &c, &defaults)?;
    let world = tree::read_world(&doc, &c, &defaults, &meshes)?;
    let keep = contact::pair_geoms(&doc);
    let mut asm = assemble::assemble(&world, &doc, path, &keep)?;
    let (excludes, pairs) = contact::read_contacts(&doc, &world)?;
    let by_name: HashMap<String, usize> = asm
        .joints
        .iter()
        .enumerate()
        .map(|(i, p)| (p.def.name.clone(), i))
        .collect();
    let mut notes = Vec::new();
    actuators::apply_actuators(&doc, &defaults, &c, &mut asm, &by_name, &mut notes)?;
    let tendons = tendons::read_tendons(&doc, &defaults, &c, &asm, &by_name, &mut notes)?;
    keyframe::apply_keyframe(&doc, &mut asm, &mut notes)?;
    notes.extend(joint_notes(&asm));
    let equalities: usize = doc
        .root
        .children_named("equality")
        .map(|e| e.children.len())
        .sum();
    if equalities > 0 {
        notes.push(format!("{equalities} equality constraints ignored"));
    }
    if !asm.mocap.is_empty() {
        notes.push(format!("mocap bodies are static: {}", asm.mocap.join(", ")));
    }
    Ok(SceneSpec {
        source: path.to_path_buf(),
        articulations: asm.articulations,
        base_poses_w: asm.base_poses_w,
        objects: asm.objects,
        statics: asm.statics,
        tendons,
        excludes,
        pairs,
        timestep: options.timestep,
        gravity: options.gravity,
        notes,
    })
}

/// Whether the file at `path` is MJCF: XML whose root element is `<mujoco>` (a URDF's is
/// `<robot>`). Unreadable or malformed files are not.
pub fn is_mjcf_file(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|text| xml::root_is_mujoco(&text))
        .unwrap_or(false)
}

/// One line per joint property the simulator does not reproduce.
fn joint_notes(asm: &assemble::Assembly) -> Vec<String> {
    let count =
        |f: &dyn Fn(&joint::JointDef) -> bool| asm.joints.iter().filter(|p| f(&p.def)).count();
    // Dry friction is simulated on unactuated joints only (see `JointSpec::friction_loss`).
    let actuated_with_friction = asm
        .joints
        .iter()
        .filter(|p| p.def.frictionloss > 0.0)
        .filter(|p| match p.place {
            assemble::Place::Joint { art, joint } => asm
                .articulations
                .get(art)
                .and_then(|a| a.joints.get(joint))
                .is_some_and(|j| j.stiffness > 0.0),
            _ => true,
        })
        .count();
    let mut notes = Vec::new();
    let mut say = |n: usize, what: &str| {
        if n > 0 {
            notes.push(format!(
                "{what} ignored on {n} joint{}",
                if n == 1 { "" } else { "s" }
            ));
        }
    };
    say(count(&|j| j.armature > 0.0), "joint armature");
    say(
        actuated_with_friction,
        "joint frictionloss (dry friction) of an actuated or free joint",
    );
    say(
        count(&|j| j.stiffness > 0.0),
        "joint stiffness (passive spring)",
    );
    say(
        count(&|j| j.kind == JointType::Ball && j.range.is_some()),
        "ball joint range",
    );
    say(
        asm.joints
            .iter()
            .filter(|p| matches!(p.place, assemble::Place::Base(_)) && p.def.damping > 0.0)
            .count(),
        "floating-base free joint damping",
    );
    notes
}
