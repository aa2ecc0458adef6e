//! Grasps on real robot files. The ALOHA transfer-cube scene from gym-aloha's MJCF files
//! (`../shared/thirdparty/aloha`): the arms hold their start pose, the cube rests, a scripted
//! grasp lifts the cube and holds it, and the scripted hand-over passes it from the right
//! gripper to the left. The Shadow hand (gymnasium-robotics): a power grasp holds the block
//! palm-down.

use sim::PhysicsConfig;
use std::path::PathBuf;

fn scene_file() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty/aloha/bimanual_viperx_transfer_cube.xml");
    assert!(p.exists(), "fixture missing: {}", p.display());
    p
}

#[test]
fn the_arms_hold_the_start_pose_and_the_cube_rests_on_the_table() {
    let spec = robots::read_mjcf_file(&scene_file()).expect("scene loads");
    let s = sim::run_scene_hold(&spec, 10.0, PhysicsConfig::manipulation()).expect("runs");
    assert!(!s.nan);
    assert_eq!((s.articulations, s.object_count), (2, 1));
    // Under gravity and PD alone (MuJoCo's joint frictionloss is not simulated) the joints sag
    // by at most a degree and a half from the keyframe (MuJoCo's own settle is ~0.5 deg).
    assert!(s.joint_error_deg_max < 2.0, "{s:?}");
    assert!(
        s.object_drift_m <= 1e-3,
        "cube drift {} m",
        s.object_drift_m
    );
    let z = s.objects["box"][2];
    assert!(
        (z - 0.02).abs() < 1e-3,
        "the 4 cm cube rests on the table top (z = 0): {z}"
    );
}

#[test]
fn a_scripted_grasp_lifts_the_cube_10_cm_and_holds_it_5_s() {
    let spec = robots::read_mjcf_file(&scene_file()).expect("scene loads");
    let r = sim::tasks::aloha_grasp::run_aloha_grasp(
        &spec,
        sim::tasks::bimanual::aloha_physics(),
        sim::tasks::bimanual::aloha_scene_options(),
        "vx300s_right",
        "box",
        0.10,
    )
    .expect("grasp runs");
    assert!(r.ik_error_m < 2e-3, "{r:?}");
    assert!(r.lift_m >= 0.095, "lifted {} m: {r:?}", r.lift_m);
    assert!(r.slip_m <= 0.01, "slipped {} m: {r:?}", r.slip_m);
    assert!(r.final_lift_m >= 0.09, "{r:?}");
}

#[test]
fn the_scripted_policy_hands_the_cube_over_in_at_least_90_percent_of_randomised_episodes() {
    use sim::tasks::bimanual::{
        AlohaTask, aloha_dir, evaluate_scripted_transfer, read_aloha_scene,
    };
    let spec = read_aloha_scene(&aloha_dir(), AlohaTask::TransferCube).expect("scene loads");
    // 20 of the 100 episodes `embody eval bimanual --scripted` runs (docs/BENCHMARKS.md).
    let r = evaluate_scripted_transfer(&spec, 20, 1).expect("runs");
    let worst: Vec<_> = r.results.iter().filter(|e| e.max_level < 4).collect();
    assert!(r.success_rate >= 0.9, "{:.2}: {worst:?}", r.success_rate);
    assert!(r.handed_over_rate >= 0.9, "{r:?}");
    for e in &r.results {
        assert!(e.ik_error_m < 2e-3, "{e:?}");
    }
}

#[test]
fn a_shadow_hand_power_grasp_holds_the_block_palm_down_for_5_s() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty/gymnasium_robotics/hand/manipulate_block.xml");
    assert!(path.exists(), "fixture missing: {}", path.display());
    let spec = robots::read_mjcf_file(&path).expect("the hand scene loads");
    use sim::tasks::shadow_grasp::{POWER_GRASP, run_shadow_power_grasp};
    let run = |grasp: &[(&str, f32)]| {
        run_shadow_power_grasp(&spec, PhysicsConfig::manipulation(), "object", grasp)
            .expect("grasp runs")
    };
    // Without the grasp the turned hand drops the block.
    let open = run(&[]);
    assert!(open.palm_distance_m > 0.2, "{open:?}");
    let r = run(&POWER_GRASP);
    assert!(r.slip_m <= 0.01, "slipped {} m: {r:?}", r.slip_m);
    // Still in the hand: the 5 cm block's centre within 12 cm of the palm's frame, and the
    // grasp and the turn moved it by less than its own size.
    assert!(r.palm_distance_m < 0.12, "{r:?}");
    assert!(r.moved_since_rest_m < 0.05, "{r:?}");
}

#[test]
fn two_shadow_hands_facing_each_other_hold_their_keyframe() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/thirdparty/gymnasium_robotics/hand/manipulate_block.xml");
    assert!(path.exists(), "fixture missing: {}", path.display());
    let one = robots::read_mjcf_file(&path).expect("the hand scene loads");
    let pair = robots::add_mirrored_twin(&one, 0, 0.6, "robot1", |n| {
        n.replacen("robot0:", "robot1:", 1)
    })
    .expect("twin");
    let s = sim::run_scene_hold(&pair, 2.0, PhysicsConfig::manipulation()).expect("runs");
    assert!(!s.nan);
    assert_eq!(s.articulations, 2);
    // No worse than the hand alone (its soft wrist, kp 5, sags about 6 degrees under the block
    // on its palm): the twin adds no contact or load of its own.
    let alone = sim::run_scene_hold(&one, 2.0, PhysicsConfig::manipulation()).expect("runs");
    assert!(
        s.joint_error_deg_max <= alone.joint_error_deg_max + 0.5,
        "{} vs {}",
        s.joint_error_deg_max,
        alone.joint_error_deg_max
    );
    // Both hands' joints settle alike: the twin's joints mirror the hand's.
    for (name, q) in &s.joints {
        if let Some(rest) = name.strip_prefix("robot0:") {
            let twin = s.joints[&format!("robot1:{rest}")];
            assert!((q - twin).abs() < 0.02, "{name}: {q} vs {twin}");
        }
    }
}
