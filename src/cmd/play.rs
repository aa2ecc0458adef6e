//! `embody play`: run a trained policy (mean action) in the simulator, driven by a gamepad, the
//! keyboard or a command script; optionally recorded to Rerun; prints a summary.

use anyhow::{Context, bail};
use clap::Args;
use policies::checkpoint;
use policies::config::TrainConfig;
use policies::deploy::DeployPolicy;
use serde::Serialize;
use sim::command::{CommandScript, GamepadMapping, KeyboardPad, Mode, Teleop, TeleopOutput};
use sim::env::Env;
use sim::tasks::locomotion::{LocomotionConfig, LocomotionEnv};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant};

/// The script followed when no command source is given.
const DEMO_SCRIPT: &str = include_str!("../../assets/commands/demo.toml");

/// Arguments of `embody play`.
#[derive(Debug, Args)]
pub struct PlayArgs {
    /// Task to play (locomotion, imitate, confined-nav).
    pub task: String,
    /// A run folder, checkpoint folder or model.bpk; repeat to switch policies with the
    /// gamepad's bumpers (keys n/p).
    #[arg(long, required = true)]
    pub checkpoint: Vec<PathBuf>,
    /// Save a Rerun recording to FILE (.rrd); needs the `rerun` feature.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["spawn", "connect"])]
    pub rrd: Option<PathBuf>,
    /// Spawn a Rerun viewer (`rerun` on the PATH) and stream to it; needs the `rerun` feature.
    #[arg(long, conflicts_with = "connect")]
    pub spawn: bool,
    /// Stream to a Rerun viewer at ADDR (host:port or a rerun+http:// URL); needs `rerun`.
    #[arg(long, value_name = "ADDR")]
    pub connect: Option<String>,
    /// Drive with a gamepad (needs the `gamepad` feature); without one, falls back to --commands,
    /// else the keyboard, else the demo script.
    #[arg(long)]
    pub gamepad: bool,
    /// Drive with the terminal keyboard (w/a/s/d, q/e, space, t, x, r, n/p; Esc quits).
    #[arg(long, conflicts_with = "commands")]
    pub keyboard: bool,
    /// Follow a command script (.toml with [[command]] t/vx/vy/yaw_rate/mode, or .csv).
    #[arg(long, value_name = "FILE")]
    pub commands: Option<PathBuf>,
    /// Gamepad/keyboard mapping (default assets/configs/gamepad.toml).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,
    /// Simulated seconds (default: the script's length + 2 s; interactive: 600 s).
    #[arg(long)]
    pub seconds: Option<f32>,
    /// Keep the config's random pushes (off by default so tracking figures mean something).
    #[arg(long)]
    pub pushes: bool,
    /// Pace the simulation to wall-clock time (on by default when streaming or interactive).
    #[arg(long)]
    pub realtime: bool,
    /// Seed of the environment (friction, start pose, terrain).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Ground to walk on, from the eval's test terrains: flat, rough, slope_up, slope_down,
    /// stairs_up or stairs_down (default: the config's terrain, or a curriculum tile).
    #[arg(long, value_name = "NAME")]
    pub terrain: Option<String>,
    /// confined-nav: a world file (TOML or JSON) to cross instead of held-out test world
    /// number `--seed`.
    #[arg(long, value_name = "FILE")]
    pub world: Option<PathBuf>,
    /// Print one JSON object with the summary.
    #[arg(long)]
    pub json: bool,
}

