package wire

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"visionflow/graph"
)

// vectorV2 is a v2 test vector from docs/protocol.md: the frame as it is
// on the wire, and the coordinates it decodes to.
type vectorV2 struct {
	name  string
	bytes []byte
	want  struct {
		Kind       uint8      `json:"kind"`
		Stream     uint16     `json:"stream"`
		Seq        uint64     `json:"seq"`
		Min        [3]float32 `json:"min"`
		Max        [3]float32 `json:"max"`
		Velocities bool       `json:"velocities"`
		MaxSpeed   float32    `json:"maxSpeed"`
		Nodes      []struct {
			ID       uint32     `json:"id"`
			Q        [3]uint16  `json:"q"`
			V        [3]int16   `json:"v"`
			State    bool       `json:"state"`
			Value    float32    `json:"value"`
			Flags    uint16     `json:"flags"`
			Position [3]float32 `json:"position"`
			Velocity [3]float32 `json:"velocity"`
		} `json:"nodes"`
	}
}

var vectorV2RE = regexp.MustCompile("(?s)<!-- vector-v2: ([a-z0-9-]+) -->.*?```hex\n(.*?)```.*?```json\n(.*?)```")

func protocolVectorsV2(t *testing.T) []vectorV2 {
	t.Helper()
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []vectorV2
	for _, m := range vectorV2RE.FindAllStringSubmatch(string(doc), -1) {
		v := vectorV2{name: m[1]}
		if v.bytes, err = hex.DecodeString(strings.Join(strings.Fields(m[2]), "")); err != nil {
			t.Fatalf("vector %s: %v", v.name, err)
		}
		dec := json.NewDecoder(strings.NewReader(m[3]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v.want); err != nil {
			t.Fatalf("vector %s: %v", v.name, err)
		}
		out = append(out, v)
	}
	if len(out) < 3 {
		t.Fatalf("found %d v2 vectors in docs/protocol.md", len(out))
	}
	return out
}

// Each v2 vector decodes to what its JSON says, coordinates included, and
// the JSON's quantised frame encodes to its bytes.
func TestProtocolVectorsV2(t *testing.T) {
	vec := func(a [3]float32) graph.Vec3 { return graph.Vec3{X: a[0], Y: a[1], Z: a[2]} }
	for _, v := range protocolVectorsV2(t) {
		w := v.want
		want := FrameV2{Kind: w.Kind, Stream: w.Stream, Seq: w.Seq, Min: vec(w.Min), Max: vec(w.Max), Velocities: w.Velocities, MaxSpeed: w.MaxSpeed, Nodes: []NodeV2{}}
		for _, n := range w.Nodes {
			want.Nodes = append(want.Nodes, NodeV2{ID: graph.WireID(n.ID), Pos: n.Q, Vel: n.V, HasState: n.State, Value: n.Value, Flags: n.Flags})
		}
		if enc := AppendFrameV2(nil, &want); !bytes.Equal(enc, v.bytes) {
			t.Errorf("%s: encoding gives\n%x\nwant\n%x", v.name, enc, v.bytes)
		}
		var f FrameV2
		if err := DecodeFrameV2(v.bytes, &f); err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if f.Nodes == nil {
			f.Nodes = []NodeV2{} // none decoded into nothing
		}
		if !reflect.DeepEqual(f, want) {
			t.Errorf("%s: decoded %+v\nwant %+v", v.name, f, want)
			continue
		}
		for i, n := range w.Nodes {
			if p, vel := f.Position(&f.Nodes[i]), f.Velocity(&f.Nodes[i]); p != vec(n.Position) || vel != vec(n.Velocity) {
				t.Errorf("%s: node %d at %v moving %v, want %v moving %v", v.name, i, p, vel, n.Position, n.Velocity)
			}
		}
	}
}

// randomNodes makes n nodes with distinct ids, in no order.
func randomNodes(r *rand.Rand, n int, spread float32) []NodeState {
	nodes := make([]NodeState, n)
	for i, k := range r.Perm(n) {
		t := graph.Knowledge
		if r.IntN(10) == 0 {
			t = graph.Agents
		}
		nodes[i] = NodeState{ID: graph.MakeWireID(t, uint32(1+k*37)),
			Position: graph.Vec3{X: (r.Float32() - 0.5) * spread, Y: (r.Float32() - 0.3) * spread, Z: r.Float32() * spread / 10},
			Velocity: graph.Vec3{X: r.Float32() - 0.5, Y: r.Float32(), Z: -r.Float32()}}
		if r.IntN(3) == 0 {
			nodes[i].Value, nodes[i].Flags = float32(r.IntN(100)), uint16(r.IntN(4))
		}
	}
	return nodes
}

// Packing quantises within half a quantum per axis (velocities within
// half of theirs), sorts by id, and what is encoded decodes the same.
func TestFrameV2PackRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, vel := range []bool{false, true} {
		nodes := randomNodes(r, 2000, 3000)
		f := FrameV2{Kind: FullFrameV2, Stream: 9, Seq: 1 << 50, Velocities: vel}
		f.Pack(nodes, nil)
		b := AppendFrameV2(nil, &f)
		var got FrameV2
		if err := DecodeFrameV2(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, f) {
			t.Fatal("decoded frame differs from the one encoded")
		}
		byID := map[graph.WireID]NodeState{}
		for _, n := range nodes {
			byID[n.ID] = n
		}
		q := [3]float64{float64(f.Max.X-f.Min.X) / QuantaV2, float64(f.Max.Y-f.Min.Y) / QuantaV2, float64(f.Max.Z-f.Min.Z) / QuantaV2}
		for i := range got.Nodes {
			n := &got.Nodes[i]
			if i > 0 && n.ID < got.Nodes[i-1].ID {
				t.Fatalf("node %d out of id order", i)
			}
			orig := byID[n.ID]
			s := got.NodeState(n, nil)
			// Half a quantum, and the rounding of the result to float32.
			ulp := func(x float32) float64 { return float64(math.Nextafter32(abs32(x), float32(math.Inf(1))) - abs32(x)) }
			for k, d := range [3]float32{s.Position.X - orig.Position.X, s.Position.Y - orig.Position.Y, s.Position.Z - orig.Position.Z} {
				p := [3]float32{s.Position.X, s.Position.Y, s.Position.Z}[k]
				if math.Abs(float64(d)) > q[k]/2+ulp(p) {
					t.Fatalf("node %v axis %d off by %g, half a quantum is %g", n.ID, k, d, q[k]/2)
				}
			}
			if vel {
				vq := float64(f.MaxSpeed) / VelQuantaV2
				for _, d := range [3]float32{s.Velocity.X - orig.Velocity.X, s.Velocity.Y - orig.Velocity.Y, s.Velocity.Z - orig.Velocity.Z} {
					if math.Abs(float64(d)) > vq/2*1.001 {
						t.Fatalf("velocity off by %g", d)
					}
				}
			} else if s.Velocity != (graph.Vec3{}) {
				t.Fatal("a frame without velocities gave one")
			}
			if s.Value != orig.Value || s.Flags != orig.Flags || n.HasState != (orig.Value != 0 || orig.Flags != 0) {
				t.Fatalf("state %+v, want %+v", s, orig)
			}
		}
		perNode := float64(len(b)-HeaderSizeV2) / float64(len(nodes))
		t.Logf("velocities %v: %d nodes in %d bytes (%.1f a node; v1: 34)", vel, len(nodes), len(b), perNode)
	}
}

