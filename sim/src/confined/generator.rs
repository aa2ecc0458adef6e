//! The seeded generator of confined worlds: a winding tunnel of straight stretches, each with
//! its own width and ceiling, a lobby with room to stand at the start, and features along it: beams and pyramids hanging from the
//! ceiling, low bumps on the floor, tall blocks and voids at one side that leave a lane.
//! Difficulty levels narrow the ranges from open, wide and straight tunnels to the held-out test
//! ranges; the held-out worlds are drawn from seeds no training world uses.

use super::grid::{WorldGrid, segment_distance};
use super::spec::{Corridor, Obstacle, ObstacleShape, Pose2, Region, Side, WorldSpec};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Seeds of the held-out worlds start here; training draws its seeds below it.
pub const TEST_SEED_BASE: u64 = 1 << 40;

/// Number of held-out worlds.
pub const TEST_WORLDS: usize = 200;

/// The robot's size as the generator needs it (m).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RobotSize {
    /// Height of its top when standing.
    pub height: f32,
    /// Its width when standing.
    pub width: f32,
}

impl From<&robots::BodyExtents> for RobotSize {
    fn from(b: &robots::BodyExtents) -> Self {
        Self {
            height: b.height as f32,
            width: b.width as f32,
        }
    }
}

/// The ranges a world's values are drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldRanges {
    /// Length of the tunnel's centre line from start to goal (m).
    pub length_m: [f32; 2],
    /// Each stretch's ceiling, and the lowest point of each ceiling feature, as multiples of
    /// the robot's standing height.
    pub clearance: [f32; 2],
    /// Each stretch's width, and the lane a side block or void leaves, as multiples of the
    /// robot's standing width.
    pub width: [f32; 2],
    /// Largest change of heading at a bend (degrees); every bend turns by at least 0.3 of it.
    pub max_turn_deg: f32,
    /// Number of straight stretches.
    pub stretches: [usize; 2],
    /// Features per metre of tunnel.
    pub features_per_m: f32,
}

impl WorldRanges {
    /// The held-out test ranges: 4-6 m with bends of up to 35 degrees, ceilings 0.7-1.1x the
    /// standing height, widths 1.2-2x the body width.
    pub fn test() -> Self {
        Self {
            length_m: [4.0, 6.0],
            clearance: [0.7, 1.1],
            width: [1.2, 2.0],
            max_turn_deg: 35.0,
            stretches: [3, 5],
            features_per_m: 0.8,
        }
    }

    /// Curriculum level `level` of `levels` (0 easiest): from short, straight-ish tunnels wide
    /// and tall enough to walk through upright (ceilings 1.5-1.8x, widths 3-4x) to
    /// [`WorldRanges::test`] at the last level.
    pub fn level(level: usize, levels: usize) -> Self {
        let t = if levels > 1 {
            (level.min(levels - 1)) as f32 / (levels - 1) as f32
        } else {
            1.0
        };
        let lerp = |a: f32, b: f32| a + (b - a) * t;
        let test = Self::test();
        Self {
            length_m: [lerp(2.5, test.length_m[0]), lerp(3.5, test.length_m[1])],
            clearance: [lerp(1.5, test.clearance[0]), lerp(1.8, test.clearance[1])],
            width: [lerp(3.0, test.width[0]), lerp(4.0, test.width[1])],
            max_turn_deg: lerp(10.0, test.max_turn_deg),
            stretches: [2 + t.round() as usize, 3 + (2.0 * t).round() as usize],
            features_per_m: lerp(0.2, test.features_per_m),
        }
    }
}

/// What a generated world was built to be (m and degrees); [`measure`] checks it on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WorldStats {
    /// Centre-line length from start to goal.
    pub length_m: f32,
    /// The narrowest cross-section's walkable width.
    pub min_width_m: f32,
    /// The lowest cross-section's best head room.
    pub min_clearance_m: f32,
    /// Number of bends.
    pub bends: usize,
    /// Largest change of heading at one bend.
    pub max_turn_deg: f32,
}

/// A generated world and its centre line.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedWorld {
    /// The world, as a world file would hold it.
    pub spec: WorldSpec,
    /// The tunnel's centre line from start to goal.
    pub centre_line: Vec<[f32; 2]>,
    /// The seed it was drawn from.
    pub seed: u64,
}

/// Length kept free of features after the start and before the goal (m).
const FREE_ENDS_M: f32 = 0.7;
/// How far the tunnel reaches behind the start and beyond the goal (m).
const END_ROOM_M: f32 = 0.5;
/// How far the lobby around the start reaches ahead of it (m).
const LOBBY_M: f32 = 0.3;
/// The lobby's ceiling, as a multiple of the standing height.
const LOBBY_CEILING: f32 = 1.3;
/// Smallest distance between two features along the tunnel (m).
const FEATURE_GAP_M: f32 = 0.6;

