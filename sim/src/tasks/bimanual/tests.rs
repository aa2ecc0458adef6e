//! Tests of the bimanual env on gym-aloha's scene files (`../shared/thirdparty/aloha`).

use super::*;
use crate::env::Env;

fn assets(tasks: Vec<AlohaTask>) -> (BimanualAssets, BimanualConfig) {
    let config = BimanualConfig {
        tasks,
        ..BimanualConfig::default()
    };
    let dir = aloha_dir();
    assert!(dir.is_dir(), "fixture missing: {}", dir.display());
    (
        BimanualAssets::load(&config).expect("ALOHA files load"),
        config,
    )
}

/// The env action that moves the env's targets to `targets` (`[14]`, the scripted policy's
/// absolute joint targets) in one step (delta actions).
fn action_for(env: &BimanualEnv, config: &BimanualConfig, targets: &[f32; 14]) -> Vec<f32> {
    (0..14)
        .map(|k| (targets[k] - env.targets()[k]) / config.delta_scale[k % PER_ARM])
        .collect()
}

#[test]
fn observations_are_finite_and_carry_the_task_id() {
    let (a, c) = assets(vec![AlohaTask::Insertion]);
    let mut env = BimanualEnv::new(&a, c, 5).expect("env builds");
    assert_eq!((env.obs_dim(), env.action_dim()), (OBS_DIM, ACTION_DIM));
    let mut obs = vec![f32::NAN; OBS_DIM];
    env.reset(&mut obs);
    for _ in 0..20 {
        env.step(&[0.3; 14], &mut obs);
    }
    assert!(obs.iter().all(|v| v.is_finite()), "{obs:?}");
    // The one-hot task id closes the observation.
    assert_eq!(&obs[OBS_DIM - 2..], &[0.0, 1.0]);
}

#[test]
fn zero_action_holds_the_keyframe() {
    let (a, c) = assets(vec![AlohaTask::TransferCube]);
    let mut env = BimanualEnv::new(&a, c, 5).expect("env builds");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(&mut obs);
    for _ in 0..50 {
        env.step(&[0.0; 14], &mut obs);
    }
    let q = env.aloha().rig().qpos(env.aloha().scene()).expect("reads");
    let key = *env.targets();
    for k in 0..14 {
        assert!(
            (q[k] - key[k]).abs() < 0.05,
            "joint {k}: {} vs {}",
            q[k],
            key[k]
        );
    }
}

#[test]
fn a_snapshot_restored_into_another_env_continues_bit_exactly() {
    let (a, c) = assets(vec![AlohaTask::TransferCube, AlohaTask::Insertion]);
    let mut one = BimanualEnv::new(&a, c.clone(), 11).expect("env builds");
    let mut two = BimanualEnv::new(&a, c, 99).expect("env builds");
    let (mut o1, mut o2) = (vec![0.0; OBS_DIM], vec![0.0; OBS_DIM]);
    one.reset(&mut o1);
    two.reset(&mut o2);
    let act =
        |t: usize| -> Vec<f32> { (0..14).map(|k| ((t * 7 + k) as f32 * 0.37).sin()).collect() };
    for t in 0..30 {
        one.step(&act(t), &mut o1);
    }
    let snap = one.snapshot();
    two.restore(&snap);
    for t in 30..90 {
        let r1 = one.step(&act(t), &mut o1);
        let r2 = two.step(&act(t), &mut o2);
        assert_eq!(r1, r2, "step {t}");
        assert_eq!(o1, o2, "step {t}");
    }
}

#[test]
fn the_scripted_hand_over_through_env_actions_reaches_stage_2_and_level_4() {
    let (a, c) = assets(vec![AlohaTask::TransferCube]);
    let mut env = BimanualEnv::new(&a, c.clone(), 2).expect("env builds");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(&mut obs);
    let p = env.aloha().object_position(0).expect("cube");
    let plan = ScriptedTransfer::plan(env.aloha().scene(), env.aloha().rig(), [p[0], p[1]])
        .expect("plans");
    let (mut stage1_max, mut stage2_min) = (f32::MIN, f32::MAX);
    for step in 0..SCRIPT_STEPS {
        let action = action_for(&env, &c, &plan.action(step));
        assert!(
            action.iter().all(|a| a.abs() <= 1.0),
            "step {step}: {action:?}"
        );
        let out = env.step(&action, &mut obs);
        assert!(!out.terminated, "step {step}");
        let stage2 = obs[OBS_DIM - 4] == 1.0;
        if stage2 {
            stage2_min = stage2_min.min(out.reward);
        } else {
            stage1_max = stage1_max.max(out.reward);
        }
    }
    assert_eq!(env.max_level(), SUCCESS_LEVEL);
    assert!(env.step_info().success == Some(true));
    assert!(stage2_min < f32::MAX, "stage 2 never held");
    // Holding the lifted cube pays more than anything before the lift.
    assert!(
        stage2_min > stage1_max - 0.5,
        "{stage2_min} vs {stage1_max}"
    );
}

