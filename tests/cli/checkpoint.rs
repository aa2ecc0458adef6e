//! `embody checkpoint upgrade` writes the manifest of a checkpoint saved before manifests
//! existed: for the shipped rough policy it writes exactly the committed manifest, says "up to
//! date" the second time, and refuses to overwrite a manifest that disagrees with the config.

use std::path::PathBuf;
use std::process::Command;

fn embody() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_embody"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn upgrade_writes_the_shipped_manifest_and_refuses_a_conflicting_one() {
    let shipped =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/policies/locomotion_rough");
    let dir = std::env::temp_dir().join(format!("embody-upgrade-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for f in [
        "config.toml",
        "state.json",
        "model.bpk",
        "policy.safetensors",
    ] {
        std::fs::copy(shipped.join(f), dir.join(f)).expect("copy");
    }
    let run = || {
        embody()
            .args(["checkpoint", "upgrade"])
            .arg(&dir)
            .output()
            .expect("runs")
    };
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("written (9 observation slices)"));
    let written = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    let committed = std::fs::read_to_string(shipped.join("manifest.json")).expect("shipped");
    assert_eq!(written, committed);
    let out = run();
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    std::fs::write(
        dir.join("manifest.json"),
        written.replacen("\"control_dt\": 0.02", "\"control_dt\": 0.01", 1),
    )
    .expect("tamper");
    let out = run();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("manifest.json") && err.contains("differs"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Tasks come from one registry: an unknown name is refused with the list, and a task without
/// interactive play says so.
#[test]
fn the_task_registry_names_the_tasks_and_what_each_can_do() {
    let out = embody()
        .args([
            "eval",
            "juggling",
            "--checkpoint",
            "assets/policies/locomotion_flat",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown task 'juggling'")
            && ["cartpole", "pendulum", "locomotion"]
                .iter()
                .all(|t| err.contains(t)),
        "{err}"
    );
    let out = embody()
        .args([
            "play",
            "cartpole",
            "--checkpoint",
            "assets/policies/locomotion_flat",
        ])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("task 'cartpole' has no interactive play"),
        "{err}"
    );
}
