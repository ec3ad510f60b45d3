package agent

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

func TestStateCodesRoundTrip(t *testing.T) {
	for i, s := range States {
		if s.Code() != uint8(i+1) || StateOf(s.Code()) != s || !s.Valid() {
			t.Errorf("%s: code %d", s, s.Code())
		}
	}
	if State("sleeping").Valid() || StateOf(0) != "" || StateOf(7) != "" {
		t.Error("unknown states must not be valid")
	}
}

func TestStatusValidationNamesTheField(t *testing.T) {
	good := Status{AgentID: "a1", SwarmID: "s", State: Thinking, Progress: f(50), Health: f(100), CollaboratingWith: []string{"a2"}}
	if err := good.Validate("", t0); err != nil {
		t.Fatal(err)
	}
	many := make([]string, MaxCollaborators+1)
	for i := range many {
		many[i] = strings.Repeat("x", 1+i%5) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
	}
	cases := map[string]func(s *Status){
		"updates[0].state":                func(s *Status) { s.State = "dreaming" },
		"updates[0].progress":             func(s *Status) { s.Progress = f(101) },
		"updates[0].health":               func(s *Status) { s.Health = f(math.NaN()) },
		"updates[0].name":                 func(s *Status) { s.Name = strings.Repeat("n", 1<<20) },
		"updates[0].collaboratingWith":    func(s *Status) { s.CollaboratingWith = many },
		"updates[0].collaboratingWith[1]": func(s *Status) { s.CollaboratingWith = []string{"a2", "a2"} },
		"updates[0].collaboratingWith[0]": func(s *Status) { s.CollaboratingWith = []string{"a1"} },
		"updates[0].agentId":              func(s *Status) { s.AgentID = "" },
		"updates[0].swarmId":              func(s *Status) { s.SwarmID = "a b" },
		"updates[0].tokens":               func(s *Status) { s.Tokens = new(int64(-1)) },
		"updates[0].tokenRate":            func(s *Status) { s.TokenRate = f(math.Inf(1)) },
		"updates[0].timestamp":            func(s *Status) { s.Timestamp = t0.Add(time.Hour) },
		"updates[0].workingOn[0]":         func(s *Status) { s.WorkingOn = []string{"bad\x00id"} },
	}
	for field, mutate := range cases {
		s := good
		mutate(&s)
		err := s.Validate("updates[0]", t0)
		var ge *graph.Error
		if !errors.As(err, &ge) || ge.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
}

func TestSwarmAppliesStatusAndTracksTransitions(t *testing.T) {
	s := NewSwarm("s", "k")
	res := s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Idle, Name: "Ada", Type: "coder"}, t0, time.Minute)
	if !res.New || !res.Transition || !res.Profile {
		t.Fatalf("first status: %+v", res)
	}
	v1 := s.Version()
	res = s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Idle, Progress: f(10)}, t0.Add(time.Second), time.Minute)
	if res.New || res.Transition || res.Profile {
		t.Fatalf("heartbeat: %+v", res)
	}
	a, _ := s.Agent("a")
	if a.Name != "Ada" || a.Type != "coder" || *a.Progress != 10 || a.FirstSeen != t0 || !a.LastSeen.Equal(t0.Add(time.Second)) {
		t.Fatalf("agent: %+v", a)
	}
	res = s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Executing}, t0.Add(2*time.Second), time.Minute)
	if !res.Transition || res.From != Idle {
		t.Fatalf("transition: %+v", res)
	}
	changed, removed := s.Changed(v1)
	if len(changed) != 1 || changed[0].State != Executing || len(removed) != 0 {
		t.Fatalf("changed since %d: %+v %v", v1, changed, removed)
	}
	if changed, _ := s.Changed(s.Version()); len(changed) != 0 {
		t.Fatalf("nothing changed since the last version: %+v", changed)
	}
}

