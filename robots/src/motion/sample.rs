//! A clip's pose and velocity at any time: keyframes blended (positions and angles linearly,
//! rotations by slerp), looping clips carried forward from cycle to cycle.

use super::clip::{LoopMode, MotionClip};
use nalgebra::{Isometry3, Translation3, UnitQuaternion, Vector3};

/// The reference pose at one instant (Z-up, world).
#[derive(Debug, Clone, PartialEq)]
pub struct ClipPose {
    /// Root position (m).
    pub root_pos: Vector3<f64>,
    /// Root orientation.
    pub root_rot: UnitQuaternion<f64>,
    /// Joint positions (`[nq]`, the layout of [`ClipFrame::q`]).
    pub q: Vec<f64>,
}

impl ClipPose {
    /// The root's pose as one transform.
    pub fn root_pose(&self) -> Isometry3<f64> {
        Isometry3::from_parts(Translation3::from(self.root_pos), self.root_rot)
    }
}

/// The reference velocity at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipVelocity {
    /// Root linear velocity, world (m/s).
    pub root_lin_vel: Vector3<f64>,
    /// Root angular velocity, world (rad/s).
    pub root_ang_vel: Vector3<f64>,
    /// Joint velocities (`[nv]`: per spherical joint the child's angular velocity relative to
    /// its parent in the child frame, per revolute joint the angle's rate).
    pub qd: Vec<f64>,
}

impl MotionClip {
    /// The shift from one cycle to the next: the root's ground-plane displacement from the
    /// first keyframe to the last (height and heading are not carried over, as in DeepMimic's
    /// `cMotionController::CalcRootCycleOffset`). Zero for a clip that holds its last frame.
    pub fn cycle_shift(&self) -> Vector3<f64> {
        if self.loop_mode == LoopMode::Hold {
            return Vector3::zeros();
        }
        let (first, last) = (&self.frames[0], self.frames.last().expect("two frames"));
        let mut shift = last.root_pos - first.root_pos;
        shift.z = 0.0;
        shift
    }

    /// The clip's phase at time `t` (s): the fraction of the current cycle, in `[0, 1)` for a
    /// looping clip, clamped to `[0, 1]` otherwise.
    pub fn phase(&self, t: f64) -> f64 {
        let (_, tau) = self.cycle_and_time(t);
        tau / self.duration()
    }

    /// The reference pose at time `t` (s).
    pub fn pose_at(&self, t: f64) -> ClipPose {
        let (cycle, tau) = self.cycle_and_time(t);
        let (i, blend) = self.segment(tau);
        let (a, b) = (&self.frames[i], &self.frames[i + 1]);
        let mut q = Vec::with_capacity(a.q.len());
        let mut at = 0;
        for &spherical in &self.spherical {
            if spherical {
                let qa = quat(&a.q[at..at + 4]);
                let qb = quat(&b.q[at..at + 4]);
                let r = slerp_shortest(&qa, &qb, blend);
                q.extend_from_slice(&[r.w, r.i, r.j, r.k]);
                at += 4;
            } else {
                q.push(a.q[at] + blend * (b.q[at] - a.q[at]));
                at += 1;
            }
        }
        ClipPose {
            root_pos: a.root_pos.lerp(&b.root_pos, blend) + self.cycle_shift() * cycle as f64,
            root_rot: slerp_shortest(&a.root_rot, &b.root_rot, blend),
            q,
        }
    }

