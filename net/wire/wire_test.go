package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"visionflow/agent"
	"visionflow/graph"
	"visionflow/task"
)

// vector is a test vector from docs/protocol.md.
type vector struct {
	name  string
	bytes []byte
	want  struct {
		Kind   uint8  `json:"kind"`
		Stream uint16 `json:"stream"`
		Seq    uint64 `json:"seq"`
		Nodes  []struct {
			ID       uint32     `json:"id"`
			Position [3]float32 `json:"position"`
			Velocity [3]float32 `json:"velocity"`
			Value    float32    `json:"value"`
			Flags    uint16     `json:"flags"`
		} `json:"nodes"`
	}
}

var vectorRE = regexp.MustCompile("(?s)<!-- vector: ([a-z0-9-]+) -->.*?```hex\n(.*?)```.*?```json\n(.*?)```")

func protocolVectors(t *testing.T) []vector {
	t.Helper()
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []vector
	for _, m := range vectorRE.FindAllStringSubmatch(string(doc), -1) {
		v := vector{name: m[1]}
		b, err := hex.DecodeString(strings.Join(strings.Fields(m[2]), ""))
		if err != nil {
			t.Fatalf("vector %s: %v", v.name, err)
		}
		v.bytes = b
		if err := json.Unmarshal([]byte(m[3]), &v.want); err != nil {
			t.Fatalf("vector %s: %v", v.name, err)
		}
		out = append(out, v)
	}
	if len(out) < 3 {
		t.Fatalf("found %d vectors in docs/protocol.md", len(out))
	}
	return out
}

func TestProtocolVectors(t *testing.T) {
	for _, v := range protocolVectors(t) {
		var f Frame
		if err := DecodeFrame(v.bytes, &f); err != nil {
			t.Errorf("%s: %v", v.name, err)
			continue
		}
		if f.Kind != v.want.Kind || f.Stream != v.want.Stream || f.Seq != v.want.Seq || len(f.Nodes) != len(v.want.Nodes) {
			t.Errorf("%s: kind %d stream %d seq %d %d nodes", v.name, f.Kind, f.Stream, f.Seq, len(f.Nodes))
			continue
		}
		var nodes []NodeState
		for i, w := range v.want.Nodes {
			n := NodeState{ID: graph.WireID(w.ID), Position: graph.Vec3{X: w.Position[0], Y: w.Position[1], Z: w.Position[2]},
				Velocity: graph.Vec3{X: w.Velocity[0], Y: w.Velocity[1], Z: w.Velocity[2]}, Value: w.Value, Flags: w.Flags}
			if f.Nodes[i] != n {
				t.Errorf("%s: node %d is %+v, want %+v", v.name, i, f.Nodes[i], n)
			}
			nodes = append(nodes, n)
		}
		if enc := AppendFrame(nil, v.want.Kind, v.want.Stream, v.want.Seq, nodes); !bytes.Equal(enc, v.bytes) {
			t.Errorf("%s: encoding gives\n%x\nwant\n%x", v.name, enc, v.bytes)
		}
	}
}

func TestFrameRoundTripAndSize(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	nodes := make([]NodeState, 1000)
	for i := range nodes {
		nodes[i] = NodeState{ID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Position: graph.Vec3{X: r.Float32(), Y: -r.Float32(), Z: 1e6}, Value: float32(i), Flags: uint16(i % 4)}
	}
	b := AppendFrame(nil, DeltaFrame, 7, 1<<40, nodes)
	if len(b) != 16+34*1000 {
		t.Fatalf("%d bytes", len(b))
	}
	var f Frame
	if err := DecodeFrame(b, &f); err != nil || f.Seq != 1<<40 || f.Stream != 7 || !reflect.DeepEqual(f.Nodes, nodes) {
		t.Fatalf("round trip: %v", err)
	}
}

