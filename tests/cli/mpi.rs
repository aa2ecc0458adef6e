//! Data-parallel training over MPI, driven as a user drives it: `mpirun -n 2 embody train ...`
//! on this machine (Open MPI; the `mpi` feature). Two ranks of N envs against one process of 2N
//! envs, SIGKILL of one rank and `--resume`, configs that differ across ranks, and `bench train`
//! under mpirun.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use super::resume::{deterministic_rows, embody_bin, repo_root, rows_written};

/// `mpirun -n <ranks>` of `program`, allowed to run as root (CI runs as root) and on as many
/// ranks as asked whatever the core count.
fn mpirun(ranks: usize, program: &Path) -> Command {
    let mut cmd = Command::new("mpirun");
    cmd.args(["-n", &ranks.to_string(), "--oversubscribe"])
        .arg(program)
        .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
        .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        .current_dir(repo_root());
    cmd
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("embody-mpi-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Waits for `child` at most `limit`; a job still running then is killed and the test fails
/// (a hang is the failure these tests guard against).
fn wait_with_limit(mut child: std::process::Child, limit: Duration, what: &str) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("poll").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} still running after {limit:?}: hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start ({e}); is Open MPI installed?"));
    let out = wait_with_limit(child, Duration::from_secs(300), what);
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The float columns of metrics.csv that come from learning (mean return, mean length, the
/// update's losses, KL, gradient norm, learning rate), one row per iteration.
fn learning_columns(run: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).expect("metrics.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let want = [
        "total_steps",
        "mean_return",
        "mean_episode_length",
        "policy_loss",
        "value_loss",
        "entropy",
        "kl",
        "grad_norm",
        "learning_rate",
    ];
    let at: Vec<usize> = want
        .iter()
        .map(|w| header.iter().position(|h| h == w).expect("column"))
        .collect();
    lines
        .map(|l| {
            let cols: Vec<&str> = l.split(',').collect();
            at.iter()
                .map(|&i| cols[i].parse().expect("number"))
                .collect()
        })
        .collect()
}

/// Every weight of a run's policy, flattened.
fn weights(run: &Path) -> Vec<f32> {
    let dir = policies::checkpoint::checkpoint_dir(run);
    let device = burn::prelude::Device::flex();
    let ckpt = policies::checkpoint::load(&dir, &device).expect("checkpoint");
    policies::algo::flatten_parameters(&ckpt.model)
}

/// Training on pendulum with observation normalisation and the adaptive learning rate, so
/// observation statistics, advantage statistics and the KL are all summed over the ranks.
fn pendulum_args(out: &Path, num_envs: usize) -> Vec<String> {
    [
        "train",
        "pendulum",
        "--seed",
        "7",
        "--set",
        "runner.max_iterations=5",
        "--set",
        "runner.save_interval=5",
        "--set",
        "runner.empirical_normalization=true",
        "--set",
        "ppo.schedule=\"adaptive\"",
        "--set",
        "ppo.num_steps_per_env=64",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--set".into(),
        format!("runner.num_envs={num_envs}"),
        "--out".into(),
        out.display().to_string(),
    ])
    .collect()
}

/// Trains pendulum with one process of 16 envs and with `mpirun -n 2` of 8 envs each (`extra`
/// on both), checks that the updates agree iteration by iteration, and returns the largest
/// difference of the final weights.
fn one_process_against_two_ranks(name: &str, extra: &[&str]) -> f32 {
    let (one, two) = (tmp(&format!("{name}-one")), tmp(&format!("{name}-two")));
    run(
        Command::new(embody_bin())
            .args(pendulum_args(&one, 16))
            .args(extra)
            .current_dir(repo_root()),
        "one process of 16 envs",
    );
    run(
        mpirun(2, &embody_bin())
            .args(pendulum_args(&two, 8))
            .args(extra),
        "two ranks of 8 envs",
    );
    // The same job-wide minibatches (4 of 16 x 64 rows), the same envs and noise: the updates
    // agree up to the order of float sums, iteration by iteration (episodes of 200 steps end in
    // iterations 4 and 5, so mean returns are compared too). A logic error (a rank's noise
    // stream off by one env) differs by O(1).
    let (a, b) = (learning_columns(&one), learning_columns(&two));
    assert_eq!(a.len(), 5, "{name}");
    assert!(a[4][1] != 0.0, "{name}: no episode ended");
    assert_eq!(a.len(), b.len(), "{name}");
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        assert_eq!(ra[0], rb[0], "{name}, iteration {i}: total steps");
        for (k, (x, y)) in ra.iter().zip(rb).enumerate() {
            let tol = 1e-3 * (1.0 + x.abs());
            assert!(
                (x - y).abs() <= tol,
                "{name}, iteration {i}, column {k}: one process {x}, two ranks {y}"
            );
        }
    }
    // Rank 0 wrote the run folder, with every rank's env snapshots.
    let ckpt = policies::checkpoint::checkpoint_dir(&two);
    for f in [
        "envs.cbor.gz",
        "envs.rank1.cbor.gz",
        "model.bpk",
        "state.json",
    ] {
        assert!(ckpt.join(f).is_file(), "{name}: {f} missing");
    }
    let (wa, wb) = (weights(&one), weights(&two));
    assert_eq!(wa.len(), wb.len());
    let worst = wa
        .iter()
        .zip(&wb)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    eprintln!("{name}: largest weight difference, 2 x 8 envs vs 1 x 16: {worst:e}");
    for dir in [one, two] {
        let _ = std::fs::remove_dir_all(dir);
    }
    worst
}

