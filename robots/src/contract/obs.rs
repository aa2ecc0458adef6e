//! The observation layout: named slices of the observation vector, each with what fills it and
//! how it is scaled. The simulator builds observations with [`ObsLayout::write`], the ROS 2
//! policy node does the same from its messages, and the mirror reads the same slices.

use super::ContractError;
use crate::{GAIT_OBS_DIM, SignedPermutation, TrotGait};
use serde::{Deserialize, Serialize};

/// What fills a slice of the observation, with its scaling. Serialised with the slice's `name`
/// as the tag (`{"name": "base_lin_vel", "offset": 0, "len": 3, "scale": 2.0}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum ObsTerm {
    /// Base linear velocity in the body frame (m/s) times `scale`. `[3]`
    BaseLinVel {
        /// Factor on the velocity.
        scale: f32,
    },
    /// Base angular velocity in the body frame (rad/s) times `scale`. `[3]`
    BaseAngVel {
        /// Factor on the rate.
        scale: f32,
    },
    /// Unit gravity direction in the body frame (`[0, 0, -1]` when level). `[3]`
    ProjectedGravity,
    /// Velocity command `vx, vy` (m/s), yaw rate (rad/s), each times its scale. `[3]`
    VelocityCommand {
        /// Factors on `vx, vy, yaw rate`.
        scale: [f32; 3],
    },
    /// Joint position minus `default` (rad or m) times `scale`, in the order of `joints`.
    /// `[joints]`
    JointPos {
        /// Joint names, in observation order.
        joints: Vec<String>,
        /// Default position of each joint.
        default: Vec<f32>,
        /// Factor on the offset.
        scale: f32,
    },
    /// Joint velocity times `scale`, in the order of `joints`. `[joints]`
    JointVel {
        /// Joint names, in observation order.
        joints: Vec<String>,
        /// Factor on the velocity.
        scale: f32,
    },
    /// The policy's previous action (raw, before the action map). `[actions]`
    LastAction,
    /// The trot generator's phase as `[sin 2 pi phase, cos 2 pi phase]`. `[2]`
    GaitPhase {
        /// The generator (its offsets are part of the action map too).
        gait: TrotGait,
    },
    /// Terrain heights on a grid fixed to the base's position and heading (not its roll and
    /// pitch), row by row (`x` outer, `y` inner), each
    /// `clip(base_z - base_offset - ground_z, -clip_m, clip_m) * scale`. `[x * y]`
    HeightScan {
        /// Offsets of the rows along the heading (m).
        x: Vec<f32>,
        /// Offsets of the columns to the base's left (m).
        y: Vec<f32>,
        /// Base height above the ground that reads as 0 (m).
        base_offset: f32,
        /// Clip of the height difference (m).
        clip_m: f32,
        /// Factor applied after clipping.
        scale: f32,
    },
    /// A task's own state features that no robot-side source provides (classic-control tasks).
    Raw {
        /// What the features are.
        label: String,
    },
}

impl ObsTerm {
    /// The slice name (the serialised tag).
    pub fn name(&self) -> &'static str {
        match self {
            Self::BaseLinVel { .. } => "base_lin_vel",
            Self::BaseAngVel { .. } => "base_ang_vel",
            Self::ProjectedGravity => "projected_gravity",
            Self::VelocityCommand { .. } => "velocity_command",
            Self::JointPos { .. } => "joint_pos",
            Self::JointVel { .. } => "joint_vel",
            Self::LastAction => "last_action",
            Self::GaitPhase { .. } => "gait_phase",
            Self::HeightScan { .. } => "height_scan",
            Self::Raw { .. } => "raw",
        }
    }

    /// The length the term itself fixes (`None`: [`Self::LastAction`] and [`Self::Raw`] take
    /// theirs from the layout).
    pub fn fixed_len(&self) -> Option<usize> {
        match self {
            Self::BaseLinVel { .. }
            | Self::BaseAngVel { .. }
            | Self::ProjectedGravity
            | Self::VelocityCommand { .. } => Some(3),
            Self::JointPos { joints, .. } | Self::JointVel { joints, .. } => Some(joints.len()),
            Self::GaitPhase { .. } => Some(GAIT_OBS_DIM),
            Self::HeightScan { x, y, .. } => Some(x.len() * y.len()),
            Self::LastAction | Self::Raw { .. } => None,
        }
    }
}

