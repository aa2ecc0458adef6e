//! The sim node and the teleop node over r2r: thin adapters around [`crate::sim_robot::SimRobot`]
//! and [`crate::teleop::TeleopBridge`], one loop on one thread each, like the policy node.

use crate::error::SimNodeError;
use crate::sim_robot::{SimReadout, SimRobot};
use embody_ros::config::NodeConfig;
use embody_ros::drain;
use embody_ros::height_cloud::{encode_xyz, xyz_fields};
use embody_ros::ros::{RunLimits, stamp_now};
use futures::{FutureExt, StreamExt};
use r2r::QosProfile;
use r2r::geometry_msgs::msg::{Quaternion, Twist, Vector3};
use r2r::nav_msgs::msg::Odometry;
use r2r::sensor_msgs::msg::{Imu, JointState, PointCloud2, PointField as PointFieldMsg};
use r2r::std_msgs::msg::{Bool, Float64MultiArray, Header};
use r2r::trajectory_msgs::msg::JointTrajectory;
use std::time::{Duration, Instant};

/// Runs the sim node: steps `robot` in real time at its rate, publishes joint states, IMU and
/// odometry every step and the terrain cloud (`topics.height_cloud`, world frame
/// `height_cloud.frame`) once per policy period, and applies the joint targets it receives
/// (either output kind of the policy node).
pub fn run_sim_node(
    mut robot: SimRobot,
    cfg: &NodeConfig,
    limits: RunLimits,
) -> Result<(), SimNodeError> {
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
    let cloud_pub = node.create_publisher::<PointCloud2>(&t.height_cloud, QosProfile::default())?;
    let cloud_every = (cfg.rates.sim_hz / cfg.rates.policy_hz).round().max(1.0) as u64;
    let mut cloud = PointCloud2 {
        header: Header {
            frame_id: cfg.height_cloud.frame.clone(),
            ..Default::default()
        },
        height: 1,
        fields: xyz_fields()
            .into_iter()
            .map(|f| PointFieldMsg {
                name: f.name,
                offset: f.offset,
                datatype: f.datatype,
                count: f.count,
            })
            .collect(),
        is_bigendian: false,
        point_step: 12,
        is_dense: true,
        ..Default::default()
    };
    let mut points = Vec::new();
    let mut steps = 0u64;
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
        if steps % cloud_every == 0 {
            robot.height_cloud(&cfg.height_cloud, &mut points);
            cloud.header.stamp = stamp.clone();
            cloud.width = points.len() as u32;
            cloud.row_step = 12 * cloud.width;
            encode_xyz(&points, &mut cloud.data);
            cloud_pub.publish(&cloud)?;
        }
        steps += 1;
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
) -> Result<(), SimNodeError> {
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
