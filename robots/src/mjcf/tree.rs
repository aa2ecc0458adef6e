//! `<worldbody>`: the body tree with each body's joints, geoms and mass properties, in the frame
//! of its parent, names checked for uniqueness. `<frame>` elements are folded into the poses of
//! what they contain.

use super::attrs::Attrs;
use super::compiler::{Compiler, InertiaFromGeom};
use super::defaults::{Defaults, MAIN};
use super::geom::{Geom, geom_mass, read_geom};
use super::joint::{JointDef, read_joint};
use super::mesh::Meshes;
use super::orientation::pose;
use super::xml::{Document, Elem};
use crate::error::RobotError;
use crate::mass::MassSum;
use nalgebra::{Isometry3, Matrix3, SymmetricEigen, Vector3};
use std::collections::HashSet;

/// Elements inside bodies that change the model in ways we do not reproduce: refused rather
/// than silently dropped.
const UNSUPPORTED: [&str; 6] = [
    "composite",
    "flexcomp",
    "replicate",
    "attach",
    "plugin",
    "skin",
];

fn finite_pose(p: &Isometry3<f64>) -> bool {
    p.translation.vector.iter().all(|v| v.is_finite())
        && p.rotation.coords.iter().all(|v| v.is_finite())
}

/// One MJCF body.
#[derive(Debug, Clone)]
pub(crate) struct BodyNode {
    /// Name (generated as `body<N>`, N being MuJoCo's body id, when the file gives none).
    pub name: String,
    /// How errors name the body.
    pub describe: String,
    /// The file the body was written in.
    pub file: usize,
    /// Pose in the parent body's frame.
    pub pose: Isometry3<f64>,
    /// A mocap body (moved by the user, not by physics).
    pub mocap: bool,
    /// Joints, in document order.
    pub joints: Vec<JointDef>,
    /// Geoms, in document order, posed in this body's frame.
    pub geoms: Vec<Geom>,
    /// Mass (kg).
    pub mass: f64,
    /// Centre of mass in the body frame.
    pub com: Vector3<f64>,
    /// Inertia about the centre of mass, body axes.
    pub inertia: Matrix3<f64>,
    /// Child bodies, in document order.
    pub children: Vec<BodyNode>,
}

impl BodyNode {
    /// Whether any body strictly below this one has a joint.
    pub fn has_jointed_descendant(&self) -> bool {
        self.children
            .iter()
            .any(|c| !c.joints.is_empty() || c.has_jointed_descendant())
    }
}

/// The world body: its own geoms and its child bodies.
#[derive(Debug, Default)]
pub(crate) struct World {
    /// Geoms of the world body itself, in the world frame.
    pub geoms: Vec<Geom>,
    /// Top-level bodies.
    pub bodies: Vec<BodyNode>,
    /// Every geom name in the model.
    pub geom_names: HashSet<String>,
    /// Every body name in the model (with `world`).
    pub body_names: HashSet<String>,
}

/// Reads every top-level `<worldbody>` (several after includes) into one tree.
pub(crate) fn read_world(
    doc: &Document,
    c: &Compiler,
    defaults: &Defaults,
    meshes: &Meshes,
) -> Result<World, RobotError> {
    let mut reader = Reader {
        doc,
        c,
        defaults,
        meshes,
        body_count: 1,
        joint_count: 0,
        joint_names: HashSet::new(),
        world: World::default(),
    };
    reader.world.body_names.insert("world".into());
    for wb in doc.root.children_named("worldbody") {
        let mut parts = Parts::default();
        reader.read_children(wb, &Isometry3::identity(), MAIN, &mut parts, true)?;
        reader.world.geoms.extend(parts.geoms);
        reader.world.bodies.extend(parts.bodies);
    }
    Ok(reader.world)
}

/// What one body's element children contribute.
#[derive(Default)]
struct Parts {
    joints: Vec<JointDef>,
    geoms: Vec<Geom>,
    inertial: Option<(f64, Vector3<f64>, Matrix3<f64>)>,
    bodies: Vec<BodyNode>,
}