/// The eval's test terrain labelled `name` (`sim::tasks::locomotion::eval_terrain_label`).
fn test_terrain(name: &str) -> anyhow::Result<sim::TerrainKind> {
    use sim::tasks::locomotion::{EVAL_SET_NAMES, eval_terrain_label, eval_terrains};
    let mut labels = Vec::new();
    for set in EVAL_SET_NAMES {
        for kind in eval_terrains(set)? {
            let label = eval_terrain_label(&kind);
            if label == name {
                return Ok(kind);
            }
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
    }
    bail!(
        "--terrain: unknown terrain '{name}'; terrains: {}",
        labels.join(", ")
    )
}

/// What `embody play` measured.
#[derive(Debug, Default, Serialize)]
struct PlaySummary {
    task: String,
    checkpoint: PathBuf,
    source: String,
    seconds: f32,
    steps: u64,
    /// Path length of the base in the ground plane (m).
    distance_m: f32,
    /// Mean planar speed (m/s).
    mean_speed: f32,
    /// Mean |command_xy - v_xy| over walking steps after the first second of each command
    /// (m/s); null if none.
    lin_vel_error: Option<f32>,
    /// Mean |command_yaw - w_z| over the same steps (rad/s).
    yaw_rate_error: Option<f32>,
    /// Episodes that ended in a fall (the env is reset and play goes on).
    falls: u32,
    walk_s: f32,
    stand_s: f32,
    estop_s: f32,
    policy_switches: u32,
    recording: Option<String>,
}

/// A policy ready to act: the deploy runtime that ships (what the ROS 2 node runs).
struct Policy {
    dir: PathBuf,
    runtime: DeployPolicy,
    config: LocomotionConfig,
    obs_dim: usize,
    act_dim: usize,
}

fn load_policy(path: &Path, task: &str) -> anyhow::Result<Policy> {
    let dir = checkpoint::resolve(path)?;
    let runtime = DeployPolicy::load(&dir)?;
    let config = TrainConfig::load(&dir.join("config.toml"), &[])?;
    if config.task != task {
        bail!(
            "{} was trained on '{}', not '{task}'",
            dir.display(),
            config.task
        );
    }
    let env_config: LocomotionConfig = config
        .env_config()
        .with_context(|| format!("{}: config.toml [env]", dir.display()))?;
    Ok(Policy {
        dir,
        obs_dim: runtime.obs_dim(),
        act_dim: runtime.act_dim(),
        runtime,
        config: env_config,
    })
}

impl Policy {
    /// Mean action for one observation.
    fn act(&mut self, obs: &[f32]) -> anyhow::Result<Vec<f32>> {
        let mut action = vec![0.0; self.act_dim];
        self.runtime.act(obs, &mut action)?;
        Ok(action)
    }
}

/// Where commands come from.
enum Source {
    Script(CommandScript),
    Keyboard {
        teleop: Teleop,
        pad: KeyboardPad,
        keys: Receiver<u8>,
        _raw: RawTerminal,
    },
    #[cfg(feature = "gamepad")]
    Gamepad {
        teleop: Teleop,
        reader: sim::command::gamepad::GamepadReader,
    },
}

impl Source {
    fn interactive(&self) -> bool {
        !matches!(self, Self::Script(_))
    }

    /// The command at time `t`; `None` when the user asked to quit.
    fn poll(&mut self, t: f32, dt: f32) -> Option<TeleopOutput> {
        match self {
            Self::Script(s) => Some(s.at(t)),
            Self::Keyboard {
                teleop, pad, keys, ..
            } => {
                loop {
                    match keys.try_recv() {
                        // Esc, Ctrl-C, Ctrl-D.
                        Ok(27 | 3 | 4) | Err(TryRecvError::Disconnected) => return None,
                        Ok(k) => {
                            for ev in pad.key(k as char) {
                                teleop.handle(ev);
                            }
                        }
                        Err(TryRecvError::Empty) => break,
                    }
                }
                Some(teleop.update(dt))
            }
            #[cfg(feature = "gamepad")]
            Self::Gamepad { teleop, reader } => {
                for ev in reader.poll() {
                    teleop.handle(ev);
                }
                Some(teleop.update(dt))
            }
        }
    }
}

/// The terminal in non-canonical, no-echo mode while keys are read; restored on drop.
struct RawTerminal {
    saved: Option<String>,
}

fn stty(args: &[&str]) -> Option<String> {
    let tty = std::fs::File::open("/dev/tty").ok()?;
    let out = std::process::Command::new("stty")
        .args(args)
        .stdin(tty)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl RawTerminal {
    fn enter() -> Self {
        let saved = stty(&["-g"]);
        if saved.is_some() {
            let _ = stty(&["-icanon", "-echo", "-isig", "min", "1"]);
        }
        Self { saved }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(s) = &self.saved {
            let _ = stty(&[s.as_str()]);
        }
    }
}

fn keyboard_source(mapping: GamepadMapping) -> Source {
    let raw = RawTerminal::enter();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut b = [0u8; 1];
        while let Ok(1) = stdin.read(&mut b) {
            if tx.send(b[0]).is_err() {
                break;
            }
        }
    });
    eprintln!("{}", KeyboardPad::HELP);
    Source::Keyboard {
        teleop: Teleop::new(mapping),
        pad: KeyboardPad::new(mapping, 0.2),
        keys: rx,
        _raw: raw,
    }
}

