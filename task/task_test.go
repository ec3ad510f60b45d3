package task

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func counter() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("t%02d", n) }
}

func fieldOf(err error) string {
	var ge *graph.Error
	if errors.As(err, &ge) {
		return ge.Field
	}
	return ""
}

func TestSubmissionValidation(t *testing.T) {
	good := Submission{SwarmID: "s", Title: "ship it", Requires: []string{"go"}, Subtasks: []Spec{
		{Key: "a", Title: "write"}, {Key: "b", Title: "review", DependsOn: []string{"a"}}, {Title: "loose end"},
	}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := map[string]Submission{
		"swarmId":                  {Title: "x"},
		"title":                    {SwarmID: "s"},
		"priority":                 {SwarmID: "s", Title: "x", Priority: 101},
		"requires[0]":              {SwarmID: "s", Title: "x", Requires: []string{"Has Spaces"}},
		"subtasks[0].dependsOn":    {SwarmID: "s", Title: "x", Subtasks: []Spec{{Key: "a", Title: "a", DependsOn: []string{"b"}}, {Key: "b", Title: "b", DependsOn: []string{"a"}}}},
		"subtasks[0].dependsOn[0]": {SwarmID: "s", Title: "x", Subtasks: []Spec{{Key: "a", Title: "a", DependsOn: []string{"a"}}}},
		"subtasks[1].key":          {SwarmID: "s", Title: "x", Subtasks: []Spec{{Key: "a", Title: "a"}, {Key: "a", Title: "b"}}},
		"subtasks[0].title":        {SwarmID: "s", Title: "x", Subtasks: []Spec{{Key: "a"}}},
	}
	for field, sub := range cases {
		if err := sub.Validate(); fieldOf(err) != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	// A longer cycle is found too, and names a subtask on it.
	cyc := Submission{SwarmID: "s", Title: "x", Subtasks: []Spec{
		{Key: "a", Title: "a"}, {Key: "b", Title: "b", DependsOn: []string{"a", "d"}}, {Key: "c", Title: "c", DependsOn: []string{"b"}}, {Key: "d", Title: "d", DependsOn: []string{"c"}},
	}}
	if err := cyc.Validate(); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("a cycle of three: %v", err)
	}
	var s Submission
	if err := json.Unmarshal([]byte(`{"swarmId": "s", "title": "x", "subTasks": []}`), &s); err == nil {
		t.Fatal("a misspelt field was taken")
	}
}

func TestDAGRunsInOrderAndRollsUp(t *testing.T) {
	b := NewBoard()
	ids := counter()
	sub := &Submission{SwarmID: "s", Title: "ship", Subtasks: []Spec{
		{Key: "code", Title: "code", Requires: []string{"go"}}, {Key: "test", Title: "test", DependsOn: []string{"code"}},
	}}
	ts, err := b.Submit(sub, ids, "op", t0, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ts...)
	top, _ := b.Get("t01")
	code, _ := b.Get("t02")
	test, _ := b.Get("t03")
	if top.State != Running || code.State != Ready || test.State != Pending || test.DependsOn[0] != "t02" {
		t.Fatalf("after submit: %s %s %s", top.State, code.State, test.State)
	}
	// The tester cannot take it yet; a coder without Go cannot take the code.
	if got, _ := b.Claim("s", "tess", nil, "", t0, time.Minute); got != nil {
		t.Fatalf("nothing claimable for an agent without go: %+v", got)
	}
	c, err := b.Claim("s", "cody", []string{"go"}, "", t0, time.Minute)
	if err != nil || c.ID != "t02" || c.State != Claimed || !c.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claim: %v %+v", err, c)
	}
	b.Put(c)
	if _, err := b.Claim("s", "other", []string{"go"}, "t02", t0, time.Minute); !errors.Is(err, ErrConflict) {
		t.Fatalf("claiming a held task: %v", err)
	}
	if _, err := b.Complete("other", "t02", "", t0); !errors.Is(err, ErrConflict) {
		t.Fatalf("completing someone else's task: %v", err)
	}
	ch, err := b.Complete("cody", "t02", "compiled", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ch...)
	if test, _ := b.Get("t03"); test.State != Ready {
		t.Fatalf("the test did not become ready: %s", test.State)
	}
	if top, _ := b.Get("t01"); top.Progress != 50 || top.State != Running {
		t.Fatalf("the parent: %v %s", top.Progress, top.State)
	}
	if _, err := b.Complete("cody", "t02", "again", t0); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "done already") {
		t.Fatalf("completing twice: %v", err)
	}
	c, _ = b.Claim("s", "tess", nil, "", t0, time.Minute)
	b.Put(c)
	ch, _ = b.Complete("tess", c.ID, "green", t0.Add(2*time.Second))
	b.Put(ch...)
	if top, _ := b.Get("t01"); top.State != Done || top.Progress != 100 {
		t.Fatalf("the parent after both: %+v", top)
	}
}