// A delta node without state keeps the value, flags and (in a frame
// without velocities) velocity the client held.
func TestFrameV2NodeStateKeepsWhatIsNotSent(t *testing.T) {
	held := NodeState{ID: graph.MakeWireID(graph.Knowledge, 4), Velocity: graph.Vec3{X: 1}, Value: 7, Flags: FlagPinned}
	f := FrameV2{Kind: DeltaFrameV2, Max: graph.Vec3{X: 10}}
	f.Pack([]NodeState{{ID: held.ID, Position: graph.Vec3{X: 10}}}, func(int) bool { return false })
	s := f.NodeState(&f.Nodes[0], &held)
	if s.Position.X != 10 || s.Velocity != held.Velocity || s.Value != 7 || s.Flags != FlagPinned {
		t.Fatalf("%+v", s)
	}
	if full := f.NodeState(&f.Nodes[0], nil); full.Value != 0 || full.Flags != 0 || full.Velocity != (graph.Vec3{}) {
		t.Fatalf("without a held state: %+v", full)
	}
}

// Nodes in a live layout's order cost 7 bytes each; a layout that does
// not list them in id order is sorted, not charged.
func TestFrameV2Size(t *testing.T) {
	nodes := make([]NodeState, 1000)
	for i := range nodes {
		nodes[len(nodes)-1-i] = NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.Vec3{X: float32(i)}}
	}
	f := FrameV2{Kind: FullFrameV2}
	f.Pack(nodes, nil)
	// The first id, 0x40000001, takes a five-byte varint; the rest one.
	if b := AppendFrameV2(nil, &f); len(b) != HeaderSizeV2+5+6+999*7 {
		t.Fatalf("%d bytes", len(b))
	}
}

