//! Go-Explore on a toy hard-exploration task: a point in a 4 x 4 m room split by a wall with a
//! gap at the far end; the only reward is at a goal on the other side of the wall, next to the
//! start as the crow flies.

use super::robustify::{Backward, DemoStarts, RobustifyConfig, demo_from_archive};
use super::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use sim::env::{CellConfig, CellFeatures, CellKey, Env, StepInfo, StepOutcome};
use std::sync::Arc;

#[derive(Clone)]
struct Room {
    p: [f32; 2],
    steps: u32,
    reached: bool,
    /// Action noise (0: deterministic), drawn from `rng`.
    noise: f32,
    rng: ChaCha8Rng,
}

#[derive(Clone, Serialize, Deserialize)]
struct RoomSnapshot {
    p: [f32; 2],
    steps: u32,
    reached: bool,
    rng: ChaCha8Rng,
}

const GOAL: [f32; 2] = [3.5, 0.5];
const LIMIT: u32 = 200;

fn room() -> Room {
    Room {
        p: [0.5, 0.5],
        steps: 0,
        reached: false,
        noise: 0.0,
        rng: ChaCha8Rng::seed_from_u64(0),
    }
}

fn blocked(p: [f32; 2]) -> bool {
    !(0.0..=4.0).contains(&p[0])
        || !(0.0..=4.0).contains(&p[1])
        || ((1.9..=2.1).contains(&p[0]) && p[1] < 3.5)
}

impl Env for Room {
    type Snapshot = RoomSnapshot;
    fn obs_dim(&self) -> usize {
        2
    }
    fn action_dim(&self) -> usize {
        2
    }
    fn reseed(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
    }
    fn reset(&mut self, obs: &mut [f32]) {
        self.p = [0.5, 0.5];
        self.steps = 0;
        self.reached = false;
        obs.copy_from_slice(&self.p);
    }
    fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
        let mut q = self.p;
        for (i, a) in action.iter().enumerate() {
            let n = if self.noise > 0.0 {
                self.rng.random_range(-self.noise..=self.noise)
            } else {
                0.0
            };
            q[i] += 0.2 * (a.clamp(-1.0, 1.0) + n);
        }
        if !blocked(q) {
            self.p = q;
        }
        self.steps += 1;
        obs.copy_from_slice(&self.p);
        let d = ((self.p[0] - GOAL[0]).powi(2) + (self.p[1] - GOAL[1]).powi(2)).sqrt();
        self.reached = d < 0.3;
        StepOutcome {
            reward: if self.reached { 1.0 } else { 0.0 },
            terminated: self.reached,
            truncated: !self.reached && self.steps >= LIMIT,
        }
    }
    fn snapshot(&self) -> RoomSnapshot {
        RoomSnapshot {
            p: self.p,
            steps: self.steps,
            reached: self.reached,
            rng: self.rng.clone(),
        }
    }
    fn restore(&mut self, s: &RoomSnapshot) {
        self.p = s.p;
        self.steps = s.steps;
        self.reached = s.reached;
        self.rng = s.rng.clone();
    }
    fn step_info(&self) -> StepInfo {
        StepInfo {
            fall: Some(false),
            success: Some(self.reached),
        }
    }
}

impl CellFeatures for Room {
    fn cell_feature_names(&self) -> &'static [&'static str] {
        &["x", "y"]
    }
    fn cell_features(&self, out: &mut [f32]) {
        out.copy_from_slice(&self.p);
    }
}

fn config() -> ExploreConfig {
    ExploreConfig {
        workers: 4,
        explore_steps: 30,
        repeat_mean: 5.0,
        max_env_steps: 60_000,
        cells: CellConfig(
            [("x".to_string(), 0.5), ("y".to_string(), 0.5)]
                .into_iter()
                .collect(),
        ),
        ..ExploreConfig::default()
    }
}

fn explorer(seed: u64) -> Explorer<Room> {
    Explorer::new(vec![room(); 4], config(), seed).expect("explorer")
}

fn key(v: &[i32]) -> CellKey {
    CellKey(v.to_vec())
}

fn arrival(k: &[i32], score: f64, len: usize) -> Arrival {
    Arrival {
        key: key(k),
        score,
        actions: vec![0.5; 2 * len],
        snapshot: vec![7; 10],
        terminal: false,
    }
}

fn archive() -> Archive {
    Archive::new(
        ArchiveConfig::default(),
        2,
        key(&[0, 0]),
        vec![1; 10],
        vec![0.0; 2],
    )
}