/// Picks the command source, falling back (with a message, never a panic) when a gamepad was
/// asked for and none can be read.
fn command_source(args: &PlayArgs) -> anyhow::Result<(Source, String)> {
    let mapping = GamepadMapping::load_or_shipped(args.mapping.as_deref())?;
    let script = match &args.commands {
        Some(path) => Some((CommandScript::load(path)?, path.display().to_string())),
        None => None,
    };
    if args.gamepad {
        match open_gamepad() {
            Ok(reader) => {
                let name = format!("gamepad ({})", gamepad_name(&reader));
                eprintln!("{name}; {}", gamepad_help(&mapping));
                return Ok((gamepad_source(mapping, reader), name));
            }
            Err(reason) => {
                let fallback = if script.is_some() {
                    "the command file"
                } else if std::io::stdin().is_terminal() {
                    "the keyboard"
                } else {
                    "the demo script (no terminal for keys)"
                };
                eprintln!("gamepad unavailable: {reason}; falling back to {fallback}");
            }
        }
    }
    if let Some((s, name)) = script {
        return Ok((Source::Script(s), format!("script {name}")));
    }
    if (args.keyboard || args.gamepad) && std::io::stdin().is_terminal() {
        return Ok((keyboard_source(mapping), "keyboard".into()));
    }
    if args.keyboard {
        eprintln!("no terminal for keys: following the demo script");
    }
    Ok((
        Source::Script(CommandScript::from_toml_str(DEMO_SCRIPT)?),
        "demo script".into(),
    ))
}

#[cfg(feature = "gamepad")]
type Reader = sim::command::gamepad::GamepadReader;
#[cfg(not(feature = "gamepad"))]
type Reader = std::convert::Infallible;

#[cfg(feature = "gamepad")]
fn open_gamepad() -> Result<Reader, String> {
    Reader::open().map_err(|e| match e {
        sim::SimError::Gamepad(reason) => reason,
        other => other.to_string(),
    })
}
#[cfg(not(feature = "gamepad"))]
fn open_gamepad() -> Result<Reader, String> {
    Err(
        "this embody was built without the `gamepad` feature (cargo build --features gamepad)"
            .into(),
    )
}

#[cfg(feature = "gamepad")]
fn gamepad_name(r: &Reader) -> String {
    r.name().to_string()
}
#[cfg(not(feature = "gamepad"))]
fn gamepad_name(r: &Reader) -> String {
    match *r {}
}

#[cfg(feature = "gamepad")]
fn gamepad_source(mapping: GamepadMapping, reader: Reader) -> Source {
    Source::Gamepad {
        teleop: Teleop::new(mapping),
        reader,
    }
}
#[cfg(not(feature = "gamepad"))]
fn gamepad_source(_: GamepadMapping, reader: Reader) -> Source {
    match reader {}
}

fn gamepad_help(m: &GamepadMapping) -> String {
    let b = m.buttons;
    format!(
        "left stick: forward/lateral, right stick: yaw; {:?}: stand/walk, {:?}: e-stop, {:?}: release, {:?}/{:?}: switch policy",
        b.stand, b.estop, b.release, b.previous_policy, b.next_policy
    )
}

/// Runs `embody play` with the task's interactive runner.
pub fn run_play(args: PlayArgs) -> anyhow::Result<()> {
    let task = super::tasks::task(&args.task)?;
    let play = task.play.ok_or_else(|| {
        anyhow::anyhow!(
            "task '{}' has no interactive play ({})",
            task.name,
            task.about
        )
    })?;
    play(args)
}

