//! The policy node's crate links neither Rapier nor burn: `cargo tree` of its normal
//! dependencies, with the `ros` feature on, names no rapier3d, parry3d, burn or sim crate.
//! (Its tests may use them as dev-dependencies: they are not part of the node.)

use std::process::Command;

#[test]
fn the_policy_node_depends_on_neither_rapier_nor_burn() {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "embody_ros",
            "--features",
            "ros",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    assert!(
        crates.contains(&"r2r"),
        "the tree has the ROS client:\n{tree}"
    );
    assert!(
        crates.contains(&"policies"),
        "and the deploy runtime:\n{tree}"
    );
    let banned: Vec<&&str> = crates
        .iter()
        .filter(|c| ["rapier3d", "parry3d", "sim", "burn"].contains(c) || c.starts_with("burn-"))
        .collect();
    assert!(
        banned.is_empty(),
        "the policy node pulls in {banned:?}:\n{tree}"
    );
}
