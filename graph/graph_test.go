package graph

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func testClock() *Clock {
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	return NewClock(func() time.Time { return t0 })
}

func str(s string) *string { return &s }

func mustDo(t *testing.T, tx *Tx, op Op) string {
	t.Helper()
	id, err := tx.Do(op)
	if err != nil {
		t.Fatalf("%v: %v", op.String(), err)
	}
	return id
}

func snapshotBytes(t *testing.T, g *Graph) []byte {
	t.Helper()
	b, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestGraph() *Graph {
	return New(Info{ID: "g", Name: "test", Type: Knowledge, Created: time.Unix(0, 0).UTC()})
}

func TestTxAddUpdateRemove(t *testing.T) {
	g := newTestGraph()
	clock := testClock()
	tx := g.Begin(clock, "alice")
	mustDo(t, tx, Op{Op: AddNode, ID: "a", Label: str("Alpha"), Metadata: map[string]*string{"k": str("v")}})
	mustDo(t, tx, Op{Op: AddNode, ID: "b", Position: &Vec3{1, 2, 3}})
	mustDo(t, tx, Op{Op: AddNode, ID: "c"})
	e1 := mustDo(t, tx, Op{Op: AddEdge, Source: "a", Target: "b"})
	mustDo(t, tx, Op{Op: AddEdge, ID: "bc", Source: "b", Target: "c", Weight: new(float32(2.5))})
	evs := tx.Commit()
	if len(evs) != 5 || g.Seq != 5 {
		t.Fatalf("got %d events, seq %d; want 5, 5", len(evs), g.Seq)
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) || ev.Client != "alice" {
			t.Errorf("event %d: seq %d client %q", i, ev.Seq, ev.Client)
		}
		if i > 0 && ev.Time <= evs[i-1].Time {
			t.Errorf("event %d: time %v not after %v", i, ev.Time, evs[i-1].Time)
		}
	}
	if e1 != "e1" {
		t.Errorf("generated edge id %q, want e1", e1)
	}
	a, _ := g.Node("a")
	if a.Label != "Alpha" || a.Metadata["k"] != "v" || a.Type != Knowledge || !a.WireID.IsKnowledge() || a.WireID.Index() != 1 {
		t.Errorf("node a = %+v", a)
	}
	if c, _ := g.Node("c"); c.Label != "c" || !c.Position.Finite() || c.Position == (Vec3{}) {
		t.Errorf("node c got label %q position %v; want its id and a placed position", c.Label, c.Position)
	}
	if b, _ := g.Node("b"); b.Position != (Vec3{1, 2, 3}) || g.Degree("b") != 2 {
		t.Errorf("node b = %+v, degree %d", b, g.Degree("b"))
	}

	tx = g.Begin(clock, "bob")
	mustDo(t, tx, Op{Op: UpdateNode, ID: "a", Label: str("A"), Position: &Vec3{5, 5, 5}, Pinned: new(true),
		Metadata: map[string]*string{"k": nil, "new": str("x")}})
	mustDo(t, tx, Op{Op: UpdateEdge, ID: "bc", Weight: new(float32(3)), Label: str("next")})
	mustDo(t, tx, Op{Op: RemoveNode, ID: "b"})
	evs = tx.Commit()
	var types []string
	for _, ev := range evs {
		types = append(types, string(ev.Type))
	}
	want := "NodeMoved NodeUpdated EdgeWeightChanged EdgeUpdated EdgeDeleted EdgeDeleted NodeRemoved"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events %s\nwant   %s", got, want)
	}
	a, _ = g.Node("a")
	if a.Label != "A" || !a.Pinned || a.Position != (Vec3{5, 5, 5}) || a.Metadata["new"] != "x" || len(a.Metadata) != 1 {
		t.Errorf("updated a = %+v", a)
	}
	if g.NodeCount() != 2 || g.EdgeCount() != 0 || g.Degree("a") != 0 {
		t.Errorf("after removing b: %d nodes, %d edges", g.NodeCount(), g.EdgeCount())
	}
	if prev := evs[0].PrevPosition; prev == nil || *prev == (Vec3{5, 5, 5}) {
		t.Errorf("NodeMoved lacks the previous position: %+v", evs[0])
	}
}

