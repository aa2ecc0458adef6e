"""rclpy peers for the embody_ros integration tests and the latency benchmark.

Each scenario plays the robot side (or an observer) against the r2r nodes, waits on conditions
(discovery, status modes), never on fixed sleeps, and prints one JSON object per line on stdout:
progress lines {"event": ...} and a final {"report": ...}. The Rust tests assert on the report.

    python peer.py SCENARIO --config quadruped.json [--output float64_multi_array] [...]
"""

import argparse
import json
import math
import sys
import time

import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, HistoryPolicy
from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, Float64MultiArray, String
from trajectory_msgs.msg import JointTrajectory


def emit(obj):
    print(json.dumps(obj), flush=True)


def quat_roll(deg):
    a = math.radians(deg) / 2.0
    return (math.sin(a), 0.0, 0.0, math.cos(a))


class Peer:
    def __init__(self, cfg, output, node_name):
        self.cfg = cfg
        self.node = rclpy.create_node(node_name)
        t = cfg["topics"]
        self.names = cfg["joints"]["names"]
        self.default = cfg["joints"]["default_position"]
        self.js_pub = self.node.create_publisher(JointState, t["joint_states"], 10)
        self.odom_pub = self.node.create_publisher(Odometry, t["odometry"], 10)
        self.cmd_pub = self.node.create_publisher(Twist, t["cmd_vel"], 10)
        self.estop_pub = self.node.create_publisher(Bool, t["e_stop"], 10)
        self.commands = []
        self.statuses = []
        self.status = None
        self.output = output
        if output == "joint_trajectory":
            self.cmd_sub = self.node.create_subscription(
                JointTrajectory, t["joint_trajectory"], self.on_traj, 10)
        else:
            self.cmd_sub = self.node.create_subscription(
                Float64MultiArray, t["joint_commands"], self.on_array, 10)
        self.status_sub = (self.node.create_subscription(String, t["status"], self.on_status, 10)
                           if t["status"] else None)
        self.traj_meta = None

    def on_array(self, msg):
        self.commands.append((self.mode(), list(msg.data)))

    def on_traj(self, msg):
        pt = msg.points[0] if msg.points else None
        self.traj_meta = {
            "joint_names": list(msg.joint_names),
            "points": len(msg.points),
            "time_from_start": (pt.time_from_start.sec + pt.time_from_start.nanosec * 1e-9)
            if pt else None,
        }
        self.commands.append((self.mode(), list(pt.positions) if pt else []))

    def on_status(self, msg):
        self.status = json.loads(msg.data)
        self.statuses.append(self.status)

    def mode(self):
        return self.status["mode"] if self.status else None

    def spin(self, dt=0.002):
        rclpy.spin_once(self.node, timeout_sec=dt)

    def wait(self, cond, timeout, what, tick=None):
        """Spins (calling tick each loop) until cond() holds; fails loudly on timeout."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if tick:
                tick()
            self.spin()
            if cond():
                return
        emit({"error": f"timeout waiting for {what}", "status": self.status})
        sys.exit(3)

    def wait_discovery(self, pubs, subs, timeout=20.0):
        self.wait(lambda: all(p.get_subscription_count() > 0 for p in pubs)
                  and all(s.get_publisher_count() > 0 for s in subs),
                  timeout, "discovery")
        emit({"event": "discovered"})


class StateSource:
    """Publishes a constant (editable) robot state at a fixed rate from inside wait loops."""

    def __init__(self, peer, hz=50.0):
        self.peer = peer
        self.period = 1.0 / hz
        self.next = time.monotonic()
        self.enabled = True
        n = len(peer.names)
        self.q = [peer.default[k] + 0.01 * (k + 1) for k in range(n)]
        self.qd = [0.1 * (k - n / 2) for k in range(n)]
        self.order = list(reversed(range(n)))  # not the config order: matched by name
        self.names_override = None
        self.q_override = None
        self.orientation = quat_roll(5.0)
        self.lin = (0.1, -0.05, 0.02)
        self.ang = (0.03, -0.02, 0.05)

    def msg(self):
        m = JointState()
        m.header.stamp = self.peer.node.get_clock().now().to_msg()
        names = [self.peer.names[k] for k in self.order]
        m.name = self.names_override(names) if self.names_override else names
        q = [self.q[k] for k in self.order]
        m.position = self.q_override(q) if self.q_override else q
        m.velocity = [self.qd[k] for k in self.order][:len(m.name)]
        m.position = m.position[:len(m.name)]
        return m

    def odom(self):
        o = Odometry()
        o.header.stamp = self.peer.node.get_clock().now().to_msg()
        x, y, z, w = self.orientation
        o.pose.pose.orientation.x, o.pose.pose.orientation.y = x, y
        o.pose.pose.orientation.z, o.pose.pose.orientation.w = z, w
        o.twist.twist.linear.x, o.twist.twist.linear.y, o.twist.twist.linear.z = self.lin
        o.twist.twist.angular.x, o.twist.twist.angular.y, o.twist.twist.angular.z = self.ang
        return o

    def tick(self):
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + self.period
        if self.enabled:
            self.peer.js_pub.publish(self.msg())
            self.peer.odom_pub.publish(self.odom())


def state_report(src):
    return {"q": src.q, "qd": src.qd, "orientation": list(src.orientation),
            "lin": list(src.lin), "ang": list(src.ang)}


def send_cmd(peer, vx, vy, wz):
    t = Twist()
    t.linear.x, t.linear.y, t.angular.z = vx, vy, wz
    peer.cmd_pub.publish(t)


def scenario_roundtrip(peer, args):
    src = StateSource(peer)
    src.enabled = False
    peer.wait_discovery([peer.js_pub, peer.odom_pub, peer.cmd_pub], [peer.cmd_sub, peer.status_sub])
    cmd = (0.5, 0.0, 0.2)
    # The command must be in effect before the first state: wait until the status echoes it.
    last = [0.0]

    def resend():
        if time.monotonic() - last[0] > 0.05:
            send_cmd(peer, *cmd)
            last[0] = time.monotonic()
    peer.wait(lambda: peer.status and peer.status.get("cmd") == list(cmd), 10.0, "cmd echo", resend)
    src.enabled = True
    peer.commands.clear()

    def tick():
        src.tick()
        resend()
    peer.wait(lambda: sum(1 for m, _ in peer.commands if m == "running") >= args.count, 10.0,
              "running commands", tick)
    emit({"report": {"state": state_report(src), "cmd": list(cmd),
                     "commands": peer.commands, "trajectory": peer.traj_meta,
                     "status": peer.status}})


def scenario_faults(peer, args):
    src = StateSource(peer)
    peer.wait_discovery([peer.js_pub, peer.odom_pub, peer.estop_pub], [peer.cmd_sub, peer.status_sub])
    phases = {}

    def until(mode, what, timeout=5.0):
        peer.wait(lambda: peer.mode() == mode, timeout, what, src.tick)

    def reason():
        return peer.status.get("reason", "")

    def valid():
        src.enabled = True
        src.names_override = None
        src.q_override = None
        src.orientation = quat_roll(5.0)
        until("running", "running again")

    def after_n_commands(n):
        start = len(peer.commands)
        peer.wait(lambda: len(peer.commands) >= start + n, 5.0, f"{n} commands", src.tick)
        return [c for _, c in peer.commands[start:]]

    until("running", "first running")
    last_running = after_n_commands(3)[-1]
    # 1. Stale state: the publisher stays alive but stops sending.
    src.enabled = False
    until("hold", "hold on stale state")
    held = after_n_commands(3)
    phases["stale"] = {"reason": reason(), "held": held, "last_running": peer.commands[-4][1]
                       if len(peer.commands) >= 4 else last_running}
    phases["stale"]["last_running"] = [c for m, c in peer.commands if m == "running"][-1]
    valid()
    # 2. Wrong joint count.
    src.names_override = lambda names: names[:-1]
    until("hold", "hold on wrong joint count")
    phases["joint_count"] = {"reason": reason()}
    valid()
    # 3. Unknown joint name.
    src.names_override = lambda names: ["bogus_joint"] + names[1:]
    until("hold", "hold on unknown joint")
    phases["unknown_joint"] = {"reason": reason()}
    valid()
    # 4. NaN position.
    src.q_override = lambda q: [float("nan")] + q[1:]
    until("hold", "hold on NaN")
    phases["nan"] = {"reason": reason()}
    valid()
    # 5. E-stop: damp (targets = measured pose), release -> running again.
    peer.estop_pub.publish(Bool(data=True))
    until("e_stop", "e-stop")
    phases["e_stop"] = {"reason": reason(), "commands": after_n_commands(3), "q": src.q}
    peer.estop_pub.publish(Bool(data=False))
    until("running", "running after e-stop release")
    # 6. Tilt beyond the limit: safe mode, latched while the state is valid again.
    src.orientation = quat_roll(60.0)
    until("safe_mode", "safe mode on tilt")
    phases["tilt"] = {"reason": reason(), "commands": after_n_commands(3), "q": src.q}
    src.orientation = quat_roll(5.0)
    after_n_commands(10)
    phases["tilt"]["still_latched"] = peer.mode() == "safe_mode"
    peer.estop_pub.publish(Bool(data=True))
    until("e_stop", "e-stop to clear safe mode")
    peer.estop_pub.publish(Bool(data=False))
    until("running", "running after clearing safe mode")
    phases["final"] = peer.status
    emit({"report": phases})


def scenario_publish_forever(peer, args):
    """The robot side until killed (the killed-peer test SIGKILLs this process)."""
    src = StateSource(peer)
    peer.wait_discovery([peer.js_pub, peer.odom_pub], [])
    while True:
        src.tick()
        peer.spin(0.002)


def scenario_observe_hold(peer, args):
    """Reports when the node runs, then when it holds (after the robot side was killed)."""
    peer.wait_discovery([], [peer.cmd_sub, peer.status_sub])
    peer.wait(lambda: peer.mode() == "running", 20.0, "running")
    emit({"event": "running"})
    peer.wait(lambda: peer.mode() == "hold", 20.0, "hold after kill")
    start = len(peer.commands)
    peer.wait(lambda: len(peer.commands) >= start + 5, 5.0, "held commands")
    running = [c for m, c in peer.commands if m == "running"]
    emit({"report": {"reason": peer.status["reason"],
                     "held": [c for _, c in peer.commands[start:]],
                     "last_running": running[-1] if running else None}})


def scenario_walk(peer, args):
    """Closed loop with sim_node: command vx, measure how far the sim's base moves."""
    odoms = []
    sub = peer.node.create_subscription(
        Odometry, peer.cfg["topics"]["odometry"],
        lambda m: odoms.append((m.pose.pose.position.x, m.pose.pose.position.y,
                                m.pose.pose.position.z)), 10)
    peer.wait_discovery([peer.cmd_pub], [sub, peer.status_sub, peer.cmd_sub])
    last = [0.0]

    def resend():
        if time.monotonic() - last[0] > 0.1:
            send_cmd(peer, args.vx, 0.0, 0.0)
            last[0] = time.monotonic()
    peer.wait(lambda: peer.mode() == "running", 30.0, "running", resend)
    emit({"event": "running"})
    start = odoms[-1]
    t0 = time.monotonic()
    min_z = start[2]
    modes = set()
    while time.monotonic() - t0 < args.seconds:
        resend()
        peer.spin()
        if odoms:
            min_z = min(min_z, odoms[-1][2])
        if peer.status:
            modes.add(peer.mode())
    end = odoms[-1]
    emit({"report": {"start": start, "end": end, "dx": end[0] - start[0], "dy": end[1] - start[1],
                     "min_z": min_z, "modes": sorted(modes), "seconds": args.seconds,
                     "status": peer.status}})


