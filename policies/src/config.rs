//! Training configuration files (TOML in `assets/configs`) with `--set key=value` overrides.

use crate::algo::PpoConfig;
use crate::error::PolicyError;
use crate::nets::ActorCriticConfig;
use crate::runner::RunnerConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The settings of one hosted agent (`[agents.<name>]`, e.g. the H-infinity disturber): its own
/// PPO hyper-parameters and network sizes. Keys it leaves out are the policy's (`[ppo]`,
/// `[policy]`), except `mirror_loss_coef`: the mirror maps the robot's actions, not another
/// agent's, so a hosted agent has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// PPO hyper-parameters of the agent.
    pub ppo: PpoConfig,
    /// Network sizes of the agent.
    pub policy: ActorCriticConfig,
}

/// A complete training configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Task name (e.g. `cartpole`).
    pub task: String,
    /// Seed of the run.
    #[serde(default)]
    pub seed: u64,
    /// Runner settings.
    #[serde(default)]
    pub runner: RunnerConfig,
    /// PPO hyper-parameters.
    #[serde(default)]
    pub ppo: PpoConfig,
    /// Network sizes.
    #[serde(default)]
    pub policy: ActorCriticConfig,
    /// Task settings, read by the task itself (keys reported as `env.<key>`).
    #[serde(default)]
    pub env: toml::Table,
    /// Disturbances on the robot, read by the task (`[disturber]`: legged_gym's pushes,
    /// HIMLoco's forces or the learned H-infinity disturber; keys reported as `disturber.<key>`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub disturber: toml::Table,
    /// GRPO on a robot task (`embody train TASK --algo grpo`): group rollouts from shared env
    /// snapshots (`policies::runner::GroupRolloutConfig`; keys reported as `grpo.<key>`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub grpo: toml::Table,
    /// Go-Explore phase 1 (`embody explore TASK`, `policies::explore::ExploreConfig`; keys
    /// reported as `explore.<key>`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub explore: toml::Table,
    /// Go-Explore phase 2, the backward algorithm (`embody robustify TASK`,
    /// `policies::explore::robustify::RobustifyConfig`; keys reported as `robustify.<key>`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub robustify: toml::Table,
    /// Teacher-student distillation (`embody distill TASK`, `policies::runner::DistillConfig`;
    /// keys reported as `distill.<key>`).
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    pub distill: toml::Table,
    /// Sections of the task's hosted agents by name (`[agents.disturber]`), complete after
    /// loading (the policy's settings fill what a section leaves out).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<String, AgentConfig>,
}

/// Deserialises the table of section `name` (read by the task) into `T`; errors name the key
/// under `name.`.
fn section<T: serde::de::DeserializeOwned>(
    table: &toml::Table,
    name: &str,
) -> Result<T, PolicyError> {
    serde_path_to_error::deserialize(toml::Value::Table(table.clone())).map_err(|e| {
        let path = e.path().to_string();
        let key = if path == "." {
            name.to_string()
        } else {
            format!("{name}.{path}")
        };
        PolicyError::config(key, e.inner().message().to_string())
    })
}

impl TrainConfig {
    /// Reads `path` and applies `overrides` (`["ppo.learning_rate=3e-4", ...]`).
    pub fn load(path: &Path, overrides: &[String]) -> Result<Self, PolicyError> {
        crate::overrides::load_config_file(path, overrides, Self::from_toml_str)
    }