func TestFailuresRetryWithBackoffThenDeadLetter(t *testing.T) {
	b := NewBoard()
	p := Policy{Lease: time.Minute, MaxAttempts: 2, Backoff: func(n int) time.Duration { return time.Duration(n) * 10 * time.Second }}
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "flaky"}, counter(), "op", t0, false, p.MaxAttempts)
	b.Put(ts...)
	c, _ := b.Claim("s", "a", nil, "t01", t0, p.Lease)
	b.Put(c)
	ch, err := b.Fail("a", "t01", "out of memory", t0, p)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ch...)
	f, _ := b.Get("t01")
	if f.State != Failed || !f.RetryAt.Equal(t0.Add(10*time.Second)) || f.Attempts[0].Error != "out of memory" {
		t.Fatalf("after a failure: %+v", f)
	}
	if ch := b.Tick(t0.Add(9*time.Second), p); len(ch) != 0 {
		t.Fatalf("retried before the backoff: %+v", ch[0])
	}
	b.Put(b.Tick(t0.Add(10*time.Second), p)...)
	if f, _ := b.Get("t01"); f.State != Ready {
		t.Fatalf("not ready after the backoff: %s", f.State)
	}
	// The second attempt's lease runs out: that is its last.
	c, _ = b.Claim("s", "a", nil, "t01", t0.Add(11*time.Second), p.Lease)
	b.Put(c)
	b.Put(b.Tick(t0.Add(11*time.Second+p.Lease+time.Second), p)...)
	d, _ := b.Get("t01")
	if d.State != Dead || d.Attempts[1].Outcome != "expired" || len(b.List("s", Dead)) != 1 {
		t.Fatalf("after the last attempt: %+v", d)
	}
	// An operator retries it from the dead-letter queue, or discards it.
	ch, err = b.Revive("t01", t0.Add(time.Hour), p)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ch...)
	if r, _ := b.Get("t01"); r.State != Ready || r.MaxAttempts != 4 {
		t.Fatalf("revived: %+v", r)
	}
	if _, err := b.Revive("t01", t0, p); !errors.Is(err, ErrConflict) {
		t.Fatalf("reviving a ready task: %v", err)
	}
}

func TestLeasesRenewAndExpire(t *testing.T) {
	b := NewBoard()
	p := Policy{Lease: 30 * time.Second, MaxAttempts: 3, Backoff: func(int) time.Duration { return time.Second }}
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "long"}, counter(), "op", t0, false, 3)
	b.Put(ts...)
	c, _ := b.Claim("s", "a", nil, "t01", t0, p.Lease)
	b.Put(c)
	// The agent's heartbeats keep it.
	for i := 1; i <= 10; i++ {
		now := t0.Add(time.Duration(i) * 20 * time.Second)
		b.Put(b.Renew("s", "a", now.Add(p.Lease))...)
		b.Put(b.Tick(now, p)...)
	}
	if h, _ := b.Get("t01"); h.State != Claimed {
		t.Fatalf("a renewed lease ran out: %+v", h)
	}
	// The agent dies: the task is offered again after its lease and backoff.
	b.Put(b.Tick(t0.Add(200*time.Second+p.Lease+time.Second), p)...)
	b.Put(b.Tick(t0.Add(200*time.Second+p.Lease+3*time.Second), p)...)
	if h, _ := b.Get("t01"); h.State != Ready || len(b.Claimable("s", nil)) != 1 {
		t.Fatalf("after the agent died: %+v", h)
	}
	if _, err := b.Complete("a", "t01", "late", t0.Add(time.Hour)); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "lease") {
		t.Fatalf("completing after losing the lease: %v", err)
	}
}

