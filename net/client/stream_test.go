package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"visionflow/graph"
	"visionflow/net/wire"
)

// A scripted server: it sends a full frame, a delta in sequence, then a
// delta after a gap, and expects the client to ask for a full frame.
func TestStreamDetectsGapsAndAsksForAFullFrame(t *testing.T) {
	a := graph.MakeWireID(graph.Knowledge, 1)
	b := graph.MakeWireID(graph.Knowledge, 2)
	asked := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		hello, _ := json.Marshal(wire.Hello{Type: wire.TypeHello, Protocol: wire.Version, ClientID: "c"})
		ws.WriteMessage(websocket.TextMessage, hello)
		// The subscribe request, answered with stream number 4.
		var req wire.ClientMessage
		if ws.ReadJSON(&req) != nil {
			return
		}
		ws.WriteJSON(wire.Subscribed{Type: wire.TypeSubscribed, ID: req.ID, Graph: "g", Streams: []string{wire.StreamPositions}, Stream: 4})
		send := func(kind uint8, seq uint64, nodes ...wire.NodeState) {
			ws.WriteMessage(websocket.BinaryMessage, wire.AppendFrame(nil, kind, 4, seq, nodes))
		}
		// A frame of another stream is not this graph's.
		ws.WriteMessage(websocket.BinaryMessage, wire.AppendFrame(nil, wire.FullFrame, 5, 99, []wire.NodeState{{ID: a}}))
		send(wire.FullFrame, 10, wire.NodeState{ID: a}, wire.NodeState{ID: b})
		send(wire.DeltaFrame, 11, wire.NodeState{ID: a, Position: graph.Vec3{X: 1}})
		send(wire.DeltaFrame, 13, wire.NodeState{ID: b, Position: graph.Vec3{X: 9}}) // 12 is missing
		send(wire.DeltaFrame, 14, wire.NodeState{ID: a, Position: graph.Vec3{X: 7}}) // must be ignored
		_, msg, err := ws.ReadMessage()
		if err != nil {
			return
		}
		asked <- string(msg)
		send(wire.FullFrame, 15, wire.NodeState{ID: a, Position: graph.Vec3{X: 2}}, wire.NodeState{ID: b, Position: graph.Vec3{X: 3}})
		ws.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	st, err := New(srv.URL, "").Stream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Subscribe(context.Background(), "g", wire.StreamPositions); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-asked:
		if msg != `{"type":"fullFrame","graph":"g","streams":null}` {
			t.Errorf("client asked %s", msg)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not ask for a full frame after a gap")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		nodes, seq, synced := st.Positions("g")
		if synced && seq == 15 {
			if nodes[a].Position.X != 2 || nodes[b].Position.X != 3 {
				t.Errorf("after the full frame: %+v", nodes)
			}
			list, lseq, lsynced := st.Nodes("g", nil)
			if len(list) != len(nodes) || lseq != seq || !lsynced {
				t.Errorf("Nodes: %d nodes seq %d synced %v, Positions: %d", len(list), lseq, lsynced, len(nodes))
			}
			for i, n := range list {
				if nodes[n.ID] != n || (i > 0 && list[i-1].ID.Index() >= n.ID.Index()) {
					t.Errorf("Nodes[%d] = %+v: not Positions' or out of order", i, n)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never resynced: seq %d synced %v", seq, synced)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := st.Stats(); s.Gaps != 1 || s.FullFrames != 3 || s.DeltaFrames != 3 {
		t.Errorf("stats %+v", s)
	}
}

// A stream that asked for v2 frames keeps positions from them as from v1
// frames: a delta node without state keeps the value and flags held, and
// a gap still asks for a full frame.
func TestStreamTakesV2Frames(t *testing.T) {
	a := graph.MakeWireID(graph.Knowledge, 1)
	b := graph.MakeWireID(graph.Knowledge, 2)
	asked := make(chan wire.ClientMessage, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		hello, _ := json.Marshal(wire.Hello{Type: wire.TypeHello, Protocol: wire.Version, ClientID: "c"})
		ws.WriteMessage(websocket.TextMessage, hello)
		var req wire.ClientMessage
		if ws.ReadJSON(&req) != nil {
			return
		}
		asked <- req
		ws.WriteJSON(wire.Subscribed{Type: wire.TypeSubscribed, ID: req.ID, Graph: "g", Streams: []string{wire.StreamPositions}, Stream: 4,
			Frames: wire.FramesV2})
		send := func(kind uint8, seq uint64, state func(int) bool, nodes ...wire.NodeState) {
			f := wire.FrameV2{Kind: kind, Stream: 4, Seq: seq}
			f.Pack(nodes, state)
			ws.WriteMessage(websocket.BinaryMessage, wire.AppendFrameV2(nil, &f))
		}
		send(wire.FullFrameV2, 10, nil, wire.NodeState{ID: a, Value: 3, Flags: wire.FlagPinned}, wire.NodeState{ID: b, Position: graph.Vec3{X: 8, Y: 8}, Value: 1})
		send(wire.DeltaFrameV2, 11, func(int) bool { return false }, wire.NodeState{ID: a, Position: graph.Vec3{X: 4, Y: 2}})
		send(wire.DeltaFrameV2, 13, nil, wire.NodeState{ID: b}) // 12 is missing
		var full wire.ClientMessage
		if ws.ReadJSON(&full) != nil {
			return
		}
		asked <- full
		ws.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	st, err := New(srv.URL, "").Stream(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sub, err := st.SubscribeWith(context.Background(), "g", SubscribeOptions{Streams: []string{wire.StreamPositions}, Frames: wire.FramesV2})
	if err != nil || sub.Frames != wire.FramesV2 {
		t.Fatalf("%+v, %v", sub, err)
	}
	if req := <-asked; req.Frames != wire.FramesV2 || req.Velocities {
		t.Errorf("subscribe asked %+v", req)
	}
	select {
	case req := <-asked:
		if req.Type != wire.TypeFullFrame || req.Graph != "g" {
			t.Errorf("after a gap the client sent %+v", req)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the client did not ask for a full frame after a gap")
	}
	nodes, seq, synced := st.Positions("g")
	if seq != 11 || synced {
		t.Fatalf("seq %d synced %v", seq, synced)
	}
	if n := nodes[a]; n.Position != (graph.Vec3{X: 4, Y: 2}) || n.Value != 3 || n.Flags != wire.FlagPinned {
		t.Errorf("node a after a v2 delta without state: %+v", n)
	}
	if n := nodes[b]; n.Position != (graph.Vec3{X: 8, Y: 8}) || n.Value != 1 {
		t.Errorf("node b: %+v", n)
	}
	if s := st.Stats(); s.FullFrames != 1 || s.DeltaFrames != 2 || s.Gaps != 1 {
		t.Errorf("stats %+v", s)
	}
}
