//! `<geom>`: shape (MuJoCo sizes are half-sizes), pose (including `fromto`), contact bits,
//! friction, and the mass properties a geom contributes when a body's inertia comes from its
//! geoms.

use super::attrs::Attrs;
use super::compiler::Compiler;
use super::mesh::Meshes;
use super::orientation::{pose, z_to};
use super::xml::Document;
use crate::error::RobotError;
use crate::spec::{ContactMask, Shape};
use nalgebra::{Isometry3, Matrix3, Translation3, Vector3};

/// MuJoCo's default geom density (kg/m³, water).
const DEFAULT_DENSITY: f64 = 1000.0;

/// One parsed geom.
#[derive(Debug, Clone)]
pub(crate) struct Geom {
    /// The geom's name (empty when unnamed).
    pub name: String,
    /// The shape in full sizes.
    pub shape: Shape,
    /// The mesh asset name for mesh geoms.
    pub mesh: Option<String>,
    /// Pose in the frame of the body that declares it.
    pub pose: Isometry3<f64>,
    /// Contact bits.
    pub mask: ContactMask,
    /// First `friction` value, when the file gives one.
    pub friction: Option<f64>,
    /// Visibility/mass group.
    pub group: i64,
    /// Explicit mass (overrides the density).
    pub mass: Option<f64>,
    /// Density (kg/m³).
    pub density: f64,
    /// How errors name the geom.
    pub describe: String,
}

impl Geom {
    /// A geom with contype = conaffinity = 0 only shows; it never collides.
    pub fn is_visual(&self) -> bool {
        !self.mask.collides()
    }
}

/// Reads one `<geom>`; `frame` is the pose of an enclosing `<frame>` in the body (identity when
/// none).
pub(crate) fn read_geom(
    a: &Attrs,
    c: &Compiler,
    meshes: &Meshes,
    frame: &Isometry3<f64>,
) -> Result<Geom, RobotError> {
    let kind = a.get("type").map(str::trim).unwrap_or("sphere");
    let sizes = a.numbers_between("size", 1, 3)?.unwrap_or_default();
    let fromto = a.numbers_n("fromto", 6)?;
    let size = |i: usize, what: &str| -> Result<f64, RobotError> {
        match sizes.get(i) {
            Some(&v) if v > 0.0 => Ok(v),
            Some(&v) => Err(a.attr_err("size", format!("{what} must be positive, got {v}"))),
            None => Err(a.attr_err(
                "size",
                format!(
                    "a {kind} geom needs at least {} size values ({what} is missing)",
                    i + 1
                ),
            )),
        }
    };
    // `fromto` sets the pose and the half-length along the segment.
    let mut local = pose(a, c)?;
    let mut half_length = None;
    if let Some(ft) = &fromto {
        if !matches!(kind, "capsule" | "cylinder" | "box" | "ellipsoid") {
            return Err(a.attr_err(
                "fromto",
                format!("applies to capsule, cylinder, box and ellipsoid geoms, not {kind}"),
            ));
        }
        let p1 = Vector3::new(ft[0], ft[1], ft[2]);
        let p2 = Vector3::new(ft[3], ft[4], ft[5]);
        // MuJoCo points the geom's z axis from the second point to the first (the shapes are
        // symmetric, but the frame is reported).
        let d = p1 - p2;
        let rotation = z_to(&d).ok_or_else(|| a.attr_err("fromto", "the two points coincide"))?;
        local = Isometry3::from_parts(Translation3::from((p1 + p2) * 0.5), rotation);
        half_length = Some(d.norm() * 0.5);
    }
    let mut mesh = None;
    let shape = match kind {
        "sphere" => Shape::Sphere {
            radius: size(0, "radius")?,
        },
        "capsule" | "cylinder" => {
            let radius = size(0, "radius")?;
            let half = match half_length {
                Some(h) => h,
                None => size(1, "half-length")?,
            };
            if kind == "capsule" {
                Shape::Capsule {
                    radius,
                    length: 2.0 * half,
                }
            } else {
                Shape::Cylinder {
                    radius,
                    length: 2.0 * half,
                }
            }
        }
        "box" | "ellipsoid" => {
            let x = size(0, "x half-size")?;
            let y = size(1, "y half-size")?;
            let z = match half_length {
                Some(h) => h,
                None => size(2, "z half-size")?,
            };
            if kind == "box" {
                Shape::Box {
                    size: Vector3::new(2.0 * x, 2.0 * y, 2.0 * z),
                }
            } else {
                Shape::Ellipsoid {
                    radii: Vector3::new(x, y, z),
                }
            }
        }
        "plane" => Shape::Plane,
        "mesh" => {
            let Some(name) = a.get("mesh") else {
                return Err(a.err("a mesh geom needs a 'mesh' attribute"));
            };
            let Some(asset) = meshes.get(name) else {
                return Err(a.attr_err("mesh", format!("no mesh asset is called '{name}'")));
            };
            mesh = Some(name.to_string());
            Shape::Mesh {
                filename: asset.path.to_string_lossy().into_owned(),
                scale: asset.scale,
            }
        }
        "hfield" | "sdf" => {
            return Err(a.attr_err("type", format!("unsupported geom type '{kind}'")));
        }
        other => {
            return Err(a.attr_err(
                "type",
                format!(
                    "unknown geom type '{other}' (expected sphere, capsule, cylinder, box, ellipsoid, mesh or plane)"
                ),
            ));
        }
    };
    let friction = a
        .numbers_between("friction", 1, 3)?
        .and_then(|f| f.first().copied());
    if let Some(f) = friction
        && f < 0.0
    {
        return Err(a.attr_err("friction", format!("must not be negative, got {f}")));
    }
    let mass = match a.number("mass")? {
        Some(m) if m < 0.0 => {
            return Err(a.attr_err("mass", format!("must not be negative, got {m}")));
        }
        other => other,
    };
    Ok(Geom {
        name: a.name().to_string(),
        shape,
        mesh,
        pose: frame * local,
        mask: ContactMask {
            contype: a.bits("contype", 1)?,
            conaffinity: a.bits("conaffinity", 1)?,
        },
        friction,
        group: a.int("group")?.unwrap_or(0),
        mass,
        density: a.non_negative_or("density", DEFAULT_DENSITY)?,
        describe: a.elem.describe(),
    })
}