    /// Parses TOML text and applies `overrides`.
    pub fn from_toml_str(text: &str, overrides: &[String]) -> Result<Self, PolicyError> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| PolicyError::config("<file>", e.message().to_string()))?;
        crate::overrides::apply_overrides(&mut table, overrides)?;
        inherit_agent_sections(&mut table)?;
        let config: Self =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                PolicyError::config(e.path().to_string(), e.inner().message().to_string())
            })?;
        config.ppo.validate()?;
        for (name, agent) in &config.agents {
            agent
                .ppo
                .validate()
                .map_err(|e| e.prefix_key(&format!("agents.{name}")))?;
            if agent.ppo.num_steps_per_env != config.ppo.num_steps_per_env {
                return Err(PolicyError::config(
                    format!("agents.{name}.ppo.num_steps_per_env"),
                    format!(
                        "every agent learns from the same rollout of ppo.num_steps_per_env = {} \
                         steps, got {}",
                        config.ppo.num_steps_per_env, agent.ppo.num_steps_per_env
                    ),
                ));
            }
            if agent.ppo.mirror_loss_coef != 0.0 {
                return Err(PolicyError::config(
                    format!("agents.{name}.ppo.mirror_loss_coef"),
                    "the mirror maps the robot's actions; a hosted agent has none",
                ));
            }
        }
        if config.runner.num_envs == 0 {
            return Err(PolicyError::config("runner.num_envs", "must be at least 1"));
        }
        if !(config.policy.init_noise_std.is_finite() && config.policy.init_noise_std > 0.0) {
            return Err(PolicyError::config(
                "policy.init_noise_std",
                "must be a positive number",
            ));
        }
        Ok(config)
    }

    /// The settings of hosted agent `name`: its `[agents.<name>]` section, or the policy's
    /// settings (without the mirror loss) when the config has none.
    pub fn agent(&self, name: &str) -> AgentConfig {
        self.agents
            .get(name)
            .cloned()
            .unwrap_or_else(|| AgentConfig {
                ppo: PpoConfig {
                    mirror_loss_coef: 0.0,
                    ..self.ppo.clone()
                },
                policy: self.policy.clone(),
            })
    }

    /// Deserialises the `[env]` table into the task's settings type; errors name the key.
    pub fn env_config<T: serde::de::DeserializeOwned>(&self) -> Result<T, PolicyError> {
        section(&self.env, "env")
    }

    /// The `[disturber]` table as the task's type (`None` when the config has none); errors
    /// name the key under `disturber.`.
    pub fn disturber_config<T: serde::de::DeserializeOwned>(
        &self,
    ) -> Result<Option<T>, PolicyError> {
        if self.disturber.is_empty() {
            return Ok(None);
        }
        section(&self.disturber, "disturber").map(Some)
    }

    /// The `[grpo]` table as GRPO's group-rollout settings (defaults for missing keys); errors
    /// name the key under `grpo.`.
    pub fn grpo_config(&self) -> Result<crate::runner::GroupRolloutConfig, PolicyError> {
        section(&self.grpo, "grpo")
    }

    /// The `[explore]` table as Go-Explore's phase-1 settings (defaults for missing keys,
    /// checked); errors name the key under `explore.`.
    pub fn explore_config(&self) -> Result<crate::explore::ExploreConfig, PolicyError> {
        let c: crate::explore::ExploreConfig = section(&self.explore, "explore")?;
        c.validate()?;
        Ok(c)
    }

    /// The `[robustify]` table as the backward algorithm's settings (checked); errors name the
    /// key under `robustify.`.
    pub fn robustify_config(
        &self,
    ) -> Result<crate::explore::robustify::RobustifyConfig, PolicyError> {
        let c: crate::explore::robustify::RobustifyConfig = section(&self.robustify, "robustify")?;
        c.validate()?;
        Ok(c)
    }

    /// The `[distill]` table as DAgger's settings (checked); errors name the key under
    /// `distill.`.
    pub fn distill_config(&self) -> Result<crate::runner::DistillConfig, PolicyError> {
        let c: crate::runner::DistillConfig = section(&self.distill, "distill")?;
        c.validate()?;
        Ok(c)
    }

    /// The resolved configuration as TOML (written next to every checkpoint).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

