//! A few PPO iterations on quadruped locomotion: every reward term stays finite and the velocity
//! tracking term rises. (The full training runs in `embody train locomotion`, never in a test.)

use policies::config::TrainConfig;
use policies::runner::{LocomotionEvalStats, OnPolicyRunner};
use sim::Terrain;
use sim::env::VecEnv;
use sim::tasks::locomotion::{LocomotionConfig, LocomotionEnv, RewardTerms, TerrainCurriculum};
use std::sync::Arc;

/// A PPO runner on `assets/configs/<config>` with `overrides`, on the config's own terrain.
fn runner_for(config: &str, overrides: &[&str]) -> OnPolicyRunner<LocomotionEnv> {
    let path = embody_tests::repo_root()
        .join("assets/configs")
        .join(config);
    let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
    let config = TrainConfig::load(&path, &overrides).expect("config loads");
    let task: LocomotionConfig = config.env_config().expect("env table");
    let spec = Arc::new(robots::load_builtin_or_path(&task.robot).expect("robot"));
    let terrain = Terrain::new(task.terrain, config.seed);
    let venv = VecEnv::try_new(config.runner.num_envs, |i| {
        LocomotionEnv::new(
            spec.clone(),
            terrain.clone(),
            task.clone(),
            config.seed ^ i as u64,
        )
    })
    .expect("envs");
    OnPolicyRunner::new(
        venv,
        config.runner.clone(),
        config.ppo.clone(),
        &config.policy,
        &burn::tensor::Device::flex(),
        config.seed,
    )
    .expect("runner")
}

/// Evaluates the shipped policy `assets/policies/<name>` on test set `set` through the deploy
/// runtime (what `embody eval` and the ROS 2 node run).
fn eval_shipped(
    name: &str,
    set: &str,
    episodes: usize,
    seed: u64,
) -> (LocomotionConfig, usize, LocomotionEvalStats) {
    let dir = embody_tests::repo_root().join("assets/policies").join(name);
    let mut actor = policies::deploy::DeployPolicy::load(&dir).expect("policy loads");
    let config = TrainConfig::load(&dir.join("config.toml"), &[]).expect("config loads");
    let task: LocomotionConfig = config.env_config().expect("env table");
    let spec = Arc::new(robots::load_builtin_or_path(&task.robot).expect("robot"));
    let obs_dim = actor.obs_dim();
    let stats = policies::runner::evaluate_locomotion(&mut actor, spec, &task, set, episodes, seed)
        .expect("eval runs");
    (task, obs_dim, stats)
}

#[test]
fn reward_terms_are_finite_and_tracking_rises_over_a_few_iterations() {
    let mut runner = runner_for("locomotion.toml", &["runner.num_envs=64"]);
    let mut tracking = Vec::new();
    for _ in 0..30 {
        runner.iterate().expect("iteration");
        // Per-step means of the named terms over the iteration's collection.
        let terms = runner.reward_terms().to_vec();
        assert_eq!(terms.len(), RewardTerms::default().named().len());
        for (name, value) in &terms {
            assert!(value.is_finite(), "reward term {name} is {value}");
        }
        if std::env::var("EMBODY_DEBUG_TERMS").is_ok() {
            eprintln!("{terms:?}");
        }
        let lin = terms.iter().find(|(k, _)| *k == "tracking_lin_vel");
        tracking.push(lin.expect("tracking_lin_vel term").1);
    }
    let early: f32 = tracking[..5].iter().sum::<f32>() / 5.0;
    let late: f32 = tracking[25..].iter().sum::<f32>() / 5.0;
    eprintln!("tracking_lin_vel per step: {tracking:?}");
    assert!(
        late > early,
        "tracking term did not rise: {early} -> {late}"
    );
}

