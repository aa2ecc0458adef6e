//! The r2r nodes: thin adapters around [`crate::core::PolicyCore`] and
//! [`crate::sim_robot::SimRobot`].
//!
//! Both run one loop on one thread: `spin_once` until the next tick (or the next message),
//! drain every subscription without blocking, run the cycle, publish. No executor, no timers.

use crate::config::{BaseSource, NodeConfig, OutputKind, Trigger};
use crate::core::PolicyCore;
use crate::error::RosError;
use crate::sim_robot::{SimReadout, SimRobot};
use futures::{FutureExt, StreamExt};
use r2r::QosProfile;
use r2r::builtin_interfaces::msg::{Duration as RosDuration, Time};
use r2r::geometry_msgs::msg::{Quaternion, Twist, Vector3};
use r2r::nav_msgs::msg::Odometry;
use r2r::sensor_msgs::msg::{Imu, JointState};
use r2r::std_msgs::msg::{Bool, Float64MultiArray, Header, String as StringMsg};
use r2r::trajectory_msgs::msg::{JointTrajectory, JointTrajectoryPoint};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Drains every message waiting on `stream` without blocking.
macro_rules! drain {
    ($stream:expr, $msg:ident => $body:block) => {
        while let Some(Some($msg)) = $stream.next().now_or_never() $body
    };
}

fn stamp_now() -> Time {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Time {
        sec: d.as_secs() as i32,
        nanosec: d.subsec_nanos(),
    }
}

fn q4(q: &Quaternion) -> [f64; 4] {
    [q.x, q.y, q.z, q.w]
}

fn v3(v: &Vector3) -> [f64; 3] {
    [v.x, v.y, v.z]
}

/// When a node loop stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunLimits {
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// Stop after this many policy inferences.
    pub inferences: Option<u64>,
}

/// Per-cycle timings recorded by the policy node (for the latency benchmark).
#[derive(Debug, Clone, Default)]
pub struct LatencyLog {
    /// Nanoseconds from taking a joint state off the subscription to the command's `publish`
    /// returning, for every cycle that ran the policy on a fresh state.
    pub work_ns: Vec<u64>,
}

enum Output {
    Array(r2r::Publisher<Float64MultiArray>, Float64MultiArray),
    Trajectory(r2r::Publisher<JointTrajectory>, JointTrajectory),
}

