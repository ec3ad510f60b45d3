package graph

// A View is an immutable picture of a graph at one seq, kept up to date by
// the graph in the size of each change, so that whoever owns the graph can
// hand it to readers in constant time and the readers copy or encode it on
// their own goroutines: a whole-graph read never holds up the writes that
// the owner applies meanwhile. It is a persistent array of nodes by wire
// index and one of edges by creation order, each in chunks of viewChunk
// pointers: a change copies the chunks it touches, never the rest. Node and
// edge values in a view are copies no one changes.
type View struct {
	Info
	nodes     [][]*viewNode // by wire index; nil where no node is
	edges     [][]*Edge     // by creation order - 1
	nodeCount int
	edgeCount int
}

const viewChunk = 1024

// viewNode is a node and the graph's seq when the view took it, which is
// at or after the node's last change: a reader with positions from a
// layout that has seen that seq may put them in place of the node's.
type viewNode struct {
	Node
	seq uint64
}

// NodeCount returns the number of nodes.
func (v *View) NodeCount() int { return v.nodeCount }

// EdgeCount returns the number of edges.
func (v *View) EdgeCount() int { return v.edgeCount }

// EachNode calls fn for every node by wire index (creation order), until fn
// returns false, with the seq at or after which the node last changed. The
// node must not be changed.
func (v *View) EachNode(fn func(n *Node, changed uint64) bool) {
	for _, c := range v.nodes {
		for _, n := range c {
			if n != nil && !fn(&n.Node, n.seq) {
				return
			}
		}
	}
}

// EachEdge calls fn for every edge in creation order, until fn returns
// false. The edge must not be changed.
func (v *View) EachEdge(fn func(*Edge) bool) {
	for _, c := range v.edges {
		for _, e := range c {
			if e != nil && !fn(e) {
				return
			}
		}
	}
}

// Contents copies the view into slices, as Graph.Contents would have
// returned at the view's seq.
func (v *View) Contents() Contents {
	c := Contents{Info: v.Info, Nodes: make([]Node, 0, v.nodeCount), Edges: make([]Edge, 0, v.edgeCount)}
	v.EachNode(func(n *Node, _ uint64) bool { c.Nodes = append(c.Nodes, *n); return true })
	v.EachEdge(func(e *Edge) bool { c.Edges = append(c.Edges, *e); return true })
	return c
}

// viewState is what a graph keeps to bring its view up to date: the last
// view made and what changed since.
type viewState struct {
	last       *View
	dirtyNodes map[uint32]struct{} // wire indexes
	dirtyEdges map[uint64]string   // creation order → the edge that had it
}

func (g *Graph) nodeChanged(index uint32) {
	if g.view.last != nil {
		if g.view.dirtyNodes == nil {
			g.view.dirtyNodes = map[uint32]struct{}{}
		}
		g.view.dirtyNodes[index] = struct{}{}
	}
}

func (g *Graph) edgeChanged(ord uint64, id string) {
	if g.view.last != nil {
		if g.view.dirtyEdges == nil {
			g.view.dirtyEdges = map[uint64]string{}
		}
		g.view.dirtyEdges[ord] = id
	}
}

// View returns the graph as it stands, immutable. The first call costs a
// pass over the graph; later ones cost the changes since the call before.
// Positions are the graph's as of each node's last change: layout motion
// (SetLayout) does not count as one, so readers that want live positions
// take them from the layout.
func (g *Graph) View() *View {
	v := g.view.last
	if v == nil {
		v = g.fullView()
	} else if len(g.view.dirtyNodes) > 0 || len(g.view.dirtyEdges) > 0 || v.Info != g.Info {
		v = g.patchView(v)
	}
	g.view.last = v
	clear(g.view.dirtyNodes)
	clear(g.view.dirtyEdges)
	return v
}

func (g *Graph) fullView() *View {
	v := &View{Info: g.Info, nodeCount: len(g.nodes), edgeCount: len(g.edges)}
	v.nodes = make([][]*viewNode, chunksFor(uint64(g.nextIndex)))
	for _, n := range g.nodes {
		i := n.WireID.Index()
		c := &v.nodes[i/viewChunk]
		if *c == nil {
			*c = make([]*viewNode, viewChunk)
		}
		(*c)[i%viewChunk] = &viewNode{Node: n.Node.Clone(), seq: g.Seq}
	}
	v.edges = make([][]*Edge, chunksFor(g.edgeOrd))
	for _, e := range g.edges {
		k := e.ord - 1
		c := &v.edges[k/viewChunk]
		if *c == nil {
			*c = make([]*Edge, viewChunk)
		}
		cp := e.Edge.Clone()
		(*c)[k%viewChunk] = &cp
	}
	return v
}

func chunksFor(n uint64) int { return int((n + viewChunk - 1) / viewChunk) }

// patchView makes a new view from v and the changes since: the chunk
// arrays are copied (a pointer per chunk), and each touched chunk once.
func (g *Graph) patchView(v *View) *View {
	nv := &View{Info: g.Info, nodeCount: len(g.nodes), edgeCount: len(g.edges)}
	nv.nodes = append(make([][]*viewNode, 0, chunksFor(uint64(g.nextIndex))), v.nodes...)
	nv.nodes = nv.nodes[:max(len(nv.nodes), chunksFor(uint64(g.nextIndex)))]
	copied := map[int]bool{}
	for i := range g.view.dirtyNodes {
		ci := int(i / viewChunk)
		for ci >= len(nv.nodes) {
			nv.nodes = append(nv.nodes, nil)
		}
		if !copied[ci] {
			nv.nodes[ci] = append(make([]*viewNode, 0, viewChunk), nv.nodes[ci]...)[:viewChunk]
			copied[ci] = true
		}
		var p *viewNode
		if n := g.byWire[i]; n != nil {
			p = &viewNode{Node: n.Node.Clone(), seq: g.Seq}
		}
		nv.nodes[ci][i%viewChunk] = p
	}
	clear(copied)
	nv.edges = append(make([][]*Edge, 0, chunksFor(g.edgeOrd)), v.edges...)
	for ord, id := range g.view.dirtyEdges {
		k := ord - 1
		ci := int(k / viewChunk)
		for ci >= len(nv.edges) {
			nv.edges = append(nv.edges, nil)
		}
		if !copied[ci] {
			nv.edges[ci] = append(make([]*Edge, 0, viewChunk), nv.edges[ci]...)[:viewChunk]
			copied[ci] = true
		}
		var p *Edge
		// The order's edge, if it is still there: deleted, or made
		// again under a new order, it leaves this slot empty.
		if e := g.edges[id]; e != nil && e.ord == ord {
			cp := e.Edge.Clone()
			p = &cp
		}
		nv.edges[ci][k%viewChunk] = p
	}
	return nv
}
