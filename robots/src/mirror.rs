//! The robot's left-right mirror image: which joint takes the place of which, and with what
//! sign, when the robot is reflected through its base's x-z plane (y -> -y). Policies use it to
//! act the same way to the left as to the right (PPO's mirror loss).
//!
//! Legs are paired by name: A1-style prefixes (`FL`/`FR`, `RL`/`RR`: front/rear, then side) and
//! ANYmal-style ones (`LF`/`RF`, `LH`/`RH`: side, then front/hind), or `left`/`right` words.

use crate::kinematics::body_poses;
use crate::spec::RobotSpec;
use nalgebra::{Isometry3, Vector3};

/// A signed permutation of a vector: `out[i] = sign[i] * x[index[i]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedPermutation {
    /// Source entry of each output entry.
    pub index: Vec<usize>,
    /// Sign of each output entry (+1 or -1).
    pub sign: Vec<f32>,
}

impl SignedPermutation {
    /// The identity on `n` entries.
    pub fn identity(n: usize) -> Self {
        Self {
            index: (0..n).collect(),
            sign: vec![1.0; n],
        }
    }

    /// Length of the vectors it maps.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether it maps empty vectors.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Writes `sign[i] * x[index[i]]` into `out` (both `[len]`).
    pub fn apply(&self, x: &[f32], out: &mut [f32]) {
        for ((o, &i), s) in out.iter_mut().zip(&self.index).zip(&self.sign) {
            *o = s * x[i];
        }
    }

    /// Whether applying it twice gives the identity (true of every mirror).
    pub fn is_involution(&self) -> bool {
        self.index
            .iter()
            .enumerate()
            .all(|(i, &j)| j < self.len() && self.index[j] == i && self.sign[j] == self.sign[i])
    }
}

/// The name of the mirror-image counterpart of a joint or link, if its name says its side.
pub fn mirror_name(name: &str) -> Option<String> {
    let mut changed = false;
    let tokens: Vec<String> = name
        .split('_')
        .map(|t| {
            let swapped = match t {
                "left" => Some("right".to_string()),
                "right" => Some("left".to_string()),
                "Left" => Some("Right".to_string()),
                "Right" => Some("Left".to_string()),
                _ if t.len() == 2 => {
                    let b = t.as_bytes();
                    let flip = |c: u8| if c == b'L' { b'R' } else { b'L' };
                    match (b[0], b[1]) {
                        // A1 style: front/rear, then side.
                        (b'F' | b'R', b'L' | b'R') => {
                            Some(format!("{}{}", b[0] as char, flip(b[1]) as char))
                        }
                        // ANYmal style: side, then front/hind.
                        (b'L' | b'R', b'F' | b'H') => {
                            Some(format!("{}{}", flip(b[0]) as char, b[1] as char))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            changed |= swapped.is_some();
            swapped.unwrap_or_else(|| t.to_string())
        })
        .collect();
    changed.then(|| tokens.join("_"))
}

/// How joint vectors (positions, velocities, actions) of `spec` map onto its mirror image.
/// Each joint trades places with its counterpart by name; its sign is -1 where the two axes
/// are reflections of each other (abduction joints) and +1 where reflection reverses the axis
/// (hip and knee flexion). The error names the joint without a counterpart.
pub fn joint_mirror(spec: &RobotSpec) -> Result<SignedPermutation, String> {
    let n = spec.num_joints();
    let poses = body_poses(spec, Isometry3::identity(), &vec![0.0; n])
        .ok_or_else(|| "joint vector of the wrong length".to_string())?;
    let axis_in_base = |j: usize| -> Vector3<f64> {
        let joint = &spec.joints[j];
        poses[joint.child].rotation * joint.axis.normalize()
    };
    let reflect = |v: Vector3<f64>| Vector3::new(v.x, -v.y, v.z);
    let mut out = SignedPermutation::identity(n);
    for (i, joint) in spec.joints.iter().enumerate() {
        let partner = match mirror_name(&joint.name) {
            Some(other) => spec
                .joints
                .iter()
                .position(|j| j.name == other)
                .ok_or_else(|| {
                    format!("joint '{}' has no mirror counterpart '{other}'", joint.name)
                })?,
            // A joint on the centre line maps onto itself.
            None => i,
        };
        let (a, b) = (axis_in_base(i), reflect(axis_in_base(partner)));
        // Reflection maps a rotation about axis a to one about -M a.
        let sign = if (a + b).norm() < 1e-6 {
            1.0
        } else if (a - b).norm() < 1e-6 {
            -1.0
        } else {
            return Err(format!(
                "joint '{}' and '{}' have axes that are not mirror images ({:?} vs {:?})",
                joint.name,
                spec.joints[partner].name,
                a.as_slice(),
                axis_in_base(partner).as_slice()
            ));
        };
        out.index[i] = partner;
        out.sign[i] = sign;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_swap_their_side() {
        assert_eq!(mirror_name("FL_hip_joint").as_deref(), Some("FR_hip_joint"));
        assert_eq!(
            mirror_name("RR_calf_joint").as_deref(),
            Some("RL_calf_joint")
        );
        assert_eq!(mirror_name("LH_KFE").as_deref(), Some("RH_KFE"));
        assert_eq!(mirror_name("left_knee").as_deref(), Some("right_knee"));
        assert_eq!(mirror_name("base"), None);
        assert_eq!(mirror_name("neck_yaw"), None);
    }

    #[test]
    fn the_quadruped_swaps_legs_and_flips_abduction() {
        let spec = crate::load_builtin_or_path("quadruped").expect("builtin quadruped");
        let m = joint_mirror(&spec).expect("mirror");
        assert!(m.is_involution());
        for (i, joint) in spec.joints.iter().enumerate() {
            let partner = &spec.joints[m.index[i]].name;
            assert_eq!(Some(partner.clone()), mirror_name(&joint.name));
            let expected = if joint.name.contains("hip") {
                -1.0
            } else {
                1.0
            };
            assert_eq!(m.sign[i], expected, "{}", joint.name);
            // The default pose is its own mirror image.
            let d = joint.default_position;
            let d_mirror = spec.joints[m.index[i]].default_position * m.sign[i] as f64;
            assert!(
                (d - d_mirror).abs() < 1e-9,
                "{}: {d} vs {d_mirror}",
                joint.name
            );
        }
    }
}
