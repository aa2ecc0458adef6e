//! The Rerun adapter: logs [`RobotFrame`]s, robot geometry, terrain and scalars to a Rerun
//! recording (a `.rrd` file, a spawned viewer, or a viewer at an address), with a blueprint that
//! lays out the 3D view beside the plots.
//!
//! Entity paths (`E` is the env's name, e.g. `env0`):
//! - `world` (view coordinates, Z up); `world/E` (static offset so several envs sit side by side)
//! - `world/E/terrain` (mesh); `world/E/robot/<body>` (pose every step) with its collision shapes
//!   in `world/E/robot/<body>/shapes/{boxes,spheres,capsules,cylinders}`
//! - `world/E/contacts` (points), `world/E/contact_forces`, `world/E/external_forces`,
//!   `world/E/push`, `world/E/velocity/{command,actual}` (arrows), `world/E/path`,
//!   `world/E/waypoints` (navigation)
//! - `plots/E/velocity/{vx,vy,yaw_rate}/{command,actual}`,
//!   `plots/E/joints/<joint>/{position,target,torque}`, `plots/E/rewards/<term>`
//! - `train/...` training scalars (timeline `iteration`)
//!
//! Timelines: `step` (control steps) and `sim_time` (seconds) for environments; `iteration` and
//! `env_steps` for training.

use super::{BodyShape, RobotFrame, ShapeKind, body_shapes, terrain_mesh};
use crate::error::SimError;
use crate::terrain::Terrain;
use rerun::blueprint::{
    Blueprint, BlueprintActivation, Horizontal, Spatial3DView, Tabs, TimeSeriesView, Vertical,
};
use robots::RobotSpec;
use std::path::PathBuf;

/// Where a recording goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Sink {
    /// Save to an `.rrd` file.
    Save(PathBuf),
    /// Spawn a viewer (`rerun` on the PATH) and stream to it.
    Spawn,
    /// Stream to a viewer at this gRPC proxy address, e.g. `rerun+http://127.0.0.1:9876/proxy`
    /// (a bare `host:port` is accepted too).
    Connect(String),
}

fn err(e: impl std::fmt::Display) -> SimError {
    SimError::Rerun(e.to_string())
}

/// Length of a contact-force arrow per newton (m/N).
const FORCE_SCALE: f32 = 0.002;
/// How long a push arrow stays visible (s).
const PUSH_SHOW_S: f64 = 0.5;

struct EnvEntry {
    name: String,
    bodies: Vec<String>,
    joints: Vec<JointSlot>,
    seen_pushes: u64,
    push_shown_at: Option<f64>,
}

/// Where one joint's entries sit in position (`q_at`) and velocity (`v_at`) vectors.
struct JointSlot {
    name: String,
    ball: bool,
    q_at: usize,
    v_at: usize,
}

fn joint_slots(spec: &RobotSpec) -> Vec<JointSlot> {
    let (mut q_at, mut v_at) = (0, 0);
    spec.joints
        .iter()
        .map(|j| {
            let slot = JointSlot {
                name: j.name.clone(),
                ball: j.kind == robots::JointKind::Spherical,
                q_at,
                v_at,
            };
            q_at += j.kind.nq();
            v_at += j.kind.nv();
            slot
        })
        .collect()
}

/// A Rerun recording of environments and training scalars.
pub struct Recorder {
    rec: rerun::RecordingStream,
    envs: Vec<EnvEntry>,
    sim_time: f64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("envs", &self.envs.len())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Opens a recording named `app_id` on `sink`, Z up.
    pub fn new(app_id: &'static str, sink: &Sink) -> Result<Self, SimError> {
        let builder = rerun::RecordingStreamBuilder::new(app_id);
        let rec = match sink {
            Sink::Save(path) => builder
                .save(path)
                .map_err(|e| SimError::Rerun(format!("{}: {e}", path.display())))?,
            Sink::Spawn => builder.spawn().map_err(|e| {
                SimError::Rerun(format!(
                    "could not spawn a viewer ({e}); or save the recording with --rrd FILE"
                ))
            })?,
            Sink::Connect(addr) => {
                let url = if addr.contains("://") {
                    addr.clone()
                } else {
                    format!("rerun+http://{addr}/proxy")
                };
                builder
                    .connect_grpc_opts(url.clone())
                    .map_err(|e| SimError::Rerun(format!("{url}: {e}")))?
            }
        };
        rec.log_static("world", &rerun::ViewCoordinates::RIGHT_HAND_Z_UP())
            .map_err(err)?;
        Ok(Self {
            rec,
            envs: Vec::new(),
            sim_time: 0.0,
        })
    }

