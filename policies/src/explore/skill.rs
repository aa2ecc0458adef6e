//! A deploy-runtime policy as a [`sim::tasks::maze::Skill`].

use crate::deploy::DeployPolicy;
use sim::tasks::maze::Skill;

/// A trained policy's mean action, run by the deploy runtime (no burn, no autodiff): cheap
/// enough to step inside an env.
pub struct DeploySkill(pub DeployPolicy);

impl Skill for DeploySkill {
    fn obs_dim(&self) -> usize {
        self.0.obs_dim()
    }

    fn act_dim(&self) -> usize {
        self.0.act_dim()
    }

    fn act(&mut self, obs: &[f32], action: &mut [f32]) {
        // Lengths are checked when the env is built (`MazeEnv::new`); a failure here would be
        // a bug, and standing still is the safe answer.
        if self.0.act(obs, action).is_err() {
            action.fill(0.0);
        }
    }
}