func TestTxNoOpUpdateRecordsNothing(t *testing.T) {
	g := newTestGraph()
	tx := g.Begin(testClock(), "")
	mustDo(t, tx, Op{Op: AddNode, ID: "a", Label: str("A"), Metadata: map[string]*string{"k": str("v")}})
	tx.Commit()
	tx = g.Begin(testClock(), "")
	mustDo(t, tx, Op{Op: UpdateNode, ID: "a", Label: str("A"), Metadata: map[string]*string{"k": str("v"), "gone": nil}})
	if evs := tx.Commit(); len(evs) != 0 {
		t.Errorf("no-op update recorded %d events: %+v", len(evs), evs)
	}
}

func TestTxRollbackRestoresExactly(t *testing.T) {
	g := randomGraph(rand.New(rand.NewPCG(1, 2)), 200, 600)
	before := snapshotBytes(t, g)
	seq, next := g.Seq, g.NextWireIndex()

	tx := g.Begin(testClock(), "")
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		_, _ = tx.Do(randomOp(r, g)) // errors are fine: some random ops are invalid
	}
	if len(tx.Events()) == 0 {
		t.Fatal("random ops produced no events; the test proves nothing")
	}
	tx.Rollback()
	if g.Seq != seq || g.NextWireIndex() != next {
		t.Errorf("seq %d next %d after rollback; want %d %d", g.Seq, g.NextWireIndex(), seq, next)
	}
	if after := snapshotBytes(t, g); !bytes.Equal(before, after) {
		t.Error("graph differs after rollback")
	}
}

func TestReplayRebuildsState(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g := newTestGraph()
	clock := testClock()
	var log []Event
	var mid []byte
	for i := range 40 {
		tx := g.Begin(clock, "")
		for range 25 {
			_, _ = tx.Do(randomOp(r, g))
		}
		if i%3 == 0 {
			tx.Rollback()
		} else {
			log = append(log, tx.Commit()...)
		}
		if i == 20 {
			mid = snapshotBytes(t, g)
		}
	}
	want := snapshotBytes(t, g)

	fresh := newTestGraph()
	if err := fresh.Replay(log); err != nil {
		t.Fatal(err)
	}
	if got := snapshotBytes(t, fresh); !bytes.Equal(got, want) {
		t.Error("replay from empty differs from the live graph")
	}

	fromMid, err := UnmarshalGraph(mid)
	if err != nil {
		t.Fatal(err)
	}
	var tail []Event
	for _, ev := range log {
		if ev.Seq > fromMid.Seq {
			tail = append(tail, ev)
		}
	}
	if err := fromMid.Replay(tail); err != nil {
		t.Fatal(err)
	}
	if got := snapshotBytes(t, fromMid); !bytes.Equal(got, want) {
		t.Error("replay from a snapshot differs from the live graph")
	}
}

func TestApplyRejectsOutOfOrderEvents(t *testing.T) {
	g := newTestGraph()
	err := g.Apply(Event{Seq: 2, Type: NodeAdded, Node: &Node{ID: "a", Type: Knowledge, WireID: MakeWireID(Knowledge, 1)}})
	if !errors.Is(err, ErrCorruptEvent) {
		t.Errorf("gap in sequence: got %v, want ErrCorruptEvent", err)
	}
	err = g.Apply(Event{Seq: 1, Type: EdgeCreated, Edge: &Edge{ID: "e", Source: "x", Target: "y"}})
	if !errors.Is(err, ErrCorruptEvent) {
		t.Errorf("dangling edge in log: got %v, want ErrCorruptEvent", err)
	}
}