#[test]
fn stage_2_pays_at_least_what_stage_1_can() {
    let c = BimanualConfig::default();
    let reward = StageReward::new(&c);
    let base = RewardInputs {
        task: AlohaTask::TransferCube,
        level: 2,
        positions: vec![[0.1, 0.5, 0.021]],
        rotations: vec![[1.0, 0.0, 0.0, 0.0]],
        goal: HANDOVER_POINT,
        grasp_points: [[-0.4, 0.5, 0.3], [0.1, 0.5, 0.021]],
        fingers: [[0, 0], [2, 0]],
        on_table: [true, false],
    };
    // Best stage 1: grasped at the object, not yet off the table, lifted the full height.
    let stage1 = InputsAt {
        z: 0.12,
        on_table: true,
    }
    .apply(&base);
    assert!(!reward.stage2(&stage1));
    // Worst stage 2: just lifted, far from the goal.
    let stage2 = InputsAt {
        z: 0.032,
        on_table: false,
    }
    .apply(&base);
    assert!(reward.stage2(&stage2));
    let a = [0.0; 14];
    let t1 = reward.terms(&stage1, &a, &a);
    let t2 = reward.terms(&stage2, &a, &a);
    assert!(t2.total() >= t1.total(), "{t2:?} vs {t1:?}");
}

/// The cube and the right grasp point moved to height `z`, touching the table or not.
struct InputsAt {
    z: f32,
    on_table: bool,
}

impl InputsAt {
    fn apply(&self, base: &RewardInputs) -> RewardInputs {
        let mut i = base.clone();
        i.positions[0][2] = self.z;
        i.grasp_points[1][2] = self.z;
        i.on_table[0] = self.on_table;
        i
    }
}

#[test]
fn multi_task_envs_draw_both_tasks() {
    let (a, c) = assets(vec![AlohaTask::TransferCube, AlohaTask::Insertion]);
    let mut env = BimanualEnv::new(&a, c, 7).expect("env builds");
    let mut obs = vec![0.0; OBS_DIM];
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20 {
        env.reset(&mut obs);
        let id = &obs[OBS_DIM - 2..];
        assert_eq!(id[env.task().id()], 1.0);
        seen.insert(env.task());
    }
    assert_eq!(seen.len(), 2);
}

#[test]
fn insertion_objects_rest_at_their_rest_heights() {
    let (a, _) = assets(vec![AlohaTask::Insertion]);
    let mut aloha = AlohaScene::new(&a.scenes[0].1, AlohaTask::Insertion).expect("builds");
    aloha
        .reset(&[[0.15, 0.5, 0.05], [-0.15, 0.5, 0.05]])
        .expect("resets");
    let key = {
        let mut k = [0.0; 14];
        for side in Side::BOTH {
            let arm = aloha.rig().arm(side);
            let q = aloha.scene().articulations()[arm.articulation].default_q();
            for (i, &j) in arm.joints.iter().enumerate() {
                k[side as usize * PER_ARM + i] = q[j];
            }
            k[side as usize * PER_ARM + 6] = gripper_normalise(q[arm.fingers[0]]);
        }
        k
    };
    for _ in 0..100 {
        aloha.step(&key).expect("steps");
    }
    for (k, rest) in AlohaTask::Insertion.rest_heights().iter().enumerate() {
        let z = aloha.object_position(k).expect("object")[2];
        assert!((z - rest).abs() < 2e-3, "object {k}: {z} vs {rest}");
    }
    assert_eq!(aloha.level(), 0);
}