#[test]
fn a_cell_is_replaced_by_a_higher_score_or_the_same_score_in_fewer_steps() {
    let mut a = archive();
    assert_eq!(a.offer(arrival(&[1, 0], 0.0, 10), 5), Offer::New);
    assert_eq!(
        a.offer(arrival(&[1, 0], 0.0, 12), 6),
        Offer::Kept,
        "longer, same score"
    );
    assert_eq!(
        a.offer(arrival(&[1, 0], 0.0, 10), 6),
        Offer::Kept,
        "as long, same score"
    );
    assert_eq!(
        a.offer(arrival(&[1, 0], 0.0, 8), 7),
        Offer::Improved,
        "shorter"
    );
    assert_eq!(a.get(&key(&[1, 0])).unwrap().traj_len, 8);
    assert_eq!(
        a.offer(arrival(&[1, 0], -1.0, 2), 8),
        Offer::Kept,
        "lower score"
    );
    a.mark_seen(&key(&[1, 0]));
    a.mark_seen(&key(&[1, 0]));
    assert_eq!(
        a.offer(arrival(&[1, 0], 1.0, 30), 9),
        Offer::Improved,
        "higher, longer"
    );
    let e = a.get(&key(&[1, 0])).unwrap();
    assert_eq!(
        (e.score, e.traj_len, e.seen),
        (1.0, 30, 2),
        "counts carry over"
    );
    assert_eq!(e.found_at_step, 5, "first found at step 5");
}

#[test]
fn selection_weights_follow_the_count_rule_and_draws_follow_the_weights() {
    let mut a = archive();
    a.offer(arrival(&[1, 0], 0.0, 3), 1);
    a.offer(arrival(&[2, 0], 0.0, 3), 1);
    let mut goal = arrival(&[3, 0], 1.0, 3);
    goal.terminal = true;
    a.offer(goal, 1);
    for _ in 0..8 {
        a.mark_seen(&key(&[1, 0]));
    }
    let c = ArchiveConfig::default();
    let e1 = a.get(&key(&[1, 0])).unwrap().clone();
    let expected =
        c.weight_seen / 9f64.sqrt() + c.weight_chosen + c.weight_chosen_since_new + c.epsilon;
    assert!((a.weight(&e1) - expected).abs() < 1e-12);
    let e2 = a.get(&key(&[2, 0])).unwrap().clone();
    assert!(
        a.weight(&e2) > a.weight(&e1),
        "the less seen cell weighs more"
    );
    assert_eq!(a.weight(a.get(&key(&[3, 0])).unwrap()), 0.0, "terminal");
    // Draw often from a copy whose counts do not move: frequencies match the weights.
    let weights: Vec<(CellKey, f64)> = a.cells().map(|(k, e)| (k.clone(), a.weight(e))).collect();
    let total: f64 = weights.iter().map(|w| w.1).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let n = 20_000;
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..n {
        let mut b = a.clone();
        for k in b.select(1, &mut rng) {
            *counts.entry(k).or_insert(0usize) += 1;
        }
    }
    for (k, w) in &weights {
        let got = *counts.get(k).unwrap_or(&0) as f64 / n as f64;
        assert!(
            (got - w / total).abs() < 0.015,
            "cell {:?}: {got} vs {}",
            k.0,
            w / total
        );
    }
    // Choosing counts.
    let picked = a.select(5, &mut rng);
    let chosen: u64 = a.cells().map(|(_, e)| e.chosen).sum();
    assert_eq!(chosen, 5);
    assert!(!picked.contains(&key(&[3, 0])));
}

#[test]
fn the_explorer_reaches_a_goal_that_random_walks_miss() {
    let mut ex = explorer(1);
    while !ex.done() && ex.state().goal_found_at.is_none() {
        ex.round().expect("round");
    }
    let found = ex
        .state()
        .goal_found_at
        .expect("Go-Explore reaches the goal");
    // The same budget of random walks from the start never does.
    let mut env = room();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut obs = [0.0; 2];
    let mut steps = 0u64;
    let mut hits = 0;
    while steps < found {
        env.reset(&mut obs);
        loop {
            let a = [
                rng.random_range(-1.0f32..=1.0),
                rng.random_range(-1.0f32..=1.0),
            ];
            let out = env.step(&a, &mut obs);
            steps += 1;
            hits += out.terminated as u32;
            if out.terminated || out.truncated {
                break;
            }
        }
    }
    assert_eq!(
        hits, 0,
        "random walks reached the goal {hits} times in {found} steps"
    );
    let (_, best) = ex.archive().best().unwrap();
    assert_eq!(best.score, 1.0);
    assert!(best.terminal);
}

#[test]
fn every_cell_replays_from_the_start_to_its_own_state() {
    let mut ex = explorer(2);
    for _ in 0..20 {
        ex.round().unwrap();
    }
    let a = ex.archive();
    let mut env = room();
    for (k, e) in a.cells() {
        let start: RoomSnapshot = decode(a.start()).unwrap();
        env.restore(&start);
        replay(&mut env, &e.actions, a.act_dim());
        assert_eq!(
            &ex.cell_function().cell_of(&env),
            k,
            "replayed into another cell"
        );
        let stored: RoomSnapshot = decode(e.snapshot.as_ref().unwrap()).unwrap();
        assert_eq!(stored.p, env.p, "cell {:?}", k.0);
        assert_eq!(stored.steps, env.steps);
    }
}

