//! `teleop_node`: a gamepad (or a command script) steers the robot over ROS 2: publishes
//! `geometry_msgs/Twist` on `cmd_vel` and `std_msgs/Bool` on the e-stop topic, with the same
//! mapping logic (`sim::command::Teleop`, `assets/configs/gamepad.toml`) as `embody play`.
//!
//! ```sh
//! source ros2_ws/env.sh
//! cargo run -p embody_ros_sim --features ros,gamepad --bin teleop_node
//! cargo run -p embody_ros_sim --features ros --bin teleop_node -- --commands assets/commands/demo.toml
//! ```

use clap::Parser;
use embody_ros::config::{NodeConfig, config_dir};
use embody_ros::ros::RunLimits;
use embody_ros_sim::ros::run_teleop_node;
use sim::command::{CommandScript, GamepadMapping, TeleopOutput};
use std::path::PathBuf;
use std::time::Duration;

/// Publishes velocity commands and e-stop from a gamepad, falling back to a command script when
/// no pad can be read (no pad, no udev in a container, or built without the `gamepad` feature).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Node parameters (YAML): the topics `cmd_vel` and `e_stop` are read from it.
    #[arg(long, default_value_os_t = config_dir().join("quadruped.yaml"))]
    config: PathBuf,
    /// Override a parameter, e.g. `--set topics.cmd_vel=/robot/cmd_vel` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Read a gamepad (needs the `gamepad` feature); without one, follow --commands.
    #[arg(long)]
    gamepad: bool,
    /// Gamepad mapping (default assets/configs/gamepad.toml).
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Command script (TOML or CSV, as for `embody play --commands`); the node stops after its
    /// last entry plus --hold seconds.
    #[arg(long)]
    commands: Option<PathBuf>,
    /// Seconds to keep publishing the last scripted command.
    #[arg(long, default_value_t = 1.0)]
    hold: f64,
    /// Publish rate (Hz).
    #[arg(long, default_value_t = 50.0)]
    rate: f64,
    /// Stop after this many seconds (default: until the script ends, or forever with a pad).
    #[arg(long)]
    duration: Option<f64>,
}

type Source = Box<dyn FnMut(f64, f64) -> Option<TeleopOutput>>;

fn script_source(script: CommandScript, hold: f64) -> Source {
    let end = script.last_time() as f64 + hold.max(0.0);
    Box::new(move |t, _| (t <= end).then(|| script.at(t as f32)))
}

#[cfg(feature = "gamepad")]
fn gamepad_source(mapping: GamepadMapping) -> Result<(Source, String), String> {
    let mut reader = sim::command::gamepad::GamepadReader::open().map_err(|e| match e {
        sim::SimError::Gamepad(reason) => reason,
        other => other.to_string(),
    })?;
    let name = reader.name().to_string();
    let mut teleop = sim::command::Teleop::new(mapping);
    Ok((
        Box::new(move |_, dt| {
            for ev in reader.poll() {
                teleop.handle(ev);
            }
            Some(teleop.update(dt as f32))
        }),
        name,
    ))
}

#[cfg(not(feature = "gamepad"))]
fn gamepad_source(_: GamepadMapping) -> Result<(Source, String), String> {
    Err("this teleop_node was built without the `gamepad` feature (--features ros,gamepad)".into())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let cfg = NodeConfig::load(&args.config, &args.overrides)?;
    let mapping = GamepadMapping::load_or_shipped(args.mapping.as_deref())?;
    let script = match &args.commands {
        Some(path) => Some(CommandScript::load(path)?),
        None => None,
    };
    let source = match script {
        Some(s) if !args.gamepad => script_source(s, args.hold),
        script => match gamepad_source(mapping) {
            Ok((source, name)) => {
                eprintln!("teleop from gamepad {name}");
                source
            }
            Err(reason) => match script {
                Some(s) => {
                    eprintln!("gamepad unavailable: {reason}; following the command script");
                    script_source(s, args.hold)
                }
                None => anyhow::bail!(
                    "gamepad unavailable: {reason}; give a command script with --commands FILE"
                ),
            },
        },
    };
    let limits = RunLimits {
        duration: args.duration.map(Duration::from_secs_f64),
        inferences: None,
    };
    run_teleop_node(source, &cfg, args.rate, limits)?;
    Ok(())
}
