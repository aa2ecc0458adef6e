//! `<tendon>`: fixed tendons (linear couplings of joints of one articulation, held in a range)
//! become [`TendonSpec`]s; spatial tendons are reported in the notes.

use super::assemble::{Assembly, Place};
use super::attrs::{Attrs, resolve_limited};
use super::compiler::Compiler;
use super::defaults::{Defaults, MAIN};
use super::joint::JointType;
use super::xml::Document;
use crate::error::RobotError;
use crate::scene::TendonSpec;
use std::collections::HashMap;

/// Reads every fixed tendon; `by_name` maps joint names to indices in `asm.joints`.
pub(crate) fn read_tendons(
    doc: &Document,
    defaults: &Defaults,
    c: &Compiler,
    asm: &Assembly,
    by_name: &HashMap<String, usize>,
    notes: &mut Vec<String>,
) -> Result<Vec<TendonSpec>, RobotError> {
    let mut tendons = Vec::new();
    let mut spatial = 0usize;
    let mut passive = 0usize;
    let mut count = 0usize;
    for section in doc.root.children_named("tendon") {
        for elem in &section.children {
            let index = count;
            count += 1;
            if elem.tag == "spatial" {
                spatial += 1;
                continue;
            }
            if elem.tag != "fixed" {
                continue;
            }
            let a = defaults.attrs(doc, elem, MAIN)?;
            let name = match a.name() {
                "" => format!("tendon{index}"),
                n => n.to_string(),
            };
            let mut articulation = None;
            let mut joints = Vec::new();
            for je in elem.children_named("joint") {
                let ja = Attrs::new(je, None, doc);
                let Some(joint_name) = ja.get("joint") else {
                    return Err(ja.err("needs a 'joint' attribute"));
                };
                let Some(coef) = ja.number("coef")? else {
                    return Err(ja.err("needs a 'coef' attribute"));
                };
                let Some(placed) = by_name.get(joint_name).and_then(|&i| asm.joints.get(i)) else {
                    return Err(ja.attr_err("joint", format!("no joint is called '{joint_name}'")));
                };
                let (art, j) = match (placed.place, placed.def.kind) {
                    (Place::Joint { art, joint }, JointType::Hinge | JointType::Slide) => {
                        (art, joint)
                    }
                    (_, kind) => {
                        return Err(ja.attr_err(
                            "joint",
                            format!(
                                "'{joint_name}' is a {} joint: fixed tendons need hinge or slide joints",
                                kind.as_str()
                            ),
                        ));
                    }
                };
                match articulation {
                    None => articulation = Some(art),
                    Some(other) if other != art => {
                        return Err(a.err(format!(
                            "couples joints of two articulations ('{joint_name}' is not in the articulation of the tendon's first joint): not supported"
                        )));
                    }
                    Some(_) => {}
                }
                joints.push((j, coef));
            }
            let Some(articulation) = articulation else {
                return Err(a.err("a fixed tendon needs at least one <joint>"));
            };
            let raw_range = a.range("range")?;
            let limited = resolve_limited(&a, "limited", "range", raw_range, c.autolimits)?;
            let range = match raw_range {
                Some((lo, hi)) if limited => {
                    if lo > hi {
                        return Err(a.attr_err(
                            "range",
                            format!("the lower limit {lo} is above the upper limit {hi}"),
                        ));
                    }
                    Some((lo, hi))
                }
                None if limited => return Err(a.err("is limited but has no 'range'")),
                _ => None,
            };
            if a.number_or("stiffness", 0.0)? != 0.0 || a.number_or("damping", 0.0)? != 0.0 {
                passive += 1;
            }
            tendons.push(TendonSpec {
                name,
                articulation,
                joints,
                range,
            });
        }
    }
    if spatial > 0 {
        notes.push(format!("{spatial} spatial tendons ignored"));
    }
    if passive > 0 {
        notes.push(format!(
            "tendon stiffness/damping ignored on {passive} fixed tendons"
        ));
    }
    Ok(tendons)
}
