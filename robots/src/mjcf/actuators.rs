//! `<actuator>`: position servos on hinge and slide joints become the joints' PD gains, target
//! range and effort limit. Other actuators are reported in the scene's notes.
//!
//! A position servo with gear `g` pushes `g * (kp * (ctrl - g q) - kv * g qdot)` onto its joint,
//! i.e. a PD law with stiffness `g² kp`, damping `g² kv` and target `ctrl / g`; its force limit
//! `f` becomes a joint effort limit `|g| f`.

use super::assemble::{Assembly, Place};
use super::attrs::{Attrs, resolve_limited};
use super::compiler::Compiler;
use super::defaults::{Defaults, MAIN};
use super::joint::JointType;
use super::xml::Document;
use crate::error::RobotError;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A PD servo read from one actuator (in actuator space, before the gear).
struct Servo {
    kp: f64,
    kv: f64,
}

/// Applies every actuator to the joint it drives; `by_name` maps joint names to indices in
/// `asm.joints`.
pub(crate) fn apply_actuators(
    doc: &Document,
    defaults: &Defaults,
    c: &Compiler,
    asm: &mut Assembly,
    by_name: &HashMap<String, usize>,
    notes: &mut Vec<String>,
) -> Result<(), RobotError> {
    // Things not modelled, by description, with the actuators concerned.
    let mut skipped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut driven: HashSet<(usize, usize)> = HashSet::new();
    let mut count = 0usize;
    for section in doc.root.children_named("actuator") {
        for elem in &section.children {
            let a = defaults.attrs(doc, elem, MAIN)?;
            let label = match a.name() {
                "" => format!("#{count}"),
                n => n.to_string(),
            };
            count += 1;
            let mut skip = |what: String| skipped.entry(what).or_default().push(label.clone());
            let joint_name = a.get("joint").or_else(|| a.get("jointinparent"));
            let Some(joint_name) = joint_name else {
                let via = ["tendon", "site", "body", "cranksite"]
                    .into_iter()
                    .find(|k| a.has(k))
                    .unwrap_or("unknown");
                skip(format!("actuators with a {via} transmission"));
                continue;
            };
            let Some(placed) = by_name.get(joint_name).and_then(|&i| asm.joints.get(i)) else {
                let key = if a.has("joint") {
                    "joint"
                } else {
                    "jointinparent"
                };
                return Err(a.attr_err(key, format!("no joint is called '{joint_name}'")));
            };
            let place = placed.place;
            let joint_kind = placed.def.kind;
            let joint_range = placed.def.range;
            let Some(servo) = servo_of(&a, &mut skip)? else {
                continue;
            };
            let gear = a
                .numbers_between("gear", 1, 6)?
                .and_then(|g| g.first().copied())
                .unwrap_or(1.0);
            if gear == 0.0 {
                skip("actuators with gear 0".into());
                continue;
            }
            let mut ctrl = a.range("ctrlrange")?;
            let mut ctrl_limited =
                resolve_limited(&a, "ctrllimited", "ctrlrange", ctrl, c.autolimits)?;
            if let Some(inherit) = a.number("inheritrange")?
                && inherit > 0.0
                && elem.tag == "position"
            {
                let Some((lo, hi)) = joint_range.filter(|_| joint_kind != JointType::Ball) else {
                    return Err(a.attr_err(
                        "inheritrange",
                        format!("joint '{joint_name}' has no range to inherit"),
                    ));
                };
                let (mid, half) = ((lo + hi) / 2.0, (hi - lo) / 2.0 * inherit);
                ctrl = Some((mid - half, mid + half));
                ctrl_limited = true;
            }
            if let Some((lo, hi)) = ctrl
                && ctrl_limited
                && lo > hi
            {
                return Err(a.attr_err("ctrlrange", format!("lower {lo} is above upper {hi}")));
            }
            let force = a.range("forcerange")?;
            let force_limited =
                resolve_limited(&a, "forcelimited", "forcerange", force, c.autolimits)?;
            if let Some((lo, hi)) = force
                && force_limited
                && lo > hi
            {
                return Err(a.attr_err("forcerange", format!("lower {lo} is above upper {hi}")));
            }
            let (art, j) = match (place, joint_kind) {
                (Place::Joint { art, joint }, JointType::Hinge | JointType::Slide) => (art, joint),
                (_, kind) => {
                    skip(format!("actuators on {} joints", kind.as_str()));
                    continue;
                }
            };
            let Some(spec) = asm
                .articulations
                .get_mut(art)
                .and_then(|r| r.joints.get_mut(j))
            else {
                continue;
            };
            if !driven.insert((art, j)) {
                skip(format!(
                    "second actuators on one joint (the last one's gains and range are used; joint '{joint_name}')"
                ));
            }
            let g2 = gear * gear;
            spec.stiffness = servo.kp * g2;
            spec.damping += servo.kv * g2;
            if let Some((lo, hi)) = force.filter(|_| force_limited) {
                spec.effort_limit = spec.effort_limit.min(gear.abs() * lo.abs().max(hi.abs()));
            }
            if let Some((lo, hi)) = ctrl.filter(|_| ctrl_limited) {
                let (a0, b0) = (lo / gear, hi / gear);
                spec.target_range = Some((a0.min(b0), a0.max(b0)));
            }
        }
    }
    for (what, names) in skipped {
        notes.push(format!(
            "{} {what} not modelled: {}",
            names.len(),
            names.join(", ")
        ));
    }
    Ok(())
}

