package desktop

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"visionflow/graph"
	"visionflow/render/overlay"
)

// The timeline shows the graph as it was after any of its changes (the
// store's replay, GET /api/graph/{id}?at=), and plays the changes back.
// While it shows the past, edits are off; Live returns to the graph as it
// is. Positions are the live layout's: a node since removed is not drawn.

// timelineState is the model's side of the timeline.
type timelineState struct {
	at      uint64       // the change shown (0: live)
	past    *graph.Graph // the graph after it
	when    time.Time
	changes []string
	playing bool
	next    time.Time // when playing: the next step
}

// playStep is how often playing moves on, and playSteps how many steps a
// whole history takes.
const (
	playStep  = 250 * time.Millisecond
	playSteps = 80
)

// shown is the graph the scene shows: the past one, or the live one.
func (m *model) shown() *graph.Graph {
	if m.tl.past != nil {
		return m.tl.past
	}
	return m.g
}

// scrub shows the graph as it was after change seq.
func (m *model) scrub(ctx context.Context, seq uint64) {
	if m.g == nil {
		return
	}
	if seq == 0 || seq >= m.g.Seq {
		m.live()
		return
	}
	evs, err := m.src.Events(ctx, m.g.ID, seq-1, 1)
	if err != nil || len(evs) == 0 {
		m.say("history: %v", cmp.Or(err, fmt.Errorf("change %d is not in the log", seq)))
		return
	}
	c, err := m.src.GraphAt(ctx, m.g.ID, evs[0].Time.Wall())
	if err != nil {
		m.say("history: %v", err)
		return
	}
	past, err := graphFrom(c)
	if err != nil {
		m.say("history: %v", err)
		return
	}
	m.tl.at, m.tl.past, m.tl.when = seq, past, evs[0].Time.Wall()
	from := uint64(0)
	if seq > 5 {
		from = seq - 5
	}
	m.tl.changes = nil
	if recent, err := m.src.Events(ctx, m.g.ID, from, int(seq-from)); err == nil {
		for _, ev := range recent {
			m.tl.changes = append(m.tl.changes, describe(ev, past))
		}
	}
	m.publish()
	m.publishTimeline()
}

// live returns to the graph as it is.
func (m *model) live() {
	m.tl = timelineState{}
	m.publish()
	m.publishTimeline()
}

// play moves on one step when it is time; at the end it is live again.
func (m *model) play(ctx context.Context, now time.Time) {
	if !m.tl.playing || now.Before(m.tl.next) || m.g == nil {
		return
	}
	m.tl.next = now.Add(playStep)
	step := max(1, m.g.Seq/playSteps)
	next := m.tl.at + step
	if m.tl.at == 0 {
		next = 1
	}
	if next >= m.g.Seq {
		m.live()
		return
	}
	m.scrub(ctx, next)
	m.tl.playing = true
	m.publishTimeline()
}

func (m *model) publishTimeline() {
	if m.g == nil {
		m.timeline.Store(nil)
		return
	}
	m.timeline.Store(&overlay.Timeline{Seq: m.g.Seq, At: m.tl.at, When: m.tl.when, Playing: m.tl.playing, Changes: m.tl.changes})
}

// describe says who changed what, for the timeline's list.
func describe(ev graph.Event, g *graph.Graph) string {
	subject := ev.Subject()
	if n, ok := g.Node(subject); ok && n.Label != "" {
		subject = n.Label
	} else if ev.Node != nil && ev.Node.Label != "" {
		subject = ev.Node.Label
	}
	verb := map[graph.EventType]string{graph.NodeAdded: "added", graph.NodeRemoved: "removed", graph.NodeMoved: "moved",
		graph.NodeUpdated: "changed", graph.EdgeCreated: "linked", graph.EdgeDeleted: "unlinked",
		graph.EdgeWeightChanged: "reweighed", graph.EdgeUpdated: "changed"}[ev.Type]
	who := cmp.Or(ev.Client, "someone")
	return fmt.Sprintf("%d · %s · %s %s %s", ev.Seq, ev.Time.Wall().Local().Format("15:04:05"), who, verb, subject)
}
