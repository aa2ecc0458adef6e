//! `embody bench allreduce` (under `mpirun`): what one all-reduce costs on this job's ranks
//! against its size, and the latency and bandwidth fitted to it. docs/BENCHMARKS.md projects
//! the learner's all-reduce to larger jobs from these figures.

use super::median;
use clap::Args;
use policies::collective::Comm;
use serde::Serialize;

/// Arguments of `embody bench allreduce`.
#[derive(Debug, Args)]
pub struct BenchAllreduceArgs {
    /// Message sizes, in f32 values.
    #[arg(long, value_delimiter = ',', default_values_t = [1_000usize, 10_000, 100_000, 1_000_000, 4_000_000])]
    pub sizes: Vec<usize>,
    /// Timed all-reduces per size (after one untimed); the median is reported.
    #[arg(long, default_value_t = 30)]
    pub repeats: usize,
    /// Print JSON (one object).
    #[arg(long)]
    pub json: bool,
    /// The job's processes.
    #[arg(skip)]
    pub comm: Comm,
}

/// One message size.
#[derive(Debug, Serialize)]
struct SizeCost {
    values: usize,
    bytes: usize,
    median_ms: f64,
    /// Bytes per rank over time (the algorithm bandwidth), GB/s.
    algorithm_gb_s: f64,
}

/// What `embody bench allreduce` reports.
#[derive(Debug, Serialize)]
struct AllreduceBench {
    ranks: usize,
    sizes: Vec<SizeCost>,
    /// The fit `t = latency + bytes / bandwidth` over the sizes (relative residuals):
    /// microseconds.
    fit_latency_us: f64,
    /// The fit's bandwidth, GB/s.
    fit_bandwidth_gb_s: f64,
}

/// Runs `embody bench allreduce`.
pub fn run(args: BenchAllreduceArgs) -> anyhow::Result<()> {
    let comm = &args.comm;
    if !comm.is_distributed() {
        anyhow::bail!(
            "bench allreduce measures MPI ranks: run it as `mpirun -n 2 embody bench allreduce` \
             (a build with the `mpi` feature)"
        );
    }
    if args.sizes.is_empty() || args.repeats == 0 {
        anyhow::bail!("--sizes and --repeats must not be empty or 0");
    }
    let mut sizes = Vec::new();
    for &values in &args.sizes {
        let mut buf = vec![1.0f32; values];
        let mut sync = [0.0f32];
        comm.sum_f32(&mut buf);
        let mut times = Vec::with_capacity(args.repeats);
        for _ in 0..args.repeats {
            // A one-value all-reduce first lines the ranks up, so skew is not timed.
            comm.sum_f32(&mut sync);
            let t = std::time::Instant::now();
            comm.sum_f32(&mut buf);
            times.push(t.elapsed().as_secs_f64());
        }
        let s = median(times);
        sizes.push(SizeCost {
            values,
            bytes: values * 4,
            median_ms: s * 1e3,
            algorithm_gb_s: (values * 4) as f64 / s / 1e9,
        });
    }
    let (latency, per_byte) = fit_line(&sizes);
    let bench = AllreduceBench {
        ranks: comm.size(),
        sizes,
        fit_latency_us: latency * 1e6,
        fit_bandwidth_gb_s: if per_byte > 0.0 {
            1.0 / per_byte / 1e9
        } else {
            f64::INFINITY
        },
    };
    if !comm.is_root() {
        return Ok(());
    }
    if args.json {
        println!("{}", serde_json::to_string(&bench)?);
    } else {
        for s in &bench.sizes {
            println!(
                "{} ranks, {} bytes: {:.3} ms ({:.2} GB/s)",
                bench.ranks, s.bytes, s.median_ms, s.algorithm_gb_s
            );
        }
        println!(
            "fit: {:.1} us + bytes / {:.2} GB/s",
            bench.fit_latency_us, bench.fit_bandwidth_gb_s
        );
    }
    Ok(())
}

/// `seconds = a + b * bytes` fitted to the sizes by least squares on relative residuals
/// (weights `1 / t^2`): plain least squares lets the largest message set both terms and can
/// give a negative latency. Returns `(a, b)`.
fn fit_line(sizes: &[SizeCost]) -> (f64, f64) {
    // Normal equations of the weighted fit: [sw sx; sx sxx] [a; b] = [sy; sxy].
    let (mut sw, mut sx, mut sxx, mut sy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for s in sizes {
        let (x, t) = (s.bytes as f64, s.median_ms / 1e3);
        let w = 1.0 / (t * t).max(1e-18);
        sw += w;
        sx += w * x;
        sxx += w * x * x;
        sy += w * t;
        sxy += w * x * t;
    }
    let det = sw * sxx - sx * sx;
    if det.abs() < 1e-30 {
        let t = sizes.first().map_or(0.0, |s| s.median_ms / 1e3);
        return (t, 0.0);
    }
    ((sy * sxx - sx * sxy) / det, (sw * sxy - sx * sy) / det)
}
