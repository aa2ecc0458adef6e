#!/usr/bin/env python3
"""MuJoCo side of embody's MJCF comparison: one MJCF file, held still and simulated.

`embody sim --robot FILE.xml` and `embody bench physics-vs-mujoco --robot FILE.xml`
run this script on the file they simulate, so both engines start from the same
state under the same commands and their results can be set side by side.

Method:

* the file is compiled by MuJoCo itself (``MjModel.from_xml_path``), so every
  option in it (timestep, integrator, contact settings, defaults) applies; the
  model's own timestep is used and reported;
* initial state: the keyframe named or numbered by --keyframe; without it,
  keyframe 0 when the file has any; otherwise ``qpos0``;
* commands: every position servo acting on a hinge or slide joint (joint
  transmission, affine bias with a position term) gets as its control its own
  actuator length in the initial state, i.e. gear * q0, clamped into ctrlrange
  when ctrl-limited, so it holds the initial pose. Other actuators (motors,
  velocity servos, tendon or site transmissions) get 0; a keyframe's ctrl is
  not used.
  ``--ctrl NAME=VALUE`` (repeatable) overrides one actuator's control, named by
  the actuator or by the joint it drives; this is how a coupled joint is tested,
  e.g. command the Shadow hand's robot0:FFJ1 and watch the uncommanded FFJ0
  follow through the fixed tendons;
* ``mj_step`` is run for round(seconds / timestep) steps in one call; only that
  call is timed (single thread, no rendering). Non-finite state is caught by
  MuJoCo's bad-qpos/qvel/qacc warnings (MuJoCo resets the state when they fire,
  so the final state alone would hide a blow-up) and by a check of the end state.

Output (one JSON object): timing; each hinge, slide and ball joint's initial and
final value (radians, metres, wxyz quaternions); each free body's initial and
final world position, the distance between them and its final orientation; the
largest hinge change in degrees; whether the state went non-finite; the controls.
--settle-json FILE also writes it to FILE. --print-model prints the compiled
model instead (bodies, joints, actuators, tendons), to cross-check embody's MJCF
importer, and does not simulate.

Usage:
    python3 bench/mujoco_mjcf.py --mjcf scene.xml --seconds 10 --json
    python3 bench/mujoco_mjcf.py --mjcf hand/reach.xml --ctrl robot0:FFJ1=1.0 --seconds 2
    python3 bench/mujoco_mjcf.py --mjcf scene.xml --print-model
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from typing import NoReturn

import numpy as np

import mujoco

# Keyed by plain ints: the model's int32 arrays do not hash like the enums.
JOINT_TYPES = {int(getattr(mujoco.mjtJoint, f"mjJNT_{k.upper()}")): k
               for k in ("free", "ball", "slide", "hinge")}
JOINT_TRANSMISSIONS = (int(mujoco.mjtTrn.mjTRN_JOINT), int(mujoco.mjtTrn.mjTRN_JOINTINPARENT))
BAD_STATE_WARNINGS = [int(getattr(mujoco.mjtWarning, f"mjWARN_BAD{k}")) for k in ("QPOS", "QVEL", "QACC")]


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(1)


def name_of(model: mujoco.MjModel, obj: mujoco.mjtObj, index: int, fallback: str) -> str:
    """The element's name, or fallback + index for unnamed elements."""
    return mujoco.mj_id2name(model, obj, index) or f"{fallback}{index}"


def actuator_name(model: mujoco.MjModel, a: int) -> str:
    return name_of(model, mujoco.mjtObj.mjOBJ_ACTUATOR, a, "actuator")


def actuated_joint(model: mujoco.MjModel, a: int) -> int:
    """Joint id driven by actuator a, or -1 for other transmissions."""
    return int(model.actuator_trnid[a, 0]) if int(model.actuator_trntype[a]) in JOINT_TRANSMISSIONS else -1


def limited_range(flag, bounds) -> list[float] | None:
    return [float(v) for v in bounds] if flag else None


