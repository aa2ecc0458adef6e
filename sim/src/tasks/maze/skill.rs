//! A low-level skill run inside a higher-level env: observation in, action out.

/// A stateless low-level controller (a trained policy's mean action): the maze's walking
/// skill. `sim` knows no networks, so the policy crate implements it for its deploy runtime.
pub trait Skill: Send {
    /// Length of the observation it reads.
    fn obs_dim(&self) -> usize;
    /// Length of the action it writes.
    fn act_dim(&self) -> usize;
    /// Writes the action for `obs` into `action`.
    ///
    /// # Shapes
    /// `obs: [obs_dim]`, `action: [act_dim]`
    fn act(&mut self, obs: &[f32], action: &mut [f32]);
}
