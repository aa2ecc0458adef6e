//! Scripted commands: a TOML or CSV file of timed commands, each holding until the next.

use super::{Mode, TeleopOutput, VelocityCommand};
use crate::error::SimError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One timed entry of a command script.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptEntry {
    /// Start time (s from the beginning).
    pub t: f32,
    /// Forward velocity (m/s).
    #[serde(default)]
    pub vx: f32,
    /// Lateral velocity (m/s, positive left).
    #[serde(default)]
    pub vy: f32,
    /// Yaw rate (rad/s, counter-clockwise positive).
    #[serde(default)]
    pub yaw_rate: f32,
    /// Mode (default `walk`).
    #[serde(default = "walk")]
    pub mode: Mode,
}

fn walk() -> Mode {
    Mode::Walk
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    command: Vec<ScriptEntry>,
}

/// A command script: entries sorted by time; before the first entry the robot stands.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandScript {
    entries: Vec<ScriptEntry>,
}

fn bad(key: impl Into<String>, message: impl Into<String>) -> SimError {
    SimError::Config {
        key: key.into(),
        message: message.into(),
    }
}

impl CommandScript {
    /// Reads a `.toml` (`[[command]]` tables with `t`, `vx`, `vy`, `yaw_rate`, `mode`) or `.csv`
    /// (header `t,vx,vy,yaw_rate[,mode]`) file. Errors name the file and the key or line.
    pub fn load(path: &Path) -> Result<Self, SimError> {
        crate::error::load_by_extension(path, "csv", Self::from_csv_str, Self::from_toml_str)
    }

    /// Parses the TOML form.
    pub fn from_toml_str(text: &str) -> Result<Self, SimError> {
        let file: ScriptFile = crate::error::parse_toml(text)?;
        Self::new(file.command, |i, field| format!("command[{i}].{field}"))
    }