/// Runs the policy node until `limits` (or forever). `log`, when given, records latencies.
pub fn run_policy_node(
    mut core: PolicyCore,
    limits: RunLimits,
    mut log: Option<&mut LatencyLog>,
) -> Result<(), RosError> {
    let cfg: NodeConfig = core.config().clone();
    let t = &cfg.topics;
    let ctx = r2r::Context::create()?;
    let mut node = r2r::Node::create(ctx, "embody_policy", "")?;
    let logger = node.logger().to_string();
    let sensor_qos = QosProfile::sensor_data().keep_last(5);
    let mut joint_sub = node.subscribe::<JointState>(&t.joint_states, sensor_qos.clone())?;
    let mut odom_sub = node.subscribe::<Odometry>(&t.odometry, sensor_qos.clone())?;
    let mut imu_sub = match cfg.base_source {
        BaseSource::Imu => Some(node.subscribe::<Imu>(&t.imu, sensor_qos)?),
        BaseSource::Odometry => None,
    };
    let mut cmd_sub = node.subscribe::<Twist>(&t.cmd_vel, QosProfile::default())?;
    let mut estop_sub = node.subscribe::<Bool>(&t.e_stop, QosProfile::default())?;
    let mut output = match cfg.output {
        OutputKind::Float64MultiArray => Output::Array(
            node.create_publisher(&t.joint_commands, QosProfile::default())?,
            Float64MultiArray::default(),
        ),
        OutputKind::JointTrajectory => {
            let period = 1.0 / cfg.rates.policy_hz;
            let msg = JointTrajectory {
                joint_names: cfg.joints.names.clone(),
                points: vec![JointTrajectoryPoint {
                    time_from_start: RosDuration {
                        sec: period.floor() as i32,
                        nanosec: ((period.fract()) * 1e9) as u32,
                    },
                    ..Default::default()
                }],
                ..Default::default()
            };
            Output::Trajectory(
                node.create_publisher(&t.joint_trajectory, QosProfile::default())?,
                msg,
            )
        }
    };
    let status_pub = if t.status.is_empty() {
        None
    } else {
        Some(node.create_publisher::<StringMsg>(&t.status, QosProfile::default())?)
    };
    let info = core.policy().info().clone();
    r2r::log_info!(
        &logger,
        "policy node: checkpoint {} (task {:?}, robot {:?}, iteration {:?}), {} joints, {} Hz, \
         output {:?} on {}, base from {:?}",
        info.dir.display(),
        info.task,
        info.robot,
        info.iteration,
        cfg.num_joints(),
        cfg.rates.policy_hz,
        cfg.output,
        match cfg.output {
            OutputKind::Float64MultiArray => &t.joint_commands,
            OutputKind::JointTrajectory => &t.joint_trajectory,
        },
        cfg.base_source
    );
    let clock = Instant::now();
    let period = Duration::from_secs_f64(1.0 / cfg.rates.policy_hz);
    let mut next_tick = clock + period;
    let mut status = StringMsg::default();
    loop {
        let now_i = Instant::now();
        if let Some(d) = limits.duration
            && now_i - clock >= d
        {
            break;
        }
        if let Some(n) = limits.inferences
            && core.counters().inferences >= n
        {
            break;
        }
        node.spin_once(next_tick.saturating_duration_since(now_i));
        let taken = Instant::now();
        let now = (taken - clock).as_secs_f64();
        let mut fresh_state = false;
        drain!(joint_sub, m => {
            fresh_state |= core
                .on_joint_state(now, &m.name, &m.position, &m.velocity)
                .is_ok();
        });
        drain!(odom_sub, m => {
            let _ = core.on_odometry(
                now,
                q4(&m.pose.pose.orientation),
                v3(&m.twist.twist.linear),
                v3(&m.twist.twist.angular),
            );
        });
        if let Some(s) = imu_sub.as_mut() {
            drain!(s, m => {
                let _ = core.on_imu(now, q4(&m.orientation), v3(&m.angular_velocity));
            });
        }
        drain!(cmd_sub, m => {
            let _ = core.on_cmd_vel(now, [m.linear.x, m.linear.y, m.angular.z]);
        });
        drain!(estop_sub, m => {
            core.on_estop(m.data);
        });
        let due = Instant::now() >= next_tick;
        let run = match cfg.trigger {
            Trigger::Timer => due,
            Trigger::State => fresh_state || due,
        };
        if run {
            let outcome = core.cycle(now);
            if outcome.publish {
                match &mut output {
                    Output::Array(p, msg) => {
                        msg.data.clear();
                        msg.data.extend_from_slice(core.targets());
                        p.publish(msg)?;
                    }
                    Output::Trajectory(p, msg) => {
                        msg.header.stamp = stamp_now();
                        if let Some(pt) = msg.points.first_mut() {
                            pt.positions.clear();
                            pt.positions.extend_from_slice(core.targets());
                        }
                        p.publish(msg)?;
                    }
                }
            }
            if let Some(l) = log.as_deref_mut()
                && fresh_state
                && outcome.mode == crate::safety::Mode::Running
            {
                l.work_ns.push(taken.elapsed().as_nanos() as u64);
            }
            if let Some(p) = &status_pub {
                status.data = core.status_json();
                p.publish(&status)?;
            }
            next_tick += period;
            let after = Instant::now();
            if next_tick < after {
                next_tick = after + period;
            }
        }
        for line in core.take_events() {
            if line.starts_with("rejected")
                || line.contains("-> hold")
                || line.contains("non-finite")
            {
                r2r::log_warn!(&logger, "{line}");
            } else if line.contains("safe_mode") || line.contains("e-stop pressed") {
                r2r::log_error!(&logger, "{line}");
            } else {
                r2r::log_info!(&logger, "{line}");
            }
        }
    }
    Ok(())
}

