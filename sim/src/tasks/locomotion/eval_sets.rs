//! Named terrain sets of the locomotion test (`embody eval locomotion --terrain NAME`). Fixed
//! here, apart from the training config, so a test set cannot drift with what a run trained on.

use crate::error::SimError;
use crate::terrain::TerrainKind;

/// Names of the test sets.
pub const EVAL_SET_NAMES: [&str; 5] = ["flat", "rough", "slope", "stairs", "rough_stairs"];

/// Side of every heightfield tile of the test sets (m); an episode that walks off its tile ends
/// as a time-out, not a fall.
const TILE: f32 = 24.0;

fn rough() -> TerrainKind {
    TerrainKind::Rough {
        amplitude: 0.04,
        cell: 0.1,
        size: TILE,
    }
}

fn stairs(step_height: f32) -> TerrainKind {
    TerrainKind::Stairs {
        step_height,
        step_width: 0.31,
        steps: 6,
        cell: 0.05,
        size: TILE,
    }
}

/// The terrains of test set `name`; episode `i` runs on terrain `i % len`.
pub fn eval_terrains(name: &str) -> Result<Vec<TerrainKind>, SimError> {
    Ok(match name {
        "flat" => vec![TerrainKind::Flat],
        "rough" => vec![rough()],
        "slope" => [0.25, -0.25]
            .map(|grade| TerrainKind::Slope {
                grade,
                length: 3.0,
                cell: 0.1,
                size: TILE,
            })
            .to_vec(),
        "stairs" => vec![stairs(0.08), stairs(-0.08)],
        // The rough-terrain test: rough ground, stairs down and stairs up in turn.
        "rough_stairs" => vec![rough(), stairs(0.08), stairs(-0.08)],
        other => {
            return Err(SimError::Config {
                key: "terrain".into(),
                message: format!("unknown test set '{other}'; sets: {EVAL_SET_NAMES:?}"),
            });
        }
    })
}

/// A short label of a test terrain that says which way it goes from the spawn point at the
/// centre: `flat`, `rough`, `slope_up`/`slope_down`, `stairs_up`/`stairs_down`.
pub fn eval_terrain_label(kind: &TerrainKind) -> String {
    // A positive height is the centre platform's: the robot walks down from it.
    let way = |height: f32| if height > 0.0 { "down" } else { "up" };
    match *kind {
        TerrainKind::Slope { grade, .. } => format!("slope_{}", way(grade)),
        TerrainKind::Stairs { step_height, .. } => format!("stairs_{}", way(step_height)),
        _ => kind.name().to_string(),
    }
}

/// The test terrain with label `label` (see [`eval_terrain_label`]: `flat`, `rough`,
/// `slope_up`, `stairs_down`, ...), for placing a robot on one outside an eval run (the ROS 2
/// sim node). The error lists the labels.
pub fn eval_terrain_by_label(label: &str) -> Result<TerrainKind, SimError> {
    let mut labels = Vec::new();
    for set in EVAL_SET_NAMES {
        for kind in eval_terrains(set)? {
            let l = eval_terrain_label(&kind);
            if l == label {
                return Ok(kind);
            }
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
    }
    Err(SimError::Config {
        key: "terrain".into(),
        message: format!("unknown test terrain '{label}'; terrains: {labels:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terrains_are_found_by_label_and_unknown_labels_listed() {
        let kind = eval_terrain_by_label("stairs_up").expect("stairs_up");
        assert_eq!(eval_terrain_label(&kind), "stairs_up");
        let e = eval_terrain_by_label("lava").unwrap_err().to_string();
        assert!(e.contains("'lava'") && e.contains("stairs_down"), "{e}");
    }

    #[test]
    fn every_named_set_builds_and_validates() {
        for name in EVAL_SET_NAMES {
            let set = eval_terrains(name).expect(name);
            assert!(!set.is_empty());
            for kind in set {
                kind.validate().expect(name);
            }
        }
    }

    #[test]
    fn labels_say_which_way_the_terrain_goes_from_the_spawn() {
        let labels: Vec<String> = eval_terrains("rough_stairs")
            .unwrap()
            .iter()
            .map(eval_terrain_label)
            .collect();
        assert_eq!(labels, ["rough", "stairs_down", "stairs_up"]);
    }

    #[test]
    fn unknown_set_is_named_in_the_error() {
        let e = eval_terrains("moon").unwrap_err().to_string();
        assert!(e.contains("moon") && e.contains("rough_stairs"), "{e}");
    }
}
