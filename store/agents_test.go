package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/telemetry"
)

func TestAgentHistoryCommandsAndTelemetry(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.SaveSwarm(ctx, Swarm{ID: "crew", KnowledgeGraph: "docs", Created: t0}); err != nil {
		t.Fatal(err)
	}
	rows := []AgentRow{
		{Swarm: "crew", Agent: "a", At: t0, Kind: "first", State: agent.Idle, Body: []byte(`{}`)},
		{Swarm: "crew", Agent: "a", At: t0.Add(time.Second), Kind: "transition", State: agent.Executing, Body: []byte(`{}`)},
		{Swarm: "crew", Agent: "b", At: t0.Add(time.Second), Kind: "first", State: agent.Idle, Body: []byte(`{}`)},
		{Swarm: "crew", Agent: "b", At: t0.Add(2 * time.Second), Kind: "gone", State: agent.Idle, Body: []byte(`{}`)},
	}
	if err := s.AppendAgentHistory(ctx, rows); err != nil {
		t.Fatal(err)
	}
	h, err := s.AgentHistory(ctx, "crew", "a", time.Time{}, 10)
	if err != nil || len(h) != 2 || h[0].Kind != "first" || h[1].State != agent.Executing || !h[1].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("history of a: %v %+v", err, h)
	}
	last, err := s.LastSeen(ctx, "crew")
	if err != nil || len(last) != 1 || last["a"].Kind != "transition" {
		t.Fatalf("last seen (b is gone): %v %+v", err, last)
	}
	if n, err := s.PruneAgentHistory(ctx, t0.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}

	q := agent.Command{ID: "c1", Swarm: "crew", Agent: "a", Kind: agent.Pause, By: "op", State: agent.Queued, QueuedAt: t0}
	q2 := agent.Command{ID: "c2", Swarm: "crew", Agent: "a", Kind: agent.Resume, By: "op", State: agent.Queued, QueuedAt: t0.Add(time.Second)}
	for _, c := range []agent.Command{q, q2} {
		if err := s.SaveCommand(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	q.State = agent.Acked
	if err := s.SaveCommand(ctx, q); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Command(ctx, "c1"); got.State != agent.Acked {
		t.Fatalf("c1 after ack: %+v", got)
	}
	queued, _ := s.Commands(ctx, "crew", "a", agent.Queued, 10)
	all, _ := s.Commands(ctx, "crew", "", "", 10)
	if len(queued) != 1 || queued[0].ID != "c2" || len(all) != 2 || all[0].ID != "c2" {
		t.Fatalf("queued %+v, all %+v", queued, all)
	}
	if _, err := s.Command(ctx, "nope"); err == nil {
		t.Fatal("a missing command is an error")
	}

	ms := []telemetry.Metrics{{SessionID: "w1", ActiveAgents: 1, Timestamp: t0}, {SessionID: "w2", ActiveAgents: 2, Timestamp: t0.Add(time.Second)}}
	if err := s.AppendTelemetry(ctx, ms); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.RecentTelemetry(ctx, time.Time{}, 10, ""); len(got) != 2 || got[0].SessionID != "w2" {
		t.Fatalf("recent: %+v", got)
	}
	if got, _ := s.RecentTelemetry(ctx, time.Time{}, 10, "w1"); len(got) != 1 || got[0].ActiveAgents != 1 {
		t.Fatalf("recent of w1: %+v", got)
	}
	if got, _ := s.RecentTelemetry(ctx, t0, 10, ""); len(got) != 1 {
		t.Fatalf("recent since t0: %+v", got)
	}
}