def scenario_sim_loop(peer, args):
    """sim_node <-> policy_node: the sim's joint states reach the peer in joint order, and the
    policy node runs on them."""
    states = []
    sub = peer.node.create_subscription(
        JointState, peer.cfg["topics"]["joint_states"], lambda m: states.append(m), 10)
    peer.wait_discovery([], [sub, peer.status_sub, peer.cmd_sub])
    peer.wait(lambda: peer.mode() in ("running", "safe_mode"), 30.0, "policy on sim state")
    n0 = peer.status["inferences"]
    peer.wait(lambda: len(peer.commands) >= 10, 10.0, "commands")
    last = states[-1]
    emit({"report": {"names": list(last.name), "positions": len(last.position),
                     "velocities": len(last.velocity), "mode": peer.mode(),
                     "inferences_at_start": n0, "status": peer.status,
                     "commands": len(peer.commands)}})


def scenario_bench(peer, args):
    """Latency: publishes state at --hz, records the time from each JointState publish to the
    next command received (round trip through the policy node)."""
    src = StateSource(peer, hz=args.hz)
    src.enabled = False
    peer.wait_discovery([peer.js_pub, peer.odom_pub], [peer.cmd_sub])
    rtts = []
    sent = [None]
    got = [0]

    def on_cmd(msg):
        if sent[0] is not None:
            rtts.append(time.perf_counter_ns() - sent[0])
            sent[0] = None
        got[0] += 1
    peer.cmd_sub.callback = on_cmd
    period = 1.0 / args.hz
    nxt = time.monotonic()
    total = args.count + args.warmup
    k = 0
    odom = src.odom()
    js = src.msg()
    deadline = time.monotonic() + total * period * 3 + 30
    while k < total and time.monotonic() < deadline:
        now = time.monotonic()
        if now >= nxt:
            nxt += period
            if nxt < now:
                nxt = now + period
            peer.odom_pub.publish(odom)
            js.header.stamp = peer.node.get_clock().now().to_msg()
            sent[0] = time.perf_counter_ns()
            peer.js_pub.publish(js)
            k += 1
        rclpy.spin_once(peer.node, timeout_sec=max(0.0, min(nxt - time.monotonic(), period)))
    # Let the last answers arrive.
    end = time.monotonic() + 1.0
    while time.monotonic() < end and sent[0] is not None:
        rclpy.spin_once(peer.node, timeout_sec=0.01)
    emit({"report": {"sent": k, "answers": got[0], "rtt_ns": rtts[args.warmup:]}})


