//! Probe (not committed): stepping in place with a trot trajectory generator.
use sim::Terrain;
use sim::{PhysicsConfig, RobotWorld};
use std::sync::Arc;
fn main() {
    let spec = Arc::new(robots::load_builtin_or_path("quadruped").unwrap());
    let a: Vec<f32> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let (period, thigh, calf) = (a[0], a[1], a[2]);
    let mut w = RobotWorld::new(spec.clone(), &Terrain::flat(), PhysicsConfig::default()).unwrap();
    let names: Vec<String> = spec.joints.iter().map(|j| j.name.clone()).collect();
    let d = w.default_positions().to_vec();
    let dt = 0.02;
    let (mut min_z, mut max_tilt) = (1.0f32, 0.0f32);
    let feet: Vec<usize> = spec
        .bodies
        .iter()
        .enumerate()
        .filter(|(_, b)| b.name.contains("calf"))
        .map(|(i, _)| i)
        .collect();
    let mut max_lift = 0.0f32;
    for k in 0..500 {
        let t = k as f32 * dt;
        let mut tgt = d.clone();
        for (i, n) in names.iter().enumerate() {
            let pair_a = n.starts_with("FL") || n.starts_with("RR");
            let ph = 2.0 * std::f32::consts::PI * t / period
                + if pair_a { 0.0 } else { std::f32::consts::PI };
            let s = ph.sin().max(0.0);
            if n.contains("thigh") {
                tgt[i] += thigh * s;
            }
            if n.contains("calf") {
                tgt[i] += calf * s;
            }
        }
        w.set_joint_targets(&tgt).unwrap();
        w.step();
        let b = w.base_state();
        if k > 50 {
            min_z = min_z.min(b.pos_w.z);
            max_tilt = max_tilt.max(b.tilt_deg());
        }
        for &f in &feet {
            let p = w.point_w(f, sim::Vec3::new(0.0, 0.0, -0.2)).unwrap();
            max_lift = max_lift.max(p.z);
        }
    }
    let b = w.base_state();
    println!(
        "p={period} th={thigh} ca={calf}: drift x={:.2} y={:.2} yaw? z_min={:.3} tilt_max={:.1} foot_max_z={:.3}",
        b.pos_w.x, b.pos_w.y, min_z, max_tilt, max_lift
    );
}
