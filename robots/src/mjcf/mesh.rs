//! `<asset><mesh>`: named mesh files (resolved against `compiler meshdir`, checked to exist),
//! and the axis-aligned bounding box of their vertices, which stands in for the mesh when a
//! body's mass is computed from its geoms.

use super::compiler::Compiler;
use super::defaults::{Defaults, MAIN};
use super::xml::{Document, Elem};
use crate::error::RobotError;
use nalgebra::Vector3;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One mesh asset.
#[derive(Debug, Clone)]
pub(crate) struct MeshAsset {
    /// The resolved file path.
    pub path: PathBuf,
    /// Per-axis scale applied to the vertices.
    pub scale: Vector3<f64>,
    /// The `<mesh>` element's file index and line, for errors.
    pub file: usize,
    /// The `<mesh>` element's description, for errors.
    pub describe: String,
}

/// Every mesh asset by name, with a cache of bounding boxes.
#[derive(Debug, Default)]
pub(crate) struct Meshes {
    by_name: HashMap<String, MeshAsset>,
    boxes: RefCell<HashMap<String, (Vector3<f64>, Vector3<f64>)>>,
}

impl Meshes {
    /// Reads every `<mesh>` in the top-level `<asset>` sections; a missing file is an error.
    pub fn read(doc: &Document, c: &Compiler, defaults: &Defaults) -> Result<Self, RobotError> {
        let mut meshes = Meshes::default();
        for asset in doc.root.children_named("asset") {
            for elem in asset.children_named("mesh") {
                meshes.read_one(doc, c, defaults, elem)?;
            }
        }
        Ok(meshes)
    }

    fn read_one(
        &mut self,
        doc: &Document,
        c: &Compiler,
        defaults: &Defaults,
        elem: &Elem,
    ) -> Result<(), RobotError> {
        let a = defaults.attrs(doc, elem, MAIN)?;
        let Some(file) = a.get("file") else {
            return Err(a.err(if a.has("vertex") {
                "meshes given inline (vertex=...) are not supported: use a mesh file"
            } else {
                "has no 'file' attribute"
            }));
        };
        let file_path = Path::new(file);
        let name = match a.get("name") {
            Some(n) => n.to_string(),
            None => file_path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.to_string()),
        };
        let relative = if c.strippath {
            file_path
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| file_path.to_path_buf())
        } else {
            file_path.to_path_buf()
        };
        let joined = c.meshdir.join(relative);
        if !joined.is_file() {
            return Err(a.err(format!(
                "mesh file '{file}' not found (looked for {})",
                joined.display()
            )));
        }
        let path = std::fs::canonicalize(&joined).unwrap_or(joined);
        let scale = a
            .vec3("scale")?
            .unwrap_or_else(|| Vector3::new(1.0, 1.0, 1.0));
        let asset = MeshAsset {
            path,
            scale,
            file: elem.file,
            describe: elem.describe(),
        };
        if self.by_name.insert(name.clone(), asset).is_some() {
            return Err(a.err(format!("mesh name '{name}' is used twice")));
        }
        Ok(())
    }

    /// The mesh asset called `name`.
    pub fn get(&self, name: &str) -> Option<&MeshAsset> {
        self.by_name.get(name)
    }

    /// Lower and upper corners of the scaled vertices' bounding box of mesh `name` (read once).
    pub fn bounding_box(
        &self,
        doc: &Document,
        name: &str,
    ) -> Result<(Vector3<f64>, Vector3<f64>), RobotError> {
        if let Some(b) = self.boxes.borrow().get(name) {
            return Ok(*b);
        }
        let Some(asset) = self.by_name.get(name) else {
            return Err(RobotError::invalid(
                doc.files
                    .first()
                    .map(PathBuf::as_path)
                    .unwrap_or(Path::new("")),
                format!("mesh '{name}'"),
                "no such mesh asset",
            ));
        };
        let err = |message: String| {
            RobotError::invalid(
                doc.files
                    .get(asset.file)
                    .map(PathBuf::as_path)
                    .unwrap_or(Path::new("")),
                asset.describe.clone(),
                message,
            )
        };
        let bytes = std::fs::read(&asset.path)
            .map_err(|e| err(format!("cannot read {}: {e}", asset.path.display())))?;
        let ext = asset
            .path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let (lo, hi) = match ext.as_str() {
            "stl" => stl_bounds(&bytes),
            "obj" => obj_bounds(&bytes),
            _ => Err(format!(
                "cannot read the vertices of a '.{ext}' mesh (only STL and OBJ) to compute mass: give the body an <inertial>"
            )),
        }
        .map_err(|m| err(format!("{}: {m}", asset.path.display())))?;
        // Scaling can flip an axis: re-sort the corners.
        let a = lo.component_mul(&asset.scale);
        let b = hi.component_mul(&asset.scale);
        let result = (a.inf(&b), a.sup(&b));
        self.boxes.borrow_mut().insert(name.to_string(), result);
        Ok(result)
    }
}

