//! N environments behind flat buffers, with automatic reset.

use super::{Env, HostedAgent, StepInfo, StepOutcome};
use crate::error::SimError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// One slot of a [`VecEnv`]: its env's state and what the batch keeps about it (the observation
/// to act on next, the running episode return and length).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotSnapshot<S> {
    /// The env's own state.
    pub env: S,
    /// The observation to act on next. `[obs_dim]`
    pub obs: Vec<f32>,
    /// Undiscounted return of the running episode so far.
    pub running_return: f32,
    /// Steps of the running episode so far.
    pub running_len: u32,
}

/// Return and length of one finished episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeStats {
    /// Which environment.
    pub env: usize,
    /// Undiscounted return.
    pub ret: f32,
    /// Length in control steps.
    pub len: u32,
    /// Whether it ended by time limit (vs. termination).
    pub truncated: bool,
    /// The flags of its last step (a fall, a success).
    pub info: StepInfo,
}

/// A batch of environments with flat buffers.
///
/// After [`VecEnv::step`], `obs` holds the observation to act on next: for an environment whose
/// episode just ended it is already the first observation of the next episode, and the last
/// observation of the ended one is in `terminal_obs` (for bootstrapping on time-outs).
pub struct VecEnv<E: Env> {
    envs: Vec<E>,
    obs_dim: usize,
    action_dim: usize,
    /// Current observations. `[num_envs * obs_dim]`
    pub obs: Vec<f32>,
    /// Rewards of the last step. `[num_envs]`
    pub rewards: Vec<f32>,
    /// Terminated flags of the last step. `[num_envs]`
    pub terminated: Vec<bool>,
    /// Truncated (time-out) flags of the last step. `[num_envs]`
    pub truncated: Vec<bool>,
    /// Final observation of episodes that ended in the last step (rows of other envs are stale).
    /// `[num_envs * obs_dim]`
    pub terminal_obs: Vec<f32>,
    running_return: Vec<f32>,
    running_len: Vec<u32>,
    /// Episodes finished during the last step.
    pub finished: Vec<EpisodeStats>,
    /// The task's named flags of the last step (read before an ended episode's reset).
    /// `[num_envs]`
    pub info: Vec<StepInfo>,
    /// Privileged observation of episodes that ended in the last step, taken before the reset
    /// (rows of other envs are stale). `[num_envs * privileged_dim]`
    pub terminal_privileged: Vec<f32>,
    privileged_dim: usize,
    /// The task's hosted agents (see `Env::hosted_agents`).
    hosted: Vec<HostedAgent>,
    /// Rewards of the hosted agents in the last step, env-major (read with
    /// [`VecEnv::hosted_reward`]). `[num_envs * max(1, hosted agents)]`
    hosted_rewards: Vec<f32>,
    /// The job-wide index of env 0 (0 on one process; a rank's first env under MPI): seeds
    /// follow job-wide indices, so R ranks of N envs step the same envs as one process of R N.
    first_index: usize,
    /// The constraint sample of each env's last step (constrained tasks; see
    /// `Env::constraint_sample`). `[num_envs]`
    pub constraint_samples: Vec<Option<crate::env::ConstraintSample>>,
}

impl<E: Env> VecEnv<E> {
    /// Builds `num_envs` environments with `make(env_id)` and resets them all.
    pub fn new(num_envs: usize, make: impl Fn(usize) -> E) -> Self {
        Self::from_envs((0..num_envs).map(make).collect())
    }

    /// Builds `num_envs` environments with a fallible `make(env_id)`; the first error is returned.
    pub fn try_new(
        num_envs: usize,
        make: impl Fn(usize) -> Result<E, SimError>,
    ) -> Result<Self, SimError> {
        Self::try_new_at(0, num_envs, make)
    }

    /// Builds the job's envs `first .. first + num_envs` with a fallible `make(job_env_id)`
    /// (a rank's share under MPI: per-env choices made at construction, such as a curriculum's
    /// terrain slot, then follow the job-wide index, as [`Self::reseed_all`] does).
    pub fn try_new_at(
        first: usize,
        num_envs: usize,
        make: impl Fn(usize) -> Result<E, SimError>,
    ) -> Result<Self, SimError> {
        let mut v = Self::from_envs(
            (first..first + num_envs)
                .map(make)
                .collect::<Result<_, _>>()?,
        );
        v.first_index = first;
        Ok(v)
    }