def scenario_listen_teleop(peer, args):
    """Observes the teleop node: every Twist on cmd_vel and Bool on the e-stop topic, timed."""
    t = peer.cfg["topics"]
    twists, estops = [], []
    start = [None]

    def now():
        if start[0] is None:
            start[0] = time.monotonic()
        return time.monotonic() - start[0]

    peer.node.create_subscription(
        Twist, t["cmd_vel"],
        lambda m: twists.append((now(), m.linear.x, m.linear.y, m.angular.z)), 10)
    peer.node.create_subscription(Bool, t["e_stop"], lambda m: estops.append((now(), m.data)), 10)
    emit({"event": "listening"})
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        rclpy.spin_once(peer.node, timeout_sec=0.01)
        if twists and time.monotonic() - start[0] - twists[-1][0] > 2.0:
            break  # the node has stopped publishing
    emit({"report": {"twists": twists, "estops": estops}})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--config", required=True, help="node config as JSON")
    ap.add_argument("--output", default="float64_multi_array")
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--hz", type=float, default=50.0)
    ap.add_argument("--vx", type=float, default=0.5)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    with open(args.config) as f:
        cfg = json.load(f)
    rclpy.init()
    peer = Peer(cfg, args.output, "embody_test_peer_" + args.scenario)
    try:
        globals()["scenario_" + args.scenario](peer, args)
    finally:
        peer.node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
