package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"visionflow/agent"
	"visionflow/net/client"
	"visionflow/settings"
	"visionflow/task"
)

// serverProcess runs the test binary as `visionflow --headless` on db and
// returns it with a client, once it serves.
func serverProcess(t *testing.T, db string) (*exec.Cmd, *client.Client) {
	return serverProcessAt(t, db, "127.0.0.1:0")
}

// serverProcessAt is serverProcess on a given address.
func serverProcessAt(t *testing.T, db, addr string) (*exec.Cmd, *client.Client) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VISIONFLOW_TEST_MAIN=--headless --db "+db+" --addr "+addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := new(syncBuffer)
	cmd.Stderr = logs
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the server's log:\n%s", logs.String())
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	serving := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)`)
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := serving.FindStringSubmatch(lines.Text()); m != nil {
			go func() {
				for lines.Scan() {
				}
			}()
			return cmd, client.New(m[1], "tester")
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("the server process did not serve: %v", lines.Err())
	return nil, nil
}

// kill -9 while agents submit, claim and finish tasks: after a restart
// every acknowledged submission and completion is there, no task is done
// twice, and the tasks of agents that died with it are offered again once
// their leases run out.
func TestTasksSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	db := filepath.Join(t.TempDir(), "vf.db")
	ctx := context.Background()

	var mu sync.Mutex
	submitted := map[string]bool{}   // acknowledged submissions
	completed := map[string]string{} // acknowledged completions: id → result
	inFlight := map[string]string{}  // completions sent but not answered
	claimed := map[string]string{}   // acknowledged claims not completed: id → agent

	for round := range 3 {
		cmd, c := serverProcess(t, db)
		if round == 0 {
			if _, err := c.SetSettings(ctx, settings.Update{Path: "tasks.leaseSeconds", Value: json.RawMessage("5")}); err != nil {
				t.Fatal(err)
			}
		}
		var agents []agent.Status
		for i := range 4 {
			agents = append(agents, agent.Status{AgentID: fmt.Sprintf("r%d-a%d", round, i), SwarmID: "crew", State: agent.Executing, Capabilities: []string{"go"}})
		}
		if _, err := c.ReportStatus(ctx, agents...); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		acked := make(chan struct{}, 1000)
		// Submitters.
		for w := range 2 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					v, err := c.SubmitTask(ctx, task.Submission{SwarmID: "crew", Title: fmt.Sprintf("r%d w%d #%d", round, w, i), Requires: []string{"go"}})
					if err != nil {
						return // killed
					}
					mu.Lock()
					submitted[v.ID] = true
					mu.Unlock()
					acked <- struct{}{}
				}
			})
		}
		// Workers: claim, and finish three of every four claims.
		for _, a := range agents {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					got, err := c.ClaimTask(ctx, "crew", a.AgentID, "")
					if err != nil {
						return
					}
					if got == nil {
						time.Sleep(time.Millisecond)
						continue
					}
					mu.Lock()
					claimed[got.ID] = a.AgentID
					mu.Unlock()
					if i%4 == 3 {
						continue // dies holding it
					}
					result := a.AgentID + " did " + got.ID
					mu.Lock()
					inFlight[got.ID] = result
					mu.Unlock()
					_, err = c.CompleteTask(ctx, a.AgentID, got.ID, result)
					if err != nil {
						return
					}
					mu.Lock()
					delete(inFlight, got.ID)
					delete(claimed, got.ID)
					completed[got.ID] = result
					mu.Unlock()
					acked <- struct{}{}
				}
			})
		}
		// Kill it in the middle of the traffic.
		for range 60 + 25*round {
			<-acked
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		close(stop)
		wg.Wait()
	}

	cmd, c := serverProcess(t, db)
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	all, err := c.Tasks(ctx, "crew", "")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*task.Task{}
	for _, x := range all {
		byID[x.ID] = x
		done := 0
		for _, a := range x.Attempts {
			if a.Outcome == "done" {
				done++
			}
		}
		if done > 1 || (done == 1) != (x.State == task.Done) {
			t.Errorf("task %s is %s with %d completed attempts", x.ID, x.State, done)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(submitted) < 100 || len(completed) < 50 {
		t.Fatalf("too little traffic to say anything: %d submitted, %d completed", len(submitted), len(completed))
	}
	for id := range submitted {
		if byID[id] == nil {
			t.Errorf("acknowledged task %s was lost", id)
		}
	}
	for id, result := range completed {
		if x := byID[id]; x == nil || x.State != task.Done || x.Result != result {
			t.Errorf("acknowledged completion of %s: %+v", id, x)
		}
		if _, err := c.CompleteTask(ctx, byID[id].Agent, id, "again"); status(err) != http.StatusConflict {
			t.Errorf("completing %s again: %v", id, err)
		}
	}
	// A completion the kill cut off either happened or can happen now,
	// once.
	for id, result := range inFlight {
		x := byID[id]
		if x.State == task.Done {
			continue
		}
		if _, err := c.CompleteTask(ctx, x.Agent, id, result); err != nil && status(err) != http.StatusConflict {
			t.Errorf("completing %s after the restart: %v", id, err)
		}
	}
	// Tasks held by agents that died come back after their lease, to a
	// live agent.
	var held []string
	for id := range claimed {
		if _, finished := inFlight[id]; !finished && byID[id].State == task.Claimed {
			held = append(held, id)
		}
	}
	if len(held) == 0 {
		t.Fatal("no task was held when the server died")
	}
	t.Logf("%d submitted, %d completed, %d in flight, %d held by dead agents", len(submitted), len(completed), len(inFlight), len(held))
	if _, err := c.ReportStatus(ctx, agent.Status{AgentID: "survivor", SwarmID: "crew", State: agent.Idle, Capabilities: []string{"go"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dead agents' tasks to be offered again", func() bool {
		for _, id := range held {
			v, err := c.Task(ctx, id)
			if err != nil || (v.State != task.Ready && v.State != task.Failed) {
				return false
			}
		}
		return true
	})
	waitFor(t, "a live agent to take them", func() bool {
		for _, id := range held {
			v, _ := c.Task(ctx, id)
			if v.State == task.Ready {
				got, err := c.ClaimTask(ctx, "crew", "survivor", id)
				if err != nil || got.Agent != "survivor" {
					t.Fatalf("claiming %s again: %v", id, err)
				}
			} else if v.State != task.Claimed {
				return false
			}
		}
		return true
	})
}
