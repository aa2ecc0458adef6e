//! `embody bench confined-plan`: how long the confined-space planner takes on the held-out
//! worlds, on one core: building a world's grid and free-space table once, then planning from
//! the start and replanning from points beside the path (a robot that strayed).

use anyhow::Context;
use clap::Args;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sim::confined::{Planner, PlannerConfig, RobotSize, WorldGrid, test_set};
use std::time::Instant;

/// Arguments of `embody bench confined-plan`.
#[derive(Debug, Args)]
pub struct ConfinedPlanArgs {
    /// A built-in robot, a robot .toml or a .urdf (its extents size the worlds and the
    /// planner).
    #[arg(long, default_value = "quadruped")]
    pub robot: String,
    /// Held-out worlds to plan on (the first N of the 200).
    #[arg(long, default_value_t = sim::confined::TEST_WORLDS)]
    pub worlds: usize,
    /// Replans per world, each from a point on the plan shifted up to 0.15 m sideways.
    #[arg(long, default_value_t = 10)]
    pub replans: usize,
    /// Seed of the replanning points.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Timing summary in milliseconds.
#[derive(Debug, Serialize)]
struct Millis {
    median: f64,
    p95: f64,
    max: f64,
    count: usize,
}

impl Millis {
    fn of(mut v: Vec<f64>) -> Self {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Self {
            median: at(0.5),
            p95: at(0.95),
            max: at(1.0),
            count: v.len(),
        }
    }
}

/// What the benchmark measured.
#[derive(Debug, Serialize)]
struct ConfinedPlanReport {
    robot: String,
    /// The robot standing at its default pose: top above the floor, width and length (m),
    /// what the worlds' ranges are multiples of.
    robot_height_m: f64,
    robot_width_m: f64,
    robot_length_m: f64,
    worlds: usize,
    planned: usize,
    replans_found: usize,
    replans_tried: usize,
    grid_build_ms: Millis,
    free_space_table_ms: Millis,
    plan_from_start_ms: Millis,
    replan_ms: Millis,
    mean_expanded_per_replan: f64,
    threads: usize,
}

/// Runs the benchmark (single-threaded: the planner never spawns threads).
pub fn run(args: ConfinedPlanArgs) -> anyhow::Result<()> {
    let spec = robots::load_builtin_or_path(&args.robot)
        .with_context(|| format!("loading robot {}", args.robot))?;
    let body = robots::body_extents(&spec).context("the robot has no collision primitives")?;
    let worlds = test_set(RobotSize::from(&body), args.worlds.max(1));
    let config = PlannerConfig::for_body(&body);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let (mut grid_ms, mut table_ms, mut start_ms, mut replan_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut planned, mut found, mut tried, mut expanded) = (0, 0, 0, 0usize);
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    for w in &worlds {
        let t = Instant::now();
        let grid = WorldGrid::from_spec(&w.spec);
        grid_ms.push(ms(t));
        let t = Instant::now();
        let planner = Planner::new(grid, config.clone());
        table_ms.push(ms(t));
        let t = Instant::now();
        let plan = planner.plan([w.spec.start.x, w.spec.start.y], w.spec.goal);
        start_ms.push(ms(t));
        let Ok(plan) = plan else { continue };
        planned += 1;
        for _ in 0..args.replans {
            let k = rng.random_range(0..plan.waypoints.len());
            let p = plan.waypoints[k];
            let side = rng.random_range(-0.15f32..=0.15);
            let from = [p.x - side * p.yaw.sin(), p.y + side * p.yaw.cos()];
            let t = Instant::now();
            let r = planner.plan(from, w.spec.goal);
            replan_ms.push(ms(t));
            tried += 1;
            if let Ok(r) = r {
                found += 1;
                expanded += r.expanded;
            }
        }
    }
    let report = ConfinedPlanReport {
        robot: args.robot,
        robot_height_m: body.height,
        robot_width_m: body.width,
        robot_length_m: body.length,
        worlds: worlds.len(),
        planned,
        replans_found: found,
        replans_tried: tried,
        grid_build_ms: Millis::of(grid_ms),
        free_space_table_ms: Millis::of(table_ms),
        plan_from_start_ms: Millis::of(start_ms),
        replan_ms: Millis::of(if replan_ms.is_empty() {
            vec![f64::NAN]
        } else {
            replan_ms
        }),
        mean_expanded_per_replan: expanded as f64 / found.max(1) as f64,
        threads: 1,
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} worlds, {} planned; plan from start: median {:.2} ms, max {:.2} ms; replan \
             ({} of {} found): median {:.2} ms, p95 {:.2} ms, max {:.2} ms; grid {:.1} ms and \
             free-space table {:.1} ms per world (median)",
            report.worlds,
            report.planned,
            report.plan_from_start_ms.median,
            report.plan_from_start_ms.max,
            report.replans_found,
            report.replans_tried,
            report.replan_ms.median,
            report.replan_ms.p95,
            report.replan_ms.max,
            report.grid_build_ms.median,
            report.free_space_table_ms.median,
        );
    }
    Ok(())
}
