//! Choosing the compute device at run time.
//!
//! Names: `cpu` (burn's pure-Rust `flex` backend, always built), `wgpu` (needs the `wgpu` cargo
//! feature; runs on GPUs, or on the CPU through Mesa's llvmpipe Vulkan driver), `cuda` (not built
//! by default). When no name is given, `BURN_DEVICE` decides, and CPU is the default.

use crate::error::PolicyError;
use burn::tensor::Device;

/// The device names this build accepts.
pub fn available_devices() -> Vec<&'static str> {
    let mut names = vec!["cpu"];
    if cfg!(feature = "wgpu") {
        names.push("wgpu");
    }
    names
}

/// Resolves a device name (`cpu`, `flex`, `wgpu`), or `BURN_DEVICE` when `name` is `None`
/// (default `cpu`). The returned device has no autodiff; call `.autodiff()` to train on it.
pub fn device_from_name(name: Option<&str>) -> Result<Device, PolicyError> {
    let owned;
    let name = match name {
        Some(n) => n,
        None => {
            owned = std::env::var("BURN_DEVICE").unwrap_or_else(|_| "cpu".to_string());
            owned.as_str()
        }
    };
    match name.to_ascii_lowercase().as_str() {
        "cpu" | "flex" => Ok(Device::flex()),
        #[cfg(feature = "wgpu")]
        "wgpu" | "gpu" => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
        other => Err(PolicyError::Device {
            name: other.to_string(),
            message: format!(
                "not available in this build; available: {:?}",
                available_devices()
            ),
        }),
    }
}
