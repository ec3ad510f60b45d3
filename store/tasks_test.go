package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"visionflow/task"
)

func TestTasksAndDeadLetters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "vf.db"), Options{})
	defer s.Close()
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	a := &task.Task{ID: "t1", Swarm: "crew", Title: "a", State: task.Ready, Created: t0, Updated: t0}
	b := &task.Task{ID: "t2", Swarm: "crew", Parent: "t1", Title: "b", State: task.Pending, Created: t0.Add(time.Second), Updated: t0}
	if err := s.SaveTasks(ctx, []*task.Task{a, b}); err != nil {
		t.Fatal(err)
	}
	a.State = task.Dead
	d := task.DeadLetter{ID: "d1", Kind: "task", Ref: "t1", Swarm: "crew", State: "open", Title: "a", Errors: []string{"boom"}, Created: t0, Updated: t0}
	if err := s.SaveTasks(ctx, []*task.Task{a}, d); err != nil {
		t.Fatal(err)
	}
	all, err := s.AllTasks(ctx)
	if err != nil || len(all) != 2 || all[0].State != task.Dead || all[1].Parent != "t1" {
		t.Fatalf("tasks: %v %+v", err, all)
	}
	if got, ok, err := s.OpenDeadLetterFor(ctx, "task", "t1"); err != nil || !ok || got.Errors[0] != "boom" {
		t.Fatalf("open letter: %v %v %+v", err, ok, got)
	}
	d.State = "retried"
	if err := s.SaveTasks(ctx, nil, d); err != nil {
		t.Fatal(err)
	}
	if open, _ := s.DeadLetters(ctx, "open", "", 10); len(open) != 0 {
		t.Fatalf("still open: %+v", open)
	}
	if list, _ := s.DeadLetters(ctx, "", "", 10); len(list) != 1 || list[0].State != "retried" {
		t.Fatalf("all letters: %+v", list)
	}
	if _, err := s.DeadLetter(ctx, "nope"); err == nil {
		t.Fatal("a missing letter")
	}
}