/// Mass, centre of mass (geom frame) and inertia about it (geom axes) of a geom, from its
/// density or explicit mass, as MuJoCo computes them for primitives. A mesh is approximated by
/// the solid box spanning its vertices' axis-aligned bounding box (MuJoCo integrates the mesh
/// volume instead; give such bodies an `<inertial>` for exact values). Planes have no mass.
pub(crate) fn geom_mass(
    geom: &Geom,
    doc: &Document,
    meshes: &Meshes,
    file: &std::path::Path,
) -> Result<(f64, Vector3<f64>, Matrix3<f64>), RobotError> {
    // (volume, inertia per unit mass about the centre, centre)
    let (volume, unit, centre) = match &geom.shape {
        Shape::Mesh { .. } => {
            let name = geom.mesh.as_deref().unwrap_or("");
            let (lo, hi) = meshes.bounding_box(doc, name).map_err(|e| {
                RobotError::invalid(
                    file,
                    geom.describe.clone(),
                    format!("cannot compute its mass from mesh '{name}': {e}"),
                )
            })?;
            let size = hi - lo;
            (
                size.x * size.y * size.z,
                crate::mass::box_unit_inertia(&size),
                (lo + hi) * 0.5,
            )
        }
        Shape::Plane => (0.0, Vector3::zeros(), Vector3::zeros()),
        primitive => {
            let (volume, unit) = crate::mass::solid_primitive(primitive)
                .expect("every shape but meshes and planes is a solid primitive");
            (volume, unit, Vector3::zeros())
        }
    };
    let mass = geom.mass.unwrap_or(geom.density * volume);
    Ok((mass, centre, Matrix3::from_diagonal(&(unit * mass))))
}
