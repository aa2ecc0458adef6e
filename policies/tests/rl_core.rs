//! The RL core builds without the simulator: with only the `rl` feature, `cargo tree` of this
//! crate's normal dependencies has burn and no Rapier (rapier3d, parry3d) or `sim`.

use std::process::Command;

#[test]
fn the_rl_core_depends_on_burn_but_not_on_the_simulator() {
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let out = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "policies",
            "--no-default-features",
            "--features",
            "rl",
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
    assert!(crates.contains(&"burn"), "the core has burn:\n{tree}");
    let banned: Vec<&&str> = crates
        .iter()
        .filter(|c| ["rapier3d", "parry3d", "sim"].contains(c))
        .collect();
    assert!(
        banned.is_empty(),
        "the RL core pulls in {banned:?}:\n{tree}"
    );
}
