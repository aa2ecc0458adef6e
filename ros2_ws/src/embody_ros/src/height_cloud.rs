//! Terrain heights for the policy's height scan, from a `sensor_msgs/PointCloud2` of the ground
//! (what depth cameras and lidars publish, and what the sim node publishes from its ray casts).
//! The cloud must be in the odometry's world frame (`height_cloud.frame`, default `odom`); the
//! ground height below a scan point is the height of the cloud point nearest to it in `x, y`,
//! within `height_cloud.max_gap_m`.
//!
//! The nearest point is found by brute force: a scan has ~100 points and a cloud ~1,000, so a
//! cycle costs ~10^5 distance computations (well under a millisecond), and no spatial-index crate
//! is worth its dependency here.

use serde::{Deserialize, Serialize};

/// `sensor_msgs/PointField` datatype FLOAT32.
pub const FLOAT32: u8 = 7;

/// Height-cloud parameters (`height_cloud:` in the node YAML; every key optional).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeightCloudConfig {
    /// Frame the cloud must be in: the odometry's world frame.
    pub frame: String,
    /// A scan point farther than this from every cloud point (in `x, y`) has no height (m).
    pub max_gap_m: f64,
    /// No cloud for this long -> hold mode, when the policy observes heights (ms).
    pub timeout_ms: f64,
    /// sim_node: grid spacing of the published cloud (m).
    pub spacing_m: f64,
    /// sim_node: the cloud covers +-this along the base's heading (m).
    pub half_length_m: f64,
    /// sim_node: the cloud covers +-this across the base's heading (m).
    pub half_width_m: f64,
}

impl Default for HeightCloudConfig {
    fn default() -> Self {
        Self {
            frame: "odom".into(),
            max_gap_m: 0.1,
            timeout_ms: 200.0,
            spacing_m: 0.05,
            half_length_m: 0.9,
            half_width_m: 0.6,
        }
    }
}

/// One `sensor_msgs/PointField`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointField {
    /// Field name (`x`, `y`, `z`, ...).
    pub name: String,
    /// Byte offset in a point.
    pub offset: u32,
    /// Datatype code ([`FLOAT32`] is the one read).
    pub datatype: u8,
    /// Elements in the field.
    pub count: u32,
}

/// The parts of a `sensor_msgs/PointCloud2` the reader needs.
#[derive(Debug, Clone, Copy)]
pub struct CloudMsg<'a> {
    /// `header.frame_id`.
    pub frame: &'a str,
    /// Rows.
    pub height: u32,
    /// Points per row.
    pub width: u32,
    /// The fields of a point.
    pub fields: &'a [PointField],
    /// Big-endian data.
    pub is_bigendian: bool,
    /// Bytes per point.
    pub point_step: u32,
    /// Bytes per row.
    pub row_step: u32,
    /// The points.
    pub data: &'a [u8],
}

impl<'a> CloudMsg<'a> {
    /// One row of `data` from [`encode_xyz`] with the [`xyz_fields`] in `frame`.
    pub fn xyz(frame: &'a str, fields: &'a [PointField], data: &'a [u8]) -> Self {
        let width = (data.len() / 12) as u32;
        Self {
            frame,
            height: 1,
            width,
            fields,
            is_bigendian: false,
            point_step: 12,
            row_step: 12 * width,
            data,
        }
    }
}

/// Ground points (`x, y, z`, world frame) from one cloud.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeightCloud {
    points: Vec<[f32; 3]>,
}

impl HeightCloud {
    /// A cloud of world-frame points.
    pub fn from_points(points: Vec<[f32; 3]>) -> Self {
        Self { points }
    }

