package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"visionflow/graph"
	"visionflow/memory"
	"visionflow/task"
)

func TestMemories(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "vf.db")
	s := openTest(t, db, Options{})
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	big := strings.Repeat("a long observation. ", 400)
	packed, z := memory.Pack(big, 1024)
	ms := []StoredMemory{
		{Memory: memory.Memory{ID: "m1", Agent: "ada", Type: "fact", Content: "short", Importance: 0.4, Links: []string{"n1"}, Size: 5,
			Embedder: memory.LocalName, Created: t0}, Packed: []byte("short"), Vector: []float32{0.6, 0.8}},
		{Memory: memory.Memory{ID: "m2", Swarm: "crew", Agent: "ada", Type: "observation", Importance: 0.9, Given: true, Links: []string{},
			Size: len(big), Compressed: z, Embedder: "openai:x@h", Created: t0.Add(time.Second)}, Packed: packed, Vector: []float32{1, 0}},
	}
	letter := task.DeadLetter{ID: "dl-m1", Kind: "embedding", Ref: "m1", State: task.LetterOpen, Title: "embed m1", Errors: []string{"500"}, Created: t0, Updated: t0}
	if err := s.InsertMemory(ctx, ms[0], &letter); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertMemory(ctx, ms[1], nil); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertMemory(ctx, ms[1], nil); err == nil {
		t.Error("a memory was stored twice")
	}
	s.Close()

	s = openTest(t, db, Options{})
	defer s.Close()
	got, err := s.Memory(ctx, "m2")
	if err != nil || !got.Compressed || got.Size != len(big) || !got.Given || got.Swarm != "crew" || !got.Created.Equal(t0.Add(time.Second)) {
		t.Fatalf("m2: %v %+v", err, got.Memory)
	}
	if content, err := memory.Unpack(got.Packed, got.Compressed); err != nil || content != big {
		t.Fatalf("m2's content: %v", err)
	}
	if _, err := s.Memory(ctx, "nope"); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("a missing memory: %v", err)
	}
	list, _ := s.AgentMemories(ctx, "ada", 10)
	if len(list) != 2 || list[0].ID != "m2" {
		t.Fatalf("ada's memories: %+v", list)
	}
	var all []string
	s.EachMemory(ctx, func(m StoredMemory) error { all = append(all, m.ID+":"+m.Embedder); return nil })
	if !slices.Equal(all, []string{"m1:" + memory.LocalName, "m2:openai:x@h"}) {
		t.Fatalf("each: %v", all)
	}
	// Re-embedded: the new vector, and its letter settled in the same
	// transaction.
	letter.State, letter.By = task.LetterRetried, "op"
	if ok, err := s.SetMemoryVector(ctx, "m1", "openai:x@h", []float32{0, 1}, "", letter); err != nil || !ok {
		t.Fatal(ok, err)
	}
	m1, _ := s.Memory(ctx, "m1")
	if m1.Embedder != "openai:x@h" || m1.Vector[1] != 1 {
		t.Fatalf("re-embedded: %+v", m1)
	}
	if d, _ := s.DeadLetter(ctx, "dl-m1"); d.State != task.LetterRetried {
		t.Fatalf("the letter: %+v", d)
	}
	// Deleting settles an open letter.
	s.SaveTasks(ctx, nil, task.DeadLetter{ID: "dl-m2", Kind: "embedding", Ref: "m2", State: task.LetterOpen, Created: t0, Updated: t0})
	if ok, err := s.DeleteMemory(ctx, "m2", t0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, _ := s.DeleteMemory(ctx, "m2", t0); ok {
		t.Error("deleted twice")
	}
	if d, _ := s.DeadLetter(ctx, "dl-m2"); d.State != task.LetterDiscarded {
		t.Fatalf("a deleted memory's letter: %+v", d)
	}
	if ok, _ := s.SetMemoryVector(ctx, "m2", "x", []float32{1}, ""); ok {
		t.Error("a deleted memory took a vector")
	}
}