/// World `(x, y)` of the height-scan grid points (`x` rows along the heading, `y` columns to
/// the left, row by row) for a base at `base` (world `x, y`) heading `yaw` (rad).
pub fn height_scan_points<'a>(
    x: &'a [f32],
    y: &'a [f32],
    base: [f32; 2],
    yaw: f32,
) -> impl Iterator<Item = [f32; 2]> + 'a {
    let (s, c) = yaw.sin_cos();
    x.iter().flat_map(move |&dx| {
        y.iter()
            .map(move |&dy| [base[0] + c * dx - s * dy, base[1] + s * dx + c * dy])
    })
}

/// One named slice `[offset, offset + len)` of the observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObsSlice {
    /// First entry.
    pub offset: usize,
    /// Number of entries.
    pub len: usize,
    /// What fills it (its `name` is the slice's name).
    #[serde(flatten)]
    pub term: ObsTerm,
}

impl ObsSlice {
    /// The entries' range in the observation.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len
    }
}

/// The raw quantities an observation is built from; SI units, body frame `_b`. Sources a
/// layout does not name may be left empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObsSources<'a> {
    /// Base linear velocity in the body frame (m/s).
    pub lin_vel_b: [f32; 3],
    /// Base angular velocity in the body frame (rad/s).
    pub ang_vel_b: [f32; 3],
    /// Unit gravity direction in the body frame.
    pub gravity_b: [f32; 3],
    /// Velocity command: forward (m/s), lateral (m/s), yaw rate (rad/s).
    pub command: [f32; 3],
    /// Joint positions in the layout's joint order. `[joints]`
    pub joint_pos: &'a [f32],
    /// Joint velocities in the layout's joint order. `[joints]`
    pub joint_vel: &'a [f32],
    /// The previous action. `[actions]`
    pub last_action: &'a [f32],
    /// The trot generator's phase features, when the layout has a gait phase.
    pub gait_phase: Option<[f32; GAIT_OBS_DIM]>,
    /// Base height in the frame of the ground heights (m).
    pub base_z: f32,
    /// Ground height below each scan point, in the term's order (m). `[x * y]`
    pub ground_z: Option<&'a [f32]>,
    /// The task's raw features, for a [`ObsTerm::Raw`] slice.
    pub raw: &'a [f32],
}

/// The observation as named, contiguous slices from offset 0.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObsLayout {
    slices: Vec<ObsSlice>,
}

impl ObsLayout {
    /// An empty layout; add slices with [`Self::push`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `term`; `len` is needed only by terms without a fixed length
    /// ([`ObsTerm::fixed_len`]) and must agree with it otherwise.
    pub fn push(&mut self, term: ObsTerm, len: Option<usize>) -> Result<(), ContractError> {
        let len = match (term.fixed_len(), len) {
            (Some(f), Some(l)) if f != l => {
                return Err(ContractError::Slice {
                    name: term.name().into(),
                    message: format!("has {f} entries by its definition, {l} were given"),
                });
            }
            (Some(f), _) => f,
            (None, Some(l)) => l,
            (None, None) => {
                return Err(ContractError::Slice {
                    name: term.name().into(),
                    message: "needs a length".into(),
                });
            }
        };
        if self.find(term.name()).is_some() {
            return Err(ContractError::Slice {
                name: term.name().into(),
                message: "appears twice".into(),
            });
        }
        self.slices.push(ObsSlice {
            offset: self.dim(),
            len,
            term,
        });
        Ok(())
    }

    /// The slices in order.
    pub fn slices(&self) -> &[ObsSlice] {
        &self.slices
    }

