//! Neural networks.

mod actor_critic;
pub mod cpu_gemm;
mod linear_elu;
mod mlp;

pub use actor_critic::{ActorCritic, ActorCriticConfig};
pub use mlp::{Mlp, elu};
