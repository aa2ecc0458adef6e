use super::*;
use crate::PhysicsConfig;
use crate::scene::{CollisionRules, Scene, StaticRole};

/// A robot 0.36 m tall and 0.30 m wide (planner levels 0.36 down to 0.216 m).
fn body() -> robots::BodyExtents {
    robots::BodyExtents {
        base_height: 0.30,
        height: 0.36,
        width: 0.30,
        length: 0.50,
        top_above_base: 0.06,
    }
}

fn planner(spec: &WorldSpec) -> Planner {
    spec.validate().expect("valid world");
    Planner::new(WorldGrid::from_spec(spec), PlannerConfig::for_body(&body()))
}

/// A straight corridor along x from 0 to `length`, start at 0, goal at the far end.
fn corridor(length: f32, width: f32, ceiling: Option<f32>) -> WorldSpec {
    WorldSpec::straight(length, width, ceiling)
}

fn wall_block(center: [f32; 2], size: [f32; 2]) -> Obstacle {
    Obstacle {
        shape: ObstacleShape::Box,
        side: Side::Floor,
        center,
        size,
        height: 1.0,
        yaw: 0.0,
    }
}

#[test]
fn planner_finds_a_path_through_a_gap_and_reports_none_when_the_wall_is_closed() {
    // A 2 m wide room with a wall across x = 1.5 and a 0.5 m gap at y in [0.5, 1.0].
    let mut spec = corridor(3.0, 2.0, None);
    spec.obstacles = vec![
        wall_block([1.5, -0.25], [0.1, 1.5]),
        wall_block([1.5, 1.25], [0.1, 0.5]),
    ];
    let plan = planner(&spec)
        .plan([0.0, 0.0], [3.0, 0.0])
        .expect("a path through the gap");
    let crossing = plan
        .waypoints
        .windows(2)
        .find(|w| w[0].x < 1.5 && w[1].x >= 1.5)
        .expect("the path crosses the wall's line");
    let y = 0.5 * (crossing[0].y + crossing[1].y);
    assert!(
        (0.5..=1.0).contains(&y),
        "crosses through the gap, at y = {y}"
    );
    let last = plan.waypoints.last().expect("waypoints");
    assert!((last.x - 3.0).abs() < 0.03 && last.y.abs() < 0.03);
    assert!(
        plan.length_m > 3.0,
        "a detour is longer than the straight line"
    );

    spec.obstacles.push(wall_block([1.5, 0.75], [0.1, 0.6]));
    match planner(&spec).plan([0.0, 0.0], [3.0, 0.0]) {
        Err(NoPath::Unreachable { expanded }) => assert!(expanded > 0),
        other => panic!("expected no path, got {other:?}"),
    }
}

#[test]
fn planner_keeps_half_the_body_width_from_walls() {
    let config = PlannerConfig::for_body(&body());
    // Wide enough for the 0.30 m body, then too narrow.
    assert!(
        planner(&corridor(2.0, 0.36, None))
            .plan([0.0, 0.0], [2.0, 0.0])
            .is_ok()
    );
    assert!(matches!(
        planner(&corridor(2.0, 0.27, None)).plan([0.0, 0.0], [2.0, 0.0]),
        Err(NoPath::StartBlocked { .. })
    ));
    // In a 2 m room with a block in the middle, every waypoint keeps the clearance radius from
    // the block.
    let mut spec = corridor(3.0, 2.0, None);
    spec.obstacles = vec![wall_block([1.5, 0.0], [0.4, 0.4])];
    let plan = planner(&spec)
        .plan([0.0, 0.0], [3.0, 0.0])
        .expect("around the block");
    for w in &plan.waypoints {
        let dx = (w.x - 1.5).abs() - 0.2;
        let dy = w.y.abs() - 0.2;
        let distance = dx.max(0.0).hypot(dy.max(0.0));
        assert!(
            distance >= config.clearance_radius - 0.026,
            "waypoint ({}, {}) is {distance} m from the block",
            w.x,
            w.y
        );
    }
}