#[test]
fn two_ranks_of_n_envs_learn_what_one_process_of_2n_envs_learns() {
    // White noise under the adaptive rate (the all-reduced KL sets it); correlated noise (its
    // episode-start draws); collection overlapping the update (collection all-reduces
    // observation statistics on its own channel meanwhile). The last two at pendulum's fixed
    // rate of 3e-4: at the adaptive rule's 1e-2 Adam grows the reduction-order differences
    // tenfold per iteration (2.8e-3 in the weights after 5 iterations with correlated noise).
    let fixed = ["--set", "ppo.schedule=fixed"];
    for (name, extra) in [
        ("white", vec![]),
        (
            "correlated",
            [&fixed[..], &["--set", "ppo.noise_correlation=0.5"]].concat(),
        ),
        (
            "overlap",
            [&fixed[..], &["--set", "runner.overlap_collection=true"]].concat(),
        ),
    ] {
        let extra: &[&str] = &extra;
        let worst = one_process_against_two_ranks(name, extra);
        // Measured 8.3e-5 (white noise) after 100 Adam steps at rates up to 1e-2; a genuinely
        // different run (below) differs by about 0.1.
        assert!(worst < 1e-3, "{name}: largest weight difference {worst}");
    }
    // One process of 8 envs learns other weights, so the agreement is not vacuous.
    let (half, one) = (tmp("one-process-half"), tmp("one-process-full"));
    for (dir, n) in [(&half, 8), (&one, 16)] {
        run(
            Command::new(embody_bin())
                .args(pendulum_args(dir, n))
                .current_dir(repo_root()),
            "one process",
        );
    }
    let other = weights(&half)
        .iter()
        .zip(&weights(&one))
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f32, f32::max);
    eprintln!("largest weight difference, 1 x 8 envs vs 1 x 16: {other:e}");
    assert!(other > 1e-2, "8 envs learned the 16-env weights ({other})");
    for dir in [half, one] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// The pid of rank `rank` among the processes `mpirun` (pid `launcher`) started, found by the
/// rank Open MPI puts in each one's environment.
fn rank_pid(launcher: u32, rank: usize) -> Option<u32> {
    let want = format!("OMPI_COMM_WORLD_RANK={rank}");
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // The parent pid is the 4th field, after the parenthesised command name.
        let ppid: u32 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        let environ = std::fs::read(e.path().join("environ")).ok()?;
        let is_rank = environ.split(|&b| b == 0).any(|v| v == want.as_bytes());
        (ppid == launcher && is_rank).then_some(pid)
    })
}