func TestPlannerSplitsAndCancelStops(t *testing.T) {
	b := NewBoard()
	ids := counter()
	p := Policy{Lease: time.Minute, MaxAttempts: 3}
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "big", Requires: []string{"go"}}, ids, "op", t0, true, 3)
	b.Put(ts...)
	if got, _ := b.Claim("s", "coder", []string{"go"}, "", t0, p.Lease); got != nil {
		t.Fatalf("a coder took a task waiting for a planner: %+v", got)
	}
	c, err := b.Claim("s", "pam", []string{Planner}, "", t0, p.Lease)
	if err != nil || c == nil || c.Attempts[0].Outcome != ModePlan {
		t.Fatalf("the planner's claim: %v %+v", err, c)
	}
	b.Put(c)
	if _, err := b.Plan("other", "t01", []Spec{{Title: "x"}}, ids, "other", t0, 3); !errors.Is(err, ErrConflict) {
		t.Fatalf("someone else planning a held task: %v", err)
	}
	ch, err := b.Plan("pam", "t01", []Spec{{Key: "a", Title: "a"}, {Title: "b", DependsOn: []string{"a"}}}, ids, "pam", t0, 3)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ch...)
	top, _ := b.Get("t01")
	if top.State != Running || len(top.Subtasks) != 2 || top.Attempts[0].Outcome != "planned" {
		t.Fatalf("after the plan: %+v", top)
	}
	c, _ = b.Claim("s", "cody", nil, "", t0, p.Lease)
	b.Put(c)
	ch, err = b.Cancel("t01", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ch...)
	for _, id := range []string{"t01", "t02", "t03"} {
		if x, _ := b.Get(id); x.State != Cancelled {
			t.Fatalf("%s after cancel: %s", id, x.State)
		}
	}
	if _, err := b.Complete("cody", c.ID, "done", t0); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "cancelled") {
		t.Fatalf("completing a cancelled task: %v", err)
	}
}

func TestDefaultBackoffGrowsWithJitter(t *testing.T) {
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: time.Minute} {
		for range 20 {
			if d := Retry(n); d < want/2 || d > want*3/2 {
				t.Fatalf("retry %d waits %v, want %v ± 50%%", n, d, want)
			}
		}
	}
}

