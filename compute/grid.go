package compute

import (
	"math"
	"slices"
)

// grid finds neighbours within a repulsion cutoff. Space is cut into cubes
// at least as wide as the cutoff, so every neighbour of a body is in its own
// cube or one of the 26 around it. Bodies are sorted by cube; a cube's
// bodies are a contiguous run found by binary search.
type grid struct {
	keys  []uint64 // cube key of each sorted body
	order []int32  // body index of each sorted slot
	size  float32
	tree  octree // reuses the radix sort
}

const gridOffset = 1 << 20 // cube coordinates are stored with this bias

func cubeOf(x, size float32) int64 { return int64(math.Floor(float64(x / size))) }

func cubeKey(x, y, z int64) uint64 {
	return uint64(x+gridOffset)&0x1fffff<<42 | uint64(y+gridOffset)&0x1fffff<<21 | uint64(z+gridOffset)&0x1fffff
}

func (g *grid) build(pos []vec3, size float32, workers int) {
	n := len(pos)
	g.size = size
	t := &g.tree
	t.codes = grow(t.codes, n)
	t.order = grow(t.order, n)
	parallel(n, workers, func(_, a, b int) {
		for i := a; i < b; i++ {
			p := pos[i]
			t.codes[i] = cubeKey(cubeOf(p[0], size), cubeOf(p[1], size), cubeOf(p[2], size))
			t.order[i] = int32(i)
		}
	})
	t.sort()
	g.keys, g.order = t.codes, t.order
}

// repulsion returns the force on body i from every body closer than the
// cutoff.
func (g *grid) repulsion(i int32, pos []vec3, mass []float32, p *Params) vec3 {
	pi := pos[i]
	cx, cy, cz := cubeOf(pi[0], g.size), cubeOf(pi[1], g.size), cubeOf(pi[2], g.size)
	cut2 := p.RepulsionCutoff * p.RepulsionCutoff
	eps2 := softening(p)
	var f vec3
	for dx := int64(-1); dx <= 1; dx++ {
		for dy := int64(-1); dy <= 1; dy++ {
			for dz := int64(-1); dz <= 1; dz++ {
				key := cubeKey(cx+dx, cy+dy, cz+dz)
				k, found := slices.BinarySearch(g.keys, key)
				if !found {
					continue
				}
				for ; k < len(g.keys) && g.keys[k] == key; k++ {
					j := g.order[k]
					if j == i || pi.sub(pos[j]).len2() > cut2 {
						continue
					}
					f = addRepulsion(f, pi, pos[j], mass[j], eps2, i, j)
				}
			}
		}
	}
	return f.scale(p.RepelK * mass[i])
}