#[test]
fn a_missing_scene_file_and_bad_settings_name_the_file_and_key() {
    let config = BimanualConfig {
        aloha_dir: "/nonexistent/aloha".into(),
        ..BimanualConfig::default()
    };
    let err = BimanualAssets::load(&config)
        .expect_err("no files")
        .to_string();
    assert!(
        err.contains("/nonexistent/aloha/bimanual_viperx_transfer_cube.xml"),
        "{err}"
    );
    let empty = BimanualConfig {
        tasks: vec![],
        ..BimanualConfig::default()
    };
    assert!(
        empty
            .validate()
            .expect_err("no tasks")
            .to_string()
            .contains("env.tasks")
    );
    let mut bad = BimanualConfig::default();
    bad.reward.goal_scale = 0.0;
    assert!(
        bad.validate()
            .expect_err("zero scale")
            .to_string()
            .contains("env.reward.goal_scale")
    );
    let mut shaping = BimanualConfig::default();
    shaping.shaping.insert(
        AlohaTask::Insertion,
        TaskShaping {
            lift_height: -1.0,
            ..TaskShaping::default()
        },
    );
    assert!(
        shaping
            .validate()
            .expect_err("negative height")
            .to_string()
            .contains("env.shaping.insertion.lift_height")
    );
}

#[test]
fn the_task_config_parses_from_toml_and_rejects_unknown_keys() {
    let ok: BimanualConfig = toml::from_str(
        "tasks = [\"transfer_cube\", \"insertion\"]\n[shaping.insertion]\nlift_height = 0.05\n",
    )
    .expect("parses");
    assert_eq!(ok.tasks.len(), 2);
    assert_eq!(ok.shaping_of(AlohaTask::Insertion).lift_height, 0.05);
    let err = toml::from_str::<BimanualConfig>("tasks = [\"juggling\"]")
        .expect_err("unknown task")
        .to_string();
    assert!(err.contains("juggling"), "{err}");
    let err = toml::from_str::<BimanualConfig>("episode_stepz = 3")
        .expect_err("unknown key")
        .to_string();
    assert!(err.contains("episode_stepz"), "{err}");
}

#[test]
fn absolute_actions_set_targets_around_the_keyframe_and_delta_actions_move_them() {
    let (a, c) = assets(vec![AlohaTask::TransferCube]);
    let absolute = BimanualConfig {
        action: ActionMode::Absolute,
        ..c.clone()
    };
    let mut env = BimanualEnv::new(&a, absolute, 1).expect("env builds");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(&mut obs);
    let key = *env.targets();
    let mut action = [0.0; 14];
    assert_eq!(env.targets_of(&action), key);
    // The left shoulder (index 1) moves by its scale; the clipped action cannot go further.
    action[1] = 0.5;
    assert!((env.targets_of(&action)[1] - (key[1] + 0.5 * c.action_scale[1])).abs() < 1e-6);
    action[1] = 7.0;
    let t = env.targets_of(&action)[1];
    assert!(
        (t - (key[1] + c.action_scale[1]).min(1.25664)).abs() < 1e-5,
        "{t}"
    );
    // Delta: two steps of +1 on the right gripper open it by twice its delta.
    let mut env = BimanualEnv::new(&a, c.clone(), 1).expect("env builds");
    env.reset(&mut obs);
    let mut open = [0.0; 14];
    open[13] = 1.0;
    env.step(&open, &mut obs);
    env.step(&open, &mut obs);
    assert!((env.targets()[13] - (key[13] + 2.0 * c.delta_scale[6])).abs() < 1e-6);
}

#[test]
fn the_student_sees_the_teachers_object_pose_without_velocities_or_contact_flags() {
    let (a, c) = assets(vec![AlohaTask::TransferCube]);
    let exact_student = BimanualConfig {
        observation: ObservationConfig {
            variant: ObservationVariant::Student,
            position_noise_m: 0.0,
            rotation_noise: 0.0,
            latency_steps: 0,
        },
        ..c.clone()
    };
    let mut teacher = BimanualEnv::new(&a, c, 4).expect("env builds");
    let mut student = BimanualEnv::new(&a, exact_student, 4).expect("env builds");
    let (mut ot, mut os) = (vec![0.0; OBS_DIM], vec![0.0; OBS_DIM]);
    teacher.reset(&mut ot);
    student.reset(&mut os);
    for t in 0..40 {
        let act: Vec<f32> = (0..14).map(|k| ((t + k) as f32 * 0.3).sin()).collect();
        let rt = teacher.step(&act, &mut ot);
        let rs = student.step(&act, &mut os);
        assert_eq!(rt, rs, "the same physics and reward");
    }
    // Object slot 0 starts after joints (42) and grippers (18): position, rotation, velocities.
    let slot = 3 * ACTION_DIM + 18;
    assert_eq!(&ot[slot..slot + 7], &os[slot..slot + 7]);
    assert!(os[slot + 7..slot + 13].iter().all(|v| *v == 0.0));
    assert!(ot[slot + 7..slot + 13].iter().any(|v| *v != 0.0));
    // Contact level and stage are a teacher's privilege.
    assert_eq!(&os[OBS_DIM - 5..OBS_DIM - 3], &[0.0, 0.0]);
    // Everything about the arms is the same.
    assert_eq!(&ot[..slot], &os[..slot]);
}