    /// The underlying stream (to log anything else).
    pub fn stream(&self) -> &rerun::RecordingStream {
        &self.rec
    }

    /// Adds an environment: logs its terrain and robot geometry once (static) under
    /// `world/<name>`, placed at `offset_w`. Returns its index for [`Self::log_frame`].
    pub fn add_env(
        &mut self,
        name: &str,
        spec: &RobotSpec,
        terrain: &Terrain,
        offset_w: [f32; 3],
    ) -> Result<usize, SimError> {
        let root = format!("world/{name}");
        self.rec
            .log_static(
                root.as_str(),
                &rerun::Transform3D::from_translation(offset_w),
            )
            .map_err(err)?;
        let mesh = terrain_mesh(terrain, 20.0);
        self.log_mesh(
            &format!("{root}/terrain"),
            mesh,
            rerun::Rgba32::from_rgb(150, 150, 140),
        )?;
        self.add_robot(name, spec)
    }

    /// Adds an environment in a confined world: its floor and ceiling heightfields (static,
    /// under `world/<name>/floor` and `world/<name>/ceiling`, the ceiling see-through) and the
    /// robot's geometry. Returns its index for [`Self::log_frame`].
    pub fn add_confined_env(
        &mut self,
        name: &str,
        spec: &RobotSpec,
        grid: &crate::confined::WorldGrid,
    ) -> Result<usize, SimError> {
        let root = format!("world/{name}");
        self.rec
            .log_static(
                root.as_str(),
                &rerun::Transform3D::from_translation([0.0; 3]),
            )
            .map_err(err)?;
        let (floor, ceiling) = super::confined_world_meshes(grid);
        self.log_mesh(
            &format!("{root}/floor"),
            floor,
            rerun::Rgba32::from_rgb(150, 150, 140),
        )?;
        self.log_mesh(
            &format!("{root}/ceiling"),
            ceiling,
            rerun::Rgba32::from_unmultiplied_rgba(120, 160, 220, 90),
        )?;
        self.add_robot(name, spec)
    }

    fn log_mesh(
        &self,
        path: &str,
        mesh: super::TriangleMesh,
        color: rerun::Rgba32,
    ) -> Result<(), SimError> {
        self.rec
            .log_static(
                path,
                &rerun::Mesh3D::new(mesh.positions)
                    .with_triangle_indices(mesh.triangles)
                    .with_albedo_factor(color),
            )
            .map_err(err)
    }

    /// Logs the geometry of a scene's bodies (static, under `world/<path>/mesh`; see
    /// [`crate::viz::scene_body_meshes`]).
    pub fn add_scene(&self, bodies: &[crate::viz::SceneBodyMesh]) -> Result<(), SimError> {
        for b in bodies {
            let color = match b.body {
                None => rerun::Rgba32::from_rgb(120, 120, 115),
                Some(_) if b.path.starts_with("objects/") => rerun::Rgba32::from_rgb(220, 50, 50),
                Some(_) => rerun::Rgba32::from_rgb(90, 130, 200),
            };
            self.log_mesh(&format!("world/{}/mesh", b.path), b.mesh.clone(), color)?;
        }
        Ok(())
    }

    /// Logs the pose of each of a scene's bodies at the current step (`poses` from
    /// [`crate::viz::scene_body_poses`], same order as `bodies`); static geometry is skipped.
    pub fn log_scene_poses(
        &self,
        bodies: &[crate::viz::SceneBodyMesh],
        poses: &[([f32; 3], [f32; 4])],
    ) -> Result<(), SimError> {
        for (b, (t, q)) in bodies.iter().zip(poses) {
            if b.body.is_some() {
                self.rec
                    .log(
                        format!("world/{}", b.path),
                        &rerun::Transform3D::from_translation_rotation(
                            *t,
                            rerun::Quaternion::from_xyzw(*q),
                        ),
                    )
                    .map_err(err)?;
            }
        }
        Ok(())
    }