    /// Wraps already-built environments and resets them all.
    pub fn from_envs(envs: Vec<E>) -> Self {
        let num_envs = envs.len();
        let obs_dim = envs.first().map_or(0, Env::obs_dim);
        let action_dim = envs.first().map_or(0, Env::action_dim);
        let privileged_dim = envs.first().map_or(0, Env::privileged_dim);
        let hosted = envs.first().map_or_else(Vec::new, Env::hosted_agents);
        let mut v = Self {
            envs,
            obs_dim,
            action_dim,
            obs: vec![0.0; num_envs * obs_dim],
            rewards: vec![0.0; num_envs],
            terminated: vec![false; num_envs],
            truncated: vec![false; num_envs],
            terminal_obs: vec![0.0; num_envs * obs_dim],
            running_return: vec![0.0; num_envs],
            running_len: vec![0; num_envs],
            finished: Vec::new(),
            info: vec![StepInfo::default(); num_envs],
            // One slot per env even without privileged state, so the parallel step can chunk it.
            terminal_privileged: vec![0.0; num_envs * privileged_dim.max(1)],
            privileged_dim,
            // One slot per env even without hosted agents, so the parallel step can chunk it.
            hosted_rewards: vec![0.0; num_envs * hosted.len().max(1)],
            first_index: 0,
            constraint_samples: vec![None; num_envs],
            hosted,
        };
        v.reset_all();
        v
    }

    /// Number of environments.
    pub fn num_envs(&self) -> usize {
        self.envs.len()
    }

    /// Observation length.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Action length.
    pub fn action_dim(&self) -> usize {
        self.action_dim
    }

    /// The environments (e.g. to read task metrics).
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// Length of each env's privileged observation (0: none; see `Env::privileged_dim`).
    pub fn privileged_dim(&self) -> usize {
        self.privileged_dim
    }

    /// Writes every env's current privileged observation, row by row.
    ///
    /// # Shapes
    /// `out: [num_envs * privileged_dim]`
    pub fn write_privileged(&self, out: &mut [f32]) {
        let pd = self.privileged_dim;
        if pd == 0 {
            return;
        }
        // Sequential: envs are `Send`, not `Sync`, and a privileged row is a few copies.
        for (env, row) in self.envs.iter().zip(out.chunks_mut(pd)) {
            env.write_privileged(row);
        }
    }

    /// The constraint the task puts on its policy (`None`: unconstrained).
    pub fn constraint(&self) -> Option<crate::env::ConstraintSpec> {
        self.envs.first().and_then(Env::constraint)
    }

    /// The task's hosted agents (empty for single-agent tasks).
    pub fn hosted_agents(&self) -> &[HostedAgent] {
        &self.hosted
    }

    /// The reward hosted agent `agent` earned in the last step in env `env`.
    pub fn hosted_reward(&self, env: usize, agent: usize) -> f32 {
        self.hosted_rewards[env * self.hosted.len().max(1) + agent]
    }

    /// Mutable access to the environments.
    pub fn envs_mut(&mut self) -> &mut [E] {
        &mut self.envs
    }

    /// Reseeds env `i` with `seed ^ (first_index + i)` and resets every environment: afterwards
    /// the batch is a pure function of `seed` (runs resume exactly from such a point).
    pub fn reseed_all(&mut self, seed: u64) {
        let first = self.first_index;
        for (i, env) in self.envs.iter_mut().enumerate() {
            env.reseed(seed ^ (first + i) as u64);
        }
        self.reset_all();
    }

    /// Makes these envs the job's envs `first ..` (a rank's share under MPI; see
    /// [`Self::reseed_all`]).
    pub fn set_first_index(&mut self, first: usize) {
        self.first_index = first;
    }

    /// The job-wide index of env 0.
    pub fn first_index(&self) -> usize {
        self.first_index
    }

    /// Resets every environment.
    pub fn reset_all(&mut self) {
        let od = self.obs_dim.max(1);
        self.envs
            .par_iter_mut()
            .zip(self.obs.par_chunks_mut(od))
            .for_each(|(env, obs)| env.reset(obs));
        self.running_return.fill(0.0);
        self.running_len.fill(0);
    }

    fn check_slot(&self, slot: usize) -> Result<(), SimError> {
        if slot < self.envs.len() {
            Ok(())
        } else {
            Err(SimError::Config {
                key: "slot".into(),
                message: format!("{slot} out of range: the batch has {}", self.envs.len()),
            })
        }
    }