// Any submission decodes and validates without panicking, and a valid one
// makes a board of tasks whose dependencies are all among them.
func FuzzSubmission(f *testing.F) {
	f.Add([]byte(`{"swarmId": "s", "title": "x", "subtasks": [{"key": "a", "title": "a"}, {"title": "b", "dependsOn": ["a"]}]}`))
	f.Add([]byte(`{"swarmId": "s", "title": "x", "requires": ["go", "review"], "priority": 7, "knowledge": ["n1"]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var s Submission
		if json.Unmarshal(raw, &s) != nil || s.Validate() != nil {
			return
		}
		b := NewBoard()
		ts, err := b.Submit(&s, counter(), "fuzz", t0, false, 3)
		if err != nil {
			t.Fatalf("valid, then refused: %v", err)
		}
		b.Put(ts...)
		for _, x := range ts {
			for _, d := range x.DependsOn {
				if _, ok := b.Get(d); !ok {
					t.Fatalf("task %s depends on a task that is not there: %s", x.ID, d)
				}
			}
		}
	})
}

func TestReportsRenewAndOnlyTheHolderReports(t *testing.T) {
	b := NewBoard()
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "t"}, counter(), "op", t0, false, 3)
	b.Put(ts...)
	c, _ := b.Claim("s", "a", nil, "t01", t0, time.Minute)
	b.Put(c)
	at := t0.Add(50 * time.Second)
	r, err := b.Report("a", "t01", new(40.0), "halfway", at, at.Add(time.Minute))
	if err != nil || r.Progress != 40 || r.Note != "halfway" || !r.LeaseUntil.Equal(at.Add(time.Minute)) {
		t.Fatalf("a report: %v %+v", err, r)
	}
	if h, _ := b.Get("t01"); h.Progress != 0 {
		t.Fatal("a move changed the board before Put")
	}
	b.Put(r)
	for _, bad := range []struct {
		agent string
		p     float64
		note  string
		want  error
	}{
		{"b", 50, "", ErrConflict},                          // not the holder
		{"a", 101, "", nil},                                 // out of range
		{"a", 50, strings.Repeat("x", MaxNoteBytes+1), nil}, // too long
	} {
		_, err := b.Report(bad.agent, "t01", &bad.p, bad.note, at, at.Add(time.Hour))
		if err == nil || (bad.want != nil && !errors.Is(err, bad.want)) {
			t.Errorf("report %+v: %v", bad, err)
		}
	}
	if h, _ := b.Get("t01"); h.Progress != 40 || !h.LeaseUntil.Equal(at.Add(time.Minute)) {
		t.Fatalf("a refused report changed the task: %+v", h)
	}
}

func TestHeldCounts(t *testing.T) {
	b := NewBoard()
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "p", Subtasks: []Spec{{Title: "a"}, {Title: "b"}, {Title: "c"}}}, counter(), "op", t0, false, 3)
	b.Put(ts...)
	for _, agent := range []string{"x", "x", "y"} {
		c, err := b.Claim("s", agent, nil, "", t0, time.Minute)
		if err != nil || c == nil {
			t.Fatal(err)
		}
		b.Put(c)
	}
	if b.Held("s", "x") != 2 || b.Held("s", "y") != 1 || b.Held("other", "x") != 0 {
		t.Fatalf("held: x %d, y %d", b.Held("s", "x"), b.Held("s", "y"))
	}
	done, _ := b.Complete("y", "t04", "ok", t0)
	b.Put(done...)
	expired := b.Tick(t0.Add(2*time.Minute), Policy{Lease: time.Minute, MaxAttempts: 3})
	b.Put(expired...)
	if b.Held("s", "x") != 0 || b.Held("s", "y") != 0 || len(b.held) != 0 {
		t.Fatalf("after completion and expiry: %v", b.held)
	}
	b.Drop("s")
	if b.Len() != 0 {
		t.Fatal("drop")
	}
}

// A cancelled part takes what depends on it along; the parent finishes
// when nothing is left to do: done when a part was, cancelled when none.
func TestCancelledPartsFinishTheirParent(t *testing.T) {
	b := NewBoard()
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "p", Subtasks: []Spec{
		{Key: "a", Title: "a"}, {Key: "b", Title: "b"}, {Key: "c", Title: "c", DependsOn: []string{"b"}}}}, counter(), "op", t0, false, 3)
	b.Put(ts...) // t01 the parent, t02 a, t03 b, t04 c
	ch, err := b.Cancel("t03", t0)
	if err != nil {
		t.Fatal(err)
	}
	b.Put(ch...)
	if c, _ := b.Get("t04"); c.State != Cancelled {
		t.Fatalf("the dependent of a cancelled part: %s", c.State)
	}
	if len(ch) != 3 { // b, c and the parent; a is untouched
		t.Errorf("the cancel changed %d tasks", len(ch))
	}
	c, _ := b.Claim("s", "x", nil, "t02", t0, time.Minute)
	b.Put(c)
	done, _ := b.Complete("x", "t02", "ok", t0)
	b.Put(done...)
	if p, _ := b.Get("t01"); p.State != Done || p.Progress != 100 {
		t.Fatalf("the parent after its last open part: %+v", p)
	}
	// Every part cancelled: the parent is cancelled too.
	n := 0
	next := func() string { n++; return fmt.Sprintf("q%d", n) }
	ts, _ = b.Submit(&Submission{SwarmID: "s", Title: "q", Subtasks: []Spec{{Title: "only"}}}, next, "op", t0, false, 3)
	b.Put(ts...)
	ch, _ = b.Cancel(ts[1].ID, t0)
	b.Put(ch...)
	if p, _ := b.Get(ts[0].ID); p.State != Cancelled {
		t.Fatalf("a parent of cancelled parts: %s", p.State)
	}
}

// A planner's failures do not use up the work's attempts; with no planner
// left, a task waiting for one becomes work of its own.
func TestPlanningFailuresAreCountedApart(t *testing.T) {
	b := NewBoard()
	p := Policy{Lease: time.Minute, MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Second }}
	ts, _ := b.Submit(&Submission{SwarmID: "s", Title: "big"}, counter(), "op", t0, true, 2)
	b.Put(ts...)
	for range 2 {
		c, _ := b.Claim("s", "pam", []string{Planner}, "", t0, p.Lease)
		b.Put(c)
		f, _ := b.Fail("pam", "t01", "no idea", t0, p)
		b.Put(f...)
	}
	x, _ := b.Get("t01")
	if x.State != Ready || x.Attempts[0].Outcome != "plan-failed" {
		t.Fatalf("after two failed plans: %+v", x)
	}
	// Its work still has both its attempts.
	c, _ := b.Claim("s", "w", nil, "t01", t0, p.Lease)
	b.Put(c)
	f, _ := b.Fail("w", "t01", "oops", t0, p)
	b.Put(f...)
	if x, _ := b.Get("t01"); x.State != Failed {
		t.Fatalf("the first failure of its work: %s", x.State)
	}

	ts, _ = b.Submit(&Submission{SwarmID: "s", Title: "waits"}, func() string { return "w1" }, "op", t0, true, 2)
	b.Put(ts...)
	if got := b.Planning(); len(got) != 1 || got[0] != "s" {
		t.Fatalf("swarms waiting for planners: %v", got)
	}
	if ch := b.Unplan("s", t0, t0.Add(time.Hour)); len(ch) != 0 {
		t.Fatal("a task that had just started waiting was unplanned")
	}
	ch := b.Unplan("s", t0.Add(time.Minute), t0.Add(time.Hour))
	if len(ch) != 1 || ch[0].State != Ready {
		t.Fatalf("unplanned: %+v", ch)
	}
}
