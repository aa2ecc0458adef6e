//! The learning-curve PNG written at the end of training (plotters; text through ab_glyph with a
//! system TrueType font, DejaVu Sans on Debian; without one the curve is drawn without labels).

use anyhow::Context;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// Registers a system sans-serif font once; returns whether one is available.
fn font_available() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| {
        FONT_PATHS.iter().any(|p| {
            std::fs::read(p).ok().is_some_and(|bytes| {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
            })
        })
    })
}

/// Draws `constraint_curve.png` in `run_dir` from the constraint columns of its metrics.csv (a
/// constrained policy's run: the H-infinity disturber): cost against its bound, the multiplier,
/// and the disturber's mean force, over environment steps. Does nothing for runs without them.
pub fn constraint_curve(run_dir: &Path) -> anyhow::Result<()> {
    column_panels(
        &run_dir.join("metrics.csv"),
        &run_dir.join("constraint_curve.png"),
        "total_steps",
        &[
            (
                "cost / bound per step",
                &[("cost", RED), ("cost_bound", BLUE)],
            ),
            ("Lagrange multiplier", &[("multiplier", BLACK)]),
            ("disturber force (N)", &[("force_n", MAGENTA)]),
        ],
    )
}

/// Draws `explore.png` in a Go-Explore run folder from its explore.csv: cells in the archive,
/// the best score and the archive's size, over environment steps.
pub fn explore_curve(run_dir: &Path) -> anyhow::Result<()> {
    column_panels(
        &run_dir.join("explore.csv"),
        &run_dir.join("explore.png"),
        "env_steps",
        &[
            ("cells in the archive", &[("cells", BLUE)]),
            ("best score", &[("best_score", RED)]),
            ("archive size (MB)", &[("archive_mb", BLACK)]),
        ],
    )
}

/// One panel per entry of `panels` (a title and its columns with colours), stacked, each
/// against column `x` of the CSV file `csv`, written to `out`. Does nothing when a column is
/// missing or no row parses.
type Panel<'a> = (&'a str, &'a [(&'a str, RGBColor)]);

