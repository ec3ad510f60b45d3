package session

import (
	"context"
	"time"

	"visionflow/memory"
)

// Memories is what agents remember, found again by meaning.
type Memories interface {
	// Remember stores a memory: embedded (by the configured embedder, or
	// the local one standing in, said so), compressed when large.
	Remember(ctx context.Context, who string, in memory.Input) (memory.Memory, error)
	// Recall finds the memories closest to a query.
	Recall(ctx context.Context, q memory.Query) (memory.Result, error)
	// Memory reads one memory whole.
	Memory(ctx context.Context, id string) (memory.Memory, error)
	// AgentMemories lists an agent's newest memories.
	AgentMemories(ctx context.Context, agent string, limit int) ([]memory.Memory, error)
	// Forget deletes a memory.
	Forget(ctx context.Context, who, id string) error
	// Reembed starts giving every memory a vector of the configured
	// embedder (those of other embedders cannot be found by its queries).
	Reembed(ctx context.Context, who string) (MemoryStatus, error)
	// MemoryStatus says what the memories' vectors are and how a
	// re-embedding goes.
	MemoryStatus(ctx context.Context) (MemoryStatus, error)
}

// MemoryStatus describes the memories' vectors.
type MemoryStatus struct {
	Memories  int            `json:"memories"`
	Embedders map[string]int `json:"embedders"` // memories by what made their vectors
	Embedder  string         `json:"embedder"`  // what embeds new memories
	Breaker   string         `json:"breaker,omitempty"`
	Reembed   *ReembedJob    `json:"reembed,omitempty"`
}

// ReembedJob is a re-embedding, running or done.
type ReembedJob struct {
	Target   string    `json:"target"` // the embedder whose vectors it makes
	By       string    `json:"by"`
	Total    int       `json:"total"`
	Done     int       `json:"done"`
	Running  bool      `json:"running"`
	Error    string    `json:"error,omitempty"` // why it stopped short
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
}