func TestLinksGrowWithTrafficAndDecayWithSilence(t *testing.T) {
	s := NewSwarm("s", "")
	half := 10 * time.Second
	s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Idle}, t0, half)
	s.Apply(&Status{AgentID: "b", SwarmID: "s", State: Idle}, t0, half)
	l, isNew := s.Interact("a", "b", Messaging, t0, half)
	if !isNew || l.Weight != 1 || l.Key != (LinkKey{"a", "b"}) {
		t.Fatalf("first message: %+v %v", l, isNew)
	}
	l, isNew = s.Interact("b", "a", Messaging, t0, half)
	if isNew || l.Weight != 2 || l.Count != 2 {
		t.Fatalf("second message, the other way: %+v", l)
	}
	if w := l.WeightAt(t0.Add(half), half); math.Abs(w-1) > 1e-9 {
		t.Fatalf("after one half-life: %v, want 1", w)
	}
	for range 100 {
		l, _ = s.Interact("a", "b", Handoff, t0, half)
	}
	if l.Weight != MaxLinkWeight {
		t.Fatalf("weight is capped at %v: %v", MaxLinkWeight, l.Weight)
	}
	// Keep both agents alive and let the link fade: 10 → below 0.05 takes
	// log2(200) ≈ 7.6 half-lives.
	later := t0.Add(8 * half)
	for _, id := range []string{"a", "b"} {
		s.Apply(&Status{AgentID: id, SwarmID: "s", State: Idle}, later, half)
	}
	if sw := s.Sweep(t0.Add(7*half), time.Hour, 2*time.Hour, half); len(sw.Faded) != 0 {
		t.Fatalf("faded too early: %+v", sw)
	}
	if sw := s.Sweep(later, time.Hour, 2*time.Hour, half); len(sw.Faded) != 1 {
		t.Fatalf("the link should have faded: %+v", sw)
	}
	if _, ok := s.Link("a", "b"); ok {
		t.Fatal("faded link still there")
	}
}

func TestSweepGreysOutThenRemovesSilentAgents(t *testing.T) {
	s := NewSwarm("s", "")
	s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Idle}, t0, time.Minute)
	s.Apply(&Status{AgentID: "b", SwarmID: "s", State: Idle, CollaboratingWith: []string{"a"}}, t0, time.Minute)
	if sw := s.Sweep(t0.Add(10*time.Second), 30*time.Second, 5*time.Minute, time.Minute); len(sw.Stale)+len(sw.Removed) != 0 {
		t.Fatalf("too early: %+v", sw)
	}
	sw := s.Sweep(t0.Add(31*time.Second), 30*time.Second, 5*time.Minute, time.Minute)
	if len(sw.Stale) != 2 {
		t.Fatalf("stale: %+v", sw)
	}
	if sw := s.Sweep(t0.Add(32*time.Second), 30*time.Second, 5*time.Minute, time.Minute); len(sw.Stale) != 0 {
		t.Fatalf("stale is reported once: %+v", sw)
	}
	v := s.Version()
	res := s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Idle}, t0.Add(40*time.Second), time.Minute)
	if !res.Revived {
		t.Fatalf("a stale agent that reports is revived: %+v", res)
	}
	sw = s.Sweep(t0.Add(301*time.Second), 30*time.Second, 5*time.Minute, time.Minute)
	if len(sw.Removed) != 1 || sw.Removed[0] != "b" || len(sw.Faded) != 1 {
		t.Fatalf("b should be gone with its link: %+v", sw)
	}
	_, removed := s.Changed(v)
	if len(removed) != 1 || removed[0] != "b" {
		t.Fatalf("removed since %d: %v", v, removed)
	}
}

