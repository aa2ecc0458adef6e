//! The built-in robots and how a `--robot` argument is resolved.

use crate::config::RobotConfig;
use crate::error::RobotError;
use crate::spec::RobotSpec;
use crate::urdf::read_urdf_file;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Names accepted by [`load_builtin_or_path`]: the project's own quadruped, and two real robots
/// (Unitree A1, ANYmal C) whose URDFs are read from `../shared/thirdparty/legged_gym`.
pub const BUILTIN_ROBOTS: [&str; 3] = ["quadruped", "a1", "anymal_c"];

/// The project's `assets/` folder: `$EMBODY_ASSETS` if set, else the folder in this source tree.
pub fn assets_dir() -> PathBuf {
    std::env::var_os("EMBODY_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"))
}

/// Loads a robot by built-in name, by robot TOML path, or by bare URDF path.
///
/// A bare URDF gets a default pose of zero (clamped into the joint limits), Kp 20, Kd 0.5, action
/// scale 0.25, feet = links whose name contains "foot", and termination on base contact.
pub fn load_builtin_or_path(name_or_path: &str) -> Result<RobotSpec, RobotError> {
    if BUILTIN_ROBOTS.contains(&name_or_path) {
        let robots = assets_dir().join("robots");
        let own = robots.join(name_or_path).join("robot.toml");
        let path = if own.exists() {
            own
        } else {
            robots.join(format!("{name_or_path}.toml"))
        };
        return RobotConfig::load(&path);
    }
    let path = Path::new(name_or_path);
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => RobotConfig::load(path),
        Some("urdf") | Some("xml") => {
            let mut spec = read_urdf_file(path)?;
            let config = bare_urdf_config(&spec, path);
            config.apply(&mut spec, path)?;
            Ok(spec)
        }
        _ if !path.exists() => Err(RobotError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("not a built-in robot ({BUILTIN_ROBOTS:?}) and no such file"),
            ),
        }),
        _ => Err(RobotError::config(
            path,
            "<file>",
            "expected a .urdf or a robot .toml file",
        )),
    }
}

fn bare_urdf_config(spec: &RobotSpec, path: &Path) -> RobotConfig {
    let default_joint_angles: BTreeMap<String, f64> = spec
        .joints
        .iter()
        .map(|j| (j.name.clone(), 0.0f64.clamp(j.lower, j.upper)))
        .collect();
    let feet = spec
        .bodies
        .iter()
        .flat_map(|b| b.links.iter())
        .filter(|(n, _)| n.to_lowercase().contains("foot"))
        .map(|(n, _)| n.clone())
        .collect();
    RobotConfig {
        name: spec.name.clone(),
        urdf: path.to_path_buf(),
        base: None,
        feet,
        terminate_on_contact: vec![spec.bodies[0].name.clone()],
        penalise_contacts: Vec::new(),
        default_joint_angles,
        control: crate::config::ControlConfig {
            stiffness: [(String::new(), 20.0)].into(),
            damping: [(String::new(), 0.5)].into(),
            action_scale: 0.25,
        },
    }
}
