//! `<compiler>` and `<option>`: the settings that change how the rest of the file is read.

use super::attrs::Attrs;
use super::xml::Document;
use crate::error::RobotError;
use nalgebra::Vector3;
use std::path::PathBuf;

/// `compiler inertiafromgeom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InertiaFromGeom {
    /// Always use `<inertial>` (a body without one is massless).
    False,
    /// Always compute from geoms, ignoring `<inertial>`.
    True,
    /// `<inertial>` when given, else from geoms.
    Auto,
}

/// The merged `<compiler>` settings (MuJoCo applies every `<compiler>` element, later attributes
/// overriding earlier ones, before reading anything else).
#[derive(Debug, Clone)]
pub(crate) struct Compiler {
    /// Angles in degrees (MuJoCo's default) rather than radians.
    pub degrees: bool,
    /// Directory mesh files are resolved against.
    pub meshdir: PathBuf,
    /// Infer `limited` from the presence of a range.
    pub autolimits: bool,
    /// Where body inertia comes from.
    pub inertia_from_geom: InertiaFromGeom,
    /// Geom groups that contribute mass, inclusive.
    pub group_range: (i64, i64),
    /// Euler sequence: three of `xyzXYZ` (lower case: rotating axes, upper case: fixed axes).
    pub eulerseq: [char; 3],
    /// Lower bound on every body's mass.
    pub boundmass: f64,
    /// Lower bound on every body's principal inertias.
    pub boundinertia: f64,
    /// Strip directories from mesh file names.
    pub strippath: bool,
}

impl Compiler {
    /// Converts an angle written in the file into radians.
    pub fn angle(&self, v: f64) -> f64 {
        if self.degrees { v.to_radians() } else { v }
    }
}

/// Reads and merges every top-level `<compiler>`.
pub(crate) fn read_compiler(doc: &Document) -> Result<Compiler, RobotError> {
    let mut c = Compiler {
        degrees: true,
        meshdir: doc.main_dir.clone(),
        autolimits: true,
        inertia_from_geom: InertiaFromGeom::Auto,
        group_range: (0, 5),
        eulerseq: ['x', 'y', 'z'],
        boundmass: 0.0,
        boundinertia: 0.0,
        strippath: false,
    };
    let mut meshdir: Option<String> = None;
    let mut assetdir: Option<String> = None;
    for elem in doc.root.children_named("compiler") {
        let a = Attrs::new(elem, None, doc);
        if let Some(angle) = a.get("angle") {
            c.degrees = match angle.trim() {
                "degree" => true,
                "radian" => false,
                other => {
                    return Err(
                        a.attr_err("angle", format!("expected degree or radian, got '{other}'"))
                    );
                }
            };
        }
        if let Some(coordinate) = a.get("coordinate") {
            match coordinate.trim() {
                "local" => {}
                "global" => {
                    return Err(a.attr_err(
                        "coordinate",
                        "coordinate=\"global\" is not supported (it was removed from MuJoCo too): convert the model to local coordinates",
                    ));
                }
                other => {
                    return Err(a.attr_err("coordinate", format!("expected local, got '{other}'")));
                }
            }
        }
        if let Some(d) = a.get("meshdir") {
            meshdir = Some(d.to_string());
        }
        if let Some(d) = a.get("assetdir") {
            assetdir = Some(d.to_string());
        }
        if let Some(v) = a.boolean("autolimits")? {
            c.autolimits = v;
        }
        if let Some(v) = a.get("inertiafromgeom") {
            c.inertia_from_geom = match v.trim() {
                "false" => InertiaFromGeom::False,
                "true" => InertiaFromGeom::True,
                "auto" => InertiaFromGeom::Auto,
                other => {
                    return Err(a.attr_err(
                        "inertiafromgeom",
                        format!("expected false, true or auto, got '{other}'"),
                    ));
                }
            };
        }
        if let Some(text) = a.get("inertiagrouprange") {
            let parts: Vec<Option<i64>> = text
                .split_whitespace()
                .map(|w| w.parse::<i64>().ok())
                .collect();
            c.group_range = match parts.as_slice() {
                [Some(lo), Some(hi)] if lo <= hi => (*lo, *hi),
                _ => {
                    return Err(a.attr_err(
                        "inertiagrouprange",
                        format!("expected two integers 'low high' with low <= high, got '{text}'"),
                    ));
                }
            };
        }
        if let Some(seq) = a.get("eulerseq") {
            let chars: Vec<char> = seq.trim().chars().collect();
            match chars.as_slice() {
                [x, y, z] if chars.iter().all(|ch| "xyzXYZ".contains(*ch)) => {
                    c.eulerseq = [*x, *y, *z];
                }
                _ => {
                    return Err(a.attr_err(
                        "eulerseq",
                        format!("expected three of x, y, z, X, Y, Z, got '{seq}'"),
                    ));
                }
            }
        }
        c.boundmass = a.non_negative_or("boundmass", c.boundmass)?;
        c.boundinertia = a.non_negative_or("boundinertia", c.boundinertia)?;
        if let Some(v) = a.boolean("strippath")? {
            c.strippath = v;
        }
    }
    if let Some(dir) = meshdir.or(assetdir) {
        c.meshdir = doc.main_dir.join(dir);
    }
    Ok(c)
}

/// `<option>`: the physics settings we reproduce.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Options {
    /// Time step (s).
    pub timestep: f64,
    /// Gravity (m/s²).
    pub gravity: Vector3<f64>,
}

/// Reads every top-level `<option>` (later ones override earlier ones).
pub(crate) fn read_options(doc: &Document) -> Result<Options, RobotError> {
    let mut o = Options {
        timestep: 0.002,
        gravity: Vector3::new(0.0, 0.0, -9.81),
    };
    for elem in doc.root.children_named("option") {
        let a = Attrs::new(elem, None, doc);
        if let Some(dt) = a.number("timestep")? {
            if dt <= 0.0 {
                return Err(a.attr_err("timestep", format!("must be positive, got {dt}")));
            }
            o.timestep = dt;
        }
        if let Some(g) = a.vec3("gravity")? {
            o.gravity = g;
        }
    }
    Ok(o)
}