func TestCommandAndMessageValidation(t *testing.T) {
	for _, r := range []CommandRequest{{Kind: Pause}, {Kind: Redirect, Text: "index the docs"}} {
		if err := r.Validate(); err != nil {
			t.Errorf("%+v: %v", r, err)
		}
	}
	for field, r := range map[string]CommandRequest{
		"kind": {Kind: "reboot"},
		"text": {Kind: Pause, Text: "why"},
	} {
		var ge *graph.Error
		if err := r.Validate(); !errors.As(err, &ge) || ge.Field != field {
			t.Errorf("%+v: %v", r, err)
		}
	}
	if err := (&CommandRequest{Kind: Redirect}).Validate(); err == nil {
		t.Error("a redirect needs text")
	}
	m := Message{Swarm: "s", From: "a", To: "b"}
	if err := m.Validate(); err != nil || m.Kind != Messaging {
		t.Fatalf("%+v %v", m, err)
	}
	for field, m := range map[string]Message{
		"to":      {Swarm: "s", From: "a", To: "a"},
		"kind":    {Swarm: "s", From: "a", To: "b", Kind: "shout"},
		"swarmId": {From: "a", To: "b"},
	} {
		var ge *graph.Error
		if err := m.Validate(); !errors.As(err, &ge) || ge.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

// Whatever a client sends as status updates decodes and validates without
// panicking; what is accepted survives being sent again.
func FuzzStatus(f *testing.F) {
	f.Add([]byte(`[{"agentId": "a", "swarmId": "s", "state": "idle", "progress": 5, "collaboratingWith": ["b"], "timestamp": "2026-12-01T10:00:00Z"}]`))
	f.Add([]byte(`{"agentId": "a", "swarmId": "s", "state": "error", "health": 0, "tokens": 9, "tokenRate": 1.5, "workingOn": ["x", "y"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var list []Status
		if json.Unmarshal(b, &list) != nil {
			var one Status
			if json.Unmarshal(b, &one) != nil {
				return
			}
			list = []Status{one}
		}
		for i := range list {
			if list[i].Validate("u", t0) != nil {
				continue
			}
			again, err := json.Marshal(list[i])
			if err != nil {
				t.Fatal(err)
			}
			var back Status
			if err := json.Unmarshal(again, &back); err != nil {
				t.Fatalf("%s: %v", again, err)
			}
			if err := back.Validate("u", t0); err != nil {
				t.Fatalf("accepted, then refused after a round trip: %s: %v", again, err)
			}
			// The swarm takes it.
			s := NewSwarm(back.SwarmID, "")
			back.CollaboratingWith = nil
			s.Apply(&back, t0, time.Minute)
			if !s.Has(back.AgentID) {
				t.Fatal("an applied status left no agent")
			}
		}
	})
}

// Operator commands, acks and messages decode and validate without
// panicking.
func FuzzCommandAckMessage(f *testing.F) {
	f.Add([]byte(`{"kind": "redirect", "text": "go"}`))
	f.Add([]byte(`{"commandId": "c1", "ok": true, "note": "done"}`))
	f.Add([]byte(`{"swarmId": "s", "from": "a", "to": "b", "kind": "handoff", "text": "yours"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r CommandRequest
		if json.Unmarshal(b, &r) == nil {
			r.Validate()
		}
		var a Ack
		if json.Unmarshal(b, &a) == nil {
			a.Validate()
		}
		var m Message
		if json.Unmarshal(b, &m) == nil && m.Validate() == nil && (m.Kind != Messaging && m.Kind != Handoff) {
			t.Fatalf("a message of kind %q was accepted", m.Kind)
		}
	})
}

// A report older than the agent's last one (it waited while a newer went
// by) changes only the profile.
func TestOlderReportsDoNotUndoNewerOnes(t *testing.T) {
	s := NewSwarm("s", "")
	s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Executing, Timestamp: t0.Add(2 * time.Second)}, t0.Add(2*time.Second), time.Minute)
	res := s.Apply(&Status{AgentID: "a", SwarmID: "s", State: Idle, Name: "Ada", Timestamp: t0.Add(time.Second)}, t0.Add(3*time.Second), time.Minute)
	a, _ := s.Agent("a")
	if !res.Outdated || a.State != Executing || a.Name != "Ada" {
		t.Fatalf("%+v %+v", res, a)
	}
}
