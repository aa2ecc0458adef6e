use super::*;
use crate::{ObservationScales, TrotGait, proprio_layout};

fn names(n: usize) -> Vec<String> {
    (0..n).map(|k| format!("j{k}")).collect()
}

fn legged_layout(scan: bool) -> ObsLayout {
    let mut layout =
        proprio_layout(&names(2), &[0.25, 0.0], &ObservationScales::default()).expect("layout");
    if scan {
        layout
            .push(
                ObsTerm::HeightScan {
                    x: vec![0.0, 0.1],
                    y: vec![-0.1, 0.0, 0.1],
                    base_offset: 0.3,
                    clip_m: 1.0,
                    scale: 5.0,
                },
                None,
            )
            .expect("scan");
    }
    layout
}

#[test]
fn height_scan_entries_are_clipped_scaled_height_differences() {
    let layout = legged_layout(true);
    let ground = [0.0, 0.1, -0.1, 0.5, 2.0, -3.0];
    let src = ObsSources {
        joint_pos: &[0.0; 2],
        joint_vel: &[0.0; 2],
        last_action: &[0.0; 2],
        base_z: 0.4,
        ground_z: Some(&ground),
        ..Default::default()
    };
    let mut out = vec![0.0; layout.dim()];
    layout.write(&src, &mut out).expect("write");
    let scan = &out[layout.height_scan().expect("scan").range()];
    let expected: Vec<f32> = ground
        .iter()
        .map(|g| (0.4f32 - 0.3 - g).clamp(-1.0, 1.0) * 5.0)
        .collect();
    assert_eq!(scan, expected.as_slice());
    assert_eq!(scan[4], -5.0, "clipped at -1 m");
    assert_eq!(scan[5], 5.0, "clipped at +1 m");
}

#[test]
fn a_missing_source_is_an_error_naming_the_slice() {
    let layout = legged_layout(true);
    let src = ObsSources {
        joint_pos: &[0.0; 2],
        joint_vel: &[0.0; 2],
        last_action: &[0.0; 2],
        ..Default::default()
    };
    let mut out = vec![0.0; layout.dim()];
    let e = layout.write(&src, &mut out).unwrap_err();
    assert_eq!(
        e.to_string(),
        "observation slice 'height_scan' has no source"
    );
    let short = ObsSources {
        joint_pos: &[0.0; 3],
        ..src
    };
    let e = layout.write(&short, &mut out).unwrap_err();
    assert!(
        e.to_string()
            .contains("joint_pos source joint positions has 3"),
        "{e}"
    );
}

#[test]
fn the_contract_round_trips_through_json_with_named_slices() {
    let mut observation = legged_layout(true);
    observation
        .push(
            ObsTerm::GaitPhase {
                gait: TrotGait::default(),
            },
            None,
        )
        .expect("gait");
    let contract = DeployContract {
        observation,
        action: ActionMap {
            joints: names(2),
            default: vec![0.25, 0.0],
            scale: vec![0.25, 0.25],
            gait: None,
        },
        control_dt: 0.02,
    };
    contract.validate().expect("valid");
    let json = serde_json::to_value(&contract).expect("json");
    let first = &json["observation"][0];
    assert_eq!(first["name"], "base_lin_vel");
    assert_eq!(first["offset"], 0);
    assert_eq!(first["len"], 3);
    assert_eq!(json["observation"][7]["name"], "height_scan");
    assert_eq!(json["observation"][7]["offset"], 18);
    let back: DeployContract = serde_json::from_value(json).expect("parse");
    assert_eq!(back, contract);
}

#[test]
fn a_broken_layout_from_a_file_names_the_slice() {
    let mut json = serde_json::to_value(legged_layout(false)).expect("json");
    json[4]["offset"] = serde_json::json!(13);
    let layout: ObsLayout = serde_json::from_value(json).expect("parse");
    let e = layout.validate().unwrap_err().to_string();
    assert_eq!(
        e,
        "observation slice 'joint_pos' starts at 13, but the slices before it end at 12"
    );
    let mut json = serde_json::to_value(legged_layout(false)).expect("json");
    json[6]["len"] = serde_json::json!(5);
    let layout: ObsLayout = serde_json::from_value(json).expect("parse");
    layout
        .validate()
        .expect("last_action takes its length from the layout");
    let contract = DeployContract {
        observation: layout,
        action: ActionMap {
            joints: names(2),
            default: vec![0.0; 2],
            scale: vec![1.0; 2],
            gait: None,
        },
        control_dt: 0.02,
    };
    let e = contract.validate().unwrap_err().to_string();
    assert_eq!(
        e,
        "observation slice 'last_action' has 5 entries, expected 2"
    );
}

#[test]
fn the_action_map_adds_default_scaled_action_and_gait_offsets() {
    let map = ActionMap {
        joints: names(2),
        default: vec![0.5, -1.0],
        scale: vec![0.25, 0.5],
        gait: None,
    };
    let mut out = [0.0; 2];
    map.targets(&[1.0, -2.0], None, &mut out);
    assert_eq!(out, [0.75, -2.0]);
    map.targets(&[1.0, -2.0], Some(&[0.5, 0.25]), &mut out);
    assert_eq!(out, [1.25, -1.75]);
    let twice = ActionMap {
        joints: vec!["a".into(), "a".into()],
        ..map
    };
    assert_eq!(
        twice.validate().unwrap_err().to_string(),
        "joint 'a' appears twice in the action map"
    );
}

#[test]
fn the_layout_mirror_flips_lateral_terms_and_swaps_scan_columns() {
    let layout = legged_layout(true);
    let joints = crate::SignedPermutation {
        index: vec![1, 0],
        sign: vec![-1.0, -1.0],
    };
    let m = layout.mirror(&joints).expect("mirror");
    assert!(m.is_involution());
    let mut obs: Vec<f32> = (0..layout.dim()).map(|k| k as f32 + 1.0).collect();
    obs[9..12].copy_from_slice(&[0.5, 0.3, 0.7]);
    let mut out = vec![0.0; obs.len()];
    m.apply(&obs, &mut out);
    assert_eq!(&out[9..12], &[0.5, -0.3, -0.7]);
    assert_eq!(&out[12..14], &[-obs[13], -obs[12]]);
    // Scan row 0 is [y=-0.1, 0, 0.1] at 18..21: its ends trade places.
    assert_eq!(&out[18..21], &[obs[20], obs[19], obs[18]]);
}
