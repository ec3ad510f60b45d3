package memory

import (
	"cmp"
	"container/heap"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Entry is what the index keeps of a memory besides its vector: what
// searches filter and rank by.
type Entry struct {
	ID         string
	Agent      string
	Type       string
	Swarm      string
	Importance float64
	Created    time.Time
}

// Index finds the memories closest to a query by exact cosine similarity,
// over every vector of the query's embedder (vectors are unit length, so
// cosine is their dot product). It is safe for concurrent use.
type Index struct {
	mu     sync.RWMutex
	spaces map[string]*space // by embedder name
	where  map[string]string // memory id → embedder name
}

// space holds one embedder's vectors, contiguous for a fast scan.
type space struct {
	dims    int
	vecs    []float32
	entries []Entry
	pos     map[string]int
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{spaces: map[string]*space{}, where: map[string]string{}} }

// Add puts a memory's vector in its embedder's space (replacing what the
// index held of it).
func (x *Index) Add(e Entry, embedder string, vec []float32) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if sp := x.spaces[embedder]; len(vec) == 0 || (sp != nil && len(vec) != sp.dims && !(len(sp.entries) == 1 && x.where[e.ID] == embedder)) {
		return fmt.Errorf("memory %s: a vector of %d dimensions; %s makes %d", e.ID, len(vec), embedder, x.dimsLocked(embedder))
	}
	// Out first: removing the space's last entry removes the space.
	x.removeLocked(e.ID)
	sp := x.spaces[embedder]
	if sp == nil {
		sp = &space{dims: len(vec), pos: map[string]int{}}
		x.spaces[embedder] = sp
	}
	sp.pos[e.ID] = len(sp.entries)
	sp.entries = append(sp.entries, e)
	sp.vecs = append(sp.vecs, vec...)
	x.where[e.ID] = embedder
	return nil
}

// Remove takes a memory out; it reports whether the index held it.
func (x *Index) Remove(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.removeLocked(id)
}

// removeLocked moves the space's last entry into the hole.
func (x *Index) removeLocked(id string) bool {
	name, ok := x.where[id]
	if !ok {
		return false
	}
	sp := x.spaces[name]
	i, last := sp.pos[id], len(sp.entries)-1
	if i != last {
		sp.entries[i] = sp.entries[last]
		copy(sp.vecs[i*sp.dims:(i+1)*sp.dims], sp.vecs[last*sp.dims:])
		sp.pos[sp.entries[i].ID] = i
	}
	sp.entries = sp.entries[:last]
	sp.vecs = sp.vecs[:last*sp.dims]
	delete(sp.pos, id)
	delete(x.where, id)
	if last == 0 {
		delete(x.spaces, name)
	}
	return true
}

// dimsLocked is the size of an embedder's vectors in the index (0 when it
// holds none).
func (x *Index) dimsLocked(embedder string) int {
	if sp := x.spaces[embedder]; sp != nil {
		return sp.dims
	}
	return 0
}

// Fits reports whether a vector of dims dimensions can join an embedder's
// space (the space is empty, or its vectors are that size).
func (x *Index) Fits(embedder string, dims int) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	d := x.dimsLocked(embedder)
	return dims > 0 && (d == 0 || d == dims)
}

// Len is how many memories the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.where)
}

// Embedders counts the memories of each embedder.
func (x *Index) Embedders() map[string]int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := map[string]int{}
	for name, sp := range x.spaces {
		out[name] = len(sp.entries)
	}
	return out
}

// Embedder names what made a memory's vector ("" when the index lacks it).
func (x *Index) Embedder(id string) string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.where[id]
}

// Except lists the memories not made by an embedder, oldest first.
func (x *Index) Except(embedder string) []Entry {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out []Entry
	for name, sp := range x.spaces {
		if name != embedder {
			out = append(out, sp.entries...)
		}
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID)) })
	return out
}

// Scored is a memory an index search found.
type Scored struct {
	Entry
	Cosine, Score float64
}

// Search returns the k memories of the embedder's space that rank best
// for the query vector (Rank: cosine weighted by importance and recency at
// now) among those that pass the query's filters, best first; with how
// many it compared, and how many other embedders' memories it could not.
func (x *Index) Search(embedder string, vec []float32, q Query, now time.Time) (hits []Scored, searched, skipped int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	for name, sp := range x.spaces {
		if name != embedder {
			skipped += len(sp.entries)
		}
	}
	sp := x.spaces[embedder]
	if sp == nil || len(vec) != sp.dims || q.K <= 0 {
		return nil, 0, skipped
	}
	n := len(sp.entries)
	workers := min(runtime.GOMAXPROCS(0), n/2048+1)
	parts := make([]topK, workers)
	counts := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() {
			top := topK{k: q.K}
			for i := lo; i < hi; i++ {
				e := &sp.entries[i]
				if (q.Agent != "" && e.Agent != q.Agent) || (q.Type != "" && e.Type != q.Type) || (q.Swarm != "" && e.Swarm != q.Swarm) {
					continue
				}
				counts[w]++
				c := float64(dot(vec, sp.vecs[i*sp.dims:(i+1)*sp.dims]))
				// Rank weighs a cosine by at most 1 (at least 0.7 when it
				// is negative): most memories cannot beat the k-th best.
				bound := c
				if c < 0 {
					bound = 0.7 * c
				}
				if len(top.items) == top.k && bound < top.items[0].Score {
					continue
				}
				top.offer(Scored{Entry: *e, Cosine: c, Score: Rank(c, e.Importance, now.Sub(e.Created))})
			}
			parts[w] = top
		})
	}
	wg.Wait()
	all := topK{k: q.K}
	for w, p := range parts {
		searched += counts[w]
		for _, s := range p.items {
			all.offer(s)
		}
	}
	hits = all.items
	slices.SortFunc(hits, better)
	return hits, searched, skipped
}

// better orders hits best first: by score, then by id, so that equal
// scores come out the same way every time.
func better(a, b Scored) int { return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.ID, b.ID)) }

// topK keeps the k best hits offered, in a min-heap of the worst first.
type topK struct {
	k     int
	items []Scored
}

func (t *topK) Len() int           { return len(t.items) }
func (t *topK) Less(i, j int) bool { return better(t.items[i], t.items[j]) > 0 }
func (t *topK) Swap(i, j int)      { t.items[i], t.items[j] = t.items[j], t.items[i] }
func (t *topK) Push(v any)         { t.items = append(t.items, v.(Scored)) }
func (t *topK) Pop() any {
	v := t.items[len(t.items)-1]
	t.items = t.items[:len(t.items)-1]
	return v
}

func (t *topK) offer(s Scored) {
	switch {
	case len(t.items) < t.k:
		heap.Push(t, s)
	case better(s, t.items[0]) < 0:
		t.items[0] = s
		heap.Fix(t, 0)
	}
}

// dot is the dot product of two vectors of the same length, unrolled by
// eight: the compiler keeps the partial sums in registers.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}
