//! `<joint>` and `<freejoint>`: type, anchor, axis, limits (in the compiler's angle unit for
//! hinges), reference position and the passive properties.

use super::attrs::{Attrs, resolve_limited};
use super::compiler::Compiler;
use crate::error::RobotError;
use nalgebra::Vector3;

/// MuJoCo joint types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JointType {
    /// Six degrees of freedom (7 position values: position, quaternion `w x y z`).
    Free,
    /// Three rotational degrees of freedom (a quaternion).
    Ball,
    /// Translation along an axis.
    Slide,
    /// Rotation about an axis.
    Hinge,
}

impl JointType {
    /// Entries in MuJoCo's `qpos`.
    pub fn nq(self) -> usize {
        match self {
            Self::Free => 7,
            Self::Ball => 4,
            Self::Slide | Self::Hinge => 1,
        }
    }

    /// The MJCF spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Ball => "ball",
            Self::Slide => "slide",
            Self::Hinge => "hinge",
        }
    }
}

/// One parsed joint.
#[derive(Debug, Clone)]
pub(crate) struct JointDef {
    /// Name (generated as `joint<N>` when the file gives none).
    pub name: String,
    /// Type.
    pub kind: JointType,
    /// Anchor in the body frame (ignored for free joints).
    pub pos: Vector3<f64>,
    /// Unit axis in the body frame (hinge and slide).
    pub axis: Vector3<f64>,
    /// Position limits (rad or m) when limited; for a ball joint, `(0, max angle)`.
    pub range: Option<(f64, f64)>,
    /// Reference position (rad or m): the joint value at which the body has the pose written in
    /// the file.
    pub reference: f64,
    /// Viscous damping.
    pub damping: f64,
    /// Armature (rotor inertia).
    pub armature: f64,
    /// Dry friction.
    pub frictionloss: f64,
    /// Passive spring stiffness.
    pub stiffness: f64,
    /// Largest actuator force the joint accepts (`actuatorfrcrange`), when limited.
    pub force_limit: Option<f64>,
}

/// Reads a `<joint>` (with its class's defaults) or a `<freejoint>`; `fallback_name` is used
/// when the joint is unnamed.
pub(crate) fn read_joint(
    a: &Attrs,
    c: &Compiler,
    fallback_name: String,
) -> Result<JointDef, RobotError> {
    let kind = if a.elem.tag == "freejoint" {
        JointType::Free
    } else {
        match a.get("type").map(str::trim).unwrap_or("hinge") {
            "hinge" => JointType::Hinge,
            "slide" => JointType::Slide,
            "ball" => JointType::Ball,
            "free" => JointType::Free,
            other => {
                return Err(a.attr_err(
                    "type",
                    format!("unknown joint type '{other}' (expected hinge, slide, ball or free)"),
                ));
            }
        }
    };
    let name = match a.name() {
        "" => fallback_name,
        n => n.to_string(),
    };
    let pos = a.vec3("pos")?.unwrap_or_else(Vector3::zeros);
    let raw_axis = a.vec3("axis")?.unwrap_or_else(Vector3::z);
    let axis = if matches!(kind, JointType::Hinge | JointType::Slide) {
        let n = raw_axis.norm();
        if n < 1e-12 {
            return Err(a.attr_err("axis", "is the zero vector"));
        }
        raw_axis / n
    } else {
        Vector3::z()
    };
    let angular = kind == JointType::Hinge || kind == JointType::Ball;
    let convert = |v: f64| if angular { c.angle(v) } else { v };
    let raw_range = a.range("range")?;
    let limited =
        kind != JointType::Free && resolve_limited(a, "limited", "range", raw_range, c.autolimits)?;
    let range = match raw_range {
        Some((lo, hi)) if limited => {
            let (lo, hi) = (convert(lo), convert(hi));
            if kind == JointType::Ball {
                if hi <= 0.0 {
                    return Err(a.attr_err(
                        "range",
                        format!("a limited ball joint needs a positive maximum angle, got {hi}"),
                    ));
                }
            } else if lo > hi {
                return Err(a.attr_err(
                    "range",
                    format!("the lower limit {lo} is above the upper limit {hi}"),
                ));
            }
            Some((lo, hi))
        }
        None if limited => return Err(a.err("is limited but has no 'range'")),
        _ => None,
    };
    let frc_range = a.range("actuatorfrcrange")?;
    let frc_limited = resolve_limited(
        a,
        "actuatorfrclimited",
        "actuatorfrcrange",
        frc_range,
        c.autolimits,
    )?;
    let force_limit = match frc_range {
        Some((lo, hi)) if frc_limited => {
            if lo > hi {
                return Err(a.attr_err(
                    "actuatorfrcrange",
                    format!("the lower limit {lo} is above the upper limit {hi}"),
                ));
            }
            Some(lo.abs().max(hi.abs()))
        }
        _ => None,
    };
    let reference = if kind == JointType::Hinge || kind == JointType::Slide {
        convert(a.number_or("ref", 0.0)?)
    } else {
        0.0
    };
    Ok(JointDef {
        name,
        kind,
        pos,
        axis,
        range,
        reference,
        damping: a.non_negative_or("damping", 0.0)?,
        armature: a.non_negative_or("armature", 0.0)?,
        frictionloss: a.non_negative_or("frictionloss", 0.0)?,
        stiffness: a.non_negative_or("stiffness", 0.0)?,
        force_limit,
    })
}
