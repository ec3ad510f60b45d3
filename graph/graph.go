package graph

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
	"unsafe"
)

// Info describes a named graph without its contents.
type Info struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Type    Type      `json:"type"`
	Created time.Time `json:"created"`
	Seq     uint64    `json:"seq"` // sequence number of the last event applied
}

// Summary describes a graph with its size.
type Summary struct {
	Info
	Nodes int `json:"nodes"`
	Edges int `json:"edges"`
}

// Summary returns g's description and size.
func (g *Graph) Summary() Summary {
	return Summary{Info: g.Info, Nodes: len(g.nodes), Edges: len(g.edges)}
}

// Graph is a named graph held in memory. It is not safe for concurrent use:
// one goroutine owns it. Values it returns share metadata maps with it, which
// is safe because the graph never modifies a map in place.
type Graph struct {
	Info
	nodes  map[string]*nodeEntry
	byWire map[uint32]*nodeEntry // by wire index: unique across graph types
	edges  map[string]*edgeEntry

	nextIndex uint32 // next wire index to hand out; never reused
	nextEdge  uint64 // hint for generated edge ids
	edgeOrd   uint64 // creation order of edges, for stable listings

	view viewState // the last View and what changed since
}

type nodeEntry struct {
	Node
	incident []string // ids of the edges that touch it
}

type edgeEntry struct {
	Edge
	ord uint64
}

// New returns an empty graph.
func New(info Info) *Graph { return NewSized(info, 0, 0) }

// NewSized returns an empty graph with room for the given numbers of nodes
// and edges: a graph built from a file of known size does not rehash its
// indexes, large allocations each, as it grows.
func NewSized(info Info, nodes, edges int) *Graph {
	return &Graph{
		Info:      info,
		nodes:     make(map[string]*nodeEntry, nodes),
		byWire:    make(map[uint32]*nodeEntry, nodes),
		edges:     make(map[string]*edgeEntry, edges),
		nextIndex: 1,
	}
}

// NodeCount returns the number of nodes.
func (g *Graph) NodeCount() int { return len(g.nodes) }

// EdgeCount returns the number of edges.
func (g *Graph) EdgeCount() int { return len(g.edges) }

// NextWireIndex returns the index the next added node will get.
func (g *Graph) NextWireIndex() uint32 { return g.nextIndex }

// NextEdgeNumber is the hint for the next generated edge id ("e<N>").
func (g *Graph) NextEdgeNumber() uint64 { return g.nextEdge }

// SetNextEdgeNumber raises the hint for generated edge ids, so ids of
// deleted edges are not handed out again after a restart.
func (g *Graph) SetNextEdgeNumber(n uint64) {
	if n > g.nextEdge {
		g.nextEdge = n
	}
}

// SetNextWireIndex raises the next wire index (used when loading a graph
// whose highest nodes were deleted, so their ids are not handed out again).
func (g *Graph) SetNextWireIndex(i uint32) {
	if i > g.nextIndex {
		g.nextIndex = i
	}
}

// Node returns the node with the given id.
func (g *Graph) Node(id string) (Node, bool) {
	n, ok := g.nodes[id]
	if !ok {
		return Node{}, false
	}
	return n.Node, true
}

// NodeByWire returns the node with the given wire id.
func (g *Graph) NodeByWire(w WireID) (Node, bool) {
	n, ok := g.byWire[w.Index()]
	if !ok || n.WireID != w {
		return Node{}, false
	}
	return n.Node, true
}

// NodeAt returns the node with the given wire index.
func (g *Graph) NodeAt(index uint32) (Node, bool) {
	n, ok := g.byWire[index]
	if !ok {
		return Node{}, false
	}
	return n.Node, true
}

// SetLayoutAt is SetLayout for the node with the given wire index.
func (g *Graph) SetLayoutAt(index uint32, pos, vel Vec3) bool {
	n, ok := g.byWire[index]
	if !ok {
		return false
	}
	n.Position, n.Velocity = pos, vel
	return true
}

// Edge returns the edge with the given id.
func (g *Graph) Edge(id string) (Edge, bool) {
	e, ok := g.edges[id]
	if !ok {
		return Edge{}, false
	}
	return e.Edge, true
}

// Incident returns the ids of the edges that touch node id.
func (g *Graph) Incident(id string) []string {
	if n, ok := g.nodes[id]; ok {
		return slices.Clone(n.incident)
	}
	return nil
}