/// Draws a world from `seed` with `ranges` for a robot of `size`.
pub fn generate(seed: u64, ranges: &WorldRanges, size: RobotSize) -> GeneratedWorld {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draw = |r: [f32; 2]| {
        if r[1] > r[0] {
            rng.random_range(r[0]..=r[1])
        } else {
            r[0]
        }
    };
    let total = draw(ranges.length_m);
    let stretches = {
        let [lo, hi] = ranges.stretches;
        let n = draw([lo as f32, hi as f32 + 0.999]).floor() as usize;
        n.clamp(lo.max(1), hi.max(lo).max(1))
    };
    // Stretch lengths: random shares of the total, each at least 0.6 of an equal share.
    let shares: Vec<f32> = (0..stretches).map(|_| draw([0.6, 1.4])).collect();
    let share_sum: f32 = shares.iter().sum();
    let mut heading = 0.0f32;
    let mut points = vec![[0.0f32, 0.0f32]];
    let mut turns = Vec::new();
    for (i, share) in shares.iter().enumerate() {
        if i > 0 {
            let max = ranges.max_turn_deg.to_radians();
            // A bend turns by 0.3-1 of the largest turn, either way.
            let sign = if draw([0.0, 1.0]) < 0.5 { -1.0 } else { 1.0 };
            let turn = sign * draw([0.3 * max, max]);
            // Keep the overall heading within 75 degrees of the start's, so the tunnel never
            // folds back on itself.
            let limit = 75f32.to_radians();
            let new_heading = (heading + turn).clamp(-limit, limit);
            turns.push((new_heading - heading).abs().to_degrees());
            heading = new_heading;
        }
        let len = total * share / share_sum;
        let last = points[points.len() - 1];
        points.push([last[0] + len * heading.cos(), last[1] + len * heading.sin()]);
    }
    let (h, w) = (size.height, size.width);
    let mut corridors = Vec::new();
    let mut stretch_width = Vec::new();
    let mut stretch_ceiling = Vec::new();
    for i in 0..stretches {
        let (mut a, mut b) = (points[i], points[i + 1]);
        let dir = unit(a, b);
        if i == 0 {
            a = [a[0] - END_ROOM_M * dir[0], a[1] - END_ROOM_M * dir[1]];
        }
        if i + 1 == stretches {
            b = [b[0] + END_ROOM_M * dir[0], b[1] + END_ROOM_M * dir[1]];
        }
        let width = draw(ranges.width) * w;
        let ceiling = draw(ranges.clearance) * h;
        stretch_width.push(width);
        stretch_ceiling.push(ceiling);
        corridors.push(Corridor {
            points: vec![a, b],
            width,
            ceiling: Some(ceiling),
        });
    }
    // The robot starts standing: a lobby around the start, as wide as the first stretch, with
    // room above a standing robot (the union of corridors takes the higher ceiling).
    let dir0 = unit(points[0], points[1]);
    corridors.push(Corridor {
        points: vec![
            [-END_ROOM_M * dir0[0], -END_ROOM_M * dir0[1]],
            [LOBBY_M * dir0[0], LOBBY_M * dir0[1]],
        ],
        width: stretch_width[0],
        ceiling: Some(stretch_ceiling[0].max(LOBBY_CEILING * h)),
    });
    // Features at arc lengths along the centre line, away from the ends and each other.
    let count = (ranges.features_per_m * total).round() as usize;
    let mut placed: Vec<f32> = Vec::new();
    let mut obstacles = Vec::new();
    let mut voids = Vec::new();
    for _ in 0..count {
        let s = draw([FREE_ENDS_M, (total - FREE_ENDS_M).max(FREE_ENDS_M)]);
        if placed.iter().any(|p| (p - s).abs() < FEATURE_GAP_M) {
            continue;
        }
        let (i, at, dir) = locate(&points, s);
        // Not across a bend: both stretches' walls would have to be matched.
        let from_ends = (s - arc_at(&points, i)).min(arc_at(&points, i + 1) - s);
        if from_ends < 0.35 {
            continue;
        }
        placed.push(s);
        let (width, ceiling) = (stretch_width[i], stretch_ceiling[i]);
        let yaw = dir[1].atan2(dir[0]);
        let lane_min = ranges.width[0] * w;
        let kind = draw([0.0, 4.999]).floor() as u32;
        let side = if draw([0.0, 1.0]) < 0.5 { 1.0 } else { -1.0 };
        let normal = [-dir[1], dir[0]];
        let low = (draw([ranges.clearance[0], ranges.clearance[1]]) * h).min(ceiling);
        match kind {
            // A beam across the tunnel.
            0 => obstacles.push(Obstacle {
                shape: ObstacleShape::Box,
                side: Side::Ceiling,
                center: at,
                size: [draw([0.1, 0.25]), width + 0.3],
                height: low,
                yaw,
            }),
            // A pyramid hanging from the ceiling.
            1 => obstacles.push(Obstacle {
                shape: ObstacleShape::Pyramid,
                side: Side::Ceiling,
                center: at,
                size: [draw([0.4, 0.8]), width + 0.2],
                height: low,
                yaw,
            }),
            // A low bump across the floor, to step over; never so high that the head room
            // above it falls below the clearance range.
            2 => {
                let height = draw([0.02, 0.05]).min(ceiling - ranges.clearance[0] * h);
                if height < 0.02 {
                    continue;
                }
                obstacles.push(Obstacle {
                    shape: ObstacleShape::Box,
                    side: Side::Floor,
                    center: at,
                    size: [draw([0.08, 0.25]), width + 0.2],
                    height,
                    yaw,
                })
            }
            // A tall block or a void at one side, leaving a lane.
            _ => {
                let lane = draw([lane_min, width.max(lane_min)]);
                let taken = width - lane;
                if taken < 0.04 {
                    continue;
                }
                // The block reaches 0.1 m into the wall so nothing is left between them.
                let depth = taken + 0.1;
                let offset = side * (0.5 * width + 0.1 - 0.5 * depth);
                let center = [at[0] + offset * normal[0], at[1] + offset * normal[1]];
                let size = [draw([0.2, 0.45]), depth];
                if kind == 3 {
                    obstacles.push(Obstacle {
                        shape: ObstacleShape::Box,
                        side: Side::Floor,
                        center,
                        size,
                        height: 1.0,
                        yaw,
                    });
                } else {
                    voids.push(Region { center, size, yaw });
                }
            }
        }
    }
    let goal = points[points.len() - 1];
    let spec = WorldSpec {
        name: format!("generated {seed}"),
        cell: 0.025,
        wall_height: 1.0,
        start: Pose2 {
            x: 0.0,
            y: 0.0,
            yaw: 0.0,
        },
        goal,
        corridors,
        obstacles,
        voids,
    };
    GeneratedWorld {
        spec,
        centre_line: points,
        seed,
    }
}

