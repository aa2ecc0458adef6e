//! A confined world's floor and ceiling as triangle meshes for the viewer, from the same grid
//! the physics and the planner use ([`WorldGrid`]).

use super::TriangleMesh;
use crate::confined::WorldGrid;

/// The floor of `grid` (walls included, as raised floor) and, separately, its ceiling: only
/// the cells whose four corners lie under a ceiling lower than the walls (a tunnel's roof,
/// a hanging obstacle); open sky and wall tops are left out. Both with one vertex per grid
/// vertex, world frame.
pub fn confined_world_meshes(grid: &WorldGrid) -> (TriangleMesh, TriangleMesh) {
    let (nx, ny) = (grid.nx, grid.ny);
    let vertices = |heights: &[f32]| -> Vec<[f32; 3]> {
        (0..ny)
            .flat_map(|iy| (0..nx).map(move |ix| (ix, iy)))
            .map(|(ix, iy)| {
                let [x, y] = grid.position(ix, iy);
                let z = heights[grid.index(ix, iy)];
                [x, y, if z.is_finite() { z } else { grid.wall_height }]
            })
            .collect()
    };
    let roofed = |i: usize| {
        let c = grid.ceiling[i];
        c.is_finite() && c < grid.wall_height && c > grid.floor[i]
    };
    let mut floor_triangles = Vec::with_capacity(2 * nx.saturating_sub(1) * ny.saturating_sub(1));
    let mut ceiling_triangles = Vec::new();
    for iy in 0..ny.saturating_sub(1) {
        for ix in 0..nx.saturating_sub(1) {
            let corners = [
                grid.index(ix, iy),
                grid.index(ix + 1, iy),
                grid.index(ix + 1, iy + 1),
                grid.index(ix, iy + 1),
            ];
            let [a, b, c, d] = corners.map(|i| i as u32);
            floor_triangles.push([a, b, c]);
            floor_triangles.push([a, c, d]);
            if corners.iter().all(|&i| roofed(i)) {
                // Wound clockwise seen from above: the faces look down into the tunnel.
                ceiling_triangles.push([a, c, b]);
                ceiling_triangles.push([a, d, c]);
            }
        }
    }
    (
        TriangleMesh {
            positions: vertices(&grid.floor),
            triangles: floor_triangles,
        },
        TriangleMesh {
            positions: vertices(&grid.ceiling),
            triangles: ceiling_triangles,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confined::WorldSpec;

    /// A straight tunnel 2 m long and 0.6 m wide with a 0.3 m roof over its first half.
    fn tunnel() -> WorldGrid {
        let spec = WorldSpec::from_toml_str(
            r#"
            name = "tunnel"
            cell = 0.05
            goal = [2.0, 0.0]
            [start]
            x = 0.0
            y = 0.0
            yaw = 0.0
            [[corridors]]
            points = [[0.0, 0.0], [1.0, 0.0]]
            width = 0.6
            ceiling = 0.3
            [[corridors]]
            points = [[1.0, 0.0], [2.0, 0.0]]
            width = 0.6
            "#,
        )
        .unwrap();
        WorldGrid::from_spec(&spec)
    }

    #[test]
    fn floor_mesh_has_a_vertex_per_grid_vertex_at_the_floor_height() {
        let grid = tunnel();
        let (floor, _) = confined_world_meshes(&grid);
        assert_eq!(floor.positions.len(), grid.nx * grid.ny);
        assert_eq!(floor.triangles.len(), 2 * (grid.nx - 1) * (grid.ny - 1));
        let (ix, iy) = grid.nearest(0.5, 0.0).unwrap();
        let v = floor.positions[grid.index(ix, iy)];
        assert!((v[2] - grid.floor_at(0.5, 0.0)).abs() < 1e-6);
        // The grid's edge lies outside the tunnel: wall.
        let edge = floor.positions[grid.index(grid.nx / 2, grid.ny - 1)];
        assert!(edge[1] > 0.3, "edge at y = {}", edge[1]);
        assert_eq!(edge[2], grid.wall_height);
    }

    #[test]
    fn ceiling_mesh_covers_the_roofed_half_only() {
        let grid = tunnel();
        let (_, ceiling) = confined_world_meshes(&grid);
        assert!(!ceiling.triangles.is_empty());
        for t in &ceiling.triangles {
            for &i in t {
                let [x, y, z] = ceiling.positions[i as usize];
                assert!(x <= 1.0 + grid.cell, "roof at x = {x}");
                assert!(y.abs() <= 0.3 + grid.cell);
                assert!((z - 0.3).abs() < 1e-6, "roof height {z}");
            }
        }
    }
}
