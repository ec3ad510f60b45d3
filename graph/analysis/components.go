package analysis

import (
	"cmp"
	"slices"
)

// Components labels each node with its connected component (links taken
// both ways). Components are numbered by size, largest first (ties by their
// first node), so component 0 is the giant one; the count is returned too.
func (net *Net) Components() (label []int32, count int) {
	parent := make([]int32, net.n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for i := range int32(net.n) {
		for _, j := range net.out[net.outOff[i]:net.outOff[i+1]] {
			a, b := find(i), find(j)
			if a != b {
				if a < b {
					parent[b] = a
				} else {
					parent[a] = b
				}
			}
		}
	}
	label = make([]int32, net.n)
	for i := range label {
		label[i] = find(int32(i))
	}
	return relabelBySize(label)
}

// relabelBySize renumbers classes 0..k-1 by size, largest first, ties by
// the first node in each; label holds any non-negative class keys.
func relabelBySize(label []int32) ([]int32, int) {
	type class struct{ key, first, size int32 }
	seen := map[int32]int{}
	var classes []class
	for i, k := range label {
		c, ok := seen[k]
		if !ok {
			c = len(classes)
			seen[k] = c
			classes = append(classes, class{key: k, first: int32(i)})
		}
		classes[c].size++
	}
	slices.SortFunc(classes, func(a, b class) int {
		return cmp.Or(cmp.Compare(b.size, a.size), cmp.Compare(a.first, b.first))
	})
	to := make(map[int32]int32, len(classes))
	for i, c := range classes {
		to[c.key] = int32(i)
	}
	out := make([]int32, len(label))
	for i, k := range label {
		out[i] = to[k]
	}
	return out, len(classes)
}