/// The terrain curriculum gives each env its own tile, demotes an env that stood still while
/// commanded to walk, and rebuilds that env's ground for the new level.
#[test]
fn curriculum_demotes_robots_that_do_not_walk_and_rebuilds_their_terrain() {
    let task = LocomotionConfig {
        episode_s: 1.0,
        random_episode_start: false,
        push_interval_s: 0.0,
        commands: sim::tasks::locomotion::CommandRanges {
            lin_vel_x: [0.8, 1.0],
            lin_vel_y: [0.0, 0.0],
            ang_vel_yaw: [0.0, 0.0],
        },
        curriculum: Some(TerrainCurriculum {
            max_initial_level: 5,
            ..Default::default()
        }),
        ..Default::default()
    };
    let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("robot"));
    let mut venv = VecEnv::try_new(16, |i| {
        LocomotionEnv::new(spec.clone(), Terrain::flat(), task.clone(), 7 ^ i as u64)
    })
    .expect("envs");
    let before: Vec<_> = venv
        .envs()
        .iter()
        .map(|e| e.terrain_level().expect("curriculum on"))
        .collect();
    let types: std::collections::HashSet<_> = before.iter().map(|(t, _)| *t).collect();
    assert!(
        types.len() >= 3,
        "16 envs should cover several terrain types: {types:?}"
    );
    assert!(before.iter().all(|(_, l)| *l <= 5));
    let tiles: Vec<_> = venv.envs().iter().map(|e| e.terrain().kind).collect();
    assert!(
        tiles.iter().all(|k| k.name() != "flat"),
        "curriculum tiles replace flat ground"
    );
    let zeros = vec![0.0f32; venv.num_envs() * venv.action_dim()];
    // One 1 s episode of standing still (default pose) while asked for about 0.9 m/s.
    for _ in 0..50 {
        venv.step(&zeros).expect("step");
    }
    for (env, (ty, level)) in venv.envs().iter().zip(&before) {
        let (ty_now, level_now) = env.terrain_level().expect("curriculum on");
        assert_eq!(ty_now, *ty, "an env keeps its terrain type");
        assert_eq!(
            level_now,
            level.saturating_sub(1),
            "standing still demotes by one"
        );
        let expected = task
            .curriculum
            .expect("on")
            .terrain_kind(*ty, level_now, true);
        assert_eq!(
            env.terrain().kind.name(),
            expected.name(),
            "ground rebuilt for the new level"
        );
    }

    // Asked to walk one full circle in the episode (yaw rate 2 pi rad/s), the commands end where
    // they started: standing still covers that, so no env is demoted.
    let circling = LocomotionConfig {
        commands: sim::tasks::locomotion::CommandRanges {
            ang_vel_yaw: [std::f32::consts::TAU; 2],
            ..task.commands
        },
        ..task.clone()
    };
    let mut venv = VecEnv::try_new(16, |i| {
        LocomotionEnv::new(
            spec.clone(),
            Terrain::flat(),
            circling.clone(),
            7 ^ i as u64,
        )
    })
    .expect("envs");
    let before: Vec<_> = venv.envs().iter().map(|e| e.terrain_level()).collect();
    for _ in 0..50 {
        venv.step(&zeros).expect("step");
    }
    let after: Vec<_> = venv.envs().iter().map(|e| e.terrain_level()).collect();
    assert_eq!(after, before, "a circle asks for no displacement");
}

/// With `[env.height_scan]` the observation grows by one entry per grid point, and on rough
/// ground the heights differ across the grid, all within the clip.
#[test]
fn height_scan_appends_the_ground_around_the_base_to_the_observation() {
    let rough = sim::TerrainKind::Rough {
        amplitude: 0.05,
        cell: 0.1,
        size: 12.0,
    };
    let blind = LocomotionConfig {
        terrain: rough,
        random_episode_start: false,
        ..Default::default()
    };
    let seeing = LocomotionConfig {
        height_scan: Some(sim::tasks::locomotion::HeightScan::default()),
        ..blind.clone()
    };
    let spec = Arc::new(robots::load_builtin_or_path("quadruped").expect("robot"));
    let make = |task: &LocomotionConfig| {
        VecEnv::try_new(2, |i| {
            LocomotionEnv::new(
                spec.clone(),
                Terrain::new(rough, 3),
                task.clone(),
                11 ^ i as u64,
            )
        })
        .expect("envs")
    };
    let (blind, seeing) = (make(&blind), make(&seeing));
    let scan_dim = seeing.obs_dim() - blind.obs_dim();
    assert_eq!(scan_dim, 91, "13 x 7 points by default");
    let obs = &seeing.obs;
    let proprio = blind.obs_dim();
    let scan = &obs[proprio..proprio + scan_dim];
    assert!(
        scan.iter().all(|v| v.is_finite() && v.abs() <= 5.0),
        "{scan:?}"
    );
    let spread = scan.iter().cloned().fold(f32::MIN, f32::max)
        - scan.iter().cloned().fold(f32::MAX, f32::min);
    assert!(spread > 0.2, "the bumps show in the scan: {scan:?}");
}

