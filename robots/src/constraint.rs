//! A constrained task's per-step constraint data (the H-infinity disturber's constraint). It
//! lives here, in the description crate, for the deploy contract's reason: the simulator
//! produces it and the RL core (which builds without the simulator) consumes it.

/// A constrained task's per-step constraint sample (the H-infinity disturber's constraint:
/// `E[cost] <= E[bound]`, with `bound = eta * |force| / (m g)`). The runner learns the policy's
/// cost with a second value head and weighs it with a Lagrange multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct ConstraintSample {
    /// Cost of the step (task-reward units, >= 0).
    pub cost: f32,
    /// What the constraint allows the cost to be this step (same units).
    pub bound: f32,
    /// Magnitude of the disturbance that acted this step (N).
    pub force_n: f32,
    /// The task reward of the step (what the cost is measured against).
    pub task_reward: f32,
}

/// How a task's constraint multiplier learns (dual ascent), declared by the task.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConstraintSpec {
    /// Initial multiplier (>= 0).
    pub multiplier_init: f32,
    /// Step size of the dual ascent `lambda <- clamp(lambda + lr * (mean cost - mean bound), 0, max)`.
    pub multiplier_lr: f32,
    /// Largest multiplier.
    pub multiplier_max: f32,
}