/// `embody play` for `locomotion`: a legged robot steered by a gamepad, keys or a script.
pub(crate) fn run_locomotion_play(args: PlayArgs) -> anyhow::Result<()> {
    let mut policies = args
        .checkpoint
        .iter()
        .map(|p| load_policy(p, &args.task))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let first = &policies[0];
    for p in &policies[1..] {
        if (p.obs_dim, p.act_dim) != (first.obs_dim, first.act_dim)
            || p.config.robot != first.config.robot
        {
            bail!(
                "{} ({} obs, {} actions, robot {}) cannot replace {} ({} obs, {} actions, robot {})",
                p.dir.display(),
                p.obs_dim,
                p.act_dim,
                p.config.robot,
                first.dir.display(),
                first.obs_dim,
                first.act_dim,
                first.config.robot
            );
        }
    }
    let (mut source, source_name) = command_source(&args)?;
    let seconds = match (&args.seconds, &source) {
        (Some(s), _) if s.is_finite() && *s > 0.0 => *s,
        (Some(s), _) => bail!("--seconds must be a positive number (got {s})"),
        (None, Source::Script(script)) => script.last_time() + 2.0,
        (None, _) => 600.0,
    };
    // One env, commands from the source: no resampling, no time-out, pushes only if asked.
    let mut cfg = first.config.clone();
    cfg.resampling_s = seconds * 2.0 + 10.0;
    cfg.episode_s = seconds * 2.0 + 10.0;
    cfg.random_episode_start = false;
    if !args.pushes {
        cfg.push_interval_s = 0.0;
    }
    let spec = Arc::new(
        robots::load_builtin_or_path(&cfg.robot)
            .with_context(|| format!("env.robot: loading '{}'", cfg.robot))?,
    );
    if let Some(name) = &args.terrain {
        cfg.terrain = test_terrain(name)?;
        cfg.curriculum = None;
    }
    let terrain = sim::Terrain::new(cfg.terrain, args.seed);
    let mut env = LocomotionEnv::new(spec.clone(), terrain.clone(), cfg.clone(), args.seed)?;
    if env.obs_dim() != first.obs_dim || env.action_dim() != first.act_dim {
        bail!(
            "{} expects {} observations and {} actions; the env has {} and {}",
            first.dir.display(),
            first.obs_dim,
            first.act_dim,
            env.obs_dim(),
            env.action_dim()
        );
    }
    let mut viz = Viz::open(&args, &spec, &terrain)?;
    let dt = cfg.physics.control_dt;
    let steps = (seconds / dt).round() as u64;
    let realtime = args.realtime || args.spawn || args.connect.is_some() || source.interactive();
    let mut obs = vec![0.0f32; env.obs_dim()];
    env.reset(&mut obs);
    let mut summary = PlaySummary {
        task: args.task.clone(),
        checkpoint: first.dir.clone(),
        source: source_name,
        recording: viz.describe(),
        ..PlaySummary::default()
    };
    let mut active = 0usize;
    let (mut lin_err, mut yaw_err, mut counted) = (0.0f64, 0.0f64, 0u64);
    let mut last_xy = env.world().base_state().pos_w.truncate();
    let mut last_output: Option<TeleopOutput> = None;
    let mut since_change = 0.0f32;
    let default_pos = env.world().default_positions().to_vec();
    let scale = spec.action_scale as f32;
    let mut q = vec![0.0f32; default_pos.len()];
    let settle = 1.0f32;
    let start = Instant::now();
    for step in 0..steps {
        let t = step as f32 * dt;
        let Some(out) = source.poll(t, dt) else {
            break;
        };
        if out.policy_switch != 0 && policies.len() > 1 {
            let n = policies.len() as i32;
            active = (active as i32 + out.policy_switch).rem_euclid(n) as usize;
            summary.policy_switches += 1;
            eprintln!("policy {}: {}", active, policies[active].dir.display());
        }
        let changed = last_output.is_none_or(|o| o.command != out.command || o.mode != out.mode);
        since_change = if changed { 0.0 } else { since_change + dt };
        last_output = Some(out);
        env.set_command(out.command.to_array());
        let action = match out.mode {
            Mode::Walk => policies[active].act(&obs)?,
            // Zero action: PD targets at the default pose.
            Mode::Stand => vec![0.0; default_pos.len()],
            // Hold the joints where they are.
            Mode::EStop => {
                env.world().joint_positions(&mut q);
                q.iter()
                    .zip(&default_pos)
                    .map(|(q, d)| (q - d) / scale)
                    .collect()
            }
        };
        let outcome = env.step(&action, &mut obs);
        summary.steps += 1;
        match out.mode {
            Mode::Walk => summary.walk_s += dt,
            Mode::Stand => summary.stand_s += dt,
            Mode::EStop => summary.estop_s += dt,
        }
        let base = env.world().base_state();
        let xy = base.pos_w.truncate();
        summary.distance_m += (xy - last_xy).length();
        last_xy = xy;
        if out.mode == Mode::Walk && since_change >= settle {
            let c = out.command;
            lin_err += ((c.vx - base.lin_vel_b.x).hypot(c.vy - base.lin_vel_b.y)) as f64;
            yaw_err += (c.yaw_rate - base.ang_vel_b.z).abs() as f64;
            counted += 1;
        }
        viz.log(step, t + dt, &mut env, out)?;
        if outcome.terminated {
            summary.falls += 1;
            eprintln!("fell at {:.2} s; resetting", t + dt);
            env.reset(&mut obs);
            last_xy = env.world().base_state().pos_w.truncate();
        }
        if realtime {
            let due = Duration::from_secs_f32((step + 1) as f32 * dt);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
    }
    viz.finish()?;
    summary.seconds = summary.steps as f32 * dt;
    summary.mean_speed = summary.distance_m / summary.seconds.max(dt);
    if counted > 0 {
        summary.lin_vel_error = Some((lin_err / counted as f64) as f32);
        summary.yaw_rate_error = Some((yaw_err / counted as f64) as f32);
    }
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        let f = |v: Option<f32>| v.map_or("n/a".to_string(), |v| format!("{v:.3}"));
        println!(
            "played {} for {:.1} s ({}): distance {:.2} m, mean speed {:.2} m/s, lin vel error {} m/s, yaw rate error {} rad/s, falls {}{}",
            summary.task,
            summary.seconds,
            summary.source,
            summary.distance_m,
            summary.mean_speed,
            f(summary.lin_vel_error),
            f(summary.yaw_rate_error),
            summary.falls,
            summary
                .recording
                .as_ref()
                .map_or(String::new(), |r| format!("; recording: {r}"))
        );
    }
    Ok(())
}

