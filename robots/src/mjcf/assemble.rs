//! From the body tree to the scene: each top-level body becomes static geometry, a free object,
//! or an articulation (fixed base, floating base, or anchored to the world by its own joint).
//! Bodies without joints below a jointed body merge into it, as URDF fixed joints do.
//!
//! A joint whose anchor (`pos`) is not its body's origin moves the body frame to the anchor:
//! the [`BodySpec`] frame is the MJCF body frame shifted by `pos`, and everything the body holds
//! is re-expressed in it, so that [`JointSpec::origin_p`] is the anchor and joints rotate about
//! the child frame's origin exactly. A joint's `ref` (the value at which the body has the pose
//! written in the file) is folded into `origin_p` so that joint value zero means zero rotation.

use super::geom::Geom;
use super::joint::{JointDef, JointType};
use super::tree::{BodyNode, World};
use super::xml::Document;
use crate::error::RobotError;
use crate::mass::MassSum;
use crate::scene::{ObjectSpec, StaticGeom};
use crate::spec::{BodySpec, CollisionShape, JointKind, JointSpec, RobotSpec, Shape};
use nalgebra::{Isometry3, Matrix3, Translation3, Unit, UnitQuaternion, Vector3};
use std::collections::HashSet;
use std::path::Path;

/// Where a joint of the file ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// Joint `joint` of articulation `art`.
    Joint {
        /// Index into the articulations.
        art: usize,
        /// Index into that articulation's joints.
        joint: usize,
    },
    /// The free joint of object `.0`.
    Object(usize),
    /// The free joint of floating articulation `.0`.
    Base(usize),
}

/// A joint of the file with where it went.
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    /// The joint as read.
    pub def: JointDef,
    /// Where it went.
    pub place: Place,
}

/// The scene's bodies, before actuators, tendons, contacts and the keyframe are applied.
#[derive(Debug, Default)]
pub(crate) struct Assembly {
    /// Articulations.
    pub articulations: Vec<RobotSpec>,
    /// Their initial base poses.
    pub base_poses_w: Vec<Isometry3<f64>>,
    /// Free objects.
    pub objects: Vec<ObjectSpec>,
    /// Static geometry.
    pub statics: Vec<StaticGeom>,
    /// Every joint in document order, which is MuJoCo's `qpos` order.
    pub joints: Vec<Placed>,
    /// Names of mocap bodies (made static).
    pub mocap: Vec<String>,
}

/// Builds the scene's bodies. `keep` names visual geoms that must still collide (they appear in
/// a `<contact><pair>`).
pub(crate) fn assemble(
    world: &World,
    doc: &Document,
    source: &Path,
    keep: &HashSet<String>,
) -> Result<Assembly, RobotError> {
    let mut asm = Assembler {
        doc,
        source,
        keep,
        out: Assembly::default(),
    };
    for g in &world.geoms {
        asm.add_static(g, &Isometry3::identity(), "world");
    }
    for body in &world.bodies {
        asm.top_level(body)?;
    }
    Ok(asm.out)
}

struct Assembler<'a> {
    doc: &'a Document,
    source: &'a Path,
    keep: &'a HashSet<String>,
    out: Assembly,
}

/// How an articulation is attached to the world.
enum Base {
    /// The root body has no joint: welded to the world.
    Fixed,
    /// The root body has a free joint.
    Floating,
    /// The root body's own hinge/slide/ball joint attaches it to a massless world anchor.
    Anchored,
}