/// Completes every `[agents.<name>]` section of `table` with the policy's `[ppo]` and
/// `[policy]` keys it leaves out (all but `mirror_loss_coef`).
fn inherit_agent_sections(table: &mut toml::Table) -> Result<(), PolicyError> {
    let Some(agents) = table.get("agents").cloned() else {
        return Ok(());
    };
    let agents = agents
        .as_table()
        .cloned()
        .ok_or_else(|| PolicyError::config("agents", "must be a table of agent sections"))?;
    let mut resolved = toml::Table::new();
    for (name, section) in agents {
        let mut section = section.as_table().cloned().ok_or_else(|| {
            PolicyError::config(format!("agents.{name}"), "must be a table (ppo, policy)")
        })?;
        for key in ["ppo", "policy"] {
            let mut merged = table
                .get(key)
                .and_then(toml::Value::as_table)
                .cloned()
                .unwrap_or_default();
            merged.remove("mirror_loss_coef");
            if let Some(own) = section.get(key) {
                let own = own.as_table().ok_or_else(|| {
                    PolicyError::config(format!("agents.{name}.{key}"), "must be a table")
                })?;
                merged.extend(own.clone());
            }
            section.insert(key.to_string(), toml::Value::Table(merged));
        }
        resolved.insert(name, toml::Value::Table(section));
    }
    table.insert("agents".into(), toml::Value::Table(resolved));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "task = \"cartpole\"\n[ppo]\nlearning_rate = 1e-3\n";

    #[test]
    fn overrides_replace_values_and_keep_defaults() {
        let c = TrainConfig::from_toml_str(
            BASE,
            &["ppo.learning_rate=3e-4".into(), "runner.num_envs=8".into()],
        )
        .expect("valid");
        assert_eq!(c.ppo.learning_rate, 3e-4);
        assert_eq!(c.runner.num_envs, 8);
        assert_eq!(c.ppo.num_learning_epochs, 5);
    }

    #[test]
    fn unknown_key_is_named() {
        let e = TrainConfig::from_toml_str(BASE, &["ppo.learning_rat=1".into()])
            .expect_err("unknown key");
        assert!(e.to_string().contains("ppo.learning_rat"), "{e}");
    }

    #[test]
    fn wrong_type_and_bad_range_are_named() {
        let e = TrainConfig::from_toml_str(BASE, &["ppo.gamma=\"high\"".into()])
            .expect_err("wrong type");
        assert!(
            e.to_string().contains("ppo.gamma") && e.to_string().contains("invalid type"),
            "{e}"
        );
        let e = TrainConfig::from_toml_str(BASE, &["policy.init_noise_std=-1".into()])
            .expect_err("negative sigma");
        assert!(e.to_string().contains("policy.init_noise_std"), "{e}");
        let e = TrainConfig::from_toml_str(BASE, &["ppo.gamma=1.5".into()]).expect_err("range");
        assert!(e.to_string().contains("ppo.gamma"), "{e}");
        let e = TrainConfig::from_toml_str(BASE, &["ppo.noise_correlation=1.0".into()])
            .expect_err("correlation 1 never mixes");
        assert!(e.to_string().contains("ppo.noise_correlation"), "{e}");
    }

    #[test]
    fn an_agent_section_inherits_what_it_leaves_out() {
        let text = "task = \"cartpole\"\n[ppo]\nlearning_rate = 1e-3\ngamma = 0.98\nmirror_loss_coef = 0.5\n\
                    [policy]\nactor_hidden = [32, 32]\n\
                    [agents.disturber.ppo]\nlearning_rate = 1e-4\n";
        let c =
            TrainConfig::from_toml_str(text, &["agents.disturber.policy.critic_hidden=[8]".into()])
                .expect("valid");
        let d = &c.agents["disturber"];
        assert_eq!(d.ppo.learning_rate, 1e-4, "its own key");
        assert_eq!(d.ppo.gamma, 0.98, "the policy's key");
        assert_eq!(d.ppo.mirror_loss_coef, 0.0, "never the mirror");
        assert_eq!(d.policy.actor_hidden, vec![32, 32]);
        assert_eq!(d.policy.critic_hidden, vec![8]);
        // An agent without a section gets the policy's settings.
        assert_eq!(c.agent("other").ppo.gamma, 0.98);
        assert_eq!(c.agent("other").ppo.mirror_loss_coef, 0.0);
        // The resolved config reads back the same.
        let again = TrainConfig::from_toml_str(&c.to_toml(), &[]).expect("round trip");
        assert_eq!(again, c);
    }

    #[test]
    fn bad_agent_sections_are_named() {
        let e = TrainConfig::from_toml_str(BASE, &["agents.disturber.ppo.gama=1".into()])
            .expect_err("unknown key");
        assert!(e.to_string().contains("agents.disturber.ppo.gama"), "{e}");
        let e =
            TrainConfig::from_toml_str(BASE, &["agents.disturber.ppo.num_steps_per_env=8".into()])
                .expect_err("another rollout length");
        assert!(
            e.to_string()
                .contains("agents.disturber.ppo.num_steps_per_env"),
            "{e}"
        );
        let e =
            TrainConfig::from_toml_str(BASE, &["agents.disturber.ppo.mirror_loss_coef=0.1".into()])
                .expect_err("mirror");
        assert!(
            e.to_string()
                .contains("agents.disturber.ppo.mirror_loss_coef"),
            "{e}"
        );
        let e = TrainConfig::from_toml_str(BASE, &["agents.disturber.ppo.gamma=2".into()])
            .expect_err("range");
        assert!(e.to_string().contains("agents.disturber.ppo.gamma"), "{e}");
    }
}