/// The shipped locomotion configs parse, and their `[env]` tables validate.
#[test]
fn shipped_locomotion_configs_load_and_validate() {
    for name in ["locomotion.toml", "locomotion_rough.toml"] {
        let path = embody_tests::repo_root().join("assets/configs").join(name);
        let config = TrainConfig::load(&path, &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let task: LocomotionConfig = config
            .env_config()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        task.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
        let rough = name.contains("rough");
        assert_eq!(
            task.curriculum.is_some(),
            rough,
            "{name}: terrain curriculum"
        );
        assert_eq!(task.height_scan.is_some(), rough, "{name}: height scan");
        assert!(task.gait.is_some(), "{name}: trot generator");
    }
}

/// Guards the flat policy's bar (issue 3: lin_vel_error <= 0.15 m/s and falls <= 2% on the flat
/// test set), on 100 seeded held-out episodes: 0.119 m/s and 1% when this test was written.
#[test]
fn the_shipped_flat_policy_meets_its_bar() {
    let (_, _, stats) = eval_shipped("locomotion_flat", "flat", 100, 1000003);
    assert!(stats.lin_vel_error <= 0.15, "{stats:?}");
    assert!(stats.fall_rate <= 0.02, "{stats:?}");
}

/// Guards the rough policy's bar (issue 4: falls <= 10% on rough ground and stairs), with its
/// height scan read by ray casts, on 90 seeded held-out episodes: 2.2% when this test was
/// written.
#[test]
fn the_shipped_rough_policy_meets_its_bar() {
    let (task, obs_dim, stats) = eval_shipped("locomotion_rough", "rough_stairs", 90, 1000003);
    assert!(task.height_scan.is_some());
    assert_eq!(obs_dim, 141);
    assert!(stats.fall_rate <= 0.10, "{stats:?}");
    assert!(stats.lin_vel_error.is_finite(), "{stats:?}");
}

/// The shipped flat policy on the rough-terrain test set: the figures split by terrain add up to
/// the whole, and every episode has its record.
#[test]
fn the_test_set_reports_each_terrain_and_each_episode() {
    let episodes = 6;
    let (task, _, stats) = eval_shipped("locomotion_flat", "rough_stairs", episodes, 7);
    let labels: Vec<&str> = stats
        .by_terrain
        .iter()
        .map(|t| t.terrain.as_str())
        .collect();
    assert_eq!(labels, ["rough", "stairs_down", "stairs_up"]);
    assert!(stats.by_terrain.iter().all(|t| t.episodes == 2));
    assert_eq!(stats.per_episode.len(), episodes);
    let falls = stats.per_episode.iter().filter(|e| e.fell).count();
    assert!((stats.fall_rate - falls as f32 / episodes as f32).abs() < 1e-6);
    let by_terrain_falls: f32 = stats.by_terrain.iter().map(|t| t.fall_rate * 2.0).sum();
    assert!((by_terrain_falls - falls as f32).abs() < 1e-4);
    for e in &stats.per_episode {
        assert_eq!(e.terrain, labels[e.episode % 3]);
        assert!(
            e.survival_s > 0.0 && e.survival_s <= task.episode_s + 1e-3,
            "{e:?}"
        );
        assert!(
            e.end_xy.iter().all(|v| v.is_finite() && v.abs() < 12.0),
            "{e:?}"
        );
        // Without a fall the episode lasts its full length.
        if !e.fell {
            assert!(
                e.survival_s >= task.episode_s - 1e-3 || e.end_xy.iter().any(|v| v.abs() > 10.0)
            );
        }
    }
}

/// Rough-terrain config (gait phase + height scan) with the mirror loss: the loss is measured,
/// finite, and falls as PPO makes the policy act alike to the left and to the right.
#[test]
fn the_mirror_loss_makes_the_policy_symmetric() {
    let mut runner = runner_for(
        "locomotion_rough.toml",
        &["runner.num_envs=16", "ppo.mirror_loss_coef=10.0"],
    );
    let losses: Vec<f32> = (0..4)
        .map(|_| runner.iterate().expect("iteration").update.mirror_loss)
        .collect();
    assert!(
        losses.iter().all(|l| l.is_finite() && *l >= 0.0),
        "{losses:?}"
    );
    assert!(
        losses[0] > 0.0,
        "a fresh policy is not symmetric: {losses:?}"
    );
    assert!(
        losses[3] < 0.5 * losses[0],
        "mirror loss did not fall: {losses:?}"
    );
}

/// A task without a mirror cannot use the mirror loss; the error names the key.
#[test]
fn the_mirror_loss_needs_a_task_with_a_mirror() {
    use sim::tasks::cartpole::{CartPoleConfig, CartPoleEnv};
    let venv = VecEnv::new(4, |i| CartPoleEnv::new(CartPoleConfig::default(), i as u64));
    let ppo = policies::algo::PpoConfig {
        mirror_loss_coef: 1.0,
        ..Default::default()
    };
    let e = OnPolicyRunner::new(
        venv,
        policies::runner::RunnerConfig {
            num_envs: 4,
            ..Default::default()
        },
        ppo,
        &Default::default(),
        &burn::tensor::Device::flex(),
        1,
    )
    .err()
    .expect("refused")
    .to_string();
    assert!(e.contains("ppo.mirror_loss_coef"), "{e}");
}

/// Asymmetric actor-critic: with `env.privileged_critic` the critic takes the observation and
/// the true base state, the actor (what deploys) the observation alone; training runs and a
/// checkpoint keeps the critic's width.
#[test]
fn a_privileged_critic_sees_the_true_state_and_the_actor_does_not() {
    use sim::tasks::locomotion::PRIVILEGED_DIM;
    let mut runner = runner_for(
        "locomotion.toml",
        &[
            "runner.num_envs=8",
            "ppo.num_steps_per_env=8",
            "env.privileged_critic=true",
        ],
    );
    let od = runner.venv.obs_dim();
    assert_eq!(runner.venv.privileged_dim(), PRIVILEGED_DIM);
    assert_eq!(runner.policy().model().obs_dim(), od);
    assert_eq!(
        runner.policy().model().critic_obs_dim(),
        od + PRIVILEGED_DIM
    );
    let mut privileged = vec![0.0; 8 * PRIVILEGED_DIM];
    runner.venv.write_privileged(&mut privileged);
    let base = runner.venv.envs()[0].world().base_state();
    assert_eq!(
        privileged[0],
        base.lin_vel_b.x * 2.0,
        "true velocity, scaled"
    );
    assert_eq!(privileged[6..9], base.gravity_b.to_array());
    assert!(
        (0.1..0.6).contains(&privileged[9]),
        "base height above the ground: {}",
        privileged[9]
    );
    let stats = runner.iterate().expect("iterates");
    assert!(stats.update.value_loss.is_finite(), "{stats:?}");
    let state = runner.runner_state();
    assert_eq!(state.critic_obs_dim(), od + PRIVILEGED_DIM);
    let dir = std::env::temp_dir().join(format!("embody-privileged-{}", std::process::id()));
    let config = TrainConfig::load(
        &embody_tests::repo_root().join("assets/configs/locomotion.toml"),
        &["env.privileged_critic=true".to_string()],
    )
    .expect("config");
    runner.save_checkpoint(&dir, &config).expect("save");
    let loaded = policies::checkpoint::load(&dir, &burn::tensor::Device::flex()).expect("load");
    assert_eq!(loaded.model.critic_obs_dim(), od + PRIVILEGED_DIM);
    assert_eq!(loaded.model.obs_dim(), od);
    let _ = std::fs::remove_dir_all(&dir);
}
