package app

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"visionflow/auth"
	"visionflow/net/client"
	"visionflow/net/wire"
)

// nextPresence waits for a presence message of a graph that satisfies ok.
func nextPresence(t *testing.T, st *client.Stream, ok func([]wire.Peer) bool) []wire.Peer {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-st.Messages():
			if m.Type != wire.TypePresence {
				continue
			}
			var p wire.PresenceMsg
			json.Unmarshal(m.Raw, &p)
			if ok(p.Peers) {
				return p.Peers
			}
		case <-timeout:
			t.Fatal("no such presence")
			return nil
		}
	}
}

func peerNamed(peers []wire.Peer, name string) *wire.Peer {
	for i := range peers {
		if peers[i].Name == name {
			return &peers[i]
		}
	}
	return nil
}

func TestPeersSeeEachOther(t *testing.T) {
	ctx := context.Background()
	ts := startShared(t, filepath.Join(t.TempDir(), "p.db"))
	admin := ts.as(ts.FirstToken)
	list, _ := admin.Graphs(ctx)
	g, _ := admin.Graph(ctx, list[0].ID)
	var streams []*client.Stream
	for _, who := range []struct {
		name string
		role auth.Role
	}{{"alice", auth.Editor}, {"bob", auth.Viewer}} {
		nt, err := admin.CreateToken(ctx, wire.TokenRequest{Role: who.role, Name: who.name})
		if err != nil {
			t.Fatal(err)
		}
		st, err := ts.as(nt.Token).Stream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Subscribe(ctx, g.ID, wire.StreamEvents); err != nil {
			t.Fatal(err)
		}
		streams = append(streams, st)
	}
	alice, bob := streams[0], streams[1]
	eye, target := [3]float32{10, 20, 30}, [3]float32{0, 0, 0}
	// Alice calls herself someone else: the token names her.
	if err := alice.SetPresence(wire.Presence{Graph: g.ID, Name: "mallory", Selected: g.Nodes[0].ID, Eye: eye[:], Target: target[:]}); err != nil {
		t.Fatal(err)
	}
	ts.Hub().SetLocalPresence("host", wire.Presence{Graph: g.ID, Selected: g.Nodes[1].ID})
	peers := nextPresence(t, bob, func(ps []wire.Peer) bool { return peerNamed(ps, "alice") != nil && peerNamed(ps, "host") != nil })
	a := peerNamed(peers, "alice")
	if a.Selected != g.Nodes[0].ID || len(a.Eye) != 3 || [3]float32(a.Eye) != eye || !strings.HasPrefix(a.Color, "#") || a.Color != wire.PeerColor("alice") {
		t.Errorf("alice as bob sees her: %+v", a)
	}
	if peerNamed(peers, "mallory") != nil {
		t.Error("a client named itself over its token")
	}
	// Alice leaves: bob's list loses her.
	alice.Close()
	nextPresence(t, bob, func(ps []wire.Peer) bool { return peerNamed(ps, "alice") == nil && peerNamed(ps, "host") != nil })
	// Bad presence is refused.
	bad := []byte(`{"type":"presence","presence":{"graph":"` + g.ID + `","eye":[1,2]}}`)
	bob.Send(bad)
	bob.Send([]byte(`{"type":"presence","presence":{"graph":"` + g.ID + `","selected":"` + strings.Repeat("x", 2000) + `"}}`))
	errs := 0
	for timeout := time.After(5 * time.Second); errs < 2; {
		select {
		case m := <-bob.Messages():
			if m.Type == wire.TypeError {
				errs++
			}
		case <-timeout:
			t.Fatalf("%d errors for two bad presences", errs)
		}
	}
}