#[test]
fn a_two_rank_run_with_one_rank_sigkilled_resumes_and_repeats_the_uninterrupted_run() {
    let (whole, killed) = (tmp("whole"), tmp("killed"));
    let train = |out: &Path, extra: &[&str]| {
        let mut cmd = mpirun(2, &embody_bin());
        cmd.args(["train", "cartpole", "--seed", "5", "--json", "--out"])
            .arg(out)
            .args([
                "--set",
                "runner.max_iterations=60",
                "--set",
                "runner.save_interval=10",
                "--set",
                "runner.num_envs=16",
                "--set",
                "runner.empirical_normalization=true",
            ])
            .args(extra);
        cmd
    };
    run(&mut train(&whole, &[]), "uninterrupted two-rank run");

    let mut job = train(&killed, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mpirun starts");
    let deadline = Instant::now() + Duration::from_secs(180);
    while rows_written(&killed) < 25 {
        assert!(
            Instant::now() < deadline,
            "training did not reach iteration 25"
        );
        assert!(
            job.try_wait().expect("poll").is_none(),
            "training finished before a rank could be killed"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let victim = rank_pid(job.id(), 1).expect("rank 1's process");
    let killed_ok = Command::new("kill")
        .args(["-9", &victim.to_string()])
        .status()
        .expect("kill runs");
    assert!(killed_ok.success());
    // The job ends (mpirun stops the other rank) instead of hanging.
    let end = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = job.try_wait().expect("poll") {
            break s;
        }
        assert!(Instant::now() < end, "the job hung after rank 1 was killed");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        !status.success(),
        "the job reported success after losing a rank"
    );
    let written = rows_written(&killed);
    assert!(written < 60, "killed before the end ({written} rows)");

    run(&mut train(&killed, &["--resume"]), "resumed two-rank run");
    let (a, b) = (deterministic_rows(&whole), deterministic_rows(&killed));
    assert_eq!(a.len(), 60);
    assert_eq!(a, b, "resumed metrics differ from the uninterrupted run");
    // A two-rank checkpoint refuses to resume on one process, naming the rank count.
    let out = Command::new(embody_bin())
        .args(["train", "cartpole", "--resume", "--out"])
        .arg(&killed)
        .current_dir(repo_root())
        .output()
        .expect("embody runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mpirun -n 2"), "{err}");
    for dir in [whole, killed] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn ranks_with_different_configs_stop_with_an_error_on_rank_0_that_names_the_key() {
    let out_dir = tmp("mismatch");
    // Rank 1 asks for one more env than rank 0.
    let script = format!(
        "exec {} train pendulum --out {} --set runner.max_iterations=2 \
         --set runner.num_envs=$((8 + OMPI_COMM_WORLD_RANK))",
        embody_bin().display(),
        out_dir.display()
    );
    let child = mpirun(2, Path::new("sh"))
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mpirun starts");
    let out = wait_with_limit(child, Duration::from_secs(120), "mismatched job");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("runner.num_envs = 9 (rank 0: runner.num_envs = 8)"),
        "{err}"
    );
    assert!(
        !out_dir.join("metrics.csv").exists(),
        "a mismatched job trained"
    );
    let _ = std::fs::remove_dir_all(out_dir);
}

#[test]
fn bench_train_under_mpirun_reports_steps_per_rank_and_the_all_reduce() {
    let out = run(
        mpirun(2, &embody_bin()).args([
            "bench",
            "train",
            "pendulum",
            "--iterations",
            "2",
            "--warmup",
            "1",
            "--set",
            "runner.num_envs=8",
            "--json",
        ]),
        "bench train under mpirun",
    );
    // Rank 0 alone prints.
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with('{')).collect();
    assert_eq!(lines.len(), 1, "{text}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    assert_eq!(v["ranks"], 2);
    let total = v["steps_per_s_total"].as_f64().expect("total");
    let per_rank = v["steps_per_s_per_rank"].as_f64().expect("per rank");
    assert!(total > 0.0 && (per_rank * 2.0 - total).abs() < 1e-6 * total);
    // Per update: 5 epochs x 4 minibatches of the [64, 64] actor-critic's gradients, at least.
    let bytes = v["allreduce_bytes"].as_u64().expect("bytes");
    assert!(bytes > 20 * 4 * 8_000, "{bytes} bytes");
    assert!(v["allreduce_ms_per_update"].as_f64().expect("ms") > 0.0);
}

#[test]
fn bench_allreduce_under_mpirun_times_each_size_and_fits_latency_and_bandwidth() {
    let out = run(
        mpirun(2, &embody_bin()).args([
            "bench",
            "allreduce",
            "--sizes",
            "100,100000",
            "--repeats",
            "5",
            "--json",
        ]),
        "bench allreduce under mpirun",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("one json object");
    assert_eq!(v["ranks"], 2);
    let sizes = v["sizes"].as_array().expect("sizes");
    assert_eq!(sizes.len(), 2);
    assert_eq!(sizes[1]["bytes"], 400_000);
    for s in sizes {
        assert!(s["median_ms"].as_f64().expect("ms") > 0.0, "{s}");
    }
    assert!(v["fit_bandwidth_gb_s"].as_f64().expect("bandwidth") > 0.0);
}
