//! Pure pursuit of a path: the point `lookahead_m` ahead along the remaining path, seen from the
//! base, becomes a body-frame velocity command `[vx, vy, yaw rate]` that turns the base towards
//! the path's direction there. The velocity-skill baseline walks on these commands; the
//! learned policies see them in the command slot of their observation.

use super::config::PursuitConfig;

/// The point `ahead` metres along the polyline `path` (`[x, y]` points) from the point of
/// segment `from` nearest `p`, and the direction of the path there (rad).
pub fn point_ahead(path: &[[f32; 2]], from: usize, p: [f32; 2], ahead: f32) -> ([f32; 2], f32) {
    let n = path.len();
    if n == 0 {
        return (p, 0.0);
    }
    if n == 1 || from + 1 >= n {
        let last = path[n - 1];
        let dir = if n >= 2 {
            let a = path[n - 2];
            (last[1] - a[1]).atan2(last[0] - a[0])
        } else {
            (last[1] - p[1]).atan2(last[0] - p[0])
        };
        return (last, dir);
    }
    // Project p onto segment `from`, then walk `ahead` metres on.
    let (a, b) = (path[from], path[from + 1]);
    let (abx, aby) = (b[0] - a[0], b[1] - a[1]);
    let len2 = (abx * abx + aby * aby).max(1e-12);
    let t = (((p[0] - a[0]) * abx + (p[1] - a[1]) * aby) / len2).clamp(0.0, 1.0);
    let mut at = [a[0] + t * abx, a[1] + t * aby];
    let mut left = ahead;
    let mut i = from;
    loop {
        let b = path[i + 1];
        let (dx, dy) = (b[0] - at[0], b[1] - at[1]);
        let d = (dx * dx + dy * dy).sqrt();
        let seg = path[i + 1];
        let dir = (seg[1] - path[i][1]).atan2(seg[0] - path[i][0]);
        if d >= left {
            let s = left / d.max(1e-9);
            return ([at[0] + s * dx, at[1] + s * dy], dir);
        }
        left -= d;
        at = b;
        i += 1;
        if i + 1 >= n {
            return (at, dir);
        }
    }
}

/// Wraps an angle to `(-pi, pi]`.
pub fn wrap_angle(a: f32) -> f32 {
    let two_pi = std::f32::consts::TAU;
    let mut a = a % two_pi;
    if a > std::f32::consts::PI {
        a -= two_pi;
    } else if a <= -std::f32::consts::PI {
        a += two_pi;
    }
    a
}

/// The command that steers a base at `p` with heading `yaw` towards `target`, turning towards
/// `target_yaw`.
pub fn command_towards(
    config: &PursuitConfig,
    p: [f32; 2],
    yaw: f32,
    target: [f32; 2],
    target_yaw: f32,
) -> [f32; 3] {
    let (dx, dy) = (target[0] - p[0], target[1] - p[1]);
    let (s, c) = yaw.sin_cos();
    let (fx, fy) = (c * dx + s * dy, -s * dx + c * dy);
    let vx = (config.gain * fx).clamp(-config.max_backward, config.max_speed);
    let vy = (config.gain * fy).clamp(-config.max_lateral, config.max_lateral);
    let wz = (config.yaw_gain * wrap_angle(target_yaw - yaw))
        .clamp(-config.max_yaw_rate, config.max_yaw_rate);
    [vx, vy, wz]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_point_ahead_follows_the_path_round_a_bend() {
        let path = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]];
        let (q, dir) = point_ahead(&path, 0, [0.5, 0.1], 0.3);
        assert!((q[0] - 0.8).abs() < 1e-6 && q[1].abs() < 1e-6);
        assert!(dir.abs() < 1e-6);
        let (q, dir) = point_ahead(&path, 0, [0.9, 0.0], 0.4);
        assert!(
            (q[0] - 1.0).abs() < 1e-6 && (q[1] - 0.3).abs() < 1e-5,
            "{q:?}"
        );
        assert!((dir - std::f32::consts::FRAC_PI_2).abs() < 1e-6);
        let (q, _) = point_ahead(&path, 1, [1.0, 0.9], 5.0);
        assert_eq!(q, [1.0, 1.0], "stops at the end");
    }

    #[test]
    fn commands_point_at_the_target_in_the_body_frame_within_limits() {
        let c = PursuitConfig::default();
        // Facing +y, target straight ahead 1 m: full forward speed, no turn.
        let cmd = command_towards(
            &c,
            [0.0, 0.0],
            std::f32::consts::FRAC_PI_2,
            [0.0, 1.0],
            std::f32::consts::FRAC_PI_2,
        );
        assert!((cmd[0] - c.max_speed).abs() < 1e-6 && cmd[1].abs() < 1e-6 && cmd[2].abs() < 1e-6);
        // Target 0.1 m to the left: a small lateral step; the path turns left: yaw rate > 0.
        let cmd = command_towards(&c, [0.0, 0.0], 0.0, [0.0, 0.1], 0.3);
        assert!(cmd[0].abs() < 1e-6 && (cmd[1] - 0.15).abs() < 1e-6 && (cmd[2] - 0.6).abs() < 1e-6);
        assert!((wrap_angle(3.5) - (3.5 - std::f32::consts::TAU)).abs() < 1e-6);
    }
}
