//! `latency_bench`: the policy node's state-in -> command-out latency at several rates.
//!
//! The policy node runs in this process (state-triggered: one cycle per joint state) against an
//! rclpy peer (tests/peers/peer.py, scenario `bench`) that publishes JointState + Odometry at the
//! rate and times each round trip. Two figures per rate:
//! - node work: from the joint state taken off the subscription (already converted to the Rust
//!   type by r2r) to `publish` of the command returning: validation, name mapping, the shared
//!   observation builder, the deploy runtime, the safety layer, message fill and rcl publish;
//! - round trip: rclpy publish -> DDS -> the node -> DDS -> rclpy callback.
//!
//! ```sh
//! source ros2_ws/env.sh
//! ROS_DOMAIN_ID=57 cargo run --release -p embody_ros --features ros --bin latency_bench -- \
//!     --checkpoint assets/policies/locomotion_flat --json
//! ```

use anyhow::{Context, bail};
use clap::Parser;
use embody_ros::config::{NodeConfig, Trigger, config_dir};
use embody_ros::core::PolicyCore;
use embody_ros::ros::{LatencyLog, RunLimits, run_policy_node};
use policies::deploy::DeployPolicy;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Measures the policy node's latency at several rates against an rclpy peer.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Checkpoint to run.
    #[arg(long)]
    checkpoint: PathBuf,
    /// Node parameters (YAML).
    #[arg(long, default_value_os_t = config_dir().join("quadruped.yaml"))]
    config: PathBuf,
    /// Rates (Hz).
    #[arg(long, value_delimiter = ',', default_value = "50,200,500")]
    rates: Vec<f64>,
    /// Measured cycles per rate (after the warm-up).
    #[arg(long, default_value_t = 10_000)]
    cycles: usize,
    /// Warm-up cycles per rate (not counted).
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Python with rclpy (default: $EMBODY_ROS_PYTHON_BIN from ros2_ws/env.sh).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let python = match &args.python {
        Some(p) => p.clone(),
        None => std::env::var_os("EMBODY_ROS_PYTHON_BIN")
            .map(PathBuf::from)
            .context("no --python and no EMBODY_ROS_PYTHON_BIN (source ros2_ws/env.sh)")?,
    };
    let peer = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/peer.py");
    let mut results = Vec::new();
    for &hz in &args.rates {
        let cfg = NodeConfig::load(
            &args.config,
            &[
                format!("rates.policy_hz={hz}"),
                "topics.status=\"\"".into(),
                "safety.soft_start_s=0".into(),
            ],
        )?;
        let mut cfg = cfg;
        cfg.trigger = Trigger::State;
        let cfg_json =
            std::env::temp_dir().join(format!("embody_bench_{}.json", std::process::id()));
        std::fs::write(&cfg_json, serde_json::to_string(&cfg)?)?;
        let policy = DeployPolicy::load(&args.checkpoint)?;
        let hidden = policy.info().actor_hidden.clone();
        let core = PolicyCore::new(cfg, policy)?;
        let mut child = Command::new(&python)
            .arg(&peer)
            .arg("bench")
            .arg("--config")
            .arg(&cfg_json)
            .args(["--hz", &hz.to_string()])
            .args(["--count", &args.cycles.to_string()])
            .args(["--warmup", &args.warmup.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the rclpy peer")?;
        let stdout = child.stdout.take().context("peer stdout")?;
        let reader = std::thread::spawn(move || {
            std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .find(|l| l.contains("\"report\""))
        });
        let mut log = LatencyLog::default();
        log.work_ns.reserve(args.cycles + args.warmup);
        let limits = RunLimits {
            duration: Some(std::time::Duration::from_secs_f64(
                (args.cycles + args.warmup) as f64 / hz * 3.0 + 60.0,
            )),
            inferences: Some((args.cycles + args.warmup) as u64),
        };
        run_policy_node(core, limits, Some(&mut log))?;
        let report = reader.join().ok().flatten();
        let _ = child.wait();
        let _ = std::fs::remove_file(&cfg_json);
        let Some(report) = report else {
            bail!("the rclpy peer gave no report at {hz} Hz");
        };
        let v: serde_json::Value = serde_json::from_str(&report)?;
        let mut rtt: Vec<u64> = v["report"]["rtt_ns"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_u64()).collect())
            .unwrap_or_default();
        rtt.sort_unstable();
        let mut work: Vec<u64> = log.work_ns.iter().skip(args.warmup).copied().collect();
        work.sort_unstable();
        results.push(serde_json::json!({
            "hz": hz,
            "actor_hidden": hidden,
            "cycles": work.len(),
            "node_work_median_us": percentile(&work, 0.5) / 1e3,
            "node_work_p99_us": percentile(&work, 0.99) / 1e3,
            "node_work_max_us": work.last().map_or(f64::NAN, |&w| w as f64 / 1e3),
            "round_trips": rtt.len(),
            "rtt_median_us": percentile(&rtt, 0.5) / 1e3,
            "rtt_p99_us": percentile(&rtt, 0.99) / 1e3,
        }));
        if !args.json {
            let r = results.last().context("result")?;
            eprintln!("{hz} Hz: {r}");
        }
    }
    if args.json {
        println!("{}", serde_json::json!({ "latency": results }));
    } else {
        println!(
            "| rate | cycles | node work median | node work p99 | round trips | rtt median | rtt p99 |"
        );
        println!("|---|---|---|---|---|---|---|");
        for r in &results {
            println!(
                "| {} Hz | {} | {:.1} us | {:.1} us | {} | {:.0} us | {:.0} us |",
                r["hz"],
                r["cycles"],
                r["node_work_median_us"].as_f64().unwrap_or(f64::NAN),
                r["node_work_p99_us"].as_f64().unwrap_or(f64::NAN),
                r["round_trips"],
                r["rtt_median_us"].as_f64().unwrap_or(f64::NAN),
                r["rtt_p99_us"].as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    Ok(())
}
