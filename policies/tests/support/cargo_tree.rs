//! Test helper shared by the dependency-isolation tests (policies' `rl_core`, embody_ros's
//! `deploy_isolation`): the crates in `cargo tree` of a package's normal dependencies.

use std::process::Command;

/// Names of the crates in `cargo tree -p package -e normal` with `args` added (features),
/// run from `dir`; panics with cargo's stderr if cargo tree fails.
pub fn normal_dependencies(dir: &str, package: &str, args: &[&str]) -> Vec<String> {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(' ').next())
        .map(String::from)
        .collect()
}