/// The servo an actuator describes, or `None` (after `skip`ping it) when it is not a position
/// servo we reproduce.
fn servo_of(a: &Attrs, skip: &mut impl FnMut(String)) -> Result<Option<Servo>, RobotError> {
    match a.elem.tag.as_str() {
        "position" => {
            // MuJoCo keeps one actuator default per class: a class's <general gainprm> sets the
            // kp of its position actuators too.
            let kp = match a.number("kp")? {
                Some(kp) => kp,
                None => a
                    .numbers("gainprm")?
                    .and_then(|g| g.first().copied())
                    .unwrap_or(1.0),
            };
            if kp < 0.0 {
                return Err(a.attr_err("kp", format!("must not be negative, got {kp}")));
            }
            let kv = a.non_negative_or("kv", 0.0)?;
            if a.has("dampratio") && !a.has("kv") {
                skip("position actuators with dampratio (kv 0 used)".into());
            }
            if a.number_or("timeconst", 0.0)? > 0.0 {
                skip("position actuators' timeconst filters (the servo acts without it)".into());
            }
            Ok(Some(Servo { kp, kv }))
        }
        "general" => {
            let gaintype = a.get("gaintype").map(str::trim).unwrap_or("fixed");
            let biastype = a.get("biastype").map(str::trim).unwrap_or("none");
            let dyntype = a.get("dyntype").map(str::trim).unwrap_or("none");
            let gain = a.numbers("gainprm")?.unwrap_or_else(|| vec![1.0]);
            let bias = a.numbers("biasprm")?.unwrap_or_default();
            let at = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0);
            let kp = at(&gain, 0);
            let kv = -at(&bias, 2);
            let is_servo = gaintype == "fixed"
                && biastype == "affine"
                && dyntype == "none"
                && at(&bias, 0) == 0.0
                && (at(&bias, 1) + kp).abs() <= 1e-9 * kp.abs().max(1.0)
                && gain.iter().skip(1).all(|&v| v == 0.0)
                && kp >= 0.0
                && kv >= 0.0;
            if is_servo {
                Ok(Some(Servo { kp, kv }))
            } else {
                skip(format!(
                    "general actuators other than position servos (gaintype {gaintype}, biastype {biastype}, dyntype {dyntype})"
                ));
                Ok(None)
            }
        }
        other => {
            skip(format!("{other} actuators"));
            Ok(None)
        }
    }
}
