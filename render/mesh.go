package render

import (
	"math"

	"github.com/go-gl/mathgl/mgl32"
)

// icosphere returns a unit sphere subdivided level times: vertices (which
// are also its normals) and triangle indices.
func icosphere(level int) ([]mgl32.Vec3, []uint32) {
	t := float32((1 + math.Sqrt(5)) / 2)
	verts := []mgl32.Vec3{
		{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
		{0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
		{t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1},
	}
	for i := range verts {
		verts[i] = verts[i].Normalize()
	}
	tris := []uint32{
		0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11,
		1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
		3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9,
		4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
	}
	for range level {
		mid := map[[2]uint32]uint32{}
		midpoint := func(a, b uint32) uint32 {
			key := [2]uint32{min(a, b), max(a, b)}
			if m, ok := mid[key]; ok {
				return m
			}
			verts = append(verts, verts[a].Add(verts[b]).Normalize())
			mid[key] = uint32(len(verts) - 1)
			return mid[key]
		}
		next := make([]uint32, 0, len(tris)*4)
		for k := 0; k < len(tris); k += 3 {
			a, b, c := tris[k], tris[k+1], tris[k+2]
			ab, bc, ca := midpoint(a, b), midpoint(b, c), midpoint(c, a)
			next = append(next, a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca)
		}
		tris = next
	}
	return verts, tris
}