    /// Logs the robot's geometry (static) and registers the env.
    fn add_robot(&mut self, name: &str, spec: &RobotSpec) -> Result<usize, SimError> {
        let root = format!("world/{name}");
        let shapes = body_shapes(spec);
        for (body, shapes) in spec.bodies.iter().zip(&shapes) {
            self.log_body_shapes(&format!("{root}/robot/{}/shapes", body.name), shapes)?;
        }
        self.envs.push(EnvEntry {
            name: name.to_string(),
            bodies: spec.bodies.iter().map(|b| b.name.clone()).collect(),
            joints: joint_slots(spec),
            seen_pushes: 0,
            push_shown_at: None,
        });
        Ok(self.envs.len() - 1)
    }

    fn log_body_shapes(&self, path: &str, shapes: &[BodyShape]) -> Result<(), SimError> {
        let color = rerun::Color::from_rgb(90, 130, 200);
        let pick = |f: &dyn Fn(&ShapeKind) -> bool| -> Vec<&BodyShape> {
            shapes.iter().filter(|s| f(&s.kind)).collect()
        };
        let quats = |v: &[&BodyShape]| -> Vec<rerun::Quaternion> {
            v.iter()
                .map(|s| rerun::Quaternion::from_xyzw(s.rotation_b))
                .collect()
        };
        let boxes = pick(&|k| matches!(k, ShapeKind::Box { .. }));
        if !boxes.is_empty() {
            let half: Vec<[f32; 3]> = boxes
                .iter()
                .map(|s| match s.kind {
                    ShapeKind::Box { half_size } => half_size,
                    _ => [0.0; 3],
                })
                .collect();
            let centers: Vec<[f32; 3]> = boxes.iter().map(|s| s.translation_b).collect();
            self.rec
                .log_static(
                    format!("{path}/boxes"),
                    &rerun::Boxes3D::from_centers_and_half_sizes(centers, half)
                        .with_quaternions(quats(&boxes))
                        .with_fill_mode(rerun::FillMode::Solid)
                        .with_colors([color]),
                )
                .map_err(err)?;
        }
        let spheres = pick(&|k| matches!(k, ShapeKind::Sphere { .. }));
        if !spheres.is_empty() {
            let radii: Vec<f32> = spheres
                .iter()
                .map(|s| match s.kind {
                    ShapeKind::Sphere { radius } => radius,
                    _ => 0.0,
                })
                .collect();
            let centers: Vec<[f32; 3]> = spheres.iter().map(|s| s.translation_b).collect();
            self.rec
                .log_static(
                    format!("{path}/spheres"),
                    &rerun::Ellipsoids3D::from_centers_and_radii(centers, radii)
                        .with_fill_mode(rerun::FillMode::Solid)
                        .with_colors([rerun::Color::from_rgb(40, 40, 40)]),
                )
                .map_err(err)?;
        }
        let capsules = pick(&|k| matches!(k, ShapeKind::Capsule { .. }));
        if !capsules.is_empty() {
            let (mut lengths, mut radii, mut starts) = (Vec::new(), Vec::new(), Vec::new());
            for s in &capsules {
                if let ShapeKind::Capsule { radius, length } = s.kind {
                    lengths.push(length);
                    radii.push(radius);
                    // Rerun capsules run from their origin along +z; ours are centred.
                    starts.push(offset_along_z(s, -0.5 * length));
                }
            }
            self.rec
                .log_static(
                    format!("{path}/capsules"),
                    &rerun::Capsules3D::from_lengths_and_radii(lengths, radii)
                        .with_translations(starts)
                        .with_quaternions(quats(&capsules))
                        .with_colors([color]),
                )
                .map_err(err)?;
        }
        let cylinders = pick(&|k| matches!(k, ShapeKind::Cylinder { .. }));
        if !cylinders.is_empty() {
            let (mut lengths, mut radii) = (Vec::new(), Vec::new());
            for s in &cylinders {
                if let ShapeKind::Cylinder { radius, length } = s.kind {
                    lengths.push(length);
                    radii.push(radius);
                }
            }
            let centers: Vec<[f32; 3]> = cylinders.iter().map(|s| s.translation_b).collect();
            self.rec
                .log_static(
                    format!("{path}/cylinders"),
                    &rerun::Cylinders3D::from_lengths_and_radii(lengths, radii)
                        .with_centers(centers)
                        .with_quaternions(quats(&cylinders))
                        .with_fill_mode(rerun::FillMode::Solid)
                        .with_colors([color]),
                )
                .map_err(err)?;
        }
        Ok(())
    }

