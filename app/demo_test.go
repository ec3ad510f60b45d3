package app

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/app/demo"
	"visionflow/task"
)

// The demo swarm works on the sample graph through all three transports
// and obeys operator commands, each acknowledged.
func TestDemoSwarmWorksAndObeys(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	sw, err := demo.Start(ctx, demo.Options{URL: s.url, Agents: 12, Tick: 50 * time.Millisecond, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sw.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		sw.Close()
	}()
	waitFor(t, "12 agents, messages and a busy agent", func() bool {
		list, _ := s.c.Agents(ctx, "demo-swarm")
		busy := false
		for _, a := range list {
			busy = busy || a.State == agent.Executing
		}
		return len(list) == 12 && busy && sw.Stats().Messages > 0
	})
	// One agent of each transport: agent-001 (WebSocket), agent-004
	// (REST), agent-008 (MCP).
	for _, id := range []string{"agent-001", "agent-004", "agent-008"} {
		cmd, err := s.c.QueueCommand(ctx, "demo-swarm", id, agent.CommandRequest{Kind: agent.Pause})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, id+" to acknowledge the pause and sit idle", func() bool {
			trail, _ := s.c.Commands(ctx, "demo-swarm", id)
			list, _ := s.c.Agents(ctx, "demo-swarm")
			for _, a := range list {
				if a.ID == id {
					return len(trail) > 0 && trail[0].ID == cmd.ID && trail[0].State == agent.Acked && a.Control == "paused" && a.State == agent.Idle
				}
			}
			return false
		})
	}
	redirect, _ := s.c.QueueCommand(ctx, "demo-swarm", "agent-001", agent.CommandRequest{Kind: agent.Resume})
	waitFor(t, "agent-001 to resume", func() bool {
		trail, _ := s.c.Commands(ctx, "demo-swarm", "agent-001")
		return trail[0].ID == redirect.ID && trail[0].State == agent.Acked
	})
	if _, err := s.c.QueueCommand(ctx, "demo-swarm", "agent-002", agent.CommandRequest{Kind: agent.Redirect, Text: "index the journals"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "agent-002 on its new task", func() bool {
		list, _ := s.c.Agents(ctx, "demo-swarm")
		for _, a := range list {
			if a.ID == "agent-002" {
				return a.CurrentTask == "index the journals"
			}
		}
		return false
	})
	g, _ := s.c.Graph(ctx, "demo-swarm")
	if len(g.Edges) == 0 {
		t.Error("collaboration made no links")
	}
	// The work: tasks submitted, planned by coordinators, their parts
	// claimed, progressed and finished over every transport, some failed.
	// agent-004 (over REST) shares the reviews with agent-001 alone, and
	// agent-008 (through MCP) does all the research: the other reviewers
	// and researchers are paused.
	// agent-001 waits while agent-004 and agent-008 resume: agent-004
	// hears of its resume only at its next poll, and agent-001 could take
	// every review meanwhile.
	for id, kind := range map[string]agent.CommandKind{"agent-001": agent.Pause, "agent-004": agent.Resume, "agent-008": agent.Resume,
		"agent-002": agent.Pause, "agent-007": agent.Pause, "agent-010": agent.Pause} {
		if _, err := s.c.QueueCommand(ctx, "demo-swarm", id, agent.CommandRequest{Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "agent-004 and agent-008 back at work", func() bool {
		list, _ := s.c.Agents(ctx, "demo-swarm")
		back := 0
		for _, a := range list {
			if (a.ID == "agent-004" || a.ID == "agent-008") && a.Control != "paused" {
				back++
			}
		}
		return back == 2
	})
	if _, err := s.c.QueueCommand(ctx, "demo-swarm", "agent-001", agent.CommandRequest{Kind: agent.Resume}); err != nil {
		t.Fatal(err)
	}
	var list []*task.Task
	// The work takes the swarm's steps, not a time: on a busy machine its
	// ticks come slower, and the wait is for as many steps as it needs
	// (about 35 here; 600 is plenty).
	waitForSteps(t, sw, 600, "planned tasks with finished parts, moved over every transport", func(st demo.Stats) bool {
		return st.Planned > 0 && st.Completed >= 4 && st.Failed > 0 && st.Remembered >= 4 && st.Recalled > 0 &&
			st.Moves["websocket"] > 0 && st.Moves["rest"] > 0 && st.Moves["mcp"] > 0
	})
	list, _ = s.c.Tasks(ctx, "demo-swarm", "")
	agents := map[string]bool{}
	for _, x := range list {
		for _, a := range x.Attempts {
			agents[a.Agent] = true
		}
	}
	t.Logf("demo stats: %+v; %d tasks; attempts by %d agents", sw.Stats(), len(list), len(agents))
}

// waitForSteps waits until cond holds of the swarm's stats, for at most
// budget more of its steps: a bound on the swarm's work, which does not
// shrink when the machine is busy. A swarm that stops stepping at all
// fails after a minute without a step.
func waitForSteps(t *testing.T, sw *demo.Swarm, budget int, what string, cond func(demo.Stats) bool) {
	t.Helper()
	start := sw.Stats().Steps
	last, lastAt := start, time.Now()
	for {
		st := sw.Stats()
		if cond(st) {
			t.Logf("%s: after %d steps", what, st.Steps-start)
			return
		}
		if st.Steps-start > budget {
			t.Fatalf("%s: not after %d steps: %+v", what, budget, st)
		}
		if st.Steps != last {
			last, lastAt = st.Steps, time.Now()
		} else if time.Since(lastAt) > time.Minute {
			t.Fatalf("%s: the swarm made no step for a minute: %+v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
