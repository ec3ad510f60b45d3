package compute

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunk is the unit of parallel work. Results that are reduced across
// nodes are reduced per chunk and then in chunk order, so they do not
// depend on how many workers ran or how the chunks were shared out.
const chunk = 512

func chunks(n int) int { return (n + chunk - 1) / chunk }

// parallel calls fn for every chunk of [0, n) on up to workers goroutines,
// handing chunks out dynamically so uneven work (a hub, a dense region of
// the octree) does not leave cores idle.
func parallel(n, workers int, fn func(c, lo, hi int)) {
	parallelBy(n, chunk, workers, func(_, c, lo, hi int) { fn(c, lo, hi) })
}

// parallelBy is parallel with a chosen chunk size, telling fn which worker
// (0 ≤ w < workers) runs it, so workers can keep scratch space.
func parallelBy(n, size, workers int, fn func(w, c, lo, hi int)) {
	nc := (n + size - 1) / size
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, nc)
	if workers <= 1 {
		for c := range nc {
			fn(0, c, c*size, min(n, (c+1)*size))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1)) - 1
				if c >= nc {
					return
				}
				fn(w, c, c*size, min(n, (c+1)*size))
			}
		})
	}
	wg.Wait()
}