/// Runs the sim node: steps `robot` in real time at its rate, publishes joint states, IMU and
/// odometry, and applies the joint targets it receives (either output kind of the policy node).
pub fn run_sim_node(
    mut robot: SimRobot,
    cfg: &NodeConfig,
    limits: RunLimits,
) -> Result<(), RosError> {
    let t = &cfg.topics;
    let ctx = r2r::Context::create()?;
    let mut node = r2r::Node::create(ctx, "embody_sim", "")?;
    let logger = node.logger().to_string();
    let mut array_sub =
        node.subscribe::<Float64MultiArray>(&t.joint_commands, QosProfile::default())?;
    let mut traj_sub =
        node.subscribe::<JointTrajectory>(&t.joint_trajectory, QosProfile::default())?;
    let joint_pub = node.create_publisher::<JointState>(&t.joint_states, QosProfile::default())?;
    let odom_pub = node.create_publisher::<Odometry>(&t.odometry, QosProfile::default())?;
    let imu_pub = if t.imu.is_empty() {
        None
    } else {
        Some(node.create_publisher::<Imu>(&t.imu, QosProfile::default())?)
    };
    r2r::log_info!(
        &logger,
        "sim node: robot '{}' ({} joints) at {} Hz, commands from {} / {}",
        cfg.robot,
        robot.joint_names().len(),
        cfg.rates.sim_hz,
        t.joint_commands,
        t.joint_trajectory
    );
    let mut joints = JointState {
        name: robot.joint_names().to_vec(),
        ..Default::default()
    };
    let mut odom = Odometry {
        header: Header {
            frame_id: "odom".into(),
            ..Default::default()
        },
        child_frame_id: "base".into(),
        ..Default::default()
    };
    let mut imu = Imu {
        header: Header {
            frame_id: "base".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut r = SimReadout::default();
    let clock = Instant::now();
    let period = Duration::from_secs_f64(robot.dt());
    let mut next_tick = clock + period;
    let mut last_error = String::new();
    loop {
        if let Some(d) = limits.duration
            && clock.elapsed() >= d
        {
            break;
        }
        node.spin_once(next_tick.saturating_duration_since(Instant::now()));
        let mut report = |res: Result<(), String>| {
            if let Err(e) = res
                && e != last_error
            {
                r2r::log_warn!(&logger, "ignored command: {e}");
                last_error = e;
            }
        };
        drain!(array_sub, m => { report(robot.set_targets(&m.data)); });
        drain!(traj_sub, m => {
            match m.points.last() {
                Some(p) => report(robot.set_targets_by_name(&m.joint_names, &p.positions)),
                None => report(Err("trajectory without points".into())),
            }
        });
        if Instant::now() < next_tick {
            continue;
        }
        robot.step();
        robot.readout(&mut r);
        let stamp = stamp_now();
        joints.header.stamp = stamp.clone();
        joints.position.clone_from(&r.q);
        joints.velocity.clone_from(&r.qd);
        joints.effort.clone_from(&r.effort);
        joint_pub.publish(&joints)?;
        let quat = Quaternion {
            x: r.rot_w[0],
            y: r.rot_w[1],
            z: r.rot_w[2],
            w: r.rot_w[3],
        };
        let vec = |v: [f64; 3]| Vector3 {
            x: v[0],
            y: v[1],
            z: v[2],
        };
        odom.header.stamp = stamp.clone();
        odom.pose.pose.position.x = r.pos_w[0];
        odom.pose.pose.position.y = r.pos_w[1];
        odom.pose.pose.position.z = r.pos_w[2];
        odom.pose.pose.orientation = quat.clone();
        odom.twist.twist.linear = vec(r.lin_vel_b);
        odom.twist.twist.angular = vec(r.ang_vel_b);
        odom_pub.publish(&odom)?;
        if let Some(p) = &imu_pub {
            imu.header.stamp = stamp;
            imu.orientation = quat;
            imu.angular_velocity = vec(r.ang_vel_b);
            imu.linear_acceleration = vec(r.lin_acc_b);
            p.publish(&imu)?;
        }
        next_tick += period;
        let after = Instant::now();
        if next_tick + period < after {
            // Fell behind by more than a step: run slower than real time rather than burst.
            next_tick = after;
        }
    }
    Ok(())
}

/// Runs the teleop node: every `1 / rate_hz` seconds asks `source` for the command at time `t`
/// (s since start; `None` stops the node), publishes the `cmd_vel` twist and, when due, the
/// e-stop message (rules in [`crate::teleop`]).
pub fn run_teleop_node(
    mut source: impl FnMut(f64, f64) -> Option<sim::command::TeleopOutput>,
    cfg: &NodeConfig,
    rate_hz: f64,
    limits: RunLimits,
) -> Result<(), RosError> {
    let t = &cfg.topics;
    let ctx = r2r::Context::create()?;
    let mut node = r2r::Node::create(ctx, "embody_teleop", "")?;
    let logger = node.logger().to_string();
    let twist_pub = node.create_publisher::<Twist>(&t.cmd_vel, QosProfile::default())?;
    let estop_pub = node.create_publisher::<Bool>(&t.e_stop, QosProfile::default())?;
    r2r::log_info!(
        &logger,
        "teleop node: {} Hz, Twist on {}, e-stop on {}",
        rate_hz,
        t.cmd_vel,
        t.e_stop
    );
    let mut bridge = crate::teleop::TeleopBridge::new(0.5);
    let period = Duration::from_secs_f64(1.0 / rate_hz.max(1e-3));
    let clock = Instant::now();
    let mut next_tick = clock;
    let mut last_mode = None;
    let mut twist = Twist::default();
    loop {
        if let Some(d) = limits.duration
            && clock.elapsed() >= d
        {
            break;
        }
        node.spin_once(next_tick.saturating_duration_since(Instant::now()));
        if Instant::now() < next_tick {
            continue;
        }
        let now = clock.elapsed().as_secs_f64();
        let Some(out) = source(now, period.as_secs_f64()) else {
            break;
        };
        if last_mode != Some(out.mode) {
            r2r::log_info!(&logger, "mode {:?}", out.mode);
            last_mode = Some(out.mode);
        }
        let m = bridge.cycle(&out, period.as_secs_f64());
        (twist.linear.x, twist.linear.y, twist.linear.z) = (m.twist.0[0], m.twist.0[1], 0.0);
        (twist.angular.x, twist.angular.y, twist.angular.z) = (0.0, 0.0, m.twist.1[2]);
        twist_pub.publish(&twist)?;
        if let Some(data) = m.e_stop {
            estop_pub.publish(&Bool { data })?;
        }
        next_tick += period;
        let after = Instant::now();
        if next_tick + period < after {
            next_tick = after;
        }
    }
    Ok(())
}
