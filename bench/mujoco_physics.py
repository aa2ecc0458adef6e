#!/usr/bin/env python3
"""MuJoCo side of embody's physics benchmark: a quadruped standing still.

The robot is loaded from its URDF, given a floating base, placed 2 cm above
its nominal standing height with the default joint angles, and held there by
joint PD control for --seconds of simulated time. The script reports how fast
MuJoCo runs the control loop and how well the robot stands, as one JSON object.

Simulation set-up (kept equal to what the Rust engine is asked to do):

* timestep 0.005 s, decimation 4: one control step = 4 physics steps = 0.02 s;
* integrator ``implicitfast``: MuJoCo's recommended default; it integrates the
  velocity-dependent actuator forces (the PD damping term) implicitly, which is
  what keeps stiff gains on light links stable at 5 ms;
* PD control through MuJoCo ``position`` actuators, one per actuated joint:
  ``torque = kp * (q_target - q) - kv * qd``, clamped to the URDF effort limit.
  Computing PD in Python every physics step would make the benchmark measure
  the Python interpreter; the actuators keep the physics loop inside C, and
  Python only touches the model once per control step (writing targets and
  reading the state back), as an RL policy loop would;
* targets = the default pose every control step (the robot just stands);
* single thread; a ground plane with MuJoCo's default contact parameters
  (friction 1) except for the friction cone: elliptic with impratio 100, as
  MuJoCo Menagerie's quadrupeds use. With the default pyramidal cone and
  impratio 1, MuJoCo's soft contacts let loaded feet creep outward; under
  PD-only standing the legs then slowly do the splits (ANYmal C sinks from
  0.51 m to 0.29 m in 10 s), which is an artefact, not physics.

Robot description (--robot-toml; see assets/robots/*.toml):

    name, urdf (relative to the toml), base, feet, terminate_on_contact,
    penalise_contacts, [default_joint_angles] by joint name,
    [control] stiffness / damping keyed by joint-name substrings (longest match
    wins), action_scale.

URDF handling: <visual> elements are dropped, as are <collision> elements that
use a <mesh> (third-party URDFs name mesh files that are not shipped); every
remaining collision is named "<link>/collision<i>" so it can be traced back to
its link after MuJoCo merges fixed-joint links into their parents; inertia
tensors that are not positive definite are replaced by their diagonal (noted in
the output). MuJoCo's URDF importer welds the root link to the world, so a free
joint is added to the base body through mujoco.MjSpec before compiling.

Usage:
    python3 bench/mujoco_physics.py --robot-toml assets/robots/a1.toml --json
    python3 bench/mujoco_physics.py --urdf path/to/robot.urdf --seconds 5
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np

try:
    import tomllib  # Python >= 3.11
except ModuleNotFoundError:  # pragma: no cover - older interpreters
    import tomli as tomllib  # type: ignore[no-redef]

import mujoco

TIMESTEP = 0.005
DECIMATION = 4
START_CLEARANCE = 0.02  # the base starts this far above its nominal height
STAND_HEIGHT_TOL = 0.10  # "stands": base height within 10 % of nominal ...
STAND_TILT_DEG = 10.0  # ... and tilt below 10 degrees, for the whole run

# Fallbacks when no robot TOML is found (legged_gym's A1 gains).
FALLBACK_KP = 20.0
FALLBACK_KD = 0.5


# --------------------------------------------------------------------------
# Robot description
# --------------------------------------------------------------------------


@dataclass
class RobotConfig:
    name: str
    urdf: str
    base: str | None = None  # None: the URDF's root link
    feet: list[str] = field(default_factory=list)  # empty: links named *foot*
    default_joint_angles: dict[str, float] = field(default_factory=dict)
    stiffness: dict[str, float] = field(default_factory=dict)
    damping: dict[str, float] = field(default_factory=dict)
    source: str = "defaults"  # where the config came from


def load_config(urdf_arg: str | None, toml_arg: str | None) -> RobotConfig:
    """Reads the robot TOML (or robot.toml beside the URDF, or defaults)."""
    toml_path = toml_arg
    if toml_path is None and urdf_arg is not None:
        beside = os.path.join(os.path.dirname(os.path.abspath(urdf_arg)), "robot.toml")
        if os.path.isfile(beside):
            toml_path = beside
    if toml_path is None:
        if urdf_arg is None:
            sys.exit("error: give --urdf, --robot-toml, or both")
        name = os.path.splitext(os.path.basename(urdf_arg))[0]
        print(
            f"warning: no robot TOML for {urdf_arg}; using all-zero default angles, "
            f"kp {FALLBACK_KP}, kd {FALLBACK_KD} and links named *foot* as feet",
            file=sys.stderr,
        )
        return RobotConfig(
            name=name,
            urdf=urdf_arg,
            stiffness={"": FALLBACK_KP},  # "" is a substring of every name
            damping={"": FALLBACK_KD},
        )

    with open(toml_path, "rb") as fh:
        raw = tomllib.load(fh)
    folder = os.path.dirname(os.path.abspath(toml_path))
    urdf = urdf_arg or os.path.normpath(os.path.join(folder, raw["urdf"]))
    control = raw.get("control", {})
    return RobotConfig(
        name=raw.get("name", os.path.splitext(os.path.basename(toml_path))[0]),
        urdf=urdf,
        base=raw.get("base"),
        feet=list(raw.get("feet", [])),
        default_joint_angles={k: float(v) for k, v in raw.get("default_joint_angles", {}).items()},
        stiffness={k: float(v) for k, v in control.get("stiffness", {}).items()},
        damping={k: float(v) for k, v in control.get("damping", {}).items()},
        source=toml_path,
    )


def gain_for(joint: str, table: dict[str, float], what: str) -> float:
    """legged_gym convention: keys are substrings of joint names; the longest
    matching key wins."""
    matches = [key for key in table if key in joint]
    if not matches:
        sys.exit(f"error: no {what} entry matches joint '{joint}' (keys: {sorted(table)})")
    return table[max(matches, key=len)]


# --------------------------------------------------------------------------
# URDF preparation
# --------------------------------------------------------------------------


@dataclass
class UrdfInfo:
    xml: str
    root_link: str
    actuated: list[str]  # joint names in file order
    effort: dict[str, float]  # joint name -> effort limit (N m)
    notes: list[str]


def prepare_urdf(path: str) -> UrdfInfo:
    """Strips what MuJoCo cannot load here and names collision geoms."""
    tree = ET.parse(path)  # comments (and commented-out elements) are dropped
    robot = tree.getroot()
    notes: list[str] = []
    stripped_meshes = 0

    for link in robot.findall("link"):
        lname = link.get("name")
        for visual in link.findall("visual"):
            link.remove(visual)
        index = 0
        for coll in link.findall("collision"):
            if coll.find("geometry/mesh") is not None:
                link.remove(coll)
                stripped_meshes += 1
                continue
            coll.set("name", f"{lname}/collision{index}")
            index += 1
        inertia = link.find("inertial/inertia")
        if inertia is not None:
            keys = ("ixx", "ixy", "ixz", "iyy", "iyz", "izz")
            ixx, ixy, ixz, iyy, iyz, izz = (float(inertia.get(k, 0.0)) for k in keys)
            tensor = np.array([[ixx, ixy, ixz], [ixy, iyy, iyz], [ixz, iyz, izz]])
            if np.linalg.eigvalsh(tensor).min() <= 0.0:
                for k in ("ixy", "ixz", "iyz"):
                    inertia.set(k, "0")
                notes.append(f"link '{lname}': inertia not positive definite, products of inertia zeroed")
    if stripped_meshes:
        notes.append(f"dropped {stripped_meshes} mesh collision element(s)")

    children = {j.find("child").get("link") for j in robot.findall("joint")}
    roots = [l.get("name") for l in robot.findall("link") if l.get("name") not in children]
    if len(roots) != 1:
        sys.exit(f"error: expected one root link, found {roots}")

    actuated, effort = [], {}
    for joint in robot.findall("joint"):
        if joint.get("type") in ("revolute", "continuous", "prismatic"):
            name = joint.get("name")
            actuated.append(name)
            limit = joint.find("limit")
            value = float(limit.get("effort", "0")) if limit is not None else 0.0
            effort[name] = value if value > 0.0 else math.inf

    return UrdfInfo(ET.tostring(robot, encoding="unicode"), roots[0], actuated, effort, notes)


# --------------------------------------------------------------------------
# Model building
# --------------------------------------------------------------------------


@dataclass
class Robot:
    model: mujoco.MjModel
    joint_qpos: np.ndarray  # qpos address of each actuated joint
    targets: np.ndarray  # default angles, actuator order
    foot_geoms: list[int]
    nominal_height: float
    # The non-foot geom nearest the ground in the nominal stance and its
    # clearance (m); negative would mean it, not a foot, touches first.
    lowest_other: tuple[str, float]


def build_robot(cfg: RobotConfig) -> tuple[Robot, UrdfInfo]:
    info = prepare_urdf(cfg.urdf)
    base = cfg.base or info.root_link
    if base != info.root_link:
        sys.exit(f"error: base '{base}' is not the URDF root link '{info.root_link}'")

    missing = [j for j in info.actuated if j not in cfg.default_joint_angles]
    if cfg.source != "defaults" and missing:
        sys.exit(f"error: default_joint_angles lacks {missing}")
    unknown = [j for j in cfg.default_joint_angles if j not in info.actuated]
    if unknown:
        sys.exit(f"error: default_joint_angles names unknown joints {unknown}")

    spec = mujoco.MjSpec.from_string(info.xml)
    spec.compiler.fusestatic = True  # merge fixed-joint links (URDF importer default)
    spec.compiler.balanceinertia = True  # some vendor URDFs break A + B >= C slightly
    spec.compiler.discardvisual = True
    spec.option.timestep = TIMESTEP
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC  # no slow foot creep
    spec.option.impratio = 100.0

    spec.body(base).add_freejoint()
    spec.worldbody.add_geom(
        name="ground", type=mujoco.mjtGeom.mjGEOM_PLANE, size=[0.0, 0.0, 1.0]
    )

    targets = []
    for jname in info.actuated:
        kp = gain_for(jname, cfg.stiffness, "stiffness")
        kd = gain_for(jname, cfg.damping, "damping")
        act = spec.add_actuator(name=jname, target=jname, trntype=mujoco.mjtTrn.mjTRN_JOINT)
        act.set_to_position(kp=kp, kv=kd)  # force = kp (ctrl - q) - kv qd
        if math.isfinite(info.effort[jname]):
            act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
            act.forcerange = [-info.effort[jname], info.effort[jname]]
        targets.append(cfg.default_joint_angles.get(jname, 0.0))

    model = spec.compile()
    joint_ids = [model.joint(j).id for j in info.actuated]
    joint_qpos = model.jnt_qposadr[joint_ids].copy()
    targets_arr = np.array(targets)

    # Foot geoms: collisions of the foot links (named "<link>/collision<i>").
    feet = cfg.feet or [l for l in _link_names(info.xml) if "foot" in l.lower()]
    foot_geoms = [
        g for g in range(model.ngeom)
        if model.geom(g).name.split("/")[0] in feet
    ]
    if not foot_geoms:
        sys.exit(f"error: no collision geometry found on the feet {feet}")

    nominal, lowest_other = nominal_base_height(model, joint_qpos, targets_arr, foot_geoms)
    robot = Robot(model, joint_qpos, targets_arr, foot_geoms, nominal, lowest_other)
    return robot, info


def _link_names(xml: str) -> list[str]:
    return [l.get("name") for l in ET.fromstring(xml).findall("link")]


def geom_lowest_z(model: mujoco.MjModel, data: mujoco.MjData, g: int) -> float:
    """World z of the lowest point of geom g (exact for primitives)."""
    z = data.geom_xpos[g, 2]
    rot = data.geom_xmat[g].reshape(3, 3)
    size = model.geom_size[g]
    kind = model.geom_type[g]
    up = rot[2]  # z components of the geom's local axes
    if kind == mujoco.mjtGeom.mjGEOM_SPHERE:
        return z - size[0]
    if kind == mujoco.mjtGeom.mjGEOM_CAPSULE:
        return z - abs(up[2]) * size[1] - size[0]
    if kind == mujoco.mjtGeom.mjGEOM_CYLINDER:
        return z - abs(up[2]) * size[1] - size[0] * math.sqrt(max(0.0, 1.0 - up[2] ** 2))
    if kind == mujoco.mjtGeom.mjGEOM_BOX:
        return z - float(np.abs(up) @ size)
    if kind == mujoco.mjtGeom.mjGEOM_ELLIPSOID:
        return z - float(np.linalg.norm(up * size))
    return z - model.geom_rbound[g]  # anything else: bounding sphere


def nominal_base_height(model, joint_qpos, targets, foot_geoms):
    """Base z at which the default pose's lowest foot point touches z = 0
    (base at the origin, identity orientation, forward kinematics only)."""
    data = mujoco.MjData(model)
    data.qpos[:] = 0.0
    data.qpos[3] = 1.0  # free joint quaternion (w, x, y, z)
    data.qpos[joint_qpos] = targets
    mujoco.mj_kinematics(model, data)
    nominal = -min(geom_lowest_z(model, data, g) for g in foot_geoms)
    others = [
        (model.geom(g).name or f"geom{g}", geom_lowest_z(model, data, g))
        for g in range(model.ngeom)
        if g not in foot_geoms and model.geom_bodyid[g] != 0
    ]
    lowest_other = min(others, key=lambda item: item[1], default=("", math.inf))
    return nominal, (lowest_other[0], lowest_other[1] + nominal)


# --------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------


def run_once(robot: Robot, n_control: int):
    """Stands the robot for n_control control steps.

    Returns (wall-clock seconds, qpos after every control step, whether MuJoCo
    flagged the simulation as unstable)."""
    model = robot.model
    data = mujoco.MjData(model)
    data.qpos[0:3] = (0.0, 0.0, robot.nominal_height + START_CLEARANCE)
    data.qpos[3:7] = (1.0, 0.0, 0.0, 0.0)
    data.qpos[robot.joint_qpos] = robot.targets
    data.ctrl[:] = robot.targets
    mujoco.mj_forward(model, data)

    log = np.empty((n_control, model.nq))
    targets = robot.targets
    step = mujoco.mj_step
    start = time.perf_counter()
    for i in range(n_control):
        data.ctrl[:] = targets  # a policy would write new targets here
        step(model, data, DECIMATION)
        log[i] = data.qpos  # ... and read the state back
    wall = time.perf_counter() - start

    unstable = data.warning[mujoco.mjtWarning.mjWARN_BADQACC].number > 0
    return wall, log, unstable


def summarise(robot: Robot, log: np.ndarray, control_dt: float) -> dict:
    height = log[:, 2]
    last_second = height[-max(1, round(1.0 / control_dt)):]
    quat = log[:, 3:7]
    # cos(tilt) = world-z component of the base's z axis = 1 - 2 (x^2 + y^2)
    cos_tilt = np.clip(1.0 - 2.0 * (quat[:, 1] ** 2 + quat[:, 2] ** 2), -1.0, 1.0)
    tilt = np.degrees(np.arccos(cos_tilt))
    err = log[:, robot.joint_qpos] - robot.targets
    nominal = robot.nominal_height
    stands = bool(
        np.all(np.isfinite(log))
        and np.all(np.abs(height - nominal) <= STAND_HEIGHT_TOL * nominal)
        and tilt.max() < STAND_TILT_DEG
    )
    return {
        "base_height_mean": float(height.mean()),
        "base_height_min": float(height.min()),
        "base_height_max": float(height.max()),
        "base_height_settled": float(last_second.mean()),  # mean over the last second
        "max_tilt_deg": float(tilt.max()),
        "joint_rms_error_rad": float(np.sqrt(np.mean(err**2))),
        "joint_max_error_rad": float(np.abs(err).max()),
        "stands": stands,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urdf", help="robot URDF (default: the TOML's urdf)")
    parser.add_argument("--robot-toml", help="robot description TOML (default: robot.toml beside the URDF)")
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated seconds per run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the median is reported")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args()
    if args.seconds <= 0 or args.repeats < 1:
        sys.exit("error: --seconds must be > 0 and --repeats >= 1")

    cfg = load_config(args.urdf, args.robot_toml)
    robot, info = build_robot(cfg)
    model = robot.model
    n_control = max(1, round(args.seconds / (TIMESTEP * DECIMATION)))

    walls, log, unstable = [], None, False
    for _ in range(args.repeats):
        wall, log, bad = run_once(robot, n_control)
        walls.append(wall)
        unstable |= bad
    wall = statistics.median(walls)

    result = {
        "engine": "mujoco",
        "mujoco_version": mujoco.__version__,
        "robot": cfg.name,
        "urdf": cfg.urdf,
        "config": cfg.source,
        "integrator": "implicitfast",
        "friction_cone": "elliptic, impratio 100",
        "control": "mujoco position actuators (kp, kv), force clamped to URDF effort",
        "timestep": TIMESTEP,
        "decimation": DECIMATION,
        "mass_kg": float(model.body_subtreemass[model.body(cfg.base or info.root_link).id]),
        "n_bodies": int(model.nbody - 1),
        "n_dof": int(model.nv),
        "n_geoms": int(model.ngeom - 1),
        "nominal_base_height": robot.nominal_height,
        "start_height": robot.nominal_height + START_CLEARANCE,
        "non_foot_clearance": robot.lowest_other[1],  # at the nominal stance
        "control_steps_per_s": n_control / wall,
        "physics_steps_per_s": n_control * DECIMATION / wall,
        "realtime_factor": args.seconds / wall,
        "wall_s": walls,
        **summarise(robot, log, TIMESTEP * DECIMATION),
        "unstable": unstable,
        "seconds": args.seconds,
        "repeats": args.repeats,
        "urdf_notes": info.notes,
    }
    # A non-foot geom lower than the feet at the default pose means the pose
    # or the foot list is wrong; report it rather than silently trusting it.
    name, clearance = robot.lowest_other
    if clearance < 0.0:
        result["urdf_notes"].append(f"'{name}' reaches {-clearance:.3f} m below the feet at the default pose")

    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, list) and value and isinstance(value[0], float):
            value = ", ".join(f"{v:.4g}" for v in value)
        print(f"{key:>22}: {value}")


if __name__ == "__main__":
    main()