def describe_model(model: mujoco.MjModel) -> dict:
    """Compiled model parameters, for comparison with embody's importer."""
    body = lambda b: name_of(model, mujoco.mjtObj.mjOBJ_BODY, b, "body")
    joint = lambda j: name_of(model, mujoco.mjtObj.mjOBJ_JOINT, j, "joint")
    bodies = [{
        "name": body(b), "parent": body(int(model.body_parentid[b])) if b else None,
        "mass": float(model.body_mass[b]),
        "inertia": model.body_inertia[b].tolist(),  # principal moments, in the iquat frame
        "ipos": model.body_ipos[b].tolist(), "iquat": model.body_iquat[b].tolist(),
    } for b in range(model.nbody)]
    joints = [{
        "name": joint(j), "body": body(int(model.jnt_bodyid[j])),
        "type": JOINT_TYPES[int(model.jnt_type[j])],
        "range": limited_range(model.jnt_limited[j], model.jnt_range[j]),
        # first DOF of the joint (ball and free joints repeat the value per DOF)
        "damping": float(model.dof_damping[model.jnt_dofadr[j]]),
        "armature": float(model.dof_armature[model.jnt_dofadr[j]]),
        "frictionloss": float(model.dof_frictionloss[model.jnt_dofadr[j]]),
    } for j in range(model.njnt)]
    actuators = [{
        "name": actuator_name(model, a),
        "joint": joint(actuated_joint(model, a)) if actuated_joint(model, a) >= 0 else None,
        "gear": float(model.actuator_gear[a, 0]),
        "kp": float(model.actuator_gainprm[a, 0]),
        "biasprm": model.actuator_biasprm[a, :3].tolist(),
        "ctrlrange": limited_range(model.actuator_ctrllimited[a], model.actuator_ctrlrange[a]),
        "forcerange": limited_range(model.actuator_forcelimited[a], model.actuator_forcerange[a]),
    } for a in range(model.nu)]
    wraps = lambda t: range(model.tendon_adr[t], model.tendon_adr[t] + model.tendon_num[t])
    tendons = [{
        "name": name_of(model, mujoco.mjtObj.mjOBJ_TENDON, t, "tendon"),
        "joints": [  # empty for spatial tendons
            {"joint": joint(int(model.wrap_objid[w])), "coef": float(model.wrap_prm[w])}
            for w in wraps(t) if model.wrap_type[w] == mujoco.mjtWrap.mjWRAP_JOINT],
        "range": limited_range(model.tendon_limited[t], model.tendon_range[t]),
    } for t in range(model.ntendon)]
    return {"mujoco_version": mujoco.__version__, "bodies": bodies, "joints": joints,
            "actuators": actuators, "tendons": tendons}


def initial_state(model: mujoco.MjModel, data: mujoco.MjData, key: str | None) -> int | None:
    """Resets data to the chosen keyframe (or qpos0); returns the key index used."""
    if key is None:
        if model.nkey == 0:
            mujoco.mj_resetData(model, data)
            return None
        index = 0
    elif key.lstrip("-").isdigit():
        index = int(key)
    else:
        index = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_KEY, key)
    if not 0 <= index < model.nkey:
        fail(f"no keyframe '{key}' (the model has {model.nkey})")
    mujoco.mj_resetDataKeyframe(model, data, index)
    return index


def set_controls(model: mujoco.MjModel, data: mujoco.MjData, overrides: list[str]) -> None:
    """Hold targets for position servos on hinge/slide joints, then --ctrl overrides."""
    mujoco.mj_forward(model, data)  # actuator_length = gear * q for joint transmissions
    data.ctrl[:] = 0.0
    for a in range(model.nu):
        j = actuated_joint(model, a)
        servo = (int(model.actuator_biastype[a]) == mujoco.mjtBias.mjBIAS_AFFINE
                 and model.actuator_biasprm[a, 1] != 0.0)
        if j >= 0 and servo and JOINT_TYPES[int(model.jnt_type[j])] in ("hinge", "slide"):
            data.ctrl[a] = data.actuator_length[a]
    for item in overrides:
        name, sep, text = item.partition("=")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not sep or not math.isfinite(value):
            fail(f"--ctrl expects NAME=NUMBER, got '{item}'")
        a = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_ACTUATOR, name)
        if a < 0:
            j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
            if j < 0:
                fail(f"--ctrl {name}: no actuator or joint has that name")
            driving = [i for i in range(model.nu) if actuated_joint(model, i) == j]
            if len(driving) != 1:
                fail(f"--ctrl {name}: {len(driving)} actuators drive that joint; name the actuator")
            a = driving[0]
        data.ctrl[a] = value
    limited = model.actuator_ctrllimited.astype(bool)
    lo, hi = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
    data.ctrl[limited] = np.clip(data.ctrl[limited], lo[limited], hi[limited])


