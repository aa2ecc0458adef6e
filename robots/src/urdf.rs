//! URDF import: parse with `urdf-rs`, validate every number and reference, merge fixed joints, and
//! produce a [`RobotSpec`] with bodies in topological order.
//!
//! The importer never panics on user input: every problem becomes a [`RobotError`] naming the file
//! and the link or joint at fault.

use crate::error::RobotError;
use crate::mass::MassSum;
use crate::spec::{BodySpec, CollisionShape, JointKind, JointSpec, RobotSpec, Shape};
use nalgebra::{Isometry3, Matrix3, Translation3, UnitQuaternion, Vector3};
use std::collections::HashMap;
use std::path::Path;

/// Smallest mass given to a movable body that the URDF leaves massless (kg). A massless dynamic
/// body cannot be simulated; MuJoCo applies a similar floor.
const MIN_BODY_MASS: f64 = 1e-3;
/// Smallest principal inertia given to such a body (kg·m²).
const MIN_BODY_INERTIA: f64 = 1e-6;

/// Reads and imports the URDF file at `path`.
///
/// Joint positions default to zero and PD gains to zero; a [`crate::RobotConfig`] fills them in.
pub fn read_urdf_file(path: &Path) -> Result<RobotSpec, RobotError> {
    let text = std::fs::read_to_string(path).map_err(|source| RobotError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_urdf_str(&text, path)
}

/// Imports URDF text; `path` is used in error messages and as the spec's source.
pub fn parse_urdf_str(text: &str, path: &Path) -> Result<RobotSpec, RobotError> {
    let robot = urdf_rs::read_from_string(text).map_err(|e| RobotError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    import(&robot, path)
}

fn isometry(pose: &urdf_rs::Pose) -> Isometry3<f64> {
    let [x, y, z] = pose.xyz.0;
    let [r, p, yaw] = pose.rpy.0;
    // URDF rpy: fixed-axis roll about x, then pitch about y, then yaw about z (R = Rz Ry Rx),
    // which is nalgebra's `from_euler_angles` convention.
    Isometry3::from_parts(
        Translation3::new(x, y, z),
        UnitQuaternion::from_euler_angles(r, p, yaw),
    )
}

fn check_finite(path: &Path, element: &str, what: &str, values: &[f64]) -> Result<(), RobotError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(RobotError::invalid(
            path,
            element,
            format!("{what} must be finite numbers, got {values:?}"),
        ))
    }
}

fn check_pose(
    path: &Path,
    element: &str,
    what: &str,
    pose: &urdf_rs::Pose,
) -> Result<(), RobotError> {
    check_finite(path, element, &format!("{what} origin xyz"), &pose.xyz.0)?;
    check_finite(path, element, &format!("{what} origin rpy"), &pose.rpy.0)
}

fn convert_shape(path: &Path, element: &str, g: &urdf_rs::Geometry) -> Result<Shape, RobotError> {
    let positive = |what: &str, v: f64| -> Result<f64, RobotError> {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(RobotError::invalid(
                path,
                element,
                format!("geometry {what} must be a positive number, got {v}"),
            ))
        }
    };
    Ok(match g {
        urdf_rs::Geometry::Box { size } => Shape::Box {
            size: Vector3::new(
                positive("box size x", size[0])?,
                positive("box size y", size[1])?,
                positive("box size z", size[2])?,
            ),
        },
        urdf_rs::Geometry::Cylinder { radius, length } => Shape::Cylinder {
            radius: positive("cylinder radius", *radius)?,
            length: positive("cylinder length", *length)?,
        },
        urdf_rs::Geometry::Capsule { radius, length } => Shape::Capsule {
            radius: positive("capsule radius", *radius)?,
            length: positive("capsule length", *length)?,
        },
        urdf_rs::Geometry::Sphere { radius } => Shape::Sphere {
            radius: positive("sphere radius", *radius)?,
        },
        urdf_rs::Geometry::Mesh { filename, scale } => {
            let s = scale.map(|s| s.0).unwrap_or([1.0; 3]);
            check_finite(path, element, "mesh scale", &s)?;
            Shape::Mesh {
                filename: filename.clone(),
                scale: Vector3::new(s[0], s[1], s[2]),
            }
        }
    })
}

