//! The policy node's crate links neither Rapier nor burn: `cargo tree` of its normal
//! dependencies, with the `ros` feature on, names no rapier3d, parry3d, burn or sim crate.
//! (Its tests may use them as dev-dependencies: they are not part of the node.)

#[path = "../../../../policies/tests/support/cargo_tree.rs"]
mod cargo_tree;

#[test]
fn the_policy_node_depends_on_neither_rapier_nor_burn() {
    let crates = cargo_tree::normal_dependencies(
        env!("CARGO_MANIFEST_DIR"),
        "embody_ros",
        &["--features", "ros"],
    );
    assert!(
        crates.iter().any(|c| c == "r2r"),
        "the ROS client: {crates:?}"
    );
    assert!(
        crates.iter().any(|c| c == "policies"),
        "the deploy runtime: {crates:?}"
    );
    let banned: Vec<&String> = crates
        .iter()
        .filter(|c| {
            ["rapier3d", "parry3d", "sim", "burn"].contains(&c.as_str()) || c.starts_with("burn-")
        })
        .collect();
    assert!(banned.is_empty(), "the policy node pulls in {banned:?}");
}