    /// Total number of entries.
    pub fn dim(&self) -> usize {
        self.slices.last().map_or(0, |s| s.offset + s.len)
    }

    /// The slice called `name`.
    pub fn find(&self, name: &str) -> Option<&ObsSlice> {
        self.slices.iter().find(|s| s.term.name() == name)
    }

    /// The height-scan slice, if the policy observes terrain heights.
    pub fn height_scan(&self) -> Option<&ObsSlice> {
        self.find("height_scan")
    }

    /// Checks a layout read from a file: contiguous from 0, lengths as the terms define them,
    /// no name twice, finite scales. Errors name the slice.
    pub fn validate(&self) -> Result<(), ContractError> {
        let mut rebuilt = ObsLayout::new();
        for s in &self.slices {
            let err = |message: String| ContractError::Slice {
                name: s.term.name().into(),
                message,
            };
            if s.offset != rebuilt.dim() {
                return Err(err(format!(
                    "starts at {}, but the slices before it end at {}",
                    s.offset,
                    rebuilt.dim()
                )));
            }
            let finite = match &s.term {
                ObsTerm::BaseLinVel { scale }
                | ObsTerm::BaseAngVel { scale }
                | ObsTerm::JointVel { scale, .. } => scale.is_finite(),
                ObsTerm::VelocityCommand { scale } => scale.iter().all(|v| v.is_finite()),
                ObsTerm::JointPos {
                    default,
                    scale,
                    joints,
                } => {
                    if default.len() != joints.len() {
                        return Err(err(format!(
                            "{} joints but {} defaults",
                            joints.len(),
                            default.len()
                        )));
                    }
                    scale.is_finite() && default.iter().all(|v| v.is_finite())
                }
                ObsTerm::HeightScan {
                    x,
                    y,
                    base_offset,
                    clip_m,
                    scale,
                } => {
                    x.iter().chain(y).all(|v| v.is_finite())
                        && base_offset.is_finite()
                        && clip_m.is_finite()
                        && *clip_m > 0.0
                        && scale.is_finite()
                }
                _ => true,
            };
            if !finite {
                return Err(err(
                    "has a scale, offset or default that is not finite".into()
                ));
            }
            rebuilt.push(s.term.clone(), Some(s.len))?;
        }
        Ok(())
    }

    /// Writes the observation of `src` into `out` (`[dim]`). Errors name the slice whose source
    /// is missing or has the wrong length; nothing is guaranteed about `out` then.
    pub fn write(&self, src: &ObsSources<'_>, out: &mut [f32]) -> Result<(), ContractError> {
        if out.len() != self.dim() {
            return Err(ContractError::Length {
                what: "observation buffer".into(),
                got: out.len(),
                expected: self.dim(),
            });
        }
        for s in &self.slices {
            let dst = &mut out[s.range()];
            let need = |what: &str, got: usize| {
                if got == s.len {
                    Ok(())
                } else {
                    Err(ContractError::Length {
                        what: format!("{} source {what}", s.term.name()),
                        got,
                        expected: s.len,
                    })
                }
            };
            match &s.term {
                ObsTerm::BaseLinVel { scale } => {
                    for (d, v) in dst.iter_mut().zip(src.lin_vel_b) {
                        *d = v * scale;
                    }
                }
                ObsTerm::BaseAngVel { scale } => {
                    for (d, v) in dst.iter_mut().zip(src.ang_vel_b) {
                        *d = v * scale;
                    }
                }
                ObsTerm::ProjectedGravity => dst.copy_from_slice(&src.gravity_b),
                ObsTerm::VelocityCommand { scale } => {
                    for ((d, v), k) in dst.iter_mut().zip(src.command).zip(scale) {
                        *d = v * k;
                    }
                }
                ObsTerm::JointPos { default, scale, .. } => {
                    need("joint positions", src.joint_pos.len())?;
                    for ((d, q), q0) in dst.iter_mut().zip(src.joint_pos).zip(default) {
                        *d = (q - q0) * scale;
                    }
                }
                ObsTerm::JointVel { scale, .. } => {
                    need("joint velocities", src.joint_vel.len())?;
                    for (d, v) in dst.iter_mut().zip(src.joint_vel) {
                        *d = v * scale;
                    }
                }
                ObsTerm::LastAction => {
                    need("last action", src.last_action.len())?;
                    dst.copy_from_slice(src.last_action);
                }
                ObsTerm::GaitPhase { .. } => {
                    let phase = src.gait_phase.ok_or_else(|| ContractError::Missing {
                        name: "gait_phase".into(),
                    })?;
                    dst.copy_from_slice(&phase);
                }
                ObsTerm::HeightScan {
                    base_offset,
                    clip_m,
                    scale,
                    ..
                } => {
                    let ground = src.ground_z.ok_or_else(|| ContractError::Missing {
                        name: "height_scan".into(),
                    })?;
                    need("ground heights", ground.len())?;
                    for (d, g) in dst.iter_mut().zip(ground) {
                        *d = (src.base_z - base_offset - g).clamp(-clip_m, *clip_m) * scale;
                    }
                }
                ObsTerm::Raw { .. } => {
                    need("raw features", src.raw.len())?;
                    dst.copy_from_slice(src.raw);
                }
            }
        }
        Ok(())
    }

