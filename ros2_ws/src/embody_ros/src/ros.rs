//! The policy node over r2r: a thin adapter around [`crate::core::PolicyCore`].
//!
//! It runs one loop on one thread: `spin_once` until the next tick (or the next message),
//! drain every subscription without blocking, run the cycle, publish. No executor, no timers.

use crate::config::{BaseSource, NodeConfig, OutputKind, Trigger};
use crate::core::PolicyCore;
use crate::error::RosError;
use crate::height_cloud::{CloudMsg, PointField};
use futures::{FutureExt, StreamExt};
use r2r::QosProfile;
use r2r::builtin_interfaces::msg::{Duration as RosDuration, Time};
use r2r::geometry_msgs::msg::{Quaternion, Twist, Vector3};
use r2r::nav_msgs::msg::Odometry;
use r2r::sensor_msgs::msg::{Imu, JointState, PointCloud2};
use r2r::std_msgs::msg::{Bool, Float64MultiArray, String as StringMsg};
use r2r::trajectory_msgs::msg::{JointTrajectory, JointTrajectoryPoint};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Drains every message waiting on `stream` without blocking (shared with embody_ros_sim's
/// nodes).
#[macro_export]
macro_rules! drain {
    ($stream:expr, $msg:ident => $body:block) => {
        while let Some(Some($msg)) = $stream.next().now_or_never() $body
    };
}

/// The wall clock as a ROS time stamp.
pub fn stamp_now() -> Time {
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
        BaseSource::Imu => Some(node.subscribe::<Imu>(&t.imu, sensor_qos.clone())?),
        BaseSource::Odometry => None,
    };
    let mut cloud_sub = if core.needs_height_cloud() {
        Some(node.subscribe::<PointCloud2>(&t.height_cloud, QosProfile::default())?)
    } else {
        None
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
    if core.needs_height_cloud() {
        r2r::log_info!(
            &logger,
            "height scan from PointCloud2 on {} (frame {})",
            t.height_cloud,
            cfg.height_cloud.frame
        );
    }
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
            let p = &m.pose.pose.position;
            let _ = core.on_pose(now, [p.x, p.y, p.z], q4(&m.pose.pose.orientation));
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
        if let Some(s) = cloud_sub.as_mut() {
            drain!(s, m => {
                let fields: Vec<PointField> = m
                    .fields
                    .iter()
                    .map(|f| PointField {
                        name: f.name.clone(),
                        offset: f.offset,
                        datatype: f.datatype,
                        count: f.count,
                    })
                    .collect();
                let _ = core.on_height_cloud(
                    now,
                    &CloudMsg {
                        frame: &m.header.frame_id,
                        height: m.height,
                        width: m.width,
                        fields: &fields,
                        is_bigendian: m.is_bigendian,
                        point_step: m.point_step,
                        row_step: m.row_step,
                        data: &m.data,
                    },
                );
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