// Degree returns the number of edges that touch node id.
func (g *Graph) Degree(id string) int {
	if n, ok := g.nodes[id]; ok {
		return len(n.incident)
	}
	return 0
}

// Nodes returns every node, ordered by wire id (which is creation order).
//
// Wire indexes and creation orders are small integers handed out in turn,
// so both lists are put in order by placing each item at its number, not
// by sorting (a sort was a fifth of reading a 64k-node graph), unless
// deletions have left the numbers too sparse for that to pay.
func (g *Graph) Nodes() []Node {
	entries := g.nodeEntries()
	out := make([]Node, len(entries))
	for i, n := range entries {
		out[i] = n.Node
	}
	return out
}

// nodeEntries returns the nodes' entries in wire order (Nodes).
func (g *Graph) nodeEntries() []*nodeEntry {
	if int(g.nextIndex) <= 4*len(g.nodes)+64 {
		slots := make([]*nodeEntry, g.nextIndex)
		for i, n := range g.byWire {
			slots[i] = n
		}
		return slices.DeleteFunc(slots, func(n *nodeEntry) bool { return n == nil })
	}
	entries := slices.Collect(maps.Values(g.nodes))
	slices.SortFunc(entries, func(a, b *nodeEntry) int { return cmp.Compare(a.WireID.Index(), b.WireID.Index()) })
	return entries
}

// Edges returns every edge in creation order.
func (g *Graph) Edges() []Edge {
	entries := g.edgeEntries()
	out := make([]Edge, len(entries))
	for i, e := range entries {
		out[i] = e.Edge
	}
	return out
}

// edgeEntries returns the edges' entries in creation order (Edges).
func (g *Graph) edgeEntries() []*edgeEntry {
	if g.edgeOrd <= uint64(4*len(g.edges)+64) {
		slots := make([]*edgeEntry, g.edgeOrd+1)
		for _, e := range g.edges {
			slots[e.ord] = e
		}
		return slices.DeleteFunc(slots, func(e *edgeEntry) bool { return e == nil })
	}
	entries := slices.Collect(maps.Values(g.edges))
	slices.SortFunc(entries, func(a, b *edgeEntry) int { return cmp.Compare(a.ord, b.ord) })
	return entries
}

// SetLayout moves a node without recording an event. The physics engine
// uses it: layout motion is persisted in bulk, not logged.
func (g *Graph) SetLayout(id string, pos, vel Vec3) bool {
	n, ok := g.nodes[id]
	if !ok {
		return false
	}
	n.Position, n.Velocity = pos, vel
	return true
}

// Clone returns a deep copy of g.
func (g *Graph) Clone() *Graph {
	c := New(g.Info)
	c.nextIndex, c.nextEdge, c.edgeOrd = g.nextIndex, g.nextEdge, g.edgeOrd
	for id, n := range g.nodes {
		cp := &nodeEntry{Node: n.Node, incident: slices.Clone(n.incident)}
		c.nodes[id] = cp
		c.byWire[cp.WireID.Index()] = cp
	}
	for id, e := range g.edges {
		cp := *e
		c.edges[id] = &cp
	}
	return c
}

// Apply applies one event from the log. Events must come in sequence order
// and must fit the graph's state; a mismatch means the log and the graph
// disagree and is reported as ErrCorruptEvent.
func (g *Graph) Apply(ev Event) error {
	if ev.Seq != g.Seq+1 {
		return fmt.Errorf("apply event %d to graph %q at seq %d: %w", ev.Seq, g.ID, g.Seq, ErrCorruptEvent)
	}
	if err := g.apply(&ev); err != nil {
		return fmt.Errorf("apply event %d (%s) to graph %q: %w", ev.Seq, ev.Type, g.ID, err)
	}
	g.Seq = ev.Seq
	return nil
}

// Replay applies events in order.
func (g *Graph) Replay(events []Event) error {
	for _, ev := range events {
		if err := g.Apply(ev); err != nil {
			return err
		}
	}
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrCorruptEvent)
}