/// Mass properties of one URDF link in its own frame: (mass, com, inertia about com).
fn link_mass(
    path: &Path,
    link: &urdf_rs::Link,
) -> Result<(f64, Vector3<f64>, Matrix3<f64>), RobotError> {
    let element = format!("link '{}'", link.name);
    let inertial = &link.inertial;
    let m = inertial.mass.value;
    check_finite(path, &element, "inertial mass", &[m])?;
    if m < 0.0 {
        return Err(RobotError::invalid(
            path,
            &element,
            format!("negative mass {m} kg"),
        ));
    }
    check_pose(path, &element, "inertial", &inertial.origin)?;
    let i = &inertial.inertia;
    check_finite(
        path,
        &element,
        "inertia",
        &[i.ixx, i.ixy, i.ixz, i.iyy, i.iyz, i.izz],
    )?;
    if i.ixx < 0.0 || i.iyy < 0.0 || i.izz < 0.0 {
        return Err(RobotError::invalid(
            path,
            &element,
            format!(
                "negative principal inertia (ixx {}, iyy {}, izz {})",
                i.ixx, i.iyy, i.izz
            ),
        ));
    }
    let frame = isometry(&inertial.origin);
    let local = Matrix3::new(
        i.ixx, i.ixy, i.ixz, i.ixy, i.iyy, i.iyz, i.ixz, i.iyz, i.izz,
    );
    let r = frame.rotation.to_rotation_matrix();
    let inertia = r.matrix() * local * r.matrix().transpose();
    Ok((m, frame.translation.vector, inertia))
}