    /// The observation's mirror image (reflection `y -> -y` through the base's x-z plane), given
    /// how joint vectors mirror (`joints`, from [`crate::joint_mirror`], in the layout's joint
    /// order): lateral velocity, roll and yaw rates, lateral gravity and the lateral and yaw
    /// commands change sign; joints trade places; the trot's diagonal pairs trade places, half a
    /// period of phase; height-scan columns trade places across the heading. The error names the
    /// slice without a mirror image.
    pub fn mirror(&self, joints: &SignedPermutation) -> Result<SignedPermutation, ContractError> {
        let mut out = SignedPermutation::identity(self.dim());
        for s in &self.slices {
            let err = |message: String| ContractError::Slice {
                name: s.term.name().into(),
                message,
            };
            let o = s.offset;
            let signs: &[f32] = match &s.term {
                // Velocities and gravity are vectors, the angular velocity a pseudovector.
                ObsTerm::BaseLinVel { .. } | ObsTerm::ProjectedGravity => &[1.0, -1.0, 1.0],
                ObsTerm::BaseAngVel { .. } => &[-1.0, 1.0, -1.0],
                ObsTerm::VelocityCommand { .. } => &[1.0, -1.0, -1.0],
                // (sin, cos) of phase + 1/2.
                ObsTerm::GaitPhase { .. } => &[-1.0, -1.0],
                _ => &[],
            };
            for (k, &sign) in signs.iter().enumerate() {
                out.sign[o + k] = sign;
            }
            match &s.term {
                ObsTerm::JointPos { .. } | ObsTerm::JointVel { .. } | ObsTerm::LastAction => {
                    if joints.len() != s.len {
                        return Err(err(format!(
                            "has {} entries, the joint mirror {}",
                            s.len,
                            joints.len()
                        )));
                    }
                    for j in 0..s.len {
                        out.index[o + j] = o + joints.index[j];
                        out.sign[o + j] = joints.sign[j];
                    }
                }
                ObsTerm::HeightScan { x, y, .. } => {
                    let flipped: Vec<usize> = y
                        .iter()
                        .map(|v| {
                            y.iter().position(|w| (w + v).abs() < 1e-5).ok_or_else(|| {
                                err(format!("y has no offset at {} to mirror {v}", -v))
                            })
                        })
                        .collect::<Result<_, _>>()?;
                    let ny = y.len();
                    for ix in 0..x.len() {
                        for (iy, fy) in flipped.iter().enumerate() {
                            out.index[o + ix * ny + iy] = o + ix * ny + fy;
                        }
                    }
                }
                ObsTerm::Raw { .. } => {
                    return Err(err("raw task features have no known mirror image".into()));
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
