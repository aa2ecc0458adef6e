//! embody's own clip format for a robot described by a [`RobotSpec`] (URDF or MJCF), e.g. a
//! clip retargeted from a DeepMimic character onto the quadruped (`assets/motions`).
//!
//! JSON, Z-up, metres and radians: `{"Loop": "wrap" | "none", "Robot": name, "Joints": [joint
//! names in frame order], "Frames": [[duration, root position (3), root quaternion w x y z (4),
//! one angle per joint], ...]}`. Only 1-dof joints; the names must be the robot's joints.

use super::clip::{ClipFrame, LoopMode, MotionClip};
use super::json::{Fields, parse_json};
use crate::error::RobotError;
use crate::spec::{JointKind, RobotSpec};
use nalgebra::{Quaternion, UnitQuaternion, Vector3};
use std::path::Path;

impl MotionClip {
    /// Reads a robot clip for `spec`; the clip's joints are put into the robot's joint order.
    pub fn from_robot_clip_file(path: &Path, spec: &RobotSpec) -> Result<Self, RobotError> {
        let text = super::json::read_text(path)?;
        Self::from_robot_clip_str(&text, path, spec)
    }

    /// Reads a robot clip from JSON text; `path` names it in errors.
    pub fn from_robot_clip_str(
        text: &str,
        path: &Path,
        spec: &RobotSpec,
    ) -> Result<Self, RobotError> {
        let root = parse_json(text, path)?;
        let top = Fields::new(&root, path, "<file>")?;
        let loop_mode = match top.string("Loop")? {
            "wrap" => LoopMode::Wrap,
            "none" => LoopMode::Hold,
            other => {
                return Err(top.error(format!(
                    "'Loop' is \"{other}\"; expected \"wrap\" or \"none\""
                )));
            }
        };
        if let Some(j) = spec.joints.iter().find(|j| j.kind == JointKind::Spherical) {
            return Err(top.error(format!(
                "robot clips hold 1-dof joints only; '{}' of {} is a ball joint",
                j.name, spec.name
            )));
        }
        let names = top.array("Joints")?;
        let mut slot_of_column = Vec::with_capacity(names.len());
        for (k, name) in names.iter().enumerate() {
            let name = name
                .as_str()
                .ok_or_else(|| top.error(format!("Joints[{k}] is not a string")))?;
            let slot = spec.joint_index(name).ok_or_else(|| {
                top.error(format!(
                    "Joints[{k}] '{name}' is not a joint of robot {}",
                    spec.name
                ))
            })?;
            if slot_of_column.contains(&slot) {
                return Err(top.error(format!("Joints[{k}] '{name}' is listed twice")));
            }
            slot_of_column.push(slot);
        }
        if let Some(missing) = spec
            .joints
            .iter()
            .enumerate()
            .find(|(i, _)| !slot_of_column.contains(i))
        {
            return Err(top.error(format!(
                "'Joints' lacks the robot's joint '{}'",
                missing.1.name
            )));
        }
        let values = top.array("Frames")?;
        if values.len() < 2 {
            return Err(top.error(format!(
                "'Frames' has {} frame(s); a clip needs at least two",
                values.len()
            )));
        }
        let width = 8 + spec.joints.len();
        let needs = format!(
            "robot {} needs {width} (duration, root position 3, root quaternion 4, one angle \
             per joint)",
            spec.name
        );
        let (rows, times) = super::clip::frame_rows(values, path, width, &needs)?;
        let mut frames = Vec::with_capacity(rows.len());
        for (i, n) in rows.iter().enumerate() {
            let quat = Quaternion::new(n[4], n[5], n[6], n[7]);
            if quat.norm() < 1e-6 {
                return Err(RobotError::invalid(
                    path,
                    format!("frame {i}"),
                    "the root quaternion is zero",
                ));
            }
            let mut q = vec![0.0; spec.joints.len()];
            for (column, &slot) in slot_of_column.iter().enumerate() {
                q[slot] = n[8 + column];
            }
            frames.push(ClipFrame {
                root_pos: Vector3::new(n[1], n[2], n[3]),
                root_rot: UnitQuaternion::from_quaternion(quat),
                q,
            });
        }
        Ok(Self {
            path: path.to_path_buf(),
            loop_mode,
            frames,
            times,
            joint_names: spec.joints.iter().map(|j| j.name.clone()).collect(),
            spherical: vec![false; spec.joints.len()],
        })
    }

    /// The clip in the robot-clip format (frames' joints in `joint_names` order).
    pub fn to_robot_clip_json(&self, robot: &str) -> String {
        let frames: Vec<serde_json::Value> = self
            .frames
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let duration = self.times.get(i + 1).map_or(0.0, |t| t - self.times[i]);
                let r = f.root_rot;
                let mut row = vec![
                    duration,
                    f.root_pos.x,
                    f.root_pos.y,
                    f.root_pos.z,
                    r.w,
                    r.i,
                    r.j,
                    r.k,
                ];
                row.extend(&f.q);
                serde_json::Value::from(
                    row.iter()
                        .map(|x| (x * 1e6).round() / 1e6)
                        .collect::<Vec<f64>>(),
                )
            })
            .collect();
        let value = serde_json::json!({
            "Loop": if self.loop_mode == LoopMode::Wrap { "wrap" } else { "none" },
            "Robot": robot,
            "Joints": self.joint_names,
            "Frames": frames,
        });
        // One frame per line keeps the file diffable.
        let mut out = String::from("{\n");
        out += &format!(
            "\"Loop\": {},\n\"Robot\": {},\n\"Joints\": {},\n\"Frames\": [\n",
            value["Loop"], value["Robot"], value["Joints"]
        );
        let rows: Vec<String> = value["Frames"]
            .as_array()
            .map_or(Vec::new(), |a| a.iter().map(|r| r.to_string()).collect());
        out += &rows.join(",\n");
        out += "\n]\n}\n";
        out
    }
}