impl Assembler<'_> {
    fn err(&self, node: &BodyNode, message: impl Into<String>) -> RobotError {
        RobotError::invalid(
            self.doc
                .files
                .get(node.file)
                .map(|p| p.as_path())
                .unwrap_or(self.source),
            node.describe.clone(),
            message,
        )
    }

    fn single_joint<'n>(&self, node: &'n BodyNode) -> Result<Option<&'n JointDef>, RobotError> {
        match node.joints.as_slice() {
            [] => Ok(None),
            [j] => Ok(Some(j)),
            many => Err(self.err(
                node,
                format!(
                    "has {} joints ({}): more than one joint per body is not supported yet",
                    many.len(),
                    many.iter()
                        .map(|j| j.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }

    fn check_no_free_joints_below(&self, node: &BodyNode) -> Result<(), RobotError> {
        for child in &node.children {
            if child.joints.iter().any(|j| j.kind == JointType::Free) {
                return Err(self.err(
                    child,
                    "free joints are only allowed in top-level bodies (children of <worldbody>)",
                ));
            }
            self.check_no_free_joints_below(child)?;
        }
        Ok(())
    }

    fn top_level(&mut self, node: &BodyNode) -> Result<(), RobotError> {
        self.check_no_free_joints_below(node)?;
        let joint = self.single_joint(node)?;
        let pose_w = node.pose;
        match joint {
            None if node.has_jointed_descendant() => self.articulation(node, Base::Fixed),
            None => {
                self.add_static_subtree(node, &pose_w)?;
                Ok(())
            }
            Some(j) if j.kind == JointType::Free => {
                if node.has_jointed_descendant() {
                    self.articulation(node, Base::Floating)
                } else {
                    self.object(node, j)
                }
            }
            Some(_) => self.articulation(node, Base::Anchored),
        }
    }

    fn add_static(&mut self, g: &Geom, frame_w: &Isometry3<f64>, link: &str) {
        if g.is_visual() && !self.keep.contains(&g.name) {
            return;
        }
        self.out.statics.push(StaticGeom {
            collision: collision(g, frame_w * g.pose, link),
        });
    }

    fn add_static_subtree(
        &mut self,
        node: &BodyNode,
        pose_w: &Isometry3<f64>,
    ) -> Result<(), RobotError> {
        if node.mocap {
            self.out.mocap.push(node.name.clone());
        }
        for g in &node.geoms {
            self.add_static(g, pose_w, &node.name);
        }
        for child in &node.children {
            self.add_static_subtree(child, &(pose_w * child.pose))?;
        }
        Ok(())
    }

    fn object(&mut self, node: &BodyNode, free: &JointDef) -> Result<(), RobotError> {
        let index = self.out.objects.len();
        self.out.joints.push(Placed {
            def: free.clone(),
            place: Place::Object(index),
        });
        let mut b = Builder::new(self.keep);
        b.new_body(&node.name, None);
        b.add(self, node, 0, &Isometry3::identity(), None)?;
        let mut bodies = b.finish(self, true)?;
        let Some(body) = bodies.pop() else {
            return Err(self.err(node, "produced no body"));
        };
        self.out.objects.push(ObjectSpec {
            name: node.name.clone(),
            body,
            pose_w: node.pose,
            damping: free.damping,
        });
        Ok(())
    }

    fn articulation(&mut self, root: &BodyNode, base: Base) -> Result<(), RobotError> {
        let art = self.out.articulations.len();
        let mut b = Builder::new(self.keep);
        let (fixed_base, base_pose) = match base {
            Base::Fixed => {
                b.new_body(&root.name, None);
                b.add(self, root, 0, &Isometry3::identity(), Some(art))?;
                (Some(root.pose), root.pose)
            }
            Base::Floating => {
                if let Some(free) = root.joints.first() {
                    self.out.joints.push(Placed {
                        def: free.clone(),
                        place: Place::Base(art),
                    });
                }
                b.new_body(&root.name, None);
                b.add(self, root, 0, &Isometry3::identity(), Some(art))?;
                (None, root.pose)
            }
            Base::Anchored => {
                let anchor = format!("{}/anchor", root.name);
                let index = b.new_body(&anchor, None);
                if let Some(body) = b.bodies.get_mut(index) {
                    body.links.push((anchor, Isometry3::identity()));
                }
                let Some(joint) = root.joints.first() else {
                    return Err(self.err(root, "has no joint"));
                };
                b.add_jointed(self, root, joint, 0, &root.pose, art)?;
                (Some(Isometry3::identity()), Isometry3::identity())
            }
        };
        let floating = matches!(base, Base::Floating);
        let joints = std::mem::take(&mut b.joints);
        let bodies = b.finish(self, floating)?;
        self.out.articulations.push(RobotSpec {
            name: root.name.clone(),
            source: self.source.to_path_buf(),
            bodies,
            joints,
            feet: Vec::new(),
            terminate_contacts: Vec::new(),
            penalise_contacts: Vec::new(),
            action_scale: 1.0,
            fixed_base,
        });
        self.out.base_poses_w.push(base_pose);
        Ok(())
    }
}

/// Builds the bodies and joints of one articulation or object.
struct Builder<'k> {
    keep: &'k HashSet<String>,
    bodies: Vec<BodySpec>,
    sums: Vec<MassSum>,
    /// File index and description of the MJCF body each body spec was started from (errors).
    origins: Vec<Option<(usize, String)>>,
    joints: Vec<JointSpec>,
}

impl<'k> Builder<'k> {
    fn new(keep: &'k HashSet<String>) -> Self {
        Self {
            keep,
            bodies: Vec::new(),
            sums: Vec::new(),
            origins: Vec::new(),
            joints: Vec::new(),
        }
    }

    fn new_body(&mut self, name: &str, parent_joint: Option<usize>) -> usize {
        self.bodies.push(BodySpec {
            name: name.to_string(),
            parent_joint,
            mass: 0.0,
            com_b: Vector3::zeros(),
            inertia_b: Matrix3::zeros(),
            collisions: Vec::new(),
            links: Vec::new(),
        });
        self.sums.push(MassSum::default());
        self.origins.push(None);
        self.bodies.len() - 1
    }

    /// Adds MJCF body `node`, whose frame has pose `pose_b` in body `body`, with its geoms, mass
    /// and subtree. `art` is the articulation index (`None` for an object, which may not hold
    /// joints).
    fn add(
        &mut self,
        asm: &mut Assembler,
        node: &BodyNode,
        body: usize,
        pose_b: &Isometry3<f64>,
        art: Option<usize>,
    ) -> Result<(), RobotError> {
        let Some(spec) = self.bodies.get_mut(body) else {
            return Err(asm.err(node, "internal error: body index out of range"));
        };
        spec.links.push((node.name.clone(), *pose_b));
        for g in &node.geoms {
            if g.is_visual() && !self.keep.contains(&g.name) {
                continue;
            }
            if matches!(g.shape, Shape::Plane) {
                return Err(asm.err(
                    node,
                    format!(
                        "{}: plane geoms are only supported in static bodies",
                        g.describe
                    ),
                ));
            }
            spec.collisions
                .push(collision(g, pose_b * g.pose, &node.name));
        }
        if let Some(sum) = self.sums.get_mut(body) {
            sum.add(pose_b, node.mass, node.com, node.inertia);
        }
        if let Some(origin) = self.origins.get_mut(body)
            && origin.is_none()
        {
            *origin = Some((node.file, node.describe.clone()));
        }
        if node.mocap {
            asm.out.mocap.push(node.name.clone());
        }
        for child in &node.children {
            let x = pose_b * child.pose;
            match (asm.single_joint(child)?, art) {
                (None, _) => self.add(asm, child, body, &x, art)?,
                (Some(j), Some(art)) => self.add_jointed(asm, child, j, body, &x, art)?,
                (Some(_), None) => {
                    return Err(asm.err(child, "internal error: a joint inside a free object"));
                }
            }
        }
        Ok(())
    }

    /// Adds MJCF body `node` with joint `j`, as a new body whose parent is `parent`; `x` is the
    /// pose of the MJCF body frame in the parent body at the reference configuration.
    fn add_jointed(
        &mut self,
        asm: &mut Assembler,
        node: &BodyNode,
        j: &JointDef,
        parent: usize,
        x: &Isometry3<f64>,
        art: usize,
    ) -> Result<(), RobotError> {
        let shift = Isometry3::from_parts(Translation3::from(j.pos), UnitQuaternion::identity());
        let axis = Unit::new_normalize(j.axis);
        let undo_ref = match j.kind {
            JointType::Hinge => Isometry3::from_parts(
                Translation3::identity(),
                UnitQuaternion::from_axis_angle(&axis, -j.reference),
            ),
            JointType::Slide => Isometry3::from_parts(
                Translation3::from(-j.reference * j.axis),
                UnitQuaternion::identity(),
            ),
            _ => Isometry3::identity(),
        };
        let (kind, lower, upper) = match (j.kind, j.range) {
            (JointType::Hinge, Some((lo, hi))) => (JointKind::Revolute, lo, hi),
            (JointType::Hinge, None) => (JointKind::Continuous, f64::NEG_INFINITY, f64::INFINITY),
            (JointType::Slide, Some((lo, hi))) => (JointKind::Prismatic, lo, hi),
            (JointType::Slide, None) => (JointKind::Prismatic, f64::NEG_INFINITY, f64::INFINITY),
            (JointType::Ball, _) => (JointKind::Spherical, f64::NEG_INFINITY, f64::INFINITY),
            (JointType::Free, _) => {
                return Err(asm.err(
                    node,
                    "free joints are only allowed in top-level bodies (children of <worldbody>)",
                ));
            }
        };
        let index = self.joints.len();
        let child = self.new_body(&node.name, Some(index));
        let mut spec = JointSpec::new(
            j.name.clone(),
            kind,
            parent,
            child,
            x * shift * undo_ref,
            j.axis,
        );
        spec.lower = lower;
        spec.upper = upper;
        spec.damping = j.damping;
        spec.friction_loss = j.frictionloss;
        spec.default_position = j.reference;
        if let Some(limit) = j.force_limit {
            spec.effort_limit = limit;
        }
        self.joints.push(spec);
        asm.out.joints.push(Placed {
            def: j.clone(),
            place: Place::Joint { art, joint: index },
        });
        self.add(asm, node, child, &shift.inverse(), Some(art))
    }

    /// Totals the masses; every body that moves (all but a fixed base) must have mass and
    /// inertia, as MuJoCo requires.
    fn finish(mut self, asm: &Assembler, base_moves: bool) -> Result<Vec<BodySpec>, RobotError> {
        for (i, (body, sum)) in self.bodies.iter_mut().zip(&self.sums).enumerate() {
            let (mass, com, inertia) = sum.total();
            body.mass = mass;
            body.com_b = com;
            body.inertia_b = inertia;
            let moves = i > 0 || base_moves;
            if moves && (mass <= 0.0 || inertia.trace() <= 0.0) {
                let origin = self.origins.get(i).cloned().flatten();
                let file = origin
                    .as_ref()
                    .and_then(|(f, _)| asm.doc.files.get(*f))
                    .map(|p| p.as_path())
                    .unwrap_or(asm.source);
                let element = origin
                    .map(|(_, d)| d)
                    .unwrap_or_else(|| format!("body '{}'", body.name));
                return Err(RobotError::invalid(
                    file,
                    element,
                    format!(
                        "moves but has mass {mass} kg and inertia trace {} kg·m² (with the bodies merged into it): moving bodies need positive mass and inertia (give it an <inertial> or geoms with volume)",
                        inertia.trace()
                    ),
                ));
            }
        }
        Ok(self.bodies)
    }
}

fn collision(g: &Geom, origin: Isometry3<f64>, link: &str) -> CollisionShape {
    CollisionShape {
        shape: g.shape.clone(),
        origin_b: origin,
        link: link.to_string(),
        name: g.name.clone(),
        mask: g.mask,
        friction: g.friction,
    }
}