def snapshot(model: mujoco.MjModel, data: mujoco.MjData) -> tuple[dict, dict]:
    """Joint values by joint name, and free bodies' world pose by body name."""
    mujoco.mj_kinematics(model, data)  # xpos/xquat of the current qpos
    joints, bodies = {}, {}
    for j in range(model.njnt):
        kind = JOINT_TYPES[int(model.jnt_type[j])]
        adr = model.jnt_qposadr[j]
        if kind == "free":
            b = int(model.jnt_bodyid[j])
            name = name_of(model, mujoco.mjtObj.mjOBJ_BODY, b, "body")
            bodies[name] = (data.xpos[b].copy(), data.xquat[b].copy())
        else:
            value = data.qpos[adr:adr + 4].tolist() if kind == "ball" else float(data.qpos[adr])
            joints[name_of(model, mujoco.mjtObj.mjOBJ_JOINT, j, "joint")] = (kind, value)
    return joints, bodies


def simulate(model: mujoco.MjModel, data: mujoco.MjData, seconds: float) -> dict:
    joints0, bodies0 = snapshot(model, data)
    steps = max(1, round(seconds / model.opt.timestep))
    start = time.perf_counter()
    mujoco.mj_step(model, data, steps)
    wall = time.perf_counter() - start
    joints1, bodies1 = snapshot(model, data)

    joints = {name: {"type": kind, "initial": value, "final": joints1[name][1]}
              for name, (kind, value) in joints0.items()}
    bodies = {name: {
        "initial_pos": pos.tolist(), "final_pos": bodies1[name][0].tolist(),
        "drift_m": float(np.linalg.norm(bodies1[name][0] - pos)),
        "final_quat": bodies1[name][1].tolist(),
    } for name, (pos, _) in bodies0.items()}
    hinge_moves = [abs(j["final"] - j["initial"]) for j in joints.values() if j["type"] == "hinge"]
    warned = any(data.warning[w].number > 0 for w in BAD_STATE_WARNINGS)
    finite = bool(np.all(np.isfinite(data.qpos)) and np.all(np.isfinite(data.qvel)))
    simulated = steps * model.opt.timestep
    return {
        "engine": "mujoco", "mujoco_version": mujoco.__version__,
        "timestep": float(model.opt.timestep), "seconds": simulated, "steps": steps,
        "wall_s": wall, "steps_per_s": steps / wall, "realtime_factor": simulated / wall,
        "joint_drift_deg_max": math.degrees(max(hinge_moves, default=0.0)),
        "nan": warned or not finite, "joints": joints, "bodies": bodies,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mjcf", required=True, help="MJCF model file")
    parser.add_argument("--seconds", type=float, default=10.0, help="simulated seconds")
    parser.add_argument("--keyframe", help="initial keyframe, by name or index (default: 0 if any)")
    parser.add_argument("--ctrl", action="append", default=[], metavar="NAME=VALUE",
                        help="control for the actuator NAME, or the one actuator on joint NAME")
    parser.add_argument("--settle-json", metavar="FILE", help="also write the result object here")
    parser.add_argument("--print-model", action="store_true", help="print the compiled model and exit")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args()
    if not args.seconds > 0:
        fail("--seconds must be > 0")

    try:
        model = mujoco.MjModel.from_xml_path(args.mjcf)
    except (ValueError, OSError) as err:  # MuJoCo reports parse/compile errors as ValueError
        fail(f"cannot load {args.mjcf}: {err}")
    if args.print_model:
        described = describe_model(model)
        if args.json:
            print(json.dumps(described))
            return
        for section, entries in described.items():  # one element per line
            print(f"{section}: {entries}" if isinstance(entries, str) else f"{section}:")
            for entry in entries if isinstance(entries, list) else []:
                print(f"  {json.dumps(entry)}")
        return

    data = mujoco.MjData(model)
    key = initial_state(model, data, args.keyframe)
    set_controls(model, data, args.ctrl)
    result = {"mjcf": args.mjcf, "keyframe": key, **simulate(model, data, args.seconds)}
    result["ctrl"] = {actuator_name(model, a): float(data.ctrl[a]) for a in range(model.nu)}
    if args.settle_json:
        with open(args.settle_json, "w", encoding="utf-8") as fh:
            json.dump(result, fh)
    if args.json:
        print(json.dumps(result))
        return
    for field, value in result.items():
        rows = value.items() if isinstance(value, dict) else [(field, value)]
        for name, entry in rows:  # joints and bodies: one line each
            text = f"{entry:.6g}" if isinstance(entry, float) else json.dumps(entry)
            print(f"{name:>28}: {text}")


if __name__ == "__main__":
    main()