// apply changes state for one event. It checks only what it must to keep
// the graph consistent; validation of user input happens in Tx.
func (g *Graph) apply(ev *Event) error {
	switch ev.Type {
	case NodeAdded:
		if ev.Node == nil {
			return corrupt("NodeAdded without a node")
		}
		if _, dup := g.nodes[ev.Node.ID]; dup {
			return corrupt("node %q already exists", ev.Node.ID)
		}
		if _, dup := g.byWire[ev.Node.WireID.Index()]; dup {
			return corrupt("wire index %d already in use", ev.Node.WireID.Index())
		}
		n := &nodeEntry{Node: ev.Node.Clone()}
		g.nodes[n.ID] = n
		g.byWire[n.WireID.Index()] = n
		if i := n.WireID.Index(); i >= g.nextIndex {
			g.nextIndex = i + 1
		}
		g.nodeChanged(n.WireID.Index())
	case NodeRemoved:
		id := ev.Subject()
		n, ok := g.nodes[id]
		if !ok {
			return corrupt("node %q does not exist", id)
		}
		if len(n.incident) > 0 {
			return corrupt("node %q still has %d edges", id, len(n.incident))
		}
		delete(g.nodes, id)
		delete(g.byWire, n.WireID.Index())
		g.nodeChanged(n.WireID.Index())
	case NodeMoved:
		n, ok := g.nodes[ev.ID]
		if !ok {
			return corrupt("node %q does not exist", ev.ID)
		}
		if ev.Position != nil {
			n.Position = *ev.Position
		}
		if ev.Velocity != nil {
			n.Velocity = *ev.Velocity
		} else if ev.Position != nil {
			n.Velocity = Vec3{} // logs written before velocities were recorded
		}
		if ev.Pinned != nil {
			n.Pinned = *ev.Pinned
		}
		g.nodeChanged(n.WireID.Index())
	case NodeUpdated:
		n, ok := g.nodes[ev.ID]
		if !ok {
			return corrupt("node %q does not exist", ev.ID)
		}
		if ev.Label != nil {
			n.Label = *ev.Label
		}
		n.Metadata = applyMetadata(n.Metadata, ev.Metadata)
		g.nodeChanged(n.WireID.Index())
	case EdgeCreated:
		if ev.Edge == nil {
			return corrupt("EdgeCreated without an edge")
		}
		e := ev.Edge.Clone()
		if _, dup := g.edges[e.ID]; dup {
			return corrupt("edge %q already exists", e.ID)
		}
		src, dst := g.nodes[e.Source], g.nodes[e.Target]
		if src == nil || dst == nil {
			return corrupt("edge %q joins missing nodes %q → %q", e.ID, e.Source, e.Target)
		}
		ord := ev.edgeOrd
		if ord == 0 {
			g.edgeOrd++
			ord = g.edgeOrd
		}
		g.edges[e.ID] = &edgeEntry{Edge: e, ord: ord}
		g.edgeChanged(ord, e.ID)
		src.incident = append(src.incident, e.ID)
		if dst != src {
			dst.incident = append(dst.incident, e.ID)
		}
	case EdgeDeleted:
		id := ev.Subject()
		e, ok := g.edges[id]
		if !ok {
			return corrupt("edge %q does not exist", id)
		}
		ev.edgeOrd = e.ord
		delete(g.edges, id)
		g.edgeChanged(e.ord, id)
		g.unlink(e.Source, id)
		g.unlink(e.Target, id)
	case EdgeWeightChanged:
		e, ok := g.edges[ev.ID]
		if !ok || ev.Weight == nil {
			return corrupt("edge %q does not exist or no weight given", ev.ID)
		}
		e.Weight = *ev.Weight
		g.edgeChanged(e.ord, e.ID)
	case EdgeUpdated:
		e, ok := g.edges[ev.ID]
		if !ok {
			return corrupt("edge %q does not exist", ev.ID)
		}
		if ev.Label != nil {
			e.Label = *ev.Label
		}
		e.Metadata = applyMetadata(e.Metadata, ev.Metadata)
		g.edgeChanged(e.ord, e.ID)
	default:
		return corrupt("unknown event type %q", ev.Type)
	}
	return nil
}

func (g *Graph) unlink(node, edge string) {
	n := g.nodes[node]
	if n == nil {
		return
	}
	if i := slices.Index(n.incident, edge); i >= 0 {
		last := len(n.incident) - 1
		n.incident[i] = n.incident[last]
		n.incident = n.incident[:last]
	}
}