    /// Sets the time of what is logged next: control step and simulated seconds.
    pub fn set_step(&mut self, step: i64, sim_time_s: f64) {
        self.sim_time = sim_time_s;
        self.rec.set_time_sequence("step", step);
        self.rec.set_duration_secs("sim_time", sim_time_s);
    }

    /// Sets the training time of what is logged next.
    pub fn set_iteration(&self, iteration: i64, env_steps: i64) {
        self.rec.set_time_sequence("iteration", iteration);
        self.rec.set_time_sequence("env_steps", env_steps);
    }

    fn env(&self, env: usize) -> Result<&EnvEntry, SimError> {
        self.envs
            .get(env)
            .ok_or_else(|| SimError::Rerun(format!("env {env} was not added")))
    }

    /// Logs one step of env `env`: link poses, contacts and their forces, external forces,
    /// pushes, command vs. actual velocity (arrows and plots) and joint plots.
    pub fn log_frame(&mut self, env: usize, frame: &RobotFrame) -> Result<(), SimError> {
        let e = self.env(env)?;
        let root = format!("world/{}", e.name);
        let plots = format!("plots/{}", e.name);
        let rec = &self.rec;
        for (name, (t, q)) in e.bodies.iter().zip(&frame.body_poses_w) {
            rec.log(
                format!("{root}/robot/{name}"),
                &rerun::Transform3D::from_translation_rotation(
                    *t,
                    rerun::Quaternion::from_xyzw(*q),
                ),
            )
            .map_err(err)?;
        }
        let points: Vec<[f32; 3]> = frame
            .contacts
            .iter()
            .map(|c| c.point_w.to_array())
            .collect();
        let forces: Vec<[f32; 3]> = frame
            .contacts
            .iter()
            .map(|c| (c.force_w * FORCE_SCALE).to_array())
            .collect();
        let labels: Vec<String> = frame.contacts.iter().map(|c| c.link.clone()).collect();
        rec.log(
            format!("{root}/contacts"),
            &rerun::Points3D::new(points.clone())
                .with_radii([0.015])
                .with_colors([rerun::Color::from_rgb(230, 60, 60)])
                .with_labels(labels),
        )
        .map_err(err)?;
        rec.log(
            format!("{root}/contact_forces"),
            &rerun::Arrows3D::from_vectors(forces)
                .with_origins(points)
                .with_colors([rerun::Color::from_rgb(230, 120, 40)]),
        )
        .map_err(err)?;
        let base = frame.base.pos_w.to_array();
        let (origins, vectors): (Vec<[f32; 3]>, Vec<[f32; 3]>) = frame
            .external_forces_w
            .iter()
            .zip(&frame.body_poses_w)
            .filter(|(f, _)| f.iter().any(|v| *v != 0.0))
            .map(|(f, (t, _))| (*t, f.map(|v| v * FORCE_SCALE)))
            .unzip();
        rec.log(
            format!("{root}/external_forces"),
            &rerun::Arrows3D::from_vectors(vectors)
                .with_origins(origins)
                .with_colors([rerun::Color::from_rgb(200, 40, 200)]),
        )
        .map_err(err)?;
        // A push shows as an arrow of its velocity change for half a second.
        let (count, dv) = frame.push;
        let sim_time = self.sim_time;
        let e = &mut self.envs[env];
        if count > e.seen_pushes {
            e.seen_pushes = count;
            e.push_shown_at = Some(sim_time);
            rec.log(
                format!("{root}/push"),
                &rerun::Arrows3D::from_vectors([dv])
                    .with_origins([base])
                    .with_labels([format!("push {:.2} m/s", (dv[0].hypot(dv[1])))])
                    .with_colors([rerun::Color::from_rgb(200, 40, 200)]),
            )
            .map_err(err)?;
        } else if e
            .push_shown_at
            .is_some_and(|t0| sim_time - t0 >= PUSH_SHOW_S)
        {
            e.push_shown_at = None;
            rec.log(format!("{root}/push"), &rerun::Clear::flat())
                .map_err(err)?;
        }
        let e = &self.envs[env];
        let lin_w = frame.base.lin_vel_w.to_array();
        // Velocity arrows start a little above the base.
        let above = [base[0], base[1], base[2] + 0.15];
        if frame.command.is_some() {
            let (cmd_w, _) = frame.command_w();
            rec.log(
                format!("{root}/velocity/command"),
                &rerun::Arrows3D::from_vectors([cmd_w])
                    .with_origins([above])
                    .with_colors([rerun::Color::from_rgb(40, 180, 40)]),
            )
            .map_err(err)?;
        }
        rec.log(
            format!("{root}/velocity/actual"),
            &rerun::Arrows3D::from_vectors([[lin_w[0], lin_w[1], 0.0]])
                .with_origins([above])
                .with_colors([rerun::Color::from_rgb(40, 90, 220)]),
        )
        .map_err(err)?;
        let actual = [
            frame.base.lin_vel_b.x,
            frame.base.lin_vel_b.y,
            frame.base.ang_vel_b.z,
        ];
        for (k, axis) in ["vx", "vy", "yaw_rate"].iter().enumerate() {
            if let Some(cmd) = frame.command {
                scalar(rec, &format!("{plots}/velocity/{axis}/command"), cmd[k])?;
            }
            scalar(rec, &format!("{plots}/velocity/{axis}/actual"), actual[k])?;
        }
        scalar(rec, &format!("{plots}/base/height"), base[2])?;
        for j in &e.joints {
            let p = format!("{plots}/joints/{}", j.name);
            let (position, target, torque) = if j.ball {
                // A ball joint plots its rotation angle and torque magnitude.
                let angle = |q: &[f32]| 2.0 * q[0].abs().min(1.0).acos();
                let tau = &frame.joint_torque[j.v_at..j.v_at + 3];
                (
                    angle(&frame.joint_pos[j.q_at..j.q_at + 4]),
                    angle(&frame.joint_target[j.q_at..j.q_at + 4]),
                    tau.iter().map(|t| t * t).sum::<f32>().sqrt(),
                )
            } else {
                (
                    frame.joint_pos[j.q_at],
                    frame.joint_target[j.q_at],
                    frame.joint_torque[j.v_at],
                )
            };
            scalar(rec, &format!("{p}/position"), position)?;
            scalar(rec, &format!("{p}/target"), target)?;
            scalar(rec, &format!("{p}/torque"), torque)?;
        }
        Ok(())
    }