#[test]
fn planner_crouches_under_a_low_ceiling_and_stands_elsewhere() {
    let config = PlannerConfig::for_body(&body());
    let standing = config.body_heights[0];
    // A 1.5 m tall corridor with a beam whose underside is 0.27 m up (0.75 x 0.36 m).
    let mut spec = corridor(3.0, 0.6, Some(1.5));
    spec.obstacles = vec![Obstacle {
        shape: ObstacleShape::Box,
        side: Side::Ceiling,
        center: [1.5, 0.0],
        size: [0.2, 1.0],
        height: 0.27,
        yaw: 0.0,
    }];
    let plan = planner(&spec)
        .plan([0.0, 0.0], [3.0, 0.0])
        .expect("under the beam");
    let mut under = 0;
    for w in &plan.waypoints {
        if (1.3..=1.7).contains(&w.x) {
            under += 1;
            assert!(
                w.body_height + config.head_margin <= 0.27 + 1e-4,
                "crouched under the beam: {w:?}"
            );
        }
        if w.x < 0.8 || w.x > 2.2 {
            assert_eq!(
                w.body_height, standing,
                "standing away from the beam: {w:?}"
            );
        }
        assert!((w.base_height - (w.body_height - config.top_above_base)).abs() < 1e-6);
    }
    assert!(under > 0, "waypoints under the beam: {:?}", plan.waypoints);

    // Below the lowest crouch (0.6 x 0.36 = 0.216 m) there is no way through.
    spec.obstacles[0].height = 0.2;
    assert!(matches!(
        planner(&spec).plan([0.0, 0.0], [3.0, 0.0]),
        Err(NoPath::Unreachable { .. })
    ));
}

#[test]
fn planner_walks_around_a_void_and_steps_over_a_low_bump() {
    // A 1 m wide corridor: a void over its left 0.6 m, a 4 cm bump across all of it.
    let mut spec = corridor(3.0, 1.0, None);
    spec.voids = vec![Region {
        center: [1.0, 0.25],
        size: [0.4, 0.6],
        yaw: 0.0,
    }];
    spec.obstacles = vec![Obstacle {
        shape: ObstacleShape::Box,
        side: Side::Floor,
        center: [2.2, 0.0],
        size: [0.1, 1.2],
        height: 0.04,
        yaw: 0.0,
    }];
    let p = planner(&spec);
    let plan = p.plan([0.0, 0.0], [3.0, 0.0]).expect("beside the void");
    let grid = p.grid();
    for w in &plan.waypoints {
        assert!(
            grid.floor_at(w.x, w.y) > -0.5,
            "waypoint over the void: {w:?}"
        );
        if (0.8..=1.2).contains(&w.x) {
            assert!(w.y < -0.05 - 0.1, "the lane right of the void: {w:?}");
        }
    }
    // Widen the void across the corridor: no way over a 1 m deep gap.
    spec.voids[0].size = [0.4, 1.4];
    assert!(matches!(
        planner(&spec).plan([0.0, 0.0], [3.0, 0.0]),
        Err(NoPath::Unreachable { .. })
    ));
}

#[test]
fn bad_goals_and_starts_get_a_reason_not_a_panic() {
    let mut spec = corridor(3.0, 1.0, None);
    spec.obstacles = vec![wall_block([2.0, 0.0], [0.5, 0.5])];
    let p = planner(&spec);
    assert!(matches!(
        p.plan([0.0, 0.0], [2.0, 0.0]),
        Err(NoPath::GoalBlocked { .. })
    ));
    assert!(matches!(
        p.plan([0.0, 0.0], [50.0, 0.0]),
        Err(NoPath::OutsideWorld { which: "goal", .. })
    ));
    assert!(matches!(
        p.plan([0.0, 3.0], [1.0, 0.0]),
        Err(NoPath::OutsideWorld { which: "start", .. }) | Err(NoPath::StartBlocked { .. })
    ));
    let message = p.plan([0.0, 0.0], [2.0, 0.0]).unwrap_err().to_string();
    assert!(message.contains("goal (2.00, 0.00)"), "{message}");
    // A robot pressed against a wall (its centre 5 cm from it) snaps to free space.
    assert!(p.plan([0.0, 0.45], [1.0, 0.0]).is_ok());
}

