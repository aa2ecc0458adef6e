//! DeepMimic motion clips: keyframes of a character's pose, read into Z-up.
//!
//! A clip file is JSON `{"Loop": "wrap" | "none", "Frames": [[duration, root position (3), root
//! quaternion w x y z (4), per joint a quaternion (spherical) or an angle (revolute)], ...]}` in
//! metres and radians, Y up; the root is in world coordinates, joints are local. A frame's
//! duration is the time to the next frame (the last frame's is not used).

use super::axes;
use super::character::{Character, CharacterJointKind};
use super::json::{Fields, parse_json};
use crate::error::RobotError;
use nalgebra::{Quaternion, UnitQuaternion, Vector3};
use std::path::{Path, PathBuf};

/// What happens after a clip's last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopMode {
    /// The clip repeats; each cycle is shifted by the root's ground-plane drift over the clip
    /// (DeepMimic's "wrap").
    Wrap,
    /// The clip holds its last frame.
    Hold,
}

/// One keyframe, in Z-up.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipFrame {
    /// Root (pelvis) position, world (m).
    pub root_pos: Vector3<f64>,
    /// Root orientation, world.
    pub root_rot: UnitQuaternion<f64>,
    /// Joint positions in the layout of the robot built from the character (`[nq]`: `w, x, y,
    /// z` per spherical joint, one angle per revolute joint, in character order; fixed joints
    /// have none).
    pub q: Vec<f64>,
}

/// A motion clip checked against its character.
#[derive(Debug, Clone, PartialEq)]
pub struct MotionClip {
    /// The file it was read from.
    pub path: PathBuf,
    /// Whether it loops.
    pub loop_mode: LoopMode,
    /// Keyframes (at least two).
    pub frames: Vec<ClipFrame>,
    /// Start time of each keyframe (s); `times[0] = 0`, strictly increasing.
    pub times: Vec<f64>,
    /// The character's moving joints in `q` order: names.
    pub joint_names: Vec<String>,
    /// The character's moving joints in `q` order: whether each is spherical (else revolute).
    pub spherical: Vec<bool>,
}

impl MotionClip {
    /// Reads a clip for `character`.
    pub fn from_file(path: &Path, character: &Character) -> Result<Self, RobotError> {
        let text = super::json::read_text(path)?;
        Self::from_json_str(&text, path, character)
    }

    /// Reads a clip from JSON text; `path` names it in errors.
    pub fn from_json_str(
        text: &str,
        path: &Path,
        character: &Character,
    ) -> Result<Self, RobotError> {
        let root = parse_json(text, path)?;
        let top = Fields::new(&root, path, "<file>")?;
        let loop_mode = match root.get("Loop") {
            None => LoopMode::Hold,
            Some(v) => match v.as_str() {
                Some("wrap") => LoopMode::Wrap,
                Some("none") => LoopMode::Hold,
                _ => return Err(top.error(format!("'Loop' is {v}; expected \"wrap\" or \"none\""))),
            },
        };
        let values = top.array("Frames")?;
        if values.len() < 2 {
            return Err(top.error(format!(
                "'Frames' has {} frame(s); a clip needs at least two",
                values.len()
            )));
        }
        let width = character.frame_width();
        let needs = format!(
            "character {} needs {width} (duration, root position 3, root quaternion 4, then 4 \
             per spherical and 1 per revolute joint)",
            character.path.display()
        );
        let (rows, times) = frame_rows(values, path, width, &needs)?;
        let frames = rows
            .iter()
            .enumerate()
            .map(|(i, numbers)| {
                read_frame(numbers, character)
                    .map_err(|m| RobotError::invalid(path, format!("frame {i}"), m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let moving: Vec<_> = character.moving_joints().map(|(_, j)| j).collect();
        Ok(Self {
            path: path.to_path_buf(),
            loop_mode,
            frames,
            times,
            joint_names: moving.iter().map(|j| j.name.clone()).collect(),
            spherical: moving
                .iter()
                .map(|j| j.kind == CharacterJointKind::Spherical)
                .collect(),
        })
    }

    /// Length of one pass through the clip (s).
    pub fn duration(&self) -> f64 {
        *self.times.last().expect("a clip has at least two frames")
    }
}

/// The numbers of every frame and each frame's start time, checked: each row is an array of
/// `width` finite numbers (else the error says `needs`), and every duration but the last is
/// positive. Errors name the file and the frame.
pub(super) fn frame_rows(
    values: &[serde_json::Value],
    path: &Path,
    width: usize,
    needs: &str,
) -> Result<(Vec<Vec<f64>>, Vec<f64>), RobotError> {
    let (mut rows, mut times, mut time) = (Vec::new(), Vec::new(), 0.0);
    for (i, value) in values.iter().enumerate() {
        let error = |message: String| RobotError::invalid(path, format!("frame {i}"), message);
        let row = value
            .as_array()
            .ok_or_else(|| error("is not an array of numbers".into()))?;
        if row.len() != width {
            return Err(error(format!("has {} values; {needs}", row.len())));
        }
        let mut numbers = Vec::with_capacity(width);
        for (k, v) in row.iter().enumerate() {
            match v.as_f64() {
                Some(x) if x.is_finite() => numbers.push(x),
                _ => return Err(error(format!("value {k} is {v}, not a finite number"))),
            }
        }
        let duration = numbers[0];
        if i + 1 < values.len() && duration <= 0.0 {
            return Err(error(format!(
                "duration {duration} is not positive (a frame's duration is the time to the \
                 next frame)"
            )));
        }
        times.push(time);
        time += duration;
        rows.push(numbers);
    }
    Ok((rows, times))
}

/// One frame's numbers (after validation of width and finiteness) in Z-up.
fn read_frame(n: &[f64], character: &Character) -> Result<ClipFrame, String> {
    let root_pos = axes::point(Vector3::new(n[1], n[2], n[3]));
    let root_rot = axes::rotation(unit_quaternion(&n[4..8]).ok_or("the root quaternion is zero")?);
    let mut q = Vec::new();
    let mut at = 8;
    for joint in &character.joints {
        match joint.kind {
            CharacterJointKind::Spherical => {
                let local = unit_quaternion(&n[at..at + 4])
                    .ok_or_else(|| format!("the quaternion of joint '{}' is zero", joint.name))?;
                let z = axes::rotation(local);
                q.extend_from_slice(&[z.w, z.i, z.j, z.k]);
                at += 4;
            }
            CharacterJointKind::Revolute => {
                q.push(n[at]);
                at += 1;
            }
            CharacterJointKind::Root | CharacterJointKind::Fixed => {}
        }
    }
    Ok(ClipFrame {
        root_pos,
        root_rot,
        q,
    })
}

/// `w, x, y, z` normalised; `None` when (nearly) zero.
fn unit_quaternion(wxyz: &[f64]) -> Option<UnitQuaternion<f64>> {
    let q = Quaternion::new(wxyz[0], wxyz[1], wxyz[2], wxyz[3]);
    (q.norm() > 1e-6).then(|| UnitQuaternion::from_quaternion(q))
}