    /// Logs a stick figure under `world/<env>/<name>`: a point per joint (world, m) and a line
    /// per bone `(parent, child)` (e.g. a motion clip's reference skeleton).
    pub fn log_skeleton(
        &self,
        env: usize,
        name: &str,
        joints: &[[f32; 3]],
        bones: &[(usize, usize)],
    ) -> Result<(), SimError> {
        let e = self.env(env)?;
        let root = format!("world/{}/{name}", e.name);
        let strips: Vec<[[f32; 3]; 2]> = bones
            .iter()
            .filter(|(a, b)| *a < joints.len() && *b < joints.len())
            .map(|&(a, b)| [joints[a], joints[b]])
            .collect();
        self.rec
            .log(
                format!("{root}/bones"),
                &rerun::LineStrips3D::new(strips)
                    .with_radii([0.02])
                    .with_colors([rerun::Color::from_rgb(230, 150, 40)]),
            )
            .map_err(err)?;
        self.rec
            .log(
                format!("{root}/joints"),
                &rerun::Points3D::new(joints.to_vec())
                    .with_radii([0.035])
                    .with_colors([rerun::Color::from_rgb(200, 90, 30)]),
            )
            .map_err(err)?;
        Ok(())
    }

    /// Logs per-step reward terms of env `env` under `plots/<env>/rewards/<term>`.
    pub fn log_rewards(&self, env: usize, terms: &[(&str, f32)]) -> Result<(), SimError> {
        let e = self.env(env)?;
        for (name, v) in terms {
            scalar(&self.rec, &format!("plots/{}/rewards/{name}", e.name), *v)?;
        }
        Ok(())
    }

