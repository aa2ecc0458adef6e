//! A [`RobotSpec`] from a DeepMimic character and its PD controller: the simulated humanoid (or
//! dog) that imitates the character's clips.
//!
//! Every spherical and revolute joint becomes a joint of the spec, in character order, so a clip
//! pose's `q` is the spec's position vector. A fixed joint's body merges into its parent (the
//! humanoid's hands into its forearms). Each body's mass is the file's, spread over its solid
//! shape; the gains are the controller's; effort limits are the file's torque limits.

use super::character::{Character, CharacterJointKind};
use super::controller::PdController;
use crate::error::RobotError;
use crate::mass::{MassSum, solid_primitive};
use crate::spec::{BodySpec, CollisionShape, ContactMask, JointKind, JointSpec, RobotSpec};
use nalgebra::{Isometry3, Matrix3, Vector3};

/// Builds the robot. Joint limits of revolute joints are the file's; spherical joints are left
/// unlimited (DeepMimic's three ranges are per Euler angle, which a ball joint does not have).
pub fn character_robot(
    character: &Character,
    controller: &PdController,
) -> Result<RobotSpec, RobotError> {
    // Per character joint: the spec body it moves or is welded into, and its frame there.
    let mut body_of = Vec::with_capacity(character.joints.len());
    let mut pose_in_body: Vec<Isometry3<f64>> = Vec::with_capacity(character.joints.len());
    let mut bodies: Vec<BodySpec> = Vec::new();
    let mut masses: Vec<MassSum> = Vec::new();
    let mut joints = Vec::new();
    for (i, joint) in character.joints.iter().enumerate() {
        let welded = joint.kind == CharacterJointKind::Fixed;
        let (body, pose) = match joint.parent {
            Some(p) if welded => (body_of[p], pose_in_body[p] * joint.attach),
            _ => (bodies.len(), Isometry3::identity()),
        };
        if !welded {
            let parent_joint = joint.parent.map(|p| {
                let kind = if joint.kind == CharacterJointKind::Spherical {
                    JointKind::Spherical
                } else {
                    JointKind::Revolute
                };
                let axis = if kind == JointKind::Revolute {
                    -Vector3::y()
                } else {
                    Vector3::z()
                };
                let mut spec_joint = JointSpec::new(
                    joint.name.clone(),
                    kind,
                    body_of[p],
                    body,
                    pose_in_body[p] * joint.attach,
                    axis,
                );
                if kind == JointKind::Revolute {
                    let (lo, hi) = joint.limits[0];
                    spec_joint.lower = lo.min(hi);
                    spec_joint.upper = hi.max(lo);
                }
                spec_joint.effort_limit = joint.torque_limit;
                joints.push(spec_joint);
                joints.len() - 1
            });
            bodies.push(BodySpec {
                name: joint.name.clone(),
                parent_joint,
                mass: 0.0,
                com_b: Vector3::zeros(),
                inertia_b: Matrix3::zeros(),
                collisions: Vec::new(),
                links: vec![(joint.name.clone(), Isometry3::identity())],
            });
            masses.push(MassSum::default());
        } else {
            bodies[body].links.push((joint.name.clone(), pose));
        }
        body_of.push(body);
        pose_in_body.push(pose);
        let part = &character.bodies[i];
        let origin_b = pose * part.origin_j;
        let (_, unit) = solid_primitive(&part.shape).expect("character shapes are primitives");
        masses[body].add(
            &origin_b,
            part.mass,
            Vector3::zeros(),
            Matrix3::from_diagonal(&(unit * part.mass)),
        );
        bodies[body].collisions.push(CollisionShape {
            shape: part.shape.clone(),
            origin_b,
            link: joint.name.clone(),
            name: part.name.clone(),
            mask: ContactMask::default(),
            friction: None,
        });
    }
    for (body, sum) in bodies.iter_mut().zip(&masses) {
        (body.mass, body.com_b, body.inertia_b) = sum.total();
    }
    for joint in &mut joints {
        let gains = controller.gains_of(&joint.name).ok_or_else(|| {
            RobotError::invalid(
                &controller.path,
                format!("joint '{}'", joint.name),
                "has no PD gains",
            )
        })?;
        joint.stiffness = gains.kp;
        joint.damping = gains.kd;
    }
    let name = character
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "character".into());
    Ok(RobotSpec {
        name,
        source: character.path.clone(),
        bodies,
        joints,
        feet: Vec::new(),
        terminate_contacts: character
            .bodies
            .iter()
            .zip(&character.joints)
            .filter(|(b, _)| b.fall_contact)
            .map(|(_, j)| j.name.clone())
            .collect(),
        penalise_contacts: Vec::new(),
        action_scale: 1.0,
        fixed_base: None,
    })
}