    /// Reads `msg`, which must be in frame `frame` and have FLOAT32 `x`, `y`, `z` fields.
    /// Non-finite points (no return) are skipped. The error says what is wrong with the message.
    pub fn read(msg: &CloudMsg<'_>, frame: &str) -> Result<Self, String> {
        if msg.frame != frame {
            return Err(format!(
                "height cloud in frame '{}', expected '{frame}' (the odometry's world frame)",
                msg.frame
            ));
        }
        if msg.is_bigendian {
            return Err("height cloud is big-endian; only little-endian clouds are read".into());
        }
        let offset = |name: &str| -> Result<usize, String> {
            let f = msg
                .fields
                .iter()
                .find(|f| f.name == name)
                .ok_or_else(|| format!("height cloud has no field '{name}'"))?;
            if f.datatype != FLOAT32 || f.count != 1 {
                return Err(format!(
                    "height cloud field '{name}' has datatype {} x {}, expected FLOAT32 (7) x 1",
                    f.datatype, f.count
                ));
            }
            let end = f.offset as usize + 4;
            if end > msg.point_step as usize {
                return Err(format!(
                    "height cloud field '{name}' ends at byte {end}, past point_step {}",
                    msg.point_step
                ));
            }
            Ok(f.offset as usize)
        };
        let (ox, oy, oz) = (offset("x")?, offset("y")?, offset("z")?);
        let (step, row) = (msg.point_step as usize, msg.row_step as usize);
        let (w, h) = (msg.width as usize, msg.height as usize);
        if step == 0 || row < w * step || msg.data.len() < h * row {
            return Err(format!(
                "height cloud of {h} x {w} points (point_step {step}, row_step {row}) needs {} \
                 bytes, has {}",
                h * row.max(w * step),
                msg.data.len()
            ));
        }
        let f32_at = |i: usize| {
            f32::from_le_bytes([
                msg.data[i],
                msg.data[i + 1],
                msg.data[i + 2],
                msg.data[i + 3],
            ])
        };
        let mut points = Vec::with_capacity(w * h);
        for r in 0..h {
            for c in 0..w {
                let base = r * row + c * step;
                let p = [f32_at(base + ox), f32_at(base + oy), f32_at(base + oz)];
                if p.iter().all(|v| v.is_finite()) {
                    points.push(p);
                }
            }
        }
        Ok(Self { points })
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether the cloud has no point.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The height of the point nearest to `(x, y)` in the plane, if one lies within `max_gap`.
    pub fn ground_below(&self, x: f32, y: f32, max_gap: f32) -> Option<f32> {
        let mut best = (max_gap * max_gap, None);
        for p in &self.points {
            let d = (p[0] - x).powi(2) + (p[1] - y).powi(2);
            if d <= best.0 {
                best = (d, Some(p[2]));
            }
        }
        best.1
    }
}

/// Encodes world-frame points as the data of a little-endian PointCloud2 with FLOAT32 `x, y, z`
/// (12-byte points, one row): what the sim node publishes.
pub fn encode_xyz(points: &[[f32; 3]], data: &mut Vec<u8>) {
    data.clear();
    for p in points {
        for v in p {
            data.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// The `x, y, z` fields of [`encode_xyz`]'s points.
pub fn xyz_fields() -> Vec<PointField> {
    ["x", "y", "z"]
        .iter()
        .enumerate()
        .map(|(k, n)| PointField {
            name: (*n).into(),
            offset: 4 * k as u32,
            datatype: FLOAT32,
            count: 1,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg<'a>(fields: &'a [PointField], data: &'a [u8], n: u32) -> CloudMsg<'a> {
        CloudMsg {
            width: n,
            row_step: 12 * n,
            ..CloudMsg::xyz("odom", fields, data)
        }
    }

    #[test]
    fn encoded_points_read_back_and_the_nearest_gives_the_height() {
        let points = vec![
            [0.0, 0.0, 0.1],
            [0.1, 0.0, 0.2],
            [f32::NAN, 0.0, 0.0],
            [1.0, 1.0, 0.5],
        ];
        let mut data = Vec::new();
        encode_xyz(&points, &mut data);
        let fields = xyz_fields();
        let cloud = HeightCloud::read(&msg(&fields, &data, 4), "odom").expect("read");
        assert_eq!(cloud.len(), 3, "the NaN point is skipped");
        assert_eq!(cloud.ground_below(0.04, 0.0, 0.1), Some(0.1));
        assert_eq!(cloud.ground_below(0.06, 0.01, 0.1), Some(0.2));
        assert_eq!(
            cloud.ground_below(0.5, 0.5, 0.1),
            None,
            "a gap in the cloud"
        );
    }

    #[test]
    fn malformed_clouds_say_what_is_wrong() {
        let fields = xyz_fields();
        let data = vec![0u8; 24];
        let e = HeightCloud::read(
            &CloudMsg {
                frame: "base",
                ..msg(&fields, &data, 2)
            },
            "odom",
        )
        .unwrap_err();
        assert!(e.contains("frame 'base'") && e.contains("'odom'"), "{e}");
        let e = HeightCloud::read(&msg(&fields[..2], &data, 2), "odom").unwrap_err();
        assert_eq!(e, "height cloud has no field 'z'");
        let mut f64s = fields.clone();
        f64s[2].datatype = 8;
        let e = HeightCloud::read(&msg(&f64s, &data, 2), "odom").unwrap_err();
        assert!(e.contains("field 'z' has datatype 8"), "{e}");
        let e = HeightCloud::read(&msg(&fields, &data[..20], 2), "odom").unwrap_err();
        assert!(e.contains("needs 24 bytes, has 20"), "{e}");
        let big = CloudMsg {
            is_bigendian: true,
            ..msg(&fields, &data, 2)
        };
        assert!(
            HeightCloud::read(&big, "odom")
                .unwrap_err()
                .contains("big-endian")
        );
    }
}