func TestValidationErrors(t *testing.T) {
	g := newTestGraph()
	tx := g.Begin(testClock(), "")
	mustDo(t, tx, Op{Op: AddNode, ID: "a"})
	mustDo(t, tx, Op{Op: AddEdge, ID: "ea", Source: "a", Target: "a"})
	tx.Commit()
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	big := strings.Repeat("x", MaxLabelBytes+1)
	tests := []struct {
		name string
		op   Op
		kind error
		want string // part of the message
	}{
		{"duplicate node", Op{Op: AddNode, ID: "a"}, ErrDuplicateID, `"a" is already in graph`},
		{"duplicate edge", Op{Op: AddEdge, ID: "ea", Source: "a", Target: "a"}, ErrDuplicateID, `"ea"`},
		{"dangling target", Op{Op: AddEdge, Source: "a", Target: "nope"}, ErrDangling, `target: node "nope" is not in graph`},
		{"dangling source", Op{Op: AddEdge, Source: "nope", Target: "a"}, ErrDangling, `source: node "nope"`},
		{"NaN position", Op{Op: AddNode, ID: "n", Position: &Vec3{0, nan, 0}}, ErrNonFinite, `position.y`},
		{"Inf velocity", Op{Op: AddNode, ID: "n", Velocity: &Vec3{inf, 0, 0}}, ErrNonFinite, `velocity.x`},
		{"far position", Op{Op: UpdateNode, ID: "a", Position: &Vec3{0, 0, 2e7}}, ErrInvalid, `position.z`},
		{"NaN weight", Op{Op: AddEdge, Source: "a", Target: "a", Weight: &nan}, ErrNonFinite, `weight`},
		{"negative weight", Op{Op: UpdateEdge, ID: "ea", Weight: new(float32(-1))}, ErrInvalid, `weight`},
		{"long label", Op{Op: AddNode, ID: "n", Label: &big}, ErrTooLarge, `label: is 1025 bytes`},
		{"long label update", Op{Op: UpdateNode, ID: "a", Label: &big}, ErrTooLarge, `label`},
		{"long id", Op{Op: AddNode, ID: strings.Repeat("i", MaxIDBytes+1)}, ErrTooLarge, `node id`},
		{"control char id", Op{Op: AddNode, ID: "a\nb"}, ErrInvalid, `control character`},
		{"dot-dot id", Op{Op: AddNode, ID: ".."}, ErrInvalid, `".." is not allowed`},
		{"NUL in label", Op{Op: AddNode, ID: "n", Label: str("a\x00b")}, ErrInvalid, `control character U+0000`},
		{"NUL in metadata", Op{Op: AddNode, ID: "n", Metadata: map[string]*string{"k": str("a\x00")}}, ErrInvalid, `NUL`},
		{"unknown type", Op{Op: AddNode, ID: "n", GraphType: "mindmap"}, ErrUnknownType, `"mindmap" is not a graph type`},
		{"null metadata on add", Op{Op: AddNode, ID: "n", Metadata: map[string]*string{"k": nil}}, ErrInvalid, `is null`},
		{"huge metadata value", Op{Op: AddNode, ID: "n", Metadata: map[string]*string{"k": str(strings.Repeat("v", MaxMetadataValueBytes+1))}}, ErrTooLarge, `metadata["k"]`},
		{"too many metadata", Op{Op: UpdateNode, ID: "a", Metadata: manyKeys(MaxMetadataEntries + 1)}, ErrTooLarge, `entries`},
		{"missing node", Op{Op: UpdateNode, ID: "zz", Label: str("x")}, ErrNotFound, `"zz" is not in graph`},
		{"missing edge", Op{Op: RemoveEdge, ID: "zz"}, ErrNotFound, `"zz"`},
		{"wrong field", Op{Op: AddNode, ID: "n", Weight: new(float32(1))}, ErrInvalid, `field "weight" does not apply to addNode`},
		{"unknown op", Op{Op: "explode"}, ErrInvalid, `"explode" is not an operation`},
	}
	before := snapshotBytes(t, g)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := g.Begin(testClock(), "")
			_, err := tx.Do(tc.op)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("message %q does not mention %q", err, tc.want)
			}
			if len(tx.Events()) != 0 {
				t.Errorf("failed op recorded %d events", len(tx.Events()))
			}
			tx.Rollback()
		})
	}
	if !bytes.Equal(before, snapshotBytes(t, g)) {
		t.Error("failed ops changed the graph")
	}
}

func manyKeys(n int) map[string]*string {
	m := make(map[string]*string, n)
	for i := range n {
		m[fmt.Sprint("k", i)] = str("v")
	}
	return m
}

func TestWireIDs(t *testing.T) {
	g := newTestGraph()
	tx := g.Begin(testClock(), "")
	mustDo(t, tx, Op{Op: AddNode, ID: "k"})
	mustDo(t, tx, Op{Op: AddNode, ID: "agent", GraphType: Agents})
	mustDo(t, tx, Op{Op: RemoveNode, ID: "agent"})
	mustDo(t, tx, Op{Op: AddNode, ID: "k2"})
	tx.Commit()
	k, _ := g.Node("k")
	k2, _ := g.Node("k2")
	if !k.WireID.IsKnowledge() || k.WireID.IsAgent() || k.WireID != KnowledgeFlag|1 {
		t.Errorf("knowledge wire id %#x", uint32(k.WireID))
	}
	if k2.WireID.Index() != 3 {
		t.Errorf("wire index of a node added after a removal is %d, want 3 (ids are never reused)", k2.WireID.Index())
	}
	if a := MakeWireID(Agents, 70000); !a.IsAgent() || a.Index() != 70000 || uint32(a) != 0x80000000|70000 {
		t.Errorf("agent wire id %#x", uint32(a))
	}
	if n, ok := g.NodeByWire(k2.WireID); !ok || n.ID != "k2" {
		t.Errorf("NodeByWire(%#x) = %v %v", uint32(k2.WireID), n.ID, ok)
	}
}

