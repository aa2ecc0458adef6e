//! `<keyframe>`: the first `<key>`'s `qpos` sets the initial state, in MuJoCo's `qpos` order
//! (every joint in document order: free 7 values `x y z qw qx qy qz`, ball 4, hinge/slide 1).

use super::assemble::{Assembly, Place};
use super::attrs::Attrs;
use super::joint::JointType;
use super::xml::Document;
use crate::error::RobotError;
use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};

/// Applies the first key's `qpos` (if any) to joint defaults, object poses and base poses.
pub(crate) fn apply_keyframe(
    doc: &Document,
    asm: &mut Assembly,
    notes: &mut Vec<String>,
) -> Result<(), RobotError> {
    let Some(key) = doc
        .root
        .children_named("keyframe")
        .flat_map(|k| k.children_named("key"))
        .next()
    else {
        return Ok(());
    };
    let a = Attrs::new(key, None, doc);
    if a.numbers("qvel")?
        .is_some_and(|v| v.iter().any(|&x| x != 0.0))
    {
        notes.push("keyframe qvel ignored (bodies start at rest)".into());
    }
    let Some(qpos) = a.numbers("qpos")? else {
        return Ok(());
    };
    let nq: usize = asm.joints.iter().map(|p| p.def.kind.nq()).sum();
    if qpos.len() != nq {
        return Err(a.attr_err(
            "qpos",
            format!(
                "has {} values but the model's joints take {nq} (free 7, ball 4, hinge and slide 1 each, in document order)",
                qpos.len()
            ),
        ));
    }
    let mut at = 0;
    for placed in &asm.joints {
        let n = placed.def.kind.nq();
        let q = qpos.get(at..at + n).unwrap_or(&[]);
        at += n;
        match (placed.def.kind, placed.place, q) {
            (JointType::Hinge | JointType::Slide, Place::Joint { art, joint }, [v]) => {
                if let Some(j) = asm
                    .articulations
                    .get_mut(art)
                    .and_then(|r| r.joints.get_mut(joint))
                {
                    j.default_position = *v;
                }
            }
            (JointType::Ball, Place::Joint { art, joint }, [w, x, y, z]) => {
                let quat = unit(&a, &placed.def.name, *w, *x, *y, *z)?;
                if let Some(j) = asm
                    .articulations
                    .get_mut(art)
                    .and_then(|r| r.joints.get_mut(joint))
                {
                    j.default_rotation = [quat.w, quat.i, quat.j, quat.k];
                }
            }
            (JointType::Free, place, [px, py, pz, w, x, y, z]) => {
                let pose = Isometry3::from_parts(
                    Translation3::new(*px, *py, *pz),
                    unit(&a, &placed.def.name, *w, *x, *y, *z)?,
                );
                match place {
                    Place::Object(o) => {
                        if let Some(obj) = asm.objects.get_mut(o) {
                            obj.pose_w = pose;
                        }
                    }
                    Place::Base(b) => {
                        if let Some(p) = asm.base_poses_w.get_mut(b) {
                            *p = pose;
                        }
                    }
                    Place::Joint { .. } => {}
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn unit(
    a: &Attrs,
    joint: &str,
    w: f64,
    x: f64,
    y: f64,
    z: f64,
) -> Result<UnitQuaternion<f64>, RobotError> {
    let q = Quaternion::new(w, x, y, z);
    if q.norm() < 1e-12 {
        return Err(a.attr_err("qpos", format!("the quaternion of joint '{joint}' is zero")));
    }
    Ok(UnitQuaternion::from_quaternion(q))
}
