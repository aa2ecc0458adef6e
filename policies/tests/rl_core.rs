//! The RL core builds without the simulator: with only the `rl` feature, `cargo tree` of this
//! crate's normal dependencies has burn and no Rapier (rapier3d, parry3d) or `sim`.

mod support {
    pub mod cargo_tree;
}

#[test]
fn the_rl_core_depends_on_burn_but_not_on_the_simulator() {
    let crates = support::cargo_tree::normal_dependencies(
        env!("CARGO_MANIFEST_DIR"),
        "policies",
        &["--no-default-features", "--features", "rl"],
    );
    assert!(
        crates.iter().any(|c| c == "burn"),
        "the core has burn: {crates:?}"
    );
    let banned: Vec<&String> = crates
        .iter()
        .filter(|c| ["rapier3d", "parry3d", "sim"].contains(&c.as_str()))
        .collect();
    assert!(banned.is_empty(), "the RL core pulls in {banned:?}");
}