/// Running bounds of a vertex set.
struct Bounds {
    lo: Vector3<f64>,
    hi: Vector3<f64>,
    count: usize,
}

impl Bounds {
    fn new() -> Self {
        Self {
            lo: Vector3::repeat(f64::INFINITY),
            hi: Vector3::repeat(f64::NEG_INFINITY),
            count: 0,
        }
    }

    fn add(&mut self, v: Vector3<f64>) -> Result<(), String> {
        if !v.iter().all(|x| x.is_finite()) {
            return Err(format!("vertex {} is not finite", self.count));
        }
        self.lo = self.lo.inf(&v);
        self.hi = self.hi.sup(&v);
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result<(Vector3<f64>, Vector3<f64>), String> {
        if self.count == 0 {
            Err("the mesh has no vertices".into())
        } else {
            Ok((self.lo, self.hi))
        }
    }
}

/// Bounding box of a binary or ASCII STL file's vertices.
pub(crate) fn stl_bounds(bytes: &[u8]) -> Result<(Vector3<f64>, Vector3<f64>), String> {
    let count = bytes
        .get(80..84)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes);
    if let Some(n) = count
        && bytes.len() as u64 == 84 + 50 * u64::from(n)
    {
        let mut bounds = Bounds::new();
        for tri in bytes.get(84..).unwrap_or(&[]).chunks_exact(50) {
            // Normal (12 bytes), three vertices (36 bytes), attribute (2 bytes).
            for v in 0..3 {
                let at = 12 + 12 * v;
                let f = |k: usize| -> f64 {
                    tri.get(at + 4 * k..at + 4 * k + 4)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map(|b| f64::from(f32::from_le_bytes(b)))
                        .unwrap_or(f64::NAN)
                };
                bounds.add(Vector3::new(f(0), f(1), f(2)))?;
            }
        }
        return bounds.finish();
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "neither a binary STL (wrong size) nor an ASCII STL".to_string())?;
    if !text.trim_start().starts_with("solid") {
        return Err("neither a binary STL (wrong size) nor an ASCII STL".into());
    }
    let mut bounds = Bounds::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("vertex") {
            bounds.add(parse_xyz(words, line)?)?;
        }
    }
    bounds.finish()
}

/// Bounding box of a Wavefront OBJ file's vertices (`v x y z` lines).
pub(crate) fn obj_bounds(bytes: &[u8]) -> Result<(Vector3<f64>, Vector3<f64>), String> {
    let text = String::from_utf8_lossy(bytes);
    let mut bounds = Bounds::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("v") {
            bounds.add(parse_xyz(words, line)?)?;
        }
    }
    bounds.finish()
}

fn parse_xyz<'a>(
    mut words: impl Iterator<Item = &'a str>,
    line: &str,
) -> Result<Vector3<f64>, String> {
    let mut v = [0.0; 3];
    for slot in &mut v {
        *slot = words
            .next()
            .and_then(|w| w.parse::<f64>().ok())
            .ok_or_else(|| format!("bad vertex line '{line}'"))?;
    }
    Ok(Vector3::from(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_ascii_stl_give_the_same_box() {
        let tri = [[0.0f32, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 2.0, -3.0]];
        let mut bin = vec![0u8; 80];
        bin.extend_from_slice(&1u32.to_le_bytes());
        bin.extend_from_slice(&[0u8; 12]);
        for v in tri {
            for x in v {
                bin.extend_from_slice(&x.to_le_bytes());
            }
        }
        bin.extend_from_slice(&[0u8; 2]);
        let ascii = "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 2 -3\nendloop\nendfacet\nendsolid t\n";
        let b = stl_bounds(&bin).expect("binary");
        let a = stl_bounds(ascii.as_bytes()).expect("ascii");
        assert_eq!(a, b);
        assert_eq!(b.0, Vector3::new(0.0, 0.0, -3.0));
        assert_eq!(b.1, Vector3::new(1.0, 2.0, 0.0));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(stl_bounds(b"hello").is_err());
        assert!(stl_bounds(&[0u8; 90]).is_err());
        assert!(obj_bounds(b"v 1 2\n").is_err());
    }
}