    /// Captures slot `slot`.
    pub fn snapshot_slot(&self, slot: usize) -> Result<SlotSnapshot<E::Snapshot>, SimError> {
        self.check_slot(slot)?;
        let od = self.obs_dim;
        Ok(SlotSnapshot {
            env: self.envs[slot].snapshot(),
            obs: self.obs[slot * od..(slot + 1) * od].to_vec(),
            running_return: self.running_return[slot],
            running_len: self.running_len[slot],
        })
    }

    /// Restores slot `slot` from a snapshot of any slot of any batch of the same task.
    pub fn restore_slot(
        &mut self,
        slot: usize,
        snapshot: &SlotSnapshot<E::Snapshot>,
    ) -> Result<(), SimError> {
        self.check_slot(slot)?;
        let od = self.obs_dim;
        if snapshot.obs.len() != od {
            return Err(SimError::Length {
                what: "snapshot observation".into(),
                expected: od,
                got: snapshot.obs.len(),
            });
        }
        self.envs[slot].restore(&snapshot.env);
        self.obs[slot * od..(slot + 1) * od].copy_from_slice(&snapshot.obs);
        self.running_return[slot] = snapshot.running_return;
        self.running_len[slot] = snapshot.running_len;
        Ok(())
    }

    /// Captures every slot (slot order).
    pub fn snapshot_all(&self) -> Vec<SlotSnapshot<E::Snapshot>> {
        (0..self.envs.len())
            .map(|i| SlotSnapshot {
                env: self.envs[i].snapshot(),
                obs: self.obs[i * self.obs_dim..(i + 1) * self.obs_dim].to_vec(),
                running_return: self.running_return[i],
                running_len: self.running_len[i],
            })
            .collect()
    }

    /// Restores every slot; the snapshot count must equal the batch size.
    pub fn restore_all(&mut self, snapshots: &[SlotSnapshot<E::Snapshot>]) -> Result<(), SimError> {
        if snapshots.len() != self.envs.len() {
            return Err(SimError::Length {
                what: "env snapshots".into(),
                expected: self.envs.len(),
                got: snapshots.len(),
            });
        }
        for (i, s) in snapshots.iter().enumerate() {
            self.restore_slot(i, s)?;
        }
        Ok(())
    }

    /// Starts a new episode in slot `slot` from a robot state (reference-state initialisation).
    pub fn reset_slot_to_state(
        &mut self,
        slot: usize,
        state: &crate::scene::ArticulationState,
    ) -> Result<(), SimError> {
        self.check_slot(slot)?;
        let od = self.obs_dim;
        self.envs[slot].reset_to_state(state, &mut self.obs[slot * od..(slot + 1) * od])?;
        self.running_return[slot] = 0.0;
        self.running_len[slot] = 0;
        Ok(())
    }

    /// Steps every environment with its row of `actions` and resets those whose episode ended.
    /// Hosted agents (if the task has any) keep the actions they were last given.
    ///
    /// # Shapes
    /// `actions: [num_envs * action_dim]`
    pub fn step(&mut self, actions: &[f32]) -> Result<(), SimError> {
        self.step_hosted(actions, &[])
    }