func TestDecodeFrameRejectsDamage(t *testing.T) {
	good := AppendFrame(nil, FullFrame, 1, 3, []NodeState{{ID: graph.MakeWireID(graph.Knowledge, 1)}})
	mutate := func(f func([]byte) []byte) []byte { return f(bytes.Clone(good)) }
	nan := math.Float32bits(float32(math.NaN()))
	cases := map[string][]byte{
		"empty":          nil,
		"short header":   good[:10],
		"version 1":      mutate(func(b []byte) []byte { b[0] = 1; return b }),
		"kind 9":         mutate(func(b []byte) []byte { b[1] = 9; return b }),
		"count too high": mutate(func(b []byte) []byte { b[12] = 2; return b }),
		"huge count":     mutate(func(b []byte) []byte { b[15] = 0xff; return b }),
		"trailing byte":  append(bytes.Clone(good), 0),
		"no type bits":   mutate(func(b []byte) []byte { b[19] = 0; return b }),
		"both type bits": mutate(func(b []byte) []byte { b[19] = 0xc0; return b }),
		"NaN position": mutate(func(b []byte) []byte {
			b[20], b[21], b[22], b[23] = byte(nan), byte(nan>>8), byte(nan>>16), byte(nan>>24)
			return b
		}),
	}
	for name, b := range cases {
		var f Frame
		if err := DecodeFrame(b, &f); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, v := range []struct{ kind uint8 }{{FullFrame}, {DeltaFrame}} {
		f.Add(AppendFrame(nil, v.kind, 2, 9, []NodeState{{ID: graph.MakeWireID(graph.Agents, 3), Value: 1}}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr Frame
		if err := DecodeFrame(b, &fr); err != nil {
			return
		}
		if again := AppendFrame(nil, fr.Kind, fr.Stream, fr.Seq, fr.Nodes); !bytes.Equal(again, b) {
			t.Fatalf("decoded frame encodes differently:\n%x\n%x", b, again)
		}
	})
}

func TestDecodeClientMessage(t *testing.T) {
	good := map[string]ClientMessage{
		`{"type": "subscribe"}`:                 {Type: TypeSubscribe, Streams: []string{StreamAgents, StreamEvents, StreamPositions}},
		`{"type": "unsubscribe", "graph": "g"}`: {Type: TypeUnsubscribe, Graph: "g"},
		`{"type": "fullFrame", "graph": "g"}`:   {Type: TypeFullFrame, Graph: "g"},
		`{"type": "agentStatus", "updates": [{"agentId": "a", "swarmId": "s", "state": "idle"}]}`: {Type: TypeAgentStatus,
			Updates: []agent.Status{{AgentID: "a", SwarmID: "s", State: agent.Idle}}},
		`{"type": "sendMessage", "id": "m", "message": {"swarmId": "s", "from": "a", "to": "b"}}`: {Type: TypeSendMessage, ID: "m",
			Message: &agent.Message{Swarm: "s", From: "a", To: "b"}},
		`{"type": "commandAck", "ack": {"commandId": "c1", "ok": true}}`:             {Type: TypeCommandAck, Ack: &agent.Ack{CommandID: "c1", OK: true}},
		`{"type": "subscribe", "graph": "g", "streams": ["positions", "positions"]}`: {Type: TypeSubscribe, Graph: "g", Streams: []string{StreamPositions}},
		`{"type": "apply", "id": "r1", "ops": [{"op": "addNode", "id": "a"}]}`:       {Type: TypeApply, ID: "r1", Ops: []graph.Op{{Op: graph.AddNode, ID: "a"}}},
		`{"type": "claimTask", "task": {"swarmId": "s", "agentId": "a"}}`:            {Type: TypeClaimTask, Task: &TaskMove{SwarmID: "s", AgentID: "a"}},
		`{"type": "updateTask", "task": {"agentId": "a", "taskId": "t", "progress": 5, "note": "n"}}`: {Type: TypeUpdateTask,
			Task: &TaskMove{AgentID: "a", TaskID: "t", Progress: new(5.0), Note: "n"}},
		`{"type": "planTask", "task": {"agentId": "a", "taskId": "t", "subtasks": [{"key": "k", "title": "x"}]}}`: {Type: TypePlanTask,
			Task: &TaskMove{AgentID: "a", TaskID: "t", Subtasks: []task.Spec{{Key: "k", Title: "x"}}}},
		`{"type": "fullFrame"}`: {Type: TypeFullFrame},
		`{"type": "subscribe", "frames": "v2", "velocities": true}`: {Type: TypeSubscribe, Streams: []string{StreamAgents, StreamEvents, StreamPositions},
			Frames: FramesV2, Velocities: true},
		`{"type": "subscribe", "streams": ["positions"], "frames": "v1"}`: {Type: TypeSubscribe, Streams: []string{StreamPositions}, Frames: FramesV1},
		`{"type": "subscribe", "frames": "v2", "velocities": false}`:      {Type: TypeSubscribe, Streams: []string{StreamAgents, StreamEvents, StreamPositions}, Frames: FramesV2},
		`{"type": "ping", "id": "x"}`:                                     {Type: TypePing, ID: "x"},
	}
	for in, want := range good {
		got, err := DecodeClientMessage([]byte(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v", in, got, err)
		}
	}
	bad := map[string]string{
		``:                         "EOF",
		`{"type": "subscribe"} {}`: "data after",
		`{"type": "fly"}`:          `unknown type "fly"`,
		`{}`:                       `"type" is missing`,
		`{"type": "ping", "x": 1}`: `unknown field "x"`,
		`{"type": "subscribe", "streams": ["audio"]}`:                     `unknown stream "audio"`,
		`{"type": "subscribe", "graph": "a b"}`:                           `graph id`,
		`{"type": "subscribe", "ops": []}`:                                `subscribe takes no ops`,
		`{"type": "apply"}`:                                               `apply needs ops`,
		`{"type": "ping", "graph": "g"}`:                                  `ping takes no graph`,
		`{"type": "agentStatus"}`:                                         `agentStatus needs updates`,
		`{"type": "agentStatus", "updates": [{"agentID": "a"}]}`:          `unknown field "agentID"`,
		`{"type": "sendMessage", "ops": []}`:                              `sendMessage takes no ops`,
		`{"type": "commandAck", "graph": "g", "ack": {}}`:                 `commandAck takes no graph`,
		`{"type": "claimTask"}`:                                           `claimTask needs a task`,
		`{"type": "failTask", "task": {"agentId": "a"}}`:                  `task.taskId is missing`,
		`{"type": "completeTask", "task": {"taskId": "t"}}`:               `task.agentId is missing`,
		`{"type": "updateTask", "task": {"agentId": "a", "taskID": "t"}}`: `unknown field "taskID"`,
		`{"type": "claimTask", "graph": "g", "task": {"agentId": "a"}}`:   `claimTask takes no graph`,
		`{"type": "ping", "id": "` + strings.Repeat("i", 200) + `"}`:      `id is 200 bytes`,
		`{"type": "subscribe", "frames": "v3"}`:                           `unknown frames "v3" (want "v1" or "v2")`,
		`{"type": "subscribe", "frames": "V2"}`:                           `unknown frames "V2"`,
		`{"type": "subscribe", "frames": null}`:                           `unknown frames ""`,
		`{"type": "subscribe", "velocities": true}`:                       `velocities is an option of "v2" frames`,
		`{"type": "subscribe", "frames": "v1", "velocities": true}`:       `velocities is an option of "v2" frames`,
		`{"type": "subscribe", "streams": ["events"], "frames": "v2"}`:    `options of the "positions" stream`,
		`{"type": "fullFrame", "frames": "v2"}`:                           `fullFrame takes no frames`,
		`{"type": "subscribe", "Frames": "v2"}`:                           `unknown field "Frames"`,
	}
	for in, want := range bad {
		_, err := DecodeClientMessage([]byte(in))
		if !errors.Is(err, ErrMessage) || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40s: %v, want …%s…", in, err, want)
		}
	}
}

func FuzzDecodeClientMessage(f *testing.F) {
	f.Add([]byte(`{"type": "subscribe", "graph": "g", "streams": ["positions"]}`))
	f.Add([]byte(`{"type": "subscribe", "graph": "g", "frames": "v2", "velocities": true}`))
	f.Add([]byte(`{"type": "apply", "ops": [{"op": "removeNode", "id": "x"}]}`))
	f.Add([]byte(`{"type": "agentStatus", "updates": [{"agentId": "a", "swarmId": "s", "state": "idle", "progress": 5, "timestamp": "2026-12-01T10:00:00Z"}]}`))
	f.Add([]byte(`{"type": "commandAck", "ack": {"commandId": "c", "ok": false, "note": "busy"}}`))
	f.Add([]byte(`{"type": "planTask", "task": {"agentId": "a", "taskId": "t", "subtasks": [{"key": "k", "title": "x", "dependsOn": ["j"]}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeClientMessage(b)
		if err != nil {
			return
		}
		// What is accepted must survive being sent again.
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := DecodeClientMessage(again)
		if err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("%s → %s → %+v, %v", b, again, m2, err)
		}
	})
}

// TestBinaryIsSmallerThanJSON encodes the same laid-out nodes as a position
// frame and as JSON nodes the way the REST API writes them (id, wireId,
// label, position, velocity, graphType; no metadata), and states the
// reduction.
func TestBinaryIsSmallerThanJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 10_000
	states := make([]NodeState, n)
	nodes := make([]graph.Node, n)
	coord := func() float32 { return (r.Float32() - 0.5) * 2000 } // a layout a few hundred units across
	for i := range n {
		nodes[i] = graph.Node{
			ID: fmt.Sprintf("page-%d", i), WireID: graph.MakeWireID(graph.Knowledge, uint32(i+1)), Label: fmt.Sprintf("Page %d", i),
			Position: graph.Vec3{X: coord(), Y: coord(), Z: coord()}, Velocity: graph.Vec3{X: coord() / 100, Y: coord() / 100, Z: coord() / 100},
			Type: graph.Knowledge,
		}
		states[i] = NodeState{ID: nodes[i].WireID, Position: nodes[i].Position, Velocity: nodes[i].Velocity}
	}
	js, err := json.Marshal(nodes)
	if err != nil {
		t.Fatal(err)
	}
	bin := AppendFrame(nil, FullFrame, 1, 1, states)
	reduction := 1 - float64(len(bin))/float64(len(js))
	t.Logf("%d nodes: JSON %d bytes (%.1f per node), binary %d bytes (%.1f per node): %.1f%% smaller",
		n, len(js), float64(len(js))/n, len(bin), float64(len(bin))/n, 100*reduction)
	if reduction < 0.80 {
		t.Errorf("binary frames are only %.1f%% smaller than JSON", 100*reduction)
	}
}

func TestPresenceViewIsChecked(t *testing.T) {
	ok := Presence{Graph: "g", View: &View{ColourBy: "community", Hidden: []string{"1", "2"}, Local: 3, MinDegree: 2}}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	many := make([]string, 65)
	for name, v := range map[string]View{
		"local 4":          {Local: 4},
		"negative degree":  {MinDegree: -1},
		"65 hidden":        {Hidden: many},
		"control in class": {Only: "a\x01"},
		"long colouring":   {ColourBy: strings.Repeat("x", 257)},
	} {
		p := Presence{Graph: "g", View: &v}
		if err := p.Check(); err == nil || !strings.Contains(err.Error(), "presence.view.") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
