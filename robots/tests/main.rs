//! The URDF and MJCF importers on real files and on broken ones, one binary.

mod deepmimic_clips;
mod jacobian;
mod mjcf_errors;
mod mjcf_import;
mod mjcf_real;
mod reflect;
mod urdf_errors;