fn column_panels(csv: &Path, out: &Path, x: &str, panels: &[Panel]) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(csv).with_context(|| format!("reading {}", csv.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let at = |name: &str| header.iter().position(|h| *h == name);
    let mut columns = vec![x];
    columns.extend(panels.iter().flat_map(|(_, cs)| cs.iter().map(|(c, _)| *c)));
    let Some(index) = columns
        .iter()
        .map(|c| at(c))
        .collect::<Option<Vec<usize>>>()
    else {
        return Ok(());
    };
    let rows: Vec<Vec<f64>> = lines
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            index
                .iter()
                .map(|&i| c.get(i)?.parse::<f64>().ok().filter(|v| v.is_finite()))
                .collect()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let root = BitMapBackend::new(out, (900, 300 * panels.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let labels = font_available();
    let x_max = rows.iter().map(|r| r[0]).fold(1.0, f64::max);
    let areas = root.split_evenly((panels.len(), 1));
    let mut next = 1;
    for (area, (name, cs)) in areas.iter().zip(panels) {
        let cols: Vec<usize> = (next..next + cs.len()).collect();
        next += cs.len();
        let y_max = rows
            .iter()
            .flat_map(|r| cols.iter().map(|&c| r[c]))
            .fold(1e-6, f64::max);
        let mut builder = ChartBuilder::on(area);
        builder.margin(12);
        if labels {
            builder
                .caption(*name, ("sans-serif", 18))
                .x_label_area_size(30)
                .y_label_area_size(70);
        }
        let mut chart = builder.build_cartesian_2d(0.0..x_max, 0.0..y_max * 1.05)?;
        let mut mesh = chart.configure_mesh();
        if labels {
            mesh.x_desc("environment steps");
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.draw()?;
        for (&c, (_, color)) in cols.iter().zip(cs.iter()) {
            chart.draw_series(LineSeries::new(
                rows.iter().map(|r| (r[0], r[c])),
                color.stroke_width(2),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}

/// Reads `metrics.csv` in `run_dir` and writes `learning_curve.png`: mean return and mean episode
/// length against environment steps.
pub fn learning_curve(run_dir: &Path, title: &str) -> anyhow::Result<()> {
    let csv = run_dir.join("metrics.csv");
    let text =
        std::fs::read_to_string(&csv).with_context(|| format!("reading {}", csv.display()))?;
    let rows: Vec<(f64, f64, f64)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            Some((
                c.get(1)?.parse().ok()?,
                c.get(2)?.parse().ok()?,
                c.get(3)?.parse().ok()?,
            ))
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let out = run_dir.join("learning_curve.png");
    let root = BitMapBackend::new(&out, (900, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let labels = font_available();
    let (x_max, y) = (
        rows.iter().map(|r| r.0).fold(1.0, f64::max),
        rows.iter().map(|r| r.1),
    );
    let y_min = y.clone().fold(f64::INFINITY, f64::min).min(0.0);
    let y_max = y.fold(f64::NEG_INFINITY, f64::max).max(y_min + 1.0);
    let mut builder = ChartBuilder::on(&root);
    builder.margin(15);
    if labels {
        builder
            .caption(title, ("sans-serif", 22))
            .x_label_area_size(40)
            .y_label_area_size(60);
    }
    let mut chart = builder.build_cartesian_2d(0.0..x_max, y_min..y_max * 1.05 + 1e-3)?;
    let mut mesh = chart.configure_mesh();
    if labels {
        mesh.x_desc("environment steps")
            .y_desc("mean return (last 100 episodes)");
    } else {
        mesh.disable_x_axis().disable_y_axis();
    }
    mesh.draw()?;
    chart.draw_series(LineSeries::new(
        rows.iter().map(|r| (r.0, r.1)),
        BLUE.stroke_width(2),
    ))?;
    root.present()?;
    Ok(())
}

/// Draws `curves.png` in a language-model run folder from its metrics.csv: one panel per
/// column present among validation pass@1, the batch's solve rate, the loss, the mean reward
/// and the completion length, over wall-clock seconds of training.
pub fn lm_curve(run_dir: &Path) -> anyhow::Result<()> {
    let csv = run_dir.join("metrics.csv");
    let text =
        std::fs::read_to_string(&csv).with_context(|| format!("reading {}", csv.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let rows: Vec<Vec<f64>> = lines
        .map(|l| {
            l.split(',')
                .map(|v| v.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    let Some(x) = header.iter().position(|h| *h == "elapsed_s") else {
        return Ok(());
    };
    let panels: Vec<(usize, &str)> = [
        ("validation_pass_at_1", "validation pass@1 (greedy)"),
        ("solve_rate", "batch solve rate"),
        ("loss", "loss"),
        ("reward_mean", "mean reward"),
        ("completion_len", "completion length (tokens)"),
    ]
    .into_iter()
    .filter_map(|(col, name)| header.iter().position(|h| *h == col).map(|i| (i, name)))
    .collect();
    if rows.is_empty() || panels.is_empty() {
        return Ok(());
    }
    let out = run_dir.join("curves.png");
    let root = BitMapBackend::new(&out, (900, 280 * panels.len() as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let labels = font_available();
    let x_max = rows
        .iter()
        .filter_map(|r| r.get(x))
        .copied()
        .filter(|v| v.is_finite())
        .fold(1.0, f64::max);
    for (area, (col, name)) in root.split_evenly((panels.len(), 1)).iter().zip(panels) {
        let pts: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| Some((*r.get(x)?, *r.get(col)?)))
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .collect();
        let y_min = pts
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min)
            .min(0.0);
        let y_max = pts
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max)
            .max(y_min + 1e-3);
        let mut builder = ChartBuilder::on(area);
        builder.margin(12);
        if labels {
            builder
                .caption(name, ("sans-serif", 18))
                .x_label_area_size(30)
                .y_label_area_size(60);
        }
        let mut chart = builder.build_cartesian_2d(0.0..x_max, y_min..y_max * 1.05)?;
        let mut mesh = chart.configure_mesh();
        if labels {
            mesh.x_desc("wall seconds of training");
        } else {
            mesh.disable_x_axis().disable_y_axis();
        }
        mesh.draw()?;
        chart.draw_series(LineSeries::new(pts.iter().copied(), BLUE.stroke_width(2)))?;
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, BLUE.filled())))?;
    }
    root.present()?;
    Ok(())
}