    /// Parses the CSV form.
    pub fn from_csv_str(text: &str) -> Result<Self, SimError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        let (hline, header) = lines.next().ok_or_else(|| bad("line 1", "empty file"))?;
        let columns: Vec<&str> = header.split(',').map(str::trim).collect();
        let known = ["t", "vx", "vy", "yaw_rate", "mode"];
        for c in &columns {
            if !known.contains(c) {
                return Err(bad(
                    format!("line {hline}, column '{c}'"),
                    format!("unknown column; expected some of {known:?} with t first"),
                ));
            }
        }
        if columns.first() != Some(&"t") {
            return Err(bad(format!("line {hline}"), "the first column must be t"));
        }
        let mut entries = Vec::new();
        let mut lines_of = Vec::new();
        for (line, l) in lines {
            let cells: Vec<&str> = l.split(',').map(str::trim).collect();
            if cells.len() != columns.len() {
                return Err(bad(
                    format!("line {line}"),
                    format!("{} cells, the header has {}", cells.len(), columns.len()),
                ));
            }
            let mut e = ScriptEntry {
                t: 0.0,
                vx: 0.0,
                vy: 0.0,
                yaw_rate: 0.0,
                mode: Mode::Walk,
            };
            for (c, cell) in columns.iter().zip(&cells) {
                let key = || format!("line {line}, column {c}");
                if *c == "mode" {
                    e.mode = match *cell {
                        "walk" => Mode::Walk,
                        "stand" => Mode::Stand,
                        "estop" => Mode::EStop,
                        other => {
                            return Err(bad(
                                key(),
                                format!("unknown mode '{other}' (walk, stand, estop)"),
                            ));
                        }
                    };
                    continue;
                }
                let v: f32 = cell
                    .parse()
                    .map_err(|_| bad(key(), format!("'{cell}' is not a number")))?;
                match *c {
                    "t" => e.t = v,
                    "vx" => e.vx = v,
                    "vy" => e.vy = v,
                    _ => e.yaw_rate = v,
                }
            }
            entries.push(e);
            lines_of.push(line);
        }
        Self::new(entries, |i, field| {
            format!(
                "line {}, column {field}",
                lines_of.get(i).copied().unwrap_or(0)
            )
        })
    }

    /// Checks entries (at least one; finite values; `t >= 0` and non-decreasing); `key(i, field)`
    /// names entry `i`'s field in errors.
    fn new(
        entries: Vec<ScriptEntry>,
        key: impl Fn(usize, &str) -> String,
    ) -> Result<Self, SimError> {
        if entries.is_empty() {
            return Err(bad("command", "the script has no entries"));
        }
        let mut last = 0.0f32;
        for (i, e) in entries.iter().enumerate() {
            if !(e.t.is_finite() && e.t >= last) {
                return Err(bad(
                    key(i, "t"),
                    format!(
                        "times must be finite, >= 0 and non-decreasing (got {})",
                        e.t
                    ),
                ));
            }
            last = e.t;
            for (field, v) in [("vx", e.vx), ("vy", e.vy), ("yaw_rate", e.yaw_rate)] {
                if !v.is_finite() {
                    return Err(bad(key(i, field), "must be finite"));
                }
            }
        }
        Ok(Self { entries })
    }

    /// The entries in time order.
    pub fn entries(&self) -> &[ScriptEntry] {
        &self.entries
    }

    /// Time of the last entry (s).
    pub fn last_time(&self) -> f32 {
        self.entries.last().map_or(0.0, |e| e.t)
    }

    /// The command in force at time `t` (standing before the first entry).
    pub fn at(&self, t: f32) -> TeleopOutput {
        let idx = self.entries.partition_point(|e| e.t <= t);
        match idx.checked_sub(1).and_then(|i| self.entries.get(i)) {
            Some(e) => TeleopOutput {
                command: if e.mode == Mode::Walk {
                    VelocityCommand::new(e.vx, e.vy, e.yaw_rate)
                } else {
                    VelocityCommand::ZERO
                },
                mode: e.mode,
                policy_switch: 0,
            },
            None => TeleopOutput::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_script_holds_each_command_until_the_next() {
        let s = CommandScript::from_toml_str(
            "[[command]]\nt = 0.5\nvx = 0.8\n\n[[command]]\nt = 2.0\nyaw_rate = -0.5\n\n\
             [[command]]\nt = 3.0\nmode = \"stand\"\nvx = 1.0\n",
        )
        .expect("parses");
        assert_eq!(s.at(0.0).mode, Mode::Stand);
        assert_eq!(s.at(0.5).command, VelocityCommand::new(0.8, 0.0, 0.0));
        assert_eq!(s.at(1.99).command.vx, 0.8);
        assert_eq!(s.at(2.0).command, VelocityCommand::new(0.0, 0.0, -0.5));
        let stand = s.at(10.0);
        assert_eq!(
            (stand.mode, stand.command),
            (Mode::Stand, VelocityCommand::ZERO)
        );
        assert_eq!(s.last_time(), 3.0);
    }

    #[test]
    fn csv_script_matches_toml() {
        let csv = CommandScript::from_csv_str(
            "# demo\nt, vx, vy, yaw_rate, mode\n0.5, 0.8, 0, 0, walk\n2.0, 0, 0, -0.5, walk\n3, 1, 0, 0, stand\n",
        )
        .expect("parses");
        let toml = CommandScript::from_toml_str(
            "[[command]]\nt = 0.5\nvx = 0.8\n[[command]]\nt = 2.0\nyaw_rate = -0.5\n\
             [[command]]\nt = 3.0\nvx = 1.0\nmode = \"stand\"\n",
        )
        .expect("parses");
        assert_eq!(csv, toml);
    }

    #[test]
    fn bad_scripts_name_file_and_key() {
        let e = CommandScript::from_toml_str("[[command]]\nt = 0.0\nvx = \"fast\"\n")
            .expect_err("string speed")
            .in_file(Path::new("walk.toml"))
            .to_string();
        assert!(
            e.contains("walk.toml") && e.contains("command[0].vx"),
            "{e}"
        );
        let e = CommandScript::from_toml_str("[[command]]\nt = 1.0\n[[command]]\nt = 0.5\n")
            .expect_err("time goes back")
            .to_string();
        assert!(e.contains("command[1].t"), "{e}");
        let e = CommandScript::from_toml_str("[[command]]\nt = 0.0\nspeed = 1.0\n")
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("speed"), "{e}");
        let e = CommandScript::from_csv_str("t,vx\n0,1\n1,x\n")
            .expect_err("bad number")
            .to_string();
        assert!(e.contains("line 3, column vx"), "{e}");
        let e = CommandScript::from_csv_str("t,vz\n0,1\n")
            .expect_err("bad column")
            .to_string();
        assert!(e.contains("vz"), "{e}");
        assert!(CommandScript::from_csv_str("t,vx\n").is_err());
        let missing = CommandScript::load(Path::new("/nonexistent/cmds.toml"))
            .expect_err("missing file")
            .to_string();
        assert!(missing.contains("/nonexistent/cmds.toml"), "{missing}");
    }
}