    /// [`VecEnv::step`] with the hosted agents' actions: `hosted[k]` holds agent `k`'s rows
    /// (given to each env before it steps); pass one slice per hosted agent, or none. Read
    /// their rewards with [`VecEnv::hosted_reward`].
    ///
    /// # Shapes
    /// `actions: [num_envs * action_dim]`, `hosted[k]: [num_envs * hosted_agents()[k].action_dim]`
    pub fn step_hosted(&mut self, actions: &[f32], hosted: &[&[f32]]) -> Result<(), SimError> {
        let n = self.envs.len();
        if actions.len() != n * self.action_dim {
            return Err(SimError::Length {
                what: "actions".into(),
                expected: n * self.action_dim,
                got: actions.len(),
            });
        }
        if !hosted.is_empty() && hosted.len() != self.hosted.len() {
            return Err(SimError::Length {
                what: "hosted agents' actions".into(),
                expected: self.hosted.len(),
                got: hosted.len(),
            });
        }
        for (agent, rows) in self.hosted.iter().zip(hosted) {
            if rows.len() != n * agent.action_dim {
                return Err(SimError::Length {
                    what: format!("actions of hosted agent '{}'", agent.name),
                    expected: n * agent.action_dim,
                    got: rows.len(),
                });
            }
        }
        let od = self.obs_dim.max(1);
        let ad = self.action_dim.max(1);
        let pd = self.privileged_dim;
        let agents = &self.hosted;
        let k = agents.len();
        self.envs
            .par_iter_mut()
            .enumerate()
            .zip(self.obs.par_chunks_mut(od))
            .zip(self.terminal_obs.par_chunks_mut(od))
            .zip(actions.par_chunks(ad))
            .zip(
                self.rewards
                    .par_iter_mut()
                    .zip(self.info.par_iter_mut())
                    .zip(self.terminal_privileged.par_chunks_mut(pd.max(1)))
                    .zip(self.constraint_samples.par_iter_mut()),
            )
            .zip(
                self.terminated
                    .par_iter_mut()
                    .zip(self.truncated.par_iter_mut())
                    .zip(self.hosted_rewards.par_chunks_mut(k.max(1))),
            )
            .for_each(
                |(
                    (
                        ((((e, env), obs), term_obs), action),
                        (((reward, info), term_priv), constraint),
                    ),
                    ((term, trunc), hosted_reward),
                )| {
                    for (a, (agent, rows)) in agents.iter().zip(hosted).enumerate() {
                        let d = agent.action_dim;
                        env.set_hosted_action(a, &rows[e * d..(e + 1) * d]);
                    }
                    let StepOutcome {
                        reward: r,
                        terminated,
                        truncated,
                    } = env.step(action, obs);
                    *reward = r;
                    *info = env.step_info();
                    *constraint = env.constraint_sample();
                    for (a, slot) in hosted_reward.iter_mut().enumerate().take(k) {
                        *slot = env.hosted_reward(a);
                    }
                    *term = terminated;
                    *trunc = truncated && !terminated;
                    if terminated || truncated {
                        term_obs.copy_from_slice(obs);
                        if pd > 0 {
                            env.write_privileged(term_priv);
                        }
                        env.reset(obs);
                    }
                },
            );
        self.finished.clear();
        for i in 0..n {
            self.running_return[i] += self.rewards[i];
            self.running_len[i] += 1;
            if self.terminated[i] || self.truncated[i] {
                self.finished.push(EpisodeStats {
                    env: i,
                    ret: self.running_return[i],
                    len: self.running_len[i],
                    truncated: self.truncated[i],
                    info: self.info[i],
                });
                self.running_return[i] = 0.0;
                self.running_len[i] = 0;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter env: observation is the step count; ends at 3 (truncated) or on action < 0.
    struct Counter(u32);
    impl Env for Counter {
        type Snapshot = u32;
        fn snapshot(&self) -> u32 {
            self.0
        }
        fn restore(&mut self, s: &u32) {
            self.0 = *s;
        }
        fn obs_dim(&self) -> usize {
            1
        }
        fn action_dim(&self) -> usize {
            1
        }
        fn reseed(&mut self, _seed: u64) {}
        fn reset(&mut self, obs: &mut [f32]) {
            self.0 = 0;
            obs[0] = 0.0;
        }
        fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
            self.0 += 1;
            obs[0] = self.0 as f32;
            StepOutcome {
                reward: 1.0,
                terminated: action[0] < 0.0,
                truncated: self.0 >= 3,
            }
        }
        /// Success once the count reaches 3 (the reset that follows sets it back to 0).
        fn step_info(&self) -> StepInfo {
            StepInfo {
                fall: None,
                success: Some(self.0 >= 3),
            }
        }
    }

    #[test]
    fn step_flags_are_read_before_the_auto_reset() {
        let mut v = VecEnv::new(1, |_| Counter(0));
        for _ in 0..2 {
            v.step(&[1.0]).unwrap();
            assert_eq!(v.info[0].success, Some(false));
        }
        v.step(&[1.0]).unwrap();
        assert_eq!(
            v.info[0].success,
            Some(true),
            "the ending step's flag survives the reset"
        );
        assert_eq!(v.finished[0].info.success, Some(true));
        assert_eq!(v.obs[0], 0.0, "and the env did reset");
    }

    #[test]
    fn auto_reset_keeps_terminal_observation_and_stats() {
        let mut v = VecEnv::new(2, |_| Counter(0));
        v.step(&[1.0, -1.0]).unwrap();
        assert_eq!(v.obs, vec![1.0, 0.0]);
        assert_eq!(v.terminated, vec![false, true]);
        assert_eq!(v.terminal_obs[1], 1.0);
        assert_eq!(v.finished.len(), 1);
        v.step(&[1.0, 1.0]).unwrap();
        v.step(&[1.0, 1.0]).unwrap();
        assert_eq!(v.truncated, vec![true, false]);
        assert_eq!(v.terminal_obs[0], 3.0);
        assert_eq!(v.obs[0], 0.0);
        assert_eq!(v.finished[0].ret, 3.0);
        assert_eq!(v.finished[0].len, 3);
        assert!(v.step(&[1.0]).is_err());
    }

    #[test]
    fn a_slot_restores_into_another_slot_with_its_episode_so_far() {
        let mut v = VecEnv::new(3, |_| Counter(0));
        v.step(&[1.0, 1.0, 1.0]).unwrap();
        let s = v.snapshot_slot(0).unwrap();
        assert_eq!((s.env, s.running_len, s.obs.clone()), (1, 1, vec![1.0]));
        v.restore_slot(2, &s).unwrap();
        v.step(&[1.0, 1.0, 1.0]).unwrap();
        v.step(&[1.0, 1.0, 1.0]).unwrap();
        // Slot 2 continued slot 0's episode: both time out together with the same return.
        assert_eq!(v.truncated, vec![true, true, true]);
        assert_eq!(v.finished[2].ret, v.finished[0].ret);
        assert!(v.restore_slot(3, &s).is_err(), "slot out of range");
        assert!(v.restore_all(&[s]).is_err(), "one snapshot for three slots");
    }

    /// Hosts one agent ("pusher", 2-d actions) whose reward is the sum of its action; the
    /// policy's own env is a `Counter`.
    struct Hosting {
        counter: Counter,
        pushed: [f32; 2],
    }
    impl Env for Hosting {
        type Snapshot = u32;
        fn snapshot(&self) -> u32 {
            self.counter.0
        }
        fn restore(&mut self, s: &u32) {
            self.counter.0 = *s;
        }
        fn obs_dim(&self) -> usize {
            1
        }
        fn action_dim(&self) -> usize {
            1
        }
        fn reseed(&mut self, _seed: u64) {}
        fn reset(&mut self, obs: &mut [f32]) {
            self.counter.reset(obs);
            self.pushed = [0.0; 2];
        }
        fn step(&mut self, action: &[f32], obs: &mut [f32]) -> StepOutcome {
            self.counter.step(action, obs)
        }
        fn hosted_agents(&self) -> Vec<HostedAgent> {
            vec![HostedAgent {
                name: "pusher".into(),
                action_dim: 2,
            }]
        }
        fn set_hosted_action(&mut self, agent: usize, action: &[f32]) {
            assert_eq!(agent, 0);
            self.pushed.copy_from_slice(action);
        }
        fn hosted_reward(&self, _agent: usize) -> f32 {
            self.pushed[0] + self.pushed[1]
        }
    }

    #[test]
    fn hosted_agents_act_before_the_step_and_are_rewarded_before_the_reset() {
        let mut v = VecEnv::new(2, |_| Hosting {
            counter: Counter(0),
            pushed: [0.0; 2],
        });
        assert_eq!(v.hosted_agents()[0].name, "pusher");
        for step in 0..3 {
            let pushes = [1.0, 2.0, 10.0 * step as f32, 0.5];
            v.step_hosted(&[1.0, 1.0], &[&pushes]).expect("step");
            assert_eq!(v.hosted_reward(0, 0), 3.0, "env 0 at step {step}");
            // Env 1's reward is read before its time-out reset clears the push.
            assert_eq!(v.hosted_reward(1, 0), 10.0 * step as f32 + 0.5);
        }
        assert_eq!(v.truncated, vec![true, true]);
        let err = v
            .step_hosted(&[1.0, 1.0], &[&[1.0]])
            .expect_err("one push for two envs");
        assert!(err.to_string().contains("hosted agent 'pusher'"), "{err}");
        assert!(v.step_hosted(&[1.0, 1.0], &[&[0.0; 4], &[0.0; 4]]).is_err());
        // Without hosted actions the envs keep the last ones.
        v.step(&[1.0, 1.0]).expect("step");
        assert_eq!(v.hosted_reward(0, 0), 0.0, "reset cleared env 0's push");
    }
}