// Restore builds a graph from stored rows: nodes in any order, edges in
// creation order. It takes ownership of both slices. It checks the rows fit
// together (unique ids, no dangling edges) and reports ErrCorruptEvent when
// they do not. It allocates in bulk because it is on the path of every
// graph load.
func Restore(info Info, nextIndex uint32, nodes []Node, edges []Edge) (*Graph, error) {
	g := &Graph{
		Info:      info,
		nextIndex: max(nextIndex, 1),
		edgeOrd:   uint64(len(edges)),
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("restore graph %q: %w", info.ID, corrupt(format, args...))
	}
	// Filling the three maps is most of loading a large graph, and they
	// do not depend on each other until edges look up their ends: two
	// goroutines each fill what the other does not touch. (A map that did
	// not grow by an insert already held the key: one hash per insert
	// instead of a lookup and then an insert.)
	entries := make([]nodeEntry, len(nodes))
	for i := range nodes {
		entries[i].Node = nodes[i]
	}
	var wg sync.WaitGroup
	var errWire, errEdges error
	wg.Go(func() {
		g.byWire = make(map[uint32]*nodeEntry, len(nodes))
		for i := range entries {
			n := &entries[i]
			idx := n.WireID.Index()
			g.byWire[idx] = n
			if len(g.byWire) != i+1 {
				errWire = fail("wire index %d appears twice", idx)
				return
			}
			if idx >= g.nextIndex {
				g.nextIndex = idx + 1
			}
		}
	})
	edgeEntries := make([]edgeEntry, len(edges))
	for i := range edges {
		edgeEntries[i].Edge, edgeEntries[i].ord = edges[i], uint64(i+1)
	}
	g.nodes = make(map[string]*nodeEntry, len(nodes))
	for i := range entries {
		n := &entries[i]
		g.nodes[n.ID] = n
		if len(g.nodes) != i+1 {
			wg.Wait()
			return nil, fail("node %q appears twice", n.ID)
		}
	}
	wg.Go(func() {
		g.edges = make(map[string]*edgeEntry, len(edges))
		for i := range edgeEntries {
			e := &edgeEntries[i]
			g.edges[e.ID] = e
			if len(g.edges) != i+1 {
				errEdges = fail("edge %q appears twice", e.ID)
				return
			}
		}
	})
	ends := make([][2]*nodeEntry, len(edges))
	degree := make([]int32, len(entries))
	base := unsafe.SliceData(entries)
	for i := range edgeEntries {
		e := &edgeEntries[i]
		src, dst := g.nodes[e.Source], g.nodes[e.Target]
		if src == nil || dst == nil {
			wg.Wait()
			return nil, fail("edge %q joins missing nodes %q → %q", e.ID, e.Source, e.Target)
		}
		ends[i] = [2]*nodeEntry{src, dst}
		degree[entryIndex(base, src)]++
		if dst != src {
			degree[entryIndex(base, dst)]++
		}
	}
	wg.Wait()
	if err := errors.Join(errWire, errEdges); err != nil {
		return nil, err
	}
	// Every node's incident list is carved from one array, sized by
	// degree first, instead of grown by appends: a million small slices
	// were a third of restoring a large graph.
	var total int
	for _, d := range degree {
		total += int(d)
	}
	all := make([]string, 0, total)
	for i := range entries {
		d := int(degree[i])
		entries[i].incident = all[len(all) : len(all) : len(all)+d]
		all = all[:len(all)+d]
	}
	for i := range edgeEntries {
		src, dst := ends[i][0], ends[i][1]
		src.incident = append(src.incident, edgeEntries[i].ID)
		if dst != src {
			dst.incident = append(dst.incident, edgeEntries[i].ID)
		}
	}
	return g, nil
}

// entryIndex is the position of n, an element of the array that starts at
// base.
func entryIndex(base, n *nodeEntry) int {
	return int((uintptr(unsafe.Pointer(n)) - uintptr(unsafe.Pointer(base))) / unsafe.Sizeof(nodeEntry{}))
}

// Contents is a copy of a graph's whole state, ready to encode.
type Contents struct {
	Info
	Nodes []Node `json:"nodes"`
	Edges []Edge `json:"edges"`
}

// Contents copies g's state.
func (g *Graph) Contents() Contents {
	return Contents{Info: g.Info, Nodes: g.Nodes(), Edges: g.Edges()}
}