// Pack leaves out what is not finite rather than making a frame no client
// can decode.
func TestFrameV2PackSurvivesNaN(t *testing.T) {
	nan := float32(math.NaN())
	nodes := []NodeState{
		{ID: graph.MakeWireID(graph.Knowledge, 1), Position: graph.Vec3{X: nan, Y: 1}, Velocity: graph.Vec3{X: nan}},
		{ID: graph.MakeWireID(graph.Knowledge, 2), Position: graph.Vec3{X: 4, Y: 2}, Velocity: graph.Vec3{X: 2}},
	}
	f := FrameV2{Kind: FullFrameV2, Velocities: true}
	f.Pack(nodes, nil)
	var got FrameV2
	if err := DecodeFrameV2(AppendFrameV2(nil, &f), &got); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeFrameV2RejectsDamage(t *testing.T) {
	f := FrameV2{Kind: DeltaFrameV2, Stream: 1, Seq: 3, Velocities: true}
	f.Pack([]NodeState{
		{ID: graph.MakeWireID(graph.Knowledge, 1), Position: graph.Vec3{X: 1, Y: 2, Z: 3}, Velocity: graph.Vec3{X: 1}, Value: 2},
		{ID: graph.MakeWireID(graph.Knowledge, 2), Position: graph.Vec3{X: 2, Y: 2, Z: 4}},
	}, nil)
	good := AppendFrameV2(nil, &f)
	var ok FrameV2
	if err := DecodeFrameV2(good, &ok); err != nil {
		t.Fatal(err)
	}
	node := HeaderSizeV2 + 4 // the first node's varint
	mutate := func(fn func([]byte) []byte) []byte { return fn(bytes.Clone(good)) }
	put32 := func(b []byte, at int, x float32) []byte {
		binary.LittleEndian.PutUint32(b[at:], math.Float32bits(x))
		return b
	}
	cases := map[string][]byte{
		"empty":          nil,
		"short header":   good[:HeaderSizeV2-1],
		"no speed":       good[:HeaderSizeV2+2],
		"version 1":      mutate(func(b []byte) []byte { b[0] = 1; return b }),
		"v1 kind":        mutate(func(b []byte) []byte { b[1] = DeltaFrame; return b }),
		"unknown option": mutate(func(b []byte) []byte { b[16] |= 2; return b }),
		"NaN bound":      mutate(func(b []byte) []byte { return put32(b, 17, float32(math.NaN())) }),
		"min above max":  mutate(func(b []byte) []byte { return put32(b, 17, 5) }),
		"negative speed": mutate(func(b []byte) []byte { return put32(b, HeaderSizeV2, -1) }),
		"count too high": mutate(func(b []byte) []byte { b[12] = 3; return b }),
		"huge count":     mutate(func(b []byte) []byte { b[15] = 0x7f; return b }),
		"trailing byte":  append(bytes.Clone(good), 0),
		"cut short":      good[:len(good)-1],
		"overlong varint": mutate(func(b []byte) []byte {
			return append(b[:node:node], append([]byte{0x83, 0x80, 0x80, 0x80, 0x88, 0x00}, b[node+5:]...)...)
		}),
		"no type bits":       mutate(func(b []byte) []byte { b[node+4] = 0x00; b[node+3] = 0x80; return b }),
		"velocity -32768":    mutate(func(b []byte) []byte { b[node+5+6], b[node+5+7] = 0x00, 0x80; return b }),
		"coordinate on flat": mutate(func(b []byte) []byte { b[node+5+2] = 1; return b }), // y: both nodes at 2
		"NaN value":          mutate(func(b []byte) []byte { return put32(b, node+5+12, float32(math.NaN())) }),
	}
	for name, b := range cases {
		var fr FrameV2
		if err := DecodeFrameV2(b, &fr); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A v2 frame is not a v1 frame, nor the other way round.
	var v1 Frame
	if err := DecodeFrame(good, &v1); !errors.Is(err, ErrFrame) {
		t.Errorf("DecodeFrame took a v2 frame: %v", err)
	}
	if IsFrameV2(AppendFrame(nil, FullFrame, 1, 1, nil)) || !IsFrameV2(good) {
		t.Error("IsFrameV2 cannot tell the formats apart")
	}
}

func FuzzDecodeFrameV2(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, vel := range []bool{false, true} {
		fr := FrameV2{Kind: FullFrameV2, Stream: 2, Seq: 9, Velocities: vel}
		fr.Pack(randomNodes(r, 3, 100), nil)
		f.Add(AppendFrameV2(nil, &fr))
		fr.Kind = DeltaFrameV2
		fr.Pack(randomNodes(r, 2, 1), func(i int) bool { return i == 0 })
		f.Add(AppendFrameV2(nil, &fr))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr FrameV2
		if err := DecodeFrameV2(b, &fr); err != nil {
			return
		}
		if again := AppendFrameV2(nil, &fr); !bytes.Equal(again, b) {
			t.Fatalf("decoded frame encodes differently:\n%x\n%x", b, again)
		}
		for i := range fr.Nodes {
			if p := fr.Position(&fr.Nodes[i]); !finite(p.X) || !finite(p.Y) || !finite(p.Z) {
				t.Fatalf("node %d at %v", i, p)
			}
			if v := fr.Velocity(&fr.Nodes[i]); !finite(v.X) || !finite(v.Y) || !finite(v.Z) {
				t.Fatalf("node %d: velocity %v", i, v)
			}
		}
	})
}