    /// The reference velocity at time `t` (s): each keyframe's velocity is its difference to
    /// the next keyframe over the time between them (the last keyframe repeats the one before),
    /// blended linearly between the two keyframes around `t`, as DeepMimic does. Zero after
    /// the end of a clip that holds its last frame.
    pub fn velocity_at(&self, t: f64) -> ClipVelocity {
        let nv: usize = self.spherical.iter().map(|&s| if s { 3 } else { 1 }).sum();
        if self.loop_mode == LoopMode::Hold && t >= self.duration() {
            return ClipVelocity {
                root_lin_vel: Vector3::zeros(),
                root_ang_vel: Vector3::zeros(),
                qd: vec![0.0; nv],
            };
        }
        let (_, tau) = self.cycle_and_time(t);
        let (i, blend) = self.segment(tau);
        let va = self.keyframe_velocity(i);
        let vb = self.keyframe_velocity(i + 1);
        ClipVelocity {
            root_lin_vel: va.root_lin_vel.lerp(&vb.root_lin_vel, blend),
            root_ang_vel: va.root_ang_vel.lerp(&vb.root_ang_vel, blend),
            qd: va
                .qd
                .iter()
                .zip(&vb.qd)
                .map(|(x, y)| x + blend * (y - x))
                .collect(),
        }
    }

    /// Velocity from keyframe `i` to `i + 1` (the last keyframe uses the segment before it).
    fn keyframe_velocity(&self, i: usize) -> ClipVelocity {
        let i = i.min(self.frames.len() - 2);
        let (a, b) = (&self.frames[i], &self.frames[i + 1]);
        let dt = self.times[i + 1] - self.times[i];
        let mut qd = Vec::new();
        let mut at = 0;
        for &spherical in &self.spherical {
            if spherical {
                let qa = quat(&a.q[at..at + 4]);
                let qb = quat(&b.q[at..at + 4]);
                let w = shortest(qa.inverse() * qb).scaled_axis() / dt;
                qd.extend_from_slice(&[w.x, w.y, w.z]);
                at += 4;
            } else {
                qd.push((b.q[at] - a.q[at]) / dt);
                at += 1;
            }
        }
        ClipVelocity {
            root_lin_vel: (b.root_pos - a.root_pos) / dt,
            root_ang_vel: shortest(b.root_rot * a.root_rot.inverse()).scaled_axis() / dt,
            qd,
        }
    }

    /// Which cycle `t` falls in and the time within it.
    fn cycle_and_time(&self, t: f64) -> (u64, f64) {
        let period = self.duration();
        let t = if t.is_finite() { t.max(0.0) } else { 0.0 };
        match self.loop_mode {
            LoopMode::Hold => (0, t.min(period)),
            LoopMode::Wrap => {
                let cycle = (t / period).floor();
                let tau = (t - cycle * period).clamp(0.0, period);
                (cycle as u64, tau)
            }
        }
    }

    /// The keyframe segment holding time `tau` within a cycle, and the blend along it.
    fn segment(&self, tau: f64) -> (usize, f64) {
        let last_segment = self.frames.len() - 2;
        let i = self
            .times
            .partition_point(|&start| start <= tau)
            .saturating_sub(1)
            .min(last_segment);
        let span = self.times[i + 1] - self.times[i];
        (i, ((tau - self.times[i]) / span).clamp(0.0, 1.0))
    }
}

/// The heading of a Z-up orientation: the yaw of its x axis.
pub fn heading(rot: &UnitQuaternion<f64>) -> f64 {
    let x = rot * Vector3::x();
    x.y.atan2(x.x)
}

fn quat(wxyz: &[f64]) -> UnitQuaternion<f64> {
    UnitQuaternion::new_unchecked(nalgebra::Quaternion::new(
        wxyz[0], wxyz[1], wxyz[2], wxyz[3],
    ))
}

/// The same rotation with a non-negative `w` (the shorter way round).
fn shortest(q: UnitQuaternion<f64>) -> UnitQuaternion<f64> {
    if q.w < 0.0 {
        UnitQuaternion::new_unchecked(-q.into_inner())
    } else {
        q
    }
}

/// Slerp from `a` to `b` the short way round.
fn slerp_shortest(a: &UnitQuaternion<f64>, b: &UnitQuaternion<f64>, t: f64) -> UnitQuaternion<f64> {
    let b = if a.coords.dot(&b.coords) < 0.0 {
        UnitQuaternion::new_unchecked(-b.into_inner())
    } else {
        *b
    };
    a.try_slerp(&b, t, 1e-12).unwrap_or(b)
}