struct Reader<'a> {
    doc: &'a Document,
    c: &'a Compiler,
    defaults: &'a Defaults,
    meshes: &'a Meshes,
    body_count: usize,
    joint_count: usize,
    joint_names: HashSet<String>,
    world: World,
}

impl Reader<'_> {
    /// Reads the children of a body (or world body, or frame) posed by `frame` in the body.
    fn read_children(
        &mut self,
        elem: &Elem,
        frame: &Isometry3<f64>,
        childclass: &str,
        parts: &mut Parts,
        in_world: bool,
    ) -> Result<(), RobotError> {
        let doc = self.doc;
        for child in &elem.children {
            match child.tag.as_str() {
                "body" => {
                    let body = self.read_body(child, frame, childclass)?;
                    parts.bodies.push(body);
                }
                "geom" => {
                    let a = self.defaults.attrs(doc, child, childclass)?;
                    let geom = read_geom(&a, self.c, self.meshes, frame)?;
                    if !finite_pose(&geom.pose) {
                        return Err(a.err("its pose is not finite (numbers too large)"));
                    }
                    if !geom.name.is_empty() && !self.world.geom_names.insert(geom.name.clone()) {
                        return Err(a.err("another geom has the same name"));
                    }
                    parts.geoms.push(geom);
                }
                "joint" | "freejoint" if in_world => {
                    return Err(doc.err(child, "the world body cannot have joints"));
                }
                "joint" | "freejoint" => {
                    let a = if child.tag == "joint" {
                        self.defaults.attrs(doc, child, childclass)?
                    } else {
                        Attrs::new(child, None, doc)
                    };
                    let fallback = format!("joint{}", self.joint_count);
                    self.joint_count += 1;
                    let mut joint = read_joint(&a, self.c, fallback)?;
                    if !self.joint_names.insert(joint.name.clone()) {
                        return Err(a.err(format!("joint name '{}' is used twice", joint.name)));
                    }
                    // A joint inside a <frame>: its anchor and axis are given in the frame.
                    joint.pos = frame.transform_point(&joint.pos.into()).coords;
                    joint.axis = frame.rotation * joint.axis;
                    parts.joints.push(joint);
                }
                "inertial" if in_world => {
                    return Err(doc.err(child, "the world body cannot have an <inertial>"));
                }
                "inertial" => {
                    if parts.inertial.is_some() {
                        return Err(doc.err(child, "a body can have only one <inertial>"));
                    }
                    parts.inertial = Some(self.read_inertial(child, frame)?);
                }
                "frame" => {
                    let a = Attrs::new(child, None, doc);
                    let inner = frame * pose(&a, self.c)?;
                    let cc = self.childclass(child, childclass)?;
                    self.read_children(child, &inner, &cc, parts, in_world)?;
                }
                tag if UNSUPPORTED.contains(&tag) => {
                    return Err(doc.err(child, format!("<{tag}> is not supported")));
                }
                // Sites, cameras, lights and anything else without physics.
                _ => {}
            }
        }
        Ok(())
    }

    fn childclass(&self, elem: &Elem, inherited: &str) -> Result<String, RobotError> {
        match elem.attr("childclass") {
            Some(cc) if !self.defaults.has_class(cc) => Err(self
                .doc
                .err(elem, format!("unknown default class '{cc}' (childclass)"))),
            Some(cc) => Ok(cc.to_string()),
            None => Ok(inherited.to_string()),
        }
    }

    fn read_body(
        &mut self,
        elem: &Elem,
        frame: &Isometry3<f64>,
        childclass: &str,
    ) -> Result<BodyNode, RobotError> {
        let doc = self.doc;
        let a = Attrs::new(elem, None, doc);
        let id = self.body_count;
        self.body_count += 1;
        let name = match a.name() {
            "" => format!("body{id}"),
            n => n.to_string(),
        };
        if !self.world.body_names.insert(name.clone()) {
            return Err(a.err(format!("body name '{name}' is used twice")));
        }
        let body_pose = frame * pose(&a, self.c)?;
        if !finite_pose(&body_pose) {
            return Err(a.err("its pose is not finite (numbers too large)"));
        }
        let cc = self.childclass(elem, childclass)?;
        let mocap = a.boolean("mocap")?.unwrap_or(false);
        let mut parts = Parts::default();
        self.read_children(elem, &Isometry3::identity(), &cc, &mut parts, false)?;
        let (mass, com, inertia) = self.body_mass(elem, &parts)?;
        Ok(BodyNode {
            name,
            describe: elem.describe(),
            file: elem.file,
            pose: body_pose,
            mocap,
            joints: parts.joints,
            geoms: parts.geoms,
            mass,
            com,
            inertia,
            children: parts.bodies,
        })
    }

    /// `<inertial>`: mass, centre and inertia (diagonal in the inertial frame, or full).
    fn read_inertial(
        &self,
        elem: &Elem,
        frame: &Isometry3<f64>,
    ) -> Result<(f64, Vector3<f64>, Matrix3<f64>), RobotError> {
        let a = Attrs::new(elem, None, self.doc);
        let Some(mass) = a.number("mass")? else {
            return Err(a.err("needs a 'mass'"));
        };
        if mass < 0.0 {
            return Err(a.attr_err("mass", format!("must not be negative, got {mass}")));
        }
        let local = match (a.vec3("diaginertia")?, a.numbers_n("fullinertia", 6)?) {
            (Some(d), None) => Matrix3::from_diagonal(&d),
            (None, Some(f)) => Matrix3::new(
                f[0], f[3], f[4], //
                f[3], f[1], f[5], //
                f[4], f[5], f[2],
            ),
            (Some(_), Some(_)) => {
                return Err(a.err("give either 'diaginertia' or 'fullinertia', not both"));
            }
            (None, None) => return Err(a.err("needs 'diaginertia' or 'fullinertia'")),
        };
        if (0..3).any(|i| local[(i, i)] < 0.0) {
            return Err(a.err(format!(
                "negative principal inertia ({}, {}, {})",
                local[(0, 0)],
                local[(1, 1)],
                local[(2, 2)]
            )));
        }
        let inertial_pose = frame * pose(&a, self.c)?;
        let r = inertial_pose.rotation.to_rotation_matrix();
        let inertia = r.matrix() * local * r.matrix().transpose();
        Ok((mass, inertial_pose.translation.vector, inertia))
    }

    /// A body's mass properties, from `<inertial>` or its geoms as `compiler inertiafromgeom`
    /// says, bounded below by `boundmass`/`boundinertia`.
    fn body_mass(
        &self,
        elem: &Elem,
        parts: &Parts,
    ) -> Result<(f64, Vector3<f64>, Matrix3<f64>), RobotError> {
        let from_geoms = match self.c.inertia_from_geom {
            InertiaFromGeom::True => true,
            InertiaFromGeom::False => false,
            InertiaFromGeom::Auto => parts.inertial.is_none(),
        };
        let (mut mass, com, mut inertia) = if from_geoms {
            let (lo, hi) = self.c.group_range;
            let mut sum = MassSum::default();
            let file = self.doc.file_of(elem);
            for g in parts
                .geoms
                .iter()
                .filter(|g| g.group >= lo && g.group <= hi)
            {
                let (m, centre, i) = geom_mass(g, self.doc, self.meshes, file)?;
                sum.add(&g.pose, m, centre, i);
            }
            sum.total()
        } else {
            parts
                .inertial
                .unwrap_or((0.0, Vector3::zeros(), Matrix3::zeros()))
        };
        if !mass.is_finite() || inertia.iter().any(|v| !v.is_finite()) {
            return Err(self
                .doc
                .err(elem, "its mass or inertia is not a finite number"));
        }
        mass = mass.max(self.c.boundmass);
        if self.c.boundinertia > 0.0
            && let Some(eig) = SymmetricEigen::try_new(inertia, 1e-14, 1000)
        {
            let clamped = eig.eigenvalues.map(|v| v.max(self.c.boundinertia));
            inertia =
                eig.eigenvectors * Matrix3::from_diagonal(&clamped) * eig.eigenvectors.transpose();
        }
        Ok((mass, com, inertia))
    }
}