    /// Logs a navigation plan of env `env`: waypoints as points and the planned path as a line
    /// (world frame of the env).
    pub fn log_plan(
        &self,
        env: usize,
        waypoints: &[[f32; 3]],
        path: &[[f32; 3]],
    ) -> Result<(), SimError> {
        let e = self.env(env)?;
        let root = format!("world/{}", e.name);
        self.rec
            .log(
                format!("{root}/waypoints"),
                &rerun::Points3D::new(waypoints.iter().copied())
                    .with_radii([0.04])
                    .with_colors([rerun::Color::from_rgb(240, 200, 0)]),
            )
            .map_err(err)?;
        self.rec
            .log(
                format!("{root}/path"),
                &rerun::LineStrips3D::new([path.to_vec()])
                    .with_colors([rerun::Color::from_rgb(240, 200, 0)]),
            )
            .map_err(err)
    }

    /// Logs points at entity `path` (world frame) with one colour each (e.g. the cells of a
    /// Go-Explore archive).
    pub fn log_points(
        &self,
        path: &str,
        points: &[[f32; 3]],
        colors: &[[u8; 3]],
        radius: f32,
    ) -> Result<(), SimError> {
        self.rec
            .log(
                path,
                &rerun::Points3D::new(points.iter().copied())
                    .with_radii([radius])
                    .with_colors(
                        colors
                            .iter()
                            .map(|c| rerun::Color::from_rgb(c[0], c[1], c[2])),
                    ),
            )
            .map_err(err)
    }

    /// Logs a line through `points` at entity `path` (world frame).
    pub fn log_line(
        &self,
        path: &str,
        points: &[[f32; 3]],
        color: [u8; 3],
    ) -> Result<(), SimError> {
        self.rec
            .log(
                path,
                &rerun::LineStrips3D::new([points.to_vec()])
                    .with_colors([rerun::Color::from_rgb(color[0], color[1], color[2])]),
            )
            .map_err(err)
    }

    /// Logs one scalar at `path` (e.g. `train/kl`) at the current time.
    pub fn log_scalar(&self, path: &str, value: f64) -> Result<(), SimError> {
        self.rec
            .log(path, &rerun::Scalars::single(value))
            .map_err(err)
    }

    /// Sends the layout for watching environments: the 3D view beside velocity, joint and
    /// reward plots of the first env (and, with `training`, a tab of training curves).
    pub fn send_blueprint(&self, training: bool) -> Result<(), SimError> {
        let first = self.envs.first().map_or("env0", |e| e.name.as_str());
        let mut plots = vec![
            TimeSeriesView::new("velocity: command vs actual")
                .with_origin(format!("plots/{first}/velocity"))
                .into(),
            TimeSeriesView::new("joints")
                .with_origin(format!("plots/{first}/joints"))
                .into(),
            TimeSeriesView::new("rewards")
                .with_origin(format!("plots/{first}/rewards"))
                .into(),
        ];
        if training {
            let view = |name: &str, origin: &str| -> rerun::blueprint::ContainerLike {
                TimeSeriesView::new(name).with_origin(origin).into()
            };
            plots.insert(
                0,
                Tabs::new([
                    view("return", "train/return"),
                    view("episode length", "train/episode_length"),
                    view("losses", "train/loss"),
                    view("entropy", "train/entropy"),
                    view("KL", "train/kl"),
                    view("learning rate", "train/learning_rate"),
                    view("steps/s", "train/steps_per_s"),
                    view("reward terms", "train/rewards"),
                ])
                .into(),
            );
        }
        let layout = Horizontal::new([
            Spatial3DView::new("world").with_origin("world").into(),
            Vertical::new(plots).into(),
        ])
        .with_column_shares([3.0, 2.0]);
        Blueprint::new(layout)
            .send(&self.rec, BlueprintActivation::default())
            .map_err(err)
    }