fn import(robot: &urdf_rs::Robot, path: &Path) -> Result<RobotSpec, RobotError> {
    if robot.links.is_empty() {
        return Err(RobotError::invalid(
            path,
            format!("robot '{}'", robot.name),
            "has no links",
        ));
    }
    // Unique names.
    let mut link_index: HashMap<&str, usize> = HashMap::new();
    for (i, link) in robot.links.iter().enumerate() {
        if link.name.is_empty() {
            return Err(RobotError::invalid(
                path,
                format!("link #{i}"),
                "has an empty name",
            ));
        }
        if link_index.insert(link.name.as_str(), i).is_some() {
            return Err(RobotError::invalid(
                path,
                format!("link '{}'", link.name),
                "is defined twice",
            ));
        }
    }
    let mut joint_names: HashMap<&str, ()> = HashMap::new();
    // For each link, the joint that has it as child.
    let mut parent_joint_of: Vec<Option<usize>> = vec![None; robot.links.len()];
    let mut children_of: Vec<Vec<usize>> = vec![Vec::new(); robot.links.len()];
    for (ji, joint) in robot.joints.iter().enumerate() {
        let element = format!("joint '{}'", joint.name);
        if joint.name.is_empty() {
            return Err(RobotError::invalid(
                path,
                format!("joint #{ji}"),
                "has an empty name",
            ));
        }
        if joint_names.insert(joint.name.as_str(), ()).is_some() {
            return Err(RobotError::invalid(path, &element, "is defined twice"));
        }
        let parent = *link_index.get(joint.parent.link.as_str()).ok_or_else(|| {
            RobotError::invalid(
                path,
                &element,
                format!("parent link '{}' does not exist", joint.parent.link),
            )
        })?;
        let child = *link_index.get(joint.child.link.as_str()).ok_or_else(|| {
            RobotError::invalid(
                path,
                &element,
                format!("child link '{}' does not exist", joint.child.link),
            )
        })?;
        if parent == child {
            return Err(RobotError::invalid(
                path,
                &element,
                "joins a link to itself (a cycle)",
            ));
        }
        if let Some(other) = parent_joint_of[child] {
            return Err(RobotError::invalid(
                path,
                &element,
                format!(
                    "link '{}' already has parent joint '{}': a link can have only one parent (cycle or duplicate)",
                    joint.child.link, robot.joints[other].name
                ),
            ));
        }
        parent_joint_of[child] = Some(ji);
        children_of[parent].push(ji);
        check_pose(path, &element, "joint", &joint.origin)?;
        check_finite(path, &element, "axis", &joint.axis.xyz.0)?;
        let l = &joint.limit;
        check_finite(path, &element, "limit", &[l.lower, l.upper])?;
        if l.effort.is_nan() || l.velocity.is_nan() || l.effort < 0.0 || l.velocity < 0.0 {
            return Err(RobotError::invalid(
                path,
                &element,
                format!(
                    "limit effort/velocity must be non-negative numbers, got {} / {}",
                    l.effort, l.velocity
                ),
            ));
        }
        match joint.joint_type {
            urdf_rs::JointType::Revolute | urdf_rs::JointType::Prismatic => {
                if l.lower > l.upper {
                    return Err(RobotError::invalid(
                        path,
                        &element,
                        format!("limit lower {} is above upper {}", l.lower, l.upper),
                    ));
                }
            }
            urdf_rs::JointType::Continuous | urdf_rs::JointType::Fixed => {}
            ref other => {
                return Err(RobotError::invalid(
                    path,
                    &element,
                    format!(
                        "joint type {other:?} is not supported (use revolute, continuous, prismatic or fixed)"
                    ),
                ));
            }
        }
        if joint.joint_type != urdf_rs::JointType::Fixed {
            let a = Vector3::from(joint.axis.xyz.0);
            if a.norm() < 1e-9 {
                return Err(RobotError::invalid(
                    path,
                    &element,
                    "axis is the zero vector",
                ));
            }
        }
    }
    let roots: Vec<usize> = (0..robot.links.len())
        .filter(|&i| parent_joint_of[i].is_none())
        .collect();
    let root = match roots.as_slice() {
        [r] => *r,
        [] => {
            return Err(RobotError::invalid(
                path,
                format!("robot '{}'", robot.name),
                "has no root link: the joints form a cycle",
            ));
        }
        many => {
            let names: Vec<&str> = many.iter().map(|&i| robot.links[i].name.as_str()).collect();
            return Err(RobotError::invalid(
                path,
                format!("robot '{}'", robot.name),
                format!(
                    "has {} root links {names:?}: every link but one must be the child of a joint",
                    many.len()
                ),
            ));
        }
    };

    // Depth-first traversal from the root in document order; fixed joints merge into the parent body.
    let mut bodies: Vec<BodySpec> = Vec::new();
    let mut mass_sums: Vec<MassSum> = Vec::new();
    let mut joints: Vec<JointSpec> = Vec::new();
    let mut actuated_order: Vec<(usize, JointSpec)> = Vec::new(); // (document index, spec)
    let mut visited = vec![false; robot.links.len()];
    // Stack of (link index, body index, pose of link in body frame).
    let mut stack: Vec<(usize, usize, Isometry3<f64>)> = Vec::new();
    bodies.push(new_body(&robot.links[root].name, None));
    mass_sums.push(MassSum::default());
    stack.push((root, 0, Isometry3::identity()));
    while let Some((link_i, body_i, pose_b)) = stack.pop() {
        let link = &robot.links[link_i];
        visited[link_i] = true;
        let element = format!("link '{}'", link.name);
        let (m, com, inertia) = link_mass(path, link)?;
        mass_sums[body_i].add(&pose_b, m, com, inertia);
        if body_i < bodies.len() && bodies[body_i].name != link.name {
            bodies[body_i].links.push((link.name.clone(), pose_b));
        }
        for c in &link.collision {
            check_pose(path, &element, "collision", &c.origin)?;
            let shape = convert_shape(path, &element, &c.geometry)?;
            bodies[body_i].collisions.push(CollisionShape {
                shape,
                origin_b: pose_b * isometry(&c.origin),
                link: link.name.clone(),
                name: String::new(),
                mask: crate::spec::ContactMask::default(),
                friction: None,
            });
        }
        // Push children in reverse so they pop in document order.
        for &ji in children_of[link_i].iter().rev() {
            let joint = &robot.joints[ji];
            let child = link_index[joint.child.link.as_str()];
            let origin = pose_b * isometry(&joint.origin);
            if joint.joint_type == urdf_rs::JointType::Fixed {
                stack.push((child, body_i, origin));
            } else {
                let kind = match joint.joint_type {
                    urdf_rs::JointType::Revolute => JointKind::Revolute,
                    urdf_rs::JointType::Continuous => JointKind::Continuous,
                    _ => JointKind::Prismatic,
                };
                // A revolute joint whose <limit> gives no lower/upper (both 0) is taken as
                // unlimited, as MuJoCo does (ANYmal C's URDF is written this way).
                let no_range = joint.limit.lower == 0.0 && joint.limit.upper == 0.0;
                let (lower, upper) =
                    if kind == JointKind::Continuous || (kind == JointKind::Revolute && no_range) {
                        (f64::NEG_INFINITY, f64::INFINITY)
                    } else {
                        (joint.limit.lower, joint.limit.upper)
                    };
                let positive_or_inf = |v: f64| if v > 0.0 { v } else { f64::INFINITY };
                let spec = JointSpec {
                    lower,
                    upper,
                    effort_limit: positive_or_inf(joint.limit.effort),
                    velocity_limit: positive_or_inf(joint.limit.velocity),
                    ..JointSpec::new(
                        joint.name.clone(),
                        kind,
                        body_i,
                        usize::MAX, // set when the child body is created
                        origin,
                        Vector3::from(joint.axis.xyz.0).normalize(),
                    )
                };
                actuated_order.push((ji, spec));
                // The child body is created when popped; remember which joint leads to it.
                let placeholder = actuated_order.len() - 1;
                bodies.push(new_body(&robot.links[child].name, Some(placeholder)));
                mass_sums.push(MassSum::default());
                let new_body_i = bodies.len() - 1;
                actuated_order[placeholder].1.child = new_body_i;
                stack.push((child, new_body_i, Isometry3::identity()));
            }
        }
    }
    if let Some(i) = visited.iter().position(|v| !v) {
        return Err(RobotError::invalid(
            path,
            format!("link '{}'", robot.links[i].name),
            "is not reachable from the root link (joint cycle)",
        ));
    }
    // Bodies were created in traversal order, so every parent precedes its children. Joints are
    // ordered as they appear in the URDF document; remap body->joint references to that order.
    let mut doc_order: Vec<usize> = (0..actuated_order.len()).collect();
    doc_order.sort_by_key(|&k| actuated_order[k].0);
    let mut new_index = vec![0; actuated_order.len()];
    for (new, &old) in doc_order.iter().enumerate() {
        new_index[old] = new;
        joints.push(actuated_order[old].1.clone());
    }
    for body in bodies.iter_mut() {
        body.parent_joint = body.parent_joint.map(|old| new_index[old]);
    }
    for (body, sum) in bodies.iter_mut().zip(&mass_sums) {
        let (mut mass, com, mut inertia) = sum.total();
        if mass < MIN_BODY_MASS && body.parent_joint.is_some() {
            mass = MIN_BODY_MASS;
            inertia = Matrix3::identity() * MIN_BODY_INERTIA;
        }
        body.mass = mass;
        body.com_b = com;
        body.inertia_b = inertia;
    }
    Ok(RobotSpec {
        name: robot.name.clone(),
        source: path.to_path_buf(),
        bodies,
        joints,
        feet: Vec::new(),
        terminate_contacts: Vec::new(),
        penalise_contacts: Vec::new(),
        action_scale: 1.0,
        fixed_base: None,
    })
}

fn new_body(name: &str, parent_joint: Option<usize>) -> BodySpec {
    BodySpec {
        name: name.to_string(),
        parent_joint,
        mass: 0.0,
        com_b: Vector3::zeros(),
        inertia_b: Matrix3::zeros(),
        collisions: Vec::new(),
        links: vec![(name.to_string(), Isometry3::identity())],
    }
}
