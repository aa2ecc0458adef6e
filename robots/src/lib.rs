//! Robot descriptions as data.
//!
//! A [`RobotSpec`] holds everything the simulator and the deploy runtime need to know about a robot:
//! rigid bodies (URDF links with fixed joints merged), actuated joints in a fixed, named order with
//! limits, the default pose, PD gains, feet and contact bodies. It is built from a URDF file plus a
//! small TOML file with the control facts URDF cannot express ([`RobotConfig`]).
//!
//! This crate has no physics engine and no neural-network dependency.

mod builtin;
mod config;
pub mod constraint;
pub mod contract;
mod error;
mod gait;
mod ik;
mod jacobian;
mod kinematics;
mod mass;
mod mirror;
mod mjcf;
pub mod motion;
mod observation;
mod reflect;
mod scene;
mod spec;
mod urdf;

pub use builtin::{BUILTIN_ROBOTS, assets_dir, load_builtin_or_path};
pub use config::{ControlConfig, RobotConfig};
pub use error::RobotError;
pub use gait::{GAIT_OBS_DIM, TrotGait, TrotGenerator};
pub use ik::{IkSolution, IkTarget, solve_ik};
pub use jacobian::{PointJacobian, damped_step, point_jacobian};
pub use kinematics::{
    BodyExtents, body_extents, body_poses, extent_along, lowest_point_z, lowest_point_z_at,
    nominal_base_height,
};
pub use mirror::{SignedPermutation, joint_mirror, mirror_name};
pub use mjcf::{is_mjcf_file, parse_mjcf_str, read_mjcf_file};
pub use observation::{ObservationScales, proprio_layout, proprio_obs_dim};
pub use reflect::{
    add_mirrored_twin, reflect_pose, reflect_pose_about, reflect_rotation, reflect_spec,
    reflect_vector,
};
pub use scene::{ContactExclude, ContactPair, ObjectSpec, SceneSpec, StaticGeom, TendonSpec};
pub use spec::{
    BodySpec, CollisionShape, ContactMask, FootSpec, JointKind, JointSpec, RobotSpec, Shape,
};
pub use urdf::{parse_urdf_str, read_urdf_file};
