//! Rerun view of a maze search (`embody explore maze --rrd FILE`, the `rerun` feature): the maze's
//! floor and ceiling, the archive's cells in 3D at each save (at their bin's centre, raised by
//! score, coloured from blue to red by when they were found), and the best trajectory's path.

use policies::explore::Explorer;
use sim::tasks::maze::MazeEnv;
use std::path::Path;

/// The recording, when one was asked for.
pub(crate) struct MazeViz {
    #[cfg(feature = "rerun")]
    rec: Option<sim::viz::recorder::Recorder>,
}

impl MazeViz {
    /// Opens a recording to `rrd` showing `env`'s maze (nothing without `rrd`).
    #[cfg(feature = "rerun")]
    pub(crate) fn open(rrd: Option<&Path>, env: &MazeEnv) -> anyhow::Result<Self> {
        use anyhow::Context;
        use sim::viz::recorder::{Recorder, Sink};
        let Some(path) = rrd else {
            return Ok(Self { rec: None });
        };
        let mut rec = Recorder::new("embody_explore_maze", &Sink::Save(path.to_path_buf()))?;
        let grid = env.nav().grid().context("the maze env has no world")?;
        let spec = env.nav().locomotion().world().spec().clone();
        rec.add_confined_env("maze", &spec, grid)?;
        Ok(Self { rec: Some(rec) })
    }

    /// Without the `rerun` feature, asking for a recording is an error that says so.
    #[cfg(not(feature = "rerun"))]
    pub(crate) fn open(rrd: Option<&Path>, _: &MazeEnv) -> anyhow::Result<Self> {
        if rrd.is_some() {
            anyhow::bail!(
                "this embody was built without the `rerun` feature: rebuild with `cargo build \
                 --features rerun` to use --rrd"
            );
        }
        Ok(Self {})
    }

    /// Logs the archive's cells at the search's current round.
    #[cfg(feature = "rerun")]
    pub(crate) fn log_cells(&mut self, explorer: &Explorer<MazeEnv>) -> anyhow::Result<()> {
        let Some(rec) = &mut self.rec else {
            return Ok(());
        };
        let f = explorer.cell_function();
        let (Some(ix), Some(iy)) = (
            f.names().iter().position(|n| n == "x"),
            f.names().iter().position(|n| n == "y"),
        ) else {
            return Ok(()); // cells without a position cannot be placed
        };
        let state = explorer.state();
        rec.set_iteration(state.round as i64, state.env_steps as i64);
        let last = state.env_steps.max(1) as f32;
        let (mut points, mut colors) = (Vec::new(), Vec::new());
        for (key, e) in explorer.archive().cells() {
            let c = f.centre(key);
            points.push([c[ix], c[iy], 0.05 + 0.3 * e.score as f32]);
            let t = (e.found_at_step as f32 / last).clamp(0.0, 1.0);
            colors.push([(255.0 * t) as u8, 60, (255.0 * (1.0 - t)) as u8]);
        }
        rec.log_points("world/archive/cells", &points, &colors, 0.05)?;
        Ok(())
    }

    /// Without the `rerun` feature there is nothing to log.
    #[cfg(not(feature = "rerun"))]
    pub(crate) fn log_cells(&mut self, _: &Explorer<MazeEnv>) -> anyhow::Result<()> {
        Ok(())
    }

    /// Logs the best trajectory's base positions (replayed from the start) and closes.
    #[cfg(feature = "rerun")]
    pub(crate) fn finish(
        &mut self,
        explorer: &Explorer<MazeEnv>,
        env: &mut MazeEnv,
    ) -> anyhow::Result<()> {
        use sim::env::Env;
        self.log_cells(explorer)?;
        let Some(rec) = &mut self.rec else {
            return Ok(());
        };
        let archive = explorer.archive();
        if let Some((_, best)) = archive.best() {
            let start: <MazeEnv as Env>::Snapshot = policies::explore::decode(archive.start())
                .map_err(|e| anyhow::anyhow!("the archive's start: {e}"))?;
            env.restore(&start);
            let mut obs = vec![0.0; env.obs_dim()];
            let mut path = Vec::new();
            let base = |env: &MazeEnv| {
                let p = env.nav().locomotion().world().base_state().pos_w;
                [p.x, p.y, p.z]
            };
            path.push(base(env));
            for a in best.actions.chunks_exact(archive.act_dim()) {
                let out = env.step(a, &mut obs);
                path.push(base(env));
                if out.terminated || out.truncated {
                    break;
                }
            }
            rec.log_line("world/archive/best_trajectory", &path, [240, 200, 0])?;
        }
        rec.flush()?;
        Ok(())
    }

    /// Without the `rerun` feature there is nothing to close.
    #[cfg(not(feature = "rerun"))]
    pub(crate) fn finish(&mut self, _: &Explorer<MazeEnv>, _: &mut MazeEnv) -> anyhow::Result<()> {
        Ok(())
    }
}
