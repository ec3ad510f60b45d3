package api

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"visionflow/net/wire"
)

// presence is who is where: the peers of every graph, sent to its
// subscribers when it changes, at most every presenceEvery.
type presence struct {
	mu        sync.Mutex
	peers     map[string]wire.Peer // by client id
	dirty     map[string]bool      // graphs whose list changed
	last      time.Time
	listeners []func(graph string, peers []wire.Peer)
}

const presenceEvery = 100 * time.Millisecond

// LocalPeer is the client id of the host's own window.
const LocalPeer = "local"

func (p *presence) set(peer wire.Peer) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.peers == nil {
		p.peers, p.dirty = map[string]wire.Peer{}, map[string]bool{}
	}
	if old, ok := p.peers[peer.ID]; ok && old.Graph != peer.Graph {
		p.dirty[old.Graph] = true
	}
	p.peers[peer.ID] = peer
	p.dirty[peer.Graph] = true
}

// touch has a graph's list sent again (a new subscriber needs it).
func (p *presence) touch(graphID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dirty == nil {
		p.peers, p.dirty = map[string]wire.Peer{}, map[string]bool{}
	}
	p.dirty[graphID] = true
}

func (p *presence) drop(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.peers[id]; ok {
		delete(p.peers, id)
		p.dirty[old.Graph] = true
	}
}

// of lists a graph's peers, by name.
func (p *presence) of(graphID string) []wire.Peer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ofLocked(graphID)
}

func (p *presence) ofLocked(graphID string) []wire.Peer {
	out := []wire.Peer{}
	for _, peer := range p.peers {
		if peer.Graph == graphID {
			out = append(out, peer)
		}
	}
	slices.SortFunc(out, func(a, b wire.Peer) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// due takes the graphs whose lists changed, with their lists, when it is
// time to send them.
func (p *presence) due(now time.Time) map[string][]wire.Peer {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dirty) == 0 || now.Sub(p.last) < presenceEvery {
		return nil
	}
	p.last = now
	out := make(map[string][]wire.Peer, len(p.dirty))
	for g := range p.dirty {
		out[g] = p.ofLocked(g)
	}
	clear(p.dirty)
	return out
}

// tickPresence sends the changed lists to the graphs' subscribers and to
// the host's own window.
func (h *Hub) tickPresence(now time.Time) {
	due := h.presence.due(now)
	if due == nil {
		return
	}
	h.presence.mu.Lock()
	listeners := slices.Clone(h.presence.listeners)
	h.presence.mu.Unlock()
	for g, peers := range due {
		for _, fn := range listeners {
			fn(g, peers)
		}
		b, err := json.Marshal(wire.PresenceMsg{Type: wire.TypePresence, Graph: g, Peers: peers})
		if err != nil {
			continue
		}
		h.mu.Lock()
		for c := range h.conns {
			if _, ok := c.subscription(g); ok {
				c.sendText(b, false) // the next list makes up for a lost one
			}
		}
		h.mu.Unlock()
	}
}

// SetLocalPresence says where the host's own window is; name is what the
// peers call it.
func (h *Hub) SetLocalPresence(name string, p wire.Presence) {
	if p.Graph == "" {
		h.presence.drop(LocalPeer)
		return
	}
	h.presence.set(wire.Peer{ID: LocalPeer, Name: name, Color: wire.PeerColor(name), Presence: p, At: h.clock.Now()})
}

// Peers lists who is in a graph now.
func (h *Hub) Peers(graphID string) []wire.Peer { return h.presence.of(graphID) }

// OnPresence registers fn to hear each changed list of peers; it runs on
// the hub's goroutine and must be quick.
func (h *Hub) OnPresence(fn func(graph string, peers []wire.Peer)) {
	h.presence.mu.Lock()
	h.presence.listeners = append(h.presence.listeners, fn)
	h.presence.mu.Unlock()
}

// setPresence records what a connection says of itself; its name is its
// token's, else the one it gives, else its client id.
func (c *wsConn) setPresence(p wire.Presence) {
	name := c.who.Name
	if c.who.Anonymous() {
		name = p.Name
		if name == "" {
			name = "peer " + strings.TrimPrefix(c.id, "c-")[:4]
		}
	}
	p.Name = ""
	c.hub.presence.set(wire.Peer{ID: c.id, Name: name, Color: wire.PeerColor(name), Presence: p, At: c.hub.clock.Now()})
}