#[test]
fn world_files_name_the_field_at_fault() {
    let ok = r#"
        start = { x = 0.0, y = 0.0 }
        goal = [3.0, 0.0]
        [[corridors]]
        points = [[0.0, 0.0], [3.0, 0.0]]
        width = 0.5
        ceiling = 0.4
    "#;
    let spec = WorldSpec::from_toml_str(ok).expect("a valid world");
    assert_eq!(spec.cell, 0.05);
    let cases = [
        (
            ok.replace("width = 0.5", "width = nan"),
            "corridors[0].width",
        ),
        (
            ok.replace("width = 0.5", "width = -1.0"),
            "corridors[0].width",
        ),
        (
            ok.replace("[[0.0, 0.0], [3.0, 0.0]]", "[[0.0, 0.0]]"),
            "corridors[0].points",
        ),
        (ok.replace("ceiling = 0.4", "roof = 0.4"), "corridors[0]"),
        (ok.replace("goal = [3.0, 0.0]", "goal = [3.0]"), "goal"),
        (format!("cell = 0.0001\n{ok}"), "cell"),
        (
            format!(
                "{ok}\n[[obstacles]]\nshape = \"cone\"\nside = \"floor\"\ncenter = [1.0, 0.0]\n\
                 size = [0.2, 0.2]\nheight = 0.1\n"
            ),
            "obstacles[0].shape",
        ),
        (
            format!("{ok}\n[[voids]]\ncenter = [1.0, 0.0]\nsize = [0.0, 0.2]\n"),
            "voids[0].size[0]",
        ),
    ];
    for (text, key) in cases {
        let err = WorldSpec::from_toml_str(&text).expect_err(key).to_string();
        assert!(err.contains(key), "error for {key}: {err}");
    }
    let dir = std::env::temp_dir().join(format!("embody-world-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.json");
    std::fs::write(&path, r#"{"start": {"x": 0, "y": 0}, "goal": [1, "a"]}"#).expect("write");
    let err = WorldSpec::from_file(&path)
        .expect_err("bad json")
        .to_string();
    assert!(err.contains("bad.json") && err.contains("goal"), "{err}");
    let err = WorldSpec::from_file(&dir.join("missing.toml"))
        .expect_err("missing")
        .to_string();
    assert!(err.contains("missing.toml"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn generated_worlds_repeat_by_seed_and_survive_a_round_trip_through_toml() {
    let size = RobotSize::from(&body());
    let ranges = WorldRanges::test();
    let a = generate(17, &ranges, size);
    assert_eq!(a, generate(17, &ranges, size));
    assert_ne!(a.spec, generate(18, &ranges, size).spec);
    let text = a.spec.to_toml_string();
    assert_eq!(WorldSpec::from_toml_str(&text).expect("reads back"), a.spec);
    assert_eq!(
        WorldGrid::from_spec(&a.spec),
        WorldGrid::from_spec(&generate(17, &ranges, size).spec)
    );
}

#[test]
fn held_out_worlds_lie_in_the_test_ranges_and_each_has_a_plan() {
    let size = RobotSize::from(&body());
    let worlds = test_set(size, TEST_WORLDS);
    assert_eq!(worlds.len(), 200);
    let config = PlannerConfig::for_body(&body());
    let mut stats = Vec::new();
    for (i, w) in worlds.iter().enumerate() {
        assert_eq!(w.seed, TEST_SEED_BASE + i as u64);
        w.spec.validate().expect("generated worlds are valid");
        let grid = WorldGrid::from_spec(&w.spec);
        let s = measure(&grid, &w.centre_line);
        let cell = w.spec.cell;
        assert!(s.length_m >= 4.0 - 1e-3, "world {i}: {s:?}");
        assert!(s.bends >= 1 && s.max_turn_deg >= 10.0, "world {i}: {s:?}");
        assert!(
            s.min_width_m >= 1.2 * size.width - 2.0 * cell
                && s.min_width_m <= 2.0 * size.width + 2.0 * cell,
            "world {i} width: {s:?}"
        );
        assert!(
            s.min_clearance_m >= 0.7 * size.height - 1e-3
                && s.min_clearance_m <= 1.1 * size.height + 1e-3,
            "world {i} clearance: {s:?}"
        );
        stats.push(s);
        // Planning every world is the benchmark's job (`embody bench confined-plan`); here
        // every tenth must have a plan.
        if i % 10 == 0 {
            let plan = Planner::new(grid, config.clone())
                .plan([w.spec.start.x, w.spec.start.y], w.spec.goal)
                .unwrap_or_else(|e| panic!("world {i}: {e}"));
            assert!(plan.waypoints.len() >= 2);
        }
    }
    // The set spans its ranges: some worlds need a crouch, some are nearly as narrow as the
    // bound.
    let crouch = stats
        .iter()
        .filter(|s| s.min_clearance_m < size.height)
        .count();
    assert!(crouch > 50, "{crouch} of 200 worlds need a crouch");
    let narrow = stats
        .iter()
        .filter(|s| s.min_width_m < 1.4 * size.width)
        .count();
    assert!(narrow > 20, "{narrow} of 200 worlds narrower than 1.4 x");
}

#[test]
fn curriculum_levels_run_from_open_tunnels_to_the_test_ranges() {
    let easy = WorldRanges::level(0, 10);
    let hard = WorldRanges::level(9, 10);
    assert_eq!(hard, WorldRanges::test());
    assert!(easy.clearance[0] > 1.4 && easy.width[0] >= 3.0);
    assert!(easy.max_turn_deg < hard.max_turn_deg);
    for l in 1..10 {
        let (a, b) = (WorldRanges::level(l - 1, 10), WorldRanges::level(l, 10));
        assert!(b.clearance[0] <= a.clearance[0] && b.width[0] <= a.width[0]);
    }
}

#[test]
fn the_heightfields_match_the_grid_under_ray_casts() {
    let mut spec = corridor(3.0, 0.8, Some(0.5));
    spec.obstacles = vec![
        Obstacle {
            shape: ObstacleShape::Pyramid,
            side: Side::Ceiling,
            center: [1.0, 0.0],
            size: [0.6, 0.6],
            height: 0.3,
            yaw: 0.0,
        },
        Obstacle {
            shape: ObstacleShape::Box,
            side: Side::Floor,
            center: [2.0, 0.2],
            size: [0.2, 0.2],
            height: 0.05,
            yaw: 0.3,
        },
    ];
    spec.voids = vec![Region {
        center: [2.6, -0.2],
        size: [0.2, 0.3],
        yaw: 0.0,
    }];
    let grid = WorldGrid::from_spec(&spec);
    let mut scene = Scene::new(PhysicsConfig::default(), CollisionRules::legged()).expect("scene");
    scene.add_static_collider("floor", grid.floor_collider(), StaticRole::Floor);
    scene.add_static_collider("ceiling", grid.ceiling_collider(), StaticRole::Ceiling);
    let mut checked = 0;
    for iy in (0..grid.ny).step_by(3) {
        for ix in (0..grid.nx).step_by(3) {
            let [x, y] = grid.position(ix, iy);
            let (f, c) = (
                grid.floor[grid.index(ix, iy)],
                grid.ceiling[grid.index(ix, iy)],
            );
            if f != 0.0 && f != 0.05 {
                continue; // walls and voids: the rays start inside or far above them
            }
            let floor = scene.floor_z(x, y, f + 0.1);
            assert!(
                (floor - f).abs() < 1e-3,
                "floor at ({x}, {y}): {floor} vs {f}"
            );
            let ceiling = scene.ceiling_z(x, y, f + 0.1);
            assert!(
                (ceiling - c.min(OPEN_CEILING)).abs() < 1e-3,
                "ceiling at ({x}, {y}): {ceiling} vs {c}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} points checked");
    // The pyramid's apex and the void read as the grid says.
    assert!((grid.ceiling_at(1.0, 0.0) - 0.3).abs() < 1e-4);
    assert!((grid.ceiling_at(1.0, 0.3) - 0.5).abs() < 0.02);
    assert_eq!(grid.floor_at(2.6, -0.2), -VOID_DEPTH);
    assert_eq!(grid.floor_at(0.0, 1.0), 1.0, "outside the corridor is wall");
}

#[test]
fn the_quadrupeds_extents_are_its_collision_shapes_at_the_default_pose() {
    let spec = robots::load_builtin_or_path("quadruped").expect("built-in quadruped");
    let b = robots::body_extents(&spec).expect("extents");
    // The trunk box is 0.27 x 0.19 x 0.11 m with its centre at the base: the top lies 0.055 m
    // above the base (hip housings, radius 0.045, lie lower); legs splay wider than the trunk.
    assert!((b.top_above_base - 0.055).abs() < 1e-6, "{b:?}");
    assert!((b.height - (b.base_height + 0.055)).abs() < 1e-6);
    assert!(b.width > 0.19 && b.width < 0.40, "{b:?}");
    assert!(b.length > 0.27 && b.length < 0.70, "{b:?}");
    // Left-right symmetric: the extent to the left equals the one to the right.
    let q = spec.default_q();
    let base = nalgebra::Isometry3::translation(0.0, 0.0, b.base_height);
    let left = robots::extent_along(&spec, base, &q, nalgebra::Vector3::y()).expect("left");
    let right = robots::extent_along(&spec, base, &q, -nalgebra::Vector3::y()).expect("right");
    assert!((left - right).abs() < 1e-9 && (left + right - b.width).abs() < 1e-9);
}