#[test]
fn a_snapshot_round_trip_through_bytes_continues_the_same_way() {
    let mut env = Room {
        noise: 0.3,
        ..room()
    };
    let mut obs = [0.0; 2];
    env.reset(&mut obs);
    env.step(&[1.0, 0.2], &mut obs);
    let bytes = encode(&env.snapshot()).unwrap();
    let go = |env: &mut Room| {
        let mut obs = [0.0; 2];
        (0..20)
            .map(|_| {
                env.step(&[0.3, 0.7], &mut obs);
                env.p
            })
            .collect::<Vec<_>>()
    };
    let a = go(&mut env);
    let mut other = Room {
        noise: 0.3,
        ..room()
    };
    other.restore(&decode(&bytes).unwrap());
    assert_eq!(
        a,
        go(&mut other),
        "noise included: the stream travels with the state"
    );
}

#[test]
fn over_the_byte_cap_snapshots_go_and_their_cells_are_returned_to_by_replay() {
    let mut cfg = config();
    cfg.archive.max_bytes = 6_000;
    let mut ex = Explorer::new(vec![room(); 4], cfg, 4).unwrap();
    for _ in 0..15 {
        ex.round().unwrap();
    }
    let a = ex.archive();
    let dropped: Vec<_> = a.cells().filter(|(_, e)| e.snapshot.is_none()).collect();
    assert!(
        !dropped.is_empty(),
        "the cap dropped nothing ({} bytes)",
        a.bytes()
    );
    // Trajectories alone may exceed a tiny cap; every droppable snapshot is gone first.
    let held: usize = a
        .cells()
        .filter(|(_, e)| e.traj_len > 0)
        .filter_map(|(_, e)| e.snapshot.as_ref())
        .count();
    assert!(
        a.bytes() <= a.max_bytes() || held == 0,
        "{} > {} with {held} snapshots",
        a.bytes(),
        a.max_bytes()
    );
    let mut env = room();
    for (k, _) in dropped {
        let steps = return_to(&mut env, a, k).unwrap();
        assert!(steps > 0, "a dropped cell is replayed");
        assert_eq!(&ex.cell_function().cell_of(&env), k);
    }
}

#[test]
fn a_saved_search_resumes_where_it_stopped() {
    let dir = std::env::temp_dir().join(format!("embody-archive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("archive.cbor.gz");
    let mut whole = explorer(5);
    for _ in 0..10 {
        whole.round().unwrap();
    }
    let mut first = explorer(5);
    for _ in 0..4 {
        first.round().unwrap();
    }
    first.save(&path).unwrap();
    drop(first);
    let mut resumed = Explorer::resume(vec![room(); 4], config(), &path).unwrap();
    for _ in 0..6 {
        resumed.round().unwrap();
    }
    assert_eq!(resumed.archive(), whole.archive());
    assert_eq!(resumed.state(), whole.state());
    // A corrupt file is an error naming it.
    std::fs::write(&path, b"not an archive").unwrap();
    let e = Explorer::resume(vec![room(); 4], config(), &path)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("archive.cbor.gz"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_backward_algorithm_moves_its_start_back_as_episodes_succeed() {
    let mut ex = explorer(1);
    while ex.state().goal_found_at.is_none() {
        assert!(!ex.done(), "no goal within the budget");
        ex.round().unwrap();
    }
    let mut env = room();
    let demo = Arc::new(demo_from_archive(&mut env, ex.archive()).expect("demo"));
    assert_eq!(demo.score, 1.0);
    let cfg = RobustifyConfig {
        step_back: 4,
        window: 2,
        success_threshold: 0.5,
        min_episodes: 4,
        demo_share_at_start: 0.0,
    };
    let backward = Arc::new(Backward::new(cfg, demo.len()));
    let first = backward.state().point;
    assert_eq!(first, demo.len() - 4);
    let mut w = DemoStarts::new(room(), demo.clone(), backward.clone(), 9);
    // Replaying the demonstration's own actions from each start succeeds (noise is small near
    // the end), so the point moves back.
    let best = ex.archive().best().unwrap().1.clone();
    let mut obs = [0.0; 2];
    for _ in 0..8 {
        w.reset(&mut obs);
        let s = w.snapshot();
        let from = serde_json::to_value(&s).unwrap()["start"].as_u64().unwrap() as usize;
        assert!((first..=first + 2).contains(&from), "start {from}");
        assert_eq!(obs, demo.states[from].1.as_slice());
        for a in best.actions.chunks_exact(2).skip(from) {
            let out = w.step(a, &mut obs);
            if out.terminated || out.truncated {
                break;
            }
        }
    }
    assert!(
        backward.success_rate().unwrap() >= 0.5,
        "{:?}",
        backward.state()
    );
    assert!(backward.advance());
    assert_eq!(backward.state().point, first - 4);
    assert_eq!(backward.state().tries, 0);
    assert!(!backward.advance(), "no episodes from the new point yet");
}