func TestGraphIDValidation(t *testing.T) {
	for _, ok := range []string{"logseq-docs", "a", "A.b_c-9"} {
		if err := ValidateGraphID(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "..", "a/b", "a b", "ü", strings.Repeat("a", MaxGraphIDBytes+1)} {
		if err := ValidateGraphID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestInitialPositionIsDeterministicAndSpread(t *testing.T) {
	if InitialPosition("x", 10) != InitialPosition("x", 10) {
		t.Fatal("not deterministic")
	}
	var maxR float64
	seen := map[Vec3]bool{}
	for i := range 1000 {
		p := InitialPosition(fmt.Sprint("node", i), 1000)
		if !p.Finite() {
			t.Fatal("non-finite")
		}
		seen[p] = true
		maxR = max(maxR, math.Sqrt(float64(p.X*p.X+p.Y*p.Y+p.Z*p.Z)))
	}
	if len(seen) < 990 {
		t.Errorf("only %d distinct positions for 1000 ids", len(seen))
	}
	if want := 10 * math.Cbrt(1001); maxR > want*1.001 || maxR < want*0.8 {
		t.Errorf("max radius %.1f, want close to %.1f", maxR, want)
	}
}

// randomGraph builds a graph with n nodes and about m edges, some of them
// with metadata, labels and weights.
func randomGraph(r *rand.Rand, n, m int) *Graph {
	g := newTestGraph()
	tx := g.Begin(testClock(), "seed")
	for i := range n {
		op := Op{Op: AddNode, ID: fmt.Sprint("n", i), Label: str(fmt.Sprint("Node ", i)), Velocity: &Vec3{r.Float32(), -r.Float32(), 1}}
		if i%3 == 0 {
			op.Metadata = map[string]*string{"kind": str("page"), "i": str(fmt.Sprint(i))}
		}
		if i%7 == 0 {
			op.GraphType = Agents
		}
		if _, err := tx.Do(op); err != nil {
			panic(err)
		}
	}
	for range m {
		op := Op{Op: AddEdge, Source: fmt.Sprint("n", r.IntN(n)), Target: fmt.Sprint("n", r.IntN(n)), Weight: new(r.Float32() * 3)}
		if _, err := tx.Do(op); err != nil {
			panic(err)
		}
	}
	tx.Commit()
	return g
}

// randomOp returns an op against g's current state, valid most of the time.
func randomOp(r *rand.Rand, g *Graph) Op {
	pickNode := func() string {
		if r.IntN(10) == 0 {
			return "missing"
		}
		nodes := g.Nodes()
		if len(nodes) == 0 {
			return "n0"
		}
		return nodes[r.IntN(len(nodes))].ID
	}
	pickEdge := func() string {
		edges := g.Edges()
		if len(edges) == 0 || r.IntN(10) == 0 {
			return "missing"
		}
		return edges[r.IntN(len(edges))].ID
	}
	switch r.IntN(8) {
	case 0, 1:
		return Op{Op: AddNode, ID: fmt.Sprint("r", r.IntN(500)), Metadata: map[string]*string{"x": str("1")}}
	case 2:
		return Op{Op: UpdateNode, ID: pickNode(), Label: str(fmt.Sprint("L", r.IntN(5))), Position: &Vec3{r.Float32(), 1, 2},
			Metadata: map[string]*string{"x": nil, "y": str(fmt.Sprint(r.IntN(3)))}, Pinned: new(r.IntN(2) == 0)}
	case 3:
		return Op{Op: RemoveNode, ID: pickNode()}
	case 4, 5:
		return Op{Op: AddEdge, Source: pickNode(), Target: pickNode(), Label: str("rel")}
	case 6:
		return Op{Op: UpdateEdge, ID: pickEdge(), Weight: new(float32(r.IntN(4))), Metadata: map[string]*string{"w": str("1")}}
	default:
		return Op{Op: RemoveEdge, ID: pickEdge()}
	}
}
