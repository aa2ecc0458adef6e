//! Neural networks.

mod actor_critic;
mod mlp;

pub use actor_critic::{ActorCritic, ActorCriticConfig};
pub use mlp::{Mlp, elu};