/// Where play's Rerun recording goes (`--rrd`, `--spawn`, `--connect`) and how to name it;
/// `None` without any.
#[cfg(feature = "rerun")]
pub(crate) fn rerun_sink(args: &PlayArgs) -> Option<(sim::viz::recorder::Sink, String)> {
    use sim::viz::recorder::Sink;
    let sink = match (&args.rrd, args.spawn, &args.connect) {
        (Some(p), _, _) => Sink::Save(p.clone()),
        (None, true, _) => Sink::Spawn,
        (None, false, Some(a)) => Sink::Connect(a.clone()),
        (None, false, None) => return None,
    };
    let describe = match &sink {
        Sink::Save(p) => p.display().to_string(),
        Sink::Spawn => "spawned viewer".into(),
        Sink::Connect(a) => format!("viewer at {a}"),
    };
    Some((sink, describe))
}

/// The Rerun side of play (a no-op without the `rerun` feature).
struct Viz {
    #[cfg(feature = "rerun")]
    rec: Option<(sim::viz::recorder::Recorder, String)>,
}

impl Viz {
    #[cfg(feature = "rerun")]
    fn open(
        args: &PlayArgs,
        spec: &robots::RobotSpec,
        terrain: &sim::Terrain,
    ) -> anyhow::Result<Self> {
        use sim::viz::recorder::Recorder;
        let Some((sink, describe)) = rerun_sink(args) else {
            return Ok(Self { rec: None });
        };
        let mut rec = Recorder::new("embody_play", &sink)?;
        rec.add_env("env0", spec, terrain, [0.0; 3])?;
        rec.send_blueprint(false)?;
        Ok(Self {
            rec: Some((rec, describe)),
        })
    }

    #[cfg(not(feature = "rerun"))]
    fn open(args: &PlayArgs, _: &robots::RobotSpec, _: &sim::Terrain) -> anyhow::Result<Self> {
        if args.rrd.is_some() || args.spawn || args.connect.is_some() {
            bail!(
                "this embody was built without the `rerun` feature: rebuild with `cargo build --features rerun` to use --rrd, --spawn or --connect"
            );
        }
        Ok(Self {})
    }

    fn describe(&self) -> Option<String> {
        #[cfg(feature = "rerun")]
        if let Some((_, d)) = &self.rec {
            return Some(d.clone());
        }
        None
    }

    #[cfg(feature = "rerun")]
    fn log(
        &mut self,
        step: u64,
        t: f32,
        env: &mut LocomotionEnv,
        out: TeleopOutput,
    ) -> anyhow::Result<()> {
        let Some((rec, _)) = &mut self.rec else {
            return Ok(());
        };
        rec.set_step(step as i64, t as f64);
        let frame = sim::viz::RobotFrame::capture(env.world(), Some(env.command()));
        rec.log_frame(0, &frame)?;
        let (terms, n) = env.take_reward_terms();
        let per_step: Vec<(&str, f32)> = terms
            .named()
            .iter()
            .map(|(k, v)| (*k, v / n.max(1) as f32))
            .collect();
        rec.log_rewards(0, &per_step)?;
        rec.log_scalar(
            "plots/env0/mode",
            match out.mode {
                Mode::Walk => 1.0,
                Mode::Stand => 0.0,
                Mode::EStop => -1.0,
            },
        )?;
        Ok(())
    }

    #[cfg(not(feature = "rerun"))]
    fn log(
        &mut self,
        _: u64,
        _: f32,
        _: &mut LocomotionEnv,
        _: TeleopOutput,
    ) -> anyhow::Result<()> {
        Ok(())
    }

    fn finish(&self) -> anyhow::Result<()> {
        #[cfg(feature = "rerun")]
        if let Some((rec, _)) = &self.rec {
            rec.flush()?;
        }
        Ok(())
    }
}