#[test]
fn a_student_envs_privileged_observation_is_the_teachers() {
    let (a, c) = assets(vec![AlohaTask::TransferCube]);
    let noisy_student = BimanualConfig {
        observation: ObservationConfig {
            variant: ObservationVariant::Student,
            ..ObservationConfig::default()
        },
        ..c.clone()
    };
    let mut teacher = BimanualEnv::new(&a, c, 9).expect("env builds");
    let mut student = BimanualEnv::new(&a, noisy_student, 9).expect("env builds");
    assert_eq!(
        (teacher.privileged_dim(), student.privileged_dim()),
        (0, OBS_DIM)
    );
    let (mut ot, mut os, mut op) = (vec![0.0; OBS_DIM], vec![0.0; OBS_DIM], vec![0.0; OBS_DIM]);
    teacher.reset(&mut ot);
    student.reset(&mut os);
    for t in 0..30 {
        let act: Vec<f32> = (0..14).map(|k| ((t * 3 + k) as f32 * 0.2).cos()).collect();
        teacher.step(&act, &mut ot);
        student.step(&act, &mut os);
        student.write_privileged(&mut op);
        assert_eq!(ot, op, "step {t}");
    }
    // The student's own view differs: noisy, late object poses.
    assert_ne!(os, op);
}

#[test]
fn cartesian_actions_move_the_grasp_point_along_the_world_axes() {
    let (a, c) = assets(vec![AlohaTask::TransferCube]);
    let config = BimanualConfig {
        action: ActionMode::Cartesian,
        ..c
    };
    let scale = config.cartesian_scale;
    let mut env = BimanualEnv::new(&a, config, 3).expect("env builds");
    let mut obs = vec![0.0; OBS_DIM];
    env.reset(&mut obs);
    let rig = env.aloha().rig().clone();
    let start = rig.grasp_point(env.aloha().scene(), Side::Right);
    let start_axes = rig.gripper_pose(env.aloha().scene(), Side::Right).rotation;
    // The right grasp point goes down 10 steps (scale m each; further down, the wrist reaches
    // its limit) and the left arm holds still.
    let mut down = [0.0; 14];
    down[PER_ARM + 2] = -1.0;
    let left_targets: Vec<f32> = env.targets()[..PER_ARM].to_vec();
    for _ in 0..10 {
        env.step(&down, &mut obs);
    }
    // Let the PD loop settle on the last targets.
    for _ in 0..30 {
        env.step(&[0.0; 14], &mut obs);
    }
    let end = rig.grasp_point(env.aloha().scene(), Side::Right);
    let moved = end - start;
    let want = 10.0 * scale[2];
    assert!(
        (moved.z + want).abs() < 0.25 * want,
        "moved {moved:?}, want {want} down"
    );
    assert!(
        moved.xy().norm() < 0.25 * want,
        "drifted sideways: {moved:?}"
    );
    let turned = (rig.gripper_pose(env.aloha().scene(), Side::Right).rotation
        * start_axes.inverse())
    .angle();
    assert!(turned < 0.05, "gripper turned {turned} rad");
    assert_eq!(&env.targets()[..PER_ARM], &left_targets[..]);
    // A rotation about world z turns the gripper about z.
    let before = rig.gripper_pose(env.aloha().scene(), Side::Right).rotation;
    let mut yaw = [0.0; 14];
    yaw[PER_ARM + 5] = 1.0;
    for _ in 0..6 {
        env.step(&yaw, &mut obs);
    }
    for _ in 0..30 {
        env.step(&[0.0; 14], &mut obs);
    }
    let after = rig.gripper_pose(env.aloha().scene(), Side::Right).rotation;
    let turn = (after * before.inverse()).scaled_axis();
    let want = 6.0 * scale[5];
    assert!(
        (turn.z - want).abs() < 0.3 * want,
        "turned {turn:?}, want {want} about z"
    );
}