/// The held-out test worlds: `count` worlds at [`WorldRanges::test`] from seeds
/// `TEST_SEED_BASE + i`.
pub fn test_set(size: RobotSize, count: usize) -> Vec<GeneratedWorld> {
    let ranges = WorldRanges::test();
    (0..count as u64)
        .map(|i| generate(TEST_SEED_BASE + i, &ranges, size))
        .collect()
}

/// Measures a world on its grid along a centre line: the length, the narrowest walkable
/// cross-section and the lowest best head room (sampled every half cell, skipping the first and
/// last 0.2 m where the tunnel's rounded ends are), and the bends.
pub fn measure(grid: &WorldGrid, centre_line: &[[f32; 2]]) -> WorldStats {
    let total = arc_at(centre_line, centre_line.len() - 1);
    let step = 0.5 * grid.cell;
    let (mut min_width, mut min_room) = (f32::INFINITY, f32::INFINITY);
    let mut s = 0.2;
    while s <= total - 0.2 {
        let (_, p, dir) = locate(centre_line, s);
        // Through a bend's joint the cross-section is taken across both stretches' mean
        // direction, which is what the widened joint offers.
        let (width, room) = grid.cross_section(p, [-dir[1], dir[0]], 3.0);
        min_width = min_width.min(width);
        min_room = min_room.min(room);
        s += step;
    }
    let mut turns = Vec::new();
    for w in centre_line.windows(3) {
        let (a, b) = (unit(w[0], w[1]), unit(w[1], w[2]));
        let cos = (a[0] * b[0] + a[1] * b[1]).clamp(-1.0, 1.0);
        turns.push(cos.acos().to_degrees());
    }
    WorldStats {
        length_m: total,
        min_width_m: min_width,
        min_clearance_m: min_room,
        bends: turns.iter().filter(|t| **t > 0.5).count(),
        max_turn_deg: turns.iter().copied().fold(0.0, f32::max),
    }
}

/// Whether `p` lies within `radius` of the centre line.
pub fn near_centre_line(centre_line: &[[f32; 2]], p: [f32; 2], radius: f32) -> bool {
    centre_line
        .windows(2)
        .any(|w| segment_distance(p, w[0], w[1]) <= radius)
}

fn unit(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let n = (dx * dx + dy * dy).sqrt().max(1e-9);
    [dx / n, dy / n]
}

/// Arc length from the first point to point `i`.
fn arc_at(points: &[[f32; 2]], i: usize) -> f32 {
    points
        .windows(2)
        .take(i)
        .map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt())
        .sum()
}

/// The stretch index, point and direction at arc length `s`.
fn locate(points: &[[f32; 2]], s: f32) -> (usize, [f32; 2], [f32; 2]) {
    let mut left = s;
    for (i, w) in points.windows(2).enumerate() {
        let len = ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt();
        let dir = unit(w[0], w[1]);
        if left <= len || i + 2 == points.len() {
            let t = left.min(len);
            return (i, [w[0][0] + t * dir[0], w[0][1] + t * dir[1]], dir);
        }
        left -= len;
    }
    (0, points[0], [1.0, 0.0])
}