    /// Writes everything logged so far to the sink (the file is complete after this).
    pub fn flush(&self) -> Result<(), SimError> {
        self.rec.flush_blocking().map_err(err)
    }
}

fn scalar(rec: &rerun::RecordingStream, path: &str, v: f32) -> Result<(), SimError> {
    rec.log(path, &rerun::Scalars::single(v as f64))
        .map_err(err)
}

/// The shape's origin moved by `dz` along its own z axis, in the body frame.
fn offset_along_z(s: &BodyShape, dz: f32) -> [f32; 3] {
    let [x, y, z, w] = s.rotation_b;
    // Third column of the rotation matrix: the shape's z axis in the body frame.
    let axis = [
        2.0 * (x * z + w * y),
        2.0 * (y * z - w * x),
        1.0 - 2.0 * (x * x + y * y),
    ];
    let t = s.translation_b;
    [
        t[0] + dz * axis[0],
        t[1] + dz * axis[1],
        t[2] + dz * axis[2],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::PhysicsConfig;
    use crate::robot_world::RobotWorld;
    use std::sync::Arc;

    #[test]
    fn capsule_start_is_half_a_length_below_its_centre() {
        let s = BodyShape {
            link: "l".into(),
            kind: ShapeKind::Capsule {
                radius: 0.02,
                length: 0.2,
            },
            translation_b: [0.0, 0.0, -0.1],
            rotation_b: [0.0, 0.0, 0.0, 1.0],
        };
        assert_eq!(offset_along_z(&s, -0.1), [0.0, 0.0, -0.2]);
        // Rotated 90 degrees about x: local z is body -y.
        let h = std::f32::consts::FRAC_1_SQRT_2;
        let r = BodyShape {
            rotation_b: [h, 0.0, 0.0, h],
            ..s
        };
        let p = offset_along_z(&r, -0.1);
        assert!(
            (p[1] - 0.1).abs() < 1e-6 && (p[2] + 0.1).abs() < 1e-6,
            "{p:?}"
        );
    }

    /// Records a standing robot to an .rrd file; the file is checked further by the CLI test
    /// with the rerun tool.
    #[test]
    fn records_a_standing_robot_to_a_file() {
        let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("quadruped"));
        let mut w = RobotWorld::new(spec.clone(), &Terrain::flat(), PhysicsConfig::default())
            .expect("world");
        let path = std::env::temp_dir().join(format!("embody-viz-{}.rrd", std::process::id()));
        let mut r = Recorder::new("embody_test", &Sink::Save(path.clone())).expect("recorder");
        let env = r
            .add_env("env0", &spec, &Terrain::flat(), [0.0; 3])
            .expect("env");
        r.send_blueprint(false).expect("blueprint");
        for step in 0..10 {
            w.step();
            r.set_step(step, step as f64 * 0.02);
            r.log_frame(env, &RobotFrame::capture(&w, Some([0.3, 0.0, 0.0])))
                .expect("frame");
            r.log_rewards(env, &[("tracking_lin_vel", 0.5)])
                .expect("rewards");
        }
        r.log_plan(
            env,
            &[[1.0, 0.0, 0.0], [2.0, 1.0, 0.0]],
            &[[0.0; 3], [1.0, 0.0, 0.0], [2.0, 1.0, 0.0]],
        )
        .expect("plan");
        assert!(r.log_frame(5, &RobotFrame::capture(&w, None)).is_err());
        r.flush().expect("flush");
        drop(r);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "recording has data: {size} bytes");
        let _ = std::fs::remove_file(&path);
    }
}
