//! Kill a training run with SIGKILL mid-iteration and `--resume` it: training continues from the
//! last checkpoint and reproduces the later metrics of an uninterrupted run with the same seed.
//! (A test of the `embody` package, so cargo builds the binary it drives.)

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub(crate) fn embody_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_embody"))
}

pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const ARGS: [&str; 8] = [
    "--seed",
    "5",
    "--set",
    "runner.max_iterations=60",
    "--set",
    "runner.save_interval=10",
    "--set",
    "runner.num_envs=32",
];

fn train(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(embody_bin());
    cmd.arg("train")
        .arg("cartpole")
        .arg("--out")
        .arg(out)
        .args(ARGS)
        .arg("--json")
        .args(extra);
    cmd.current_dir(repo_root());
    cmd
}

/// Rows of metrics.csv without the timing columns (steps_per_s, collect_s, learn_s).
pub(crate) fn deterministic_rows(run: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics.csv");
    text.lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            [&cols[..4], &cols[7..]].concat().join(",")
        })
        .collect()
}

pub(crate) fn rows_written(run: &Path) -> usize {
    std::fs::read_to_string(run.join("metrics.csv"))
        .map_or(0, |t| t.lines().count().saturating_sub(1))
}

#[test]
fn sigkilled_run_resumes_and_reproduces_the_uninterrupted_metrics() {
    let tmp = std::env::temp_dir().join(format!("embody-resume-{}", std::process::id()));
    let (whole, killed) = (tmp.join("whole"), tmp.join("killed"));
    let _ = std::fs::remove_dir_all(&tmp);

    let status = train(&whole, &[]).status().expect("train runs");
    assert!(status.success());

    let mut child = train(&killed, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("train starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    while rows_written(&killed) < 25 {
        assert!(
            Instant::now() < deadline,
            "training did not reach iteration 25"
        );
        assert!(
            child.try_wait().expect("poll").is_none(),
            "training finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let written = rows_written(&killed);
    assert!(written < 60, "killed before the end ({written} rows)");

    let status = train(&killed, &["--resume"]).status().expect("resume runs");
    assert!(status.success());
    let (a, b) = (deterministic_rows(&whole), deterministic_rows(&killed));
    assert_eq!(a.len(), 60);
    assert_eq!(a, b, "resumed metrics differ from the uninterrupted run");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The locomotion version (issue 13): the rough-terrain config with its terrain curriculum, the
/// height scan and pushes. The checkpoint carries every env's snapshot, so no env is reset at a
/// checkpoint boundary and every metrics column but timing repeats after SIGKILL and --resume.
#[test]
fn sigkilled_locomotion_run_on_the_rough_curriculum_resumes_exactly() {
    let tmp = std::env::temp_dir().join(format!("embody-resume-loco-{}", std::process::id()));
    let (whole, killed) = (tmp.join("whole"), tmp.join("killed"));
    let _ = std::fs::remove_dir_all(&tmp);
    let loco = |out: &Path, extra: &[&str]| {
        let mut cmd = Command::new(embody_bin());
        cmd.args(["train", "locomotion", "--config"])
            .arg(repo_root().join("assets/configs/locomotion_rough.toml"))
            .arg("--out")
            .arg(out)
            .args([
                "--seed",
                "3",
                "--set",
                "runner.max_iterations=24",
                "--set",
                "runner.save_interval=8",
                "--set",
                "runner.num_envs=32",
                "--set",
                "env.push_interval_s=2.0",
                "--json",
            ])
            .args(extra)
            .current_dir(repo_root());
        cmd
    };
    assert!(loco(&whole, &[]).status().expect("train runs").success());
    let mut child = loco(&killed, &[])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("train starts");
    let deadline = Instant::now() + Duration::from_secs(300);
    while rows_written(&killed) < 13 {
        assert!(
            Instant::now() < deadline,
            "training did not reach iteration 13"
        );
        assert!(
            child.try_wait().expect("poll").is_none(),
            "training finished before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(rows_written(&killed) < 24);
    assert!(
        killed.join("checkpoint").join("envs.cbor.gz").is_file(),
        "the checkpoint carries the env snapshots"
    );
    let status = loco(&killed, &["--resume"]).status().expect("resume runs");
    assert!(status.success());
    let (a, b) = (deterministic_rows(&whole), deterministic_rows(&killed));
    assert_eq!(a.len(), 24);
    assert_eq!(a, b, "resumed metrics differ from the uninterrupted run");
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn truncated_checkpoint_gives_a_clear_error() {
    let tmp = std::env::temp_dir().join(format!("embody-corrupt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let status = train(&tmp, &["--set", "runner.max_iterations=10"])
        .status()
        .expect("train runs");
    assert!(status.success());
    // Eval runs the deploy runtime, which reads policy.safetensors.
    let weights = tmp.join("checkpoint/policy.safetensors");
    let bytes = std::fs::read(&weights).expect("weights exist");
    std::fs::write(&weights, &bytes[..bytes.len() / 2]).expect("truncate");
    let out = Command::new(embody_bin())
        .args(["eval", "cartpole", "--checkpoint"])
        .arg(&tmp)
        .output()
        .expect("eval runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("policy.safetensors") && err.contains("corrupt or truncated"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // Resuming reads the trainer's model.bpk.
    let model = tmp.join("checkpoint/model.bpk");
    let bytes = std::fs::read(&model).expect("model exists");
    std::fs::write(&model, &bytes[..bytes.len() / 2]).expect("truncate");
    let out = train(&tmp, &["--set", "runner.max_iterations=12", "--resume"])
        .output()
        .expect("resume runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.bpk") && err.contains("corrupt or truncated"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}
