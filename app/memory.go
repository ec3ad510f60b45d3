package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"visionflow/graph"
	"visionflow/memory"
	"visionflow/memory/openai"
	"visionflow/session"
	"visionflow/store"
	"visionflow/task"
)

var _ session.Memories = (*Session)(nil)

// memories keeps what agents remember: every memory in SQLite, every
// vector in an exact cosine index in memory (read on first use), the
// local embedder's corpus statistics, the hot memories decoded in an LRU
// cache, and the configured embedder behind its guard.
type memories struct {
	s *Session

	loadMu sync.Mutex
	loaded bool
	index  *memory.Index
	local  *memory.Local
	cache  *lru.Cache[string, memory.Memory]
	// cacheSize is the cache's size, as last set from the settings.
	cacheSize atomic.Int64

	guardMu  sync.Mutex
	guard    *memory.Guard
	guardKey string

	letterMu sync.Mutex // one settlement of an embedding's dead letter at a time

	jobMu     sync.Mutex
	job       *session.ReembedJob
	jobWG     sync.WaitGroup
	jobCancel context.CancelFunc
}

func newMemories(s *Session) *memories {
	cache, _ := lru.New[string, memory.Memory](1)
	return &memories{s: s, index: memory.NewIndex(), local: memory.NewLocal(), cache: cache}
}

// close stops a running re-embedding and waits for it.
func (m *memories) close() {
	m.jobMu.Lock()
	if m.jobCancel != nil {
		m.jobCancel()
	}
	m.jobMu.Unlock()
	m.jobWG.Wait()
}

// load reads every stored memory into the index and the local embedder's
// corpus, once (again after a failure).
func (m *memories) load(ctx context.Context) error {
	if err := m.s.awaitReady(ctx); err != nil {
		return err
	}
	m.loadMu.Lock()
	defer m.loadMu.Unlock()
	if m.loaded {
		return nil
	}
	start := time.Now()
	idx, local := memory.NewIndex(), memory.NewLocal()
	skipped := 0
	err := m.s.store.EachMemory(ctx, func(sm store.StoredMemory) error {
		content, err := memory.Unpack(sm.Packed, sm.Compressed)
		if err == nil {
			err = idx.Add(entryOf(&sm.Memory), sm.Embedder, sm.Vector)
		}
		if err != nil {
			// One bad row must not take every memory down: it stays in
			// the file, unsearchable, and the log says which.
			m.s.log.Warn("memories: one cannot be searched", "memory", sm.ID, "err", err)
			skipped++
			return nil
		}
		local.Observe(content)
		return nil
	})
	if err != nil {
		return fmt.Errorf("load memories: %w", err)
	}
	if skipped > 0 {
		m.s.log.Warn("memories: some are not searchable; see above", "count", skipped)
	}
	m.index, m.local, m.loaded = idx, local, true
	m.s.log.Info("memories loaded", "memories", idx.Len(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func entryOf(mem *memory.Memory) memory.Entry {
	return memory.Entry{ID: mem.ID, Agent: mem.Agent, Type: mem.Type, Swarm: mem.Swarm, Importance: mem.Importance, Created: mem.Created}
}

// remembered caches a memory, in a cache sized as the settings say.
func (m *memories) remembered(mem memory.Memory) {
	n := int64(m.s.settings.Float("memory.cacheSize"))
	if n == 0 {
		m.cache.Purge()
		return
	}
	if m.cacheSize.Swap(n) != n {
		m.cache.Resize(int(n))
	}
	m.cache.Add(mem.ID, mem)
}

// embedder is the configured embedder: the local one, or an endpoint
// behind its guard (made again when its settings change); with why the
// endpoint cannot even be tried, when it cannot.
func (m *memories) embedder() (guard *memory.Guard, name, unusable string) {
	set := m.s.settings
	if set.String("memory.embedder") != "openai" {
		return nil, memory.LocalName, ""
	}
	cfg := openai.Config{URL: set.String("memory.endpoint.url"), Model: set.String("memory.endpoint.model"),
		Key: set.String("memory.endpoint.key"), Timeout: time.Duration(set.Float("memory.endpoint.timeout")) * time.Second}
	key := strings.Join([]string{cfg.URL, cfg.Model, cfg.Key, cfg.Timeout.String()}, "\x00")
	m.guardMu.Lock()
	defer m.guardMu.Unlock()
	if m.guard == nil || m.guardKey != key {
		c, err := openai.New(cfg)
		if err != nil {
			m.guard, m.guardKey = nil, ""
			return nil, memory.LocalName, "memory.embedder is openai but " + err.Error()
		}
		m.guard, m.guardKey = memory.NewGuard(c, m.local, memory.GuardOptions{Retryable: openai.Retryable, Wait: func(n int) time.Duration {
			return task.Retry(n) / 5 // 200 ms, jittered
		}}), key
	}
	return m.guard, m.guard.Name(), ""
}

// embed makes vectors with the configured embedder, or the local one
// standing in (said so). Vectors that could not join their embedder's
// space (an endpoint whose model changed size under the same name) count
// as the endpoint's failure.
func (m *memories) embed(ctx context.Context, texts []string) (memory.Embedded, error) {
	guard, _, unusable := m.embedder()
	if guard == nil {
		vs, err := m.local.Embed(ctx, texts)
		return memory.Embedded{Vectors: vs, By: memory.LocalName, Fallback: unusable}, err
	}
	e, err := guard.Embed(ctx, texts)
	if err != nil || e.By == memory.LocalName || m.index.Fits(e.By, len(e.Vectors[0])) {
		return e, err
	}
	failed := fmt.Errorf("%s answered vectors of %d dimensions, but its stored vectors have others (a new model under the same name? re-embed after renaming it)",
		e.By, len(e.Vectors[0]))
	vs, err := m.local.Embed(ctx, texts)
	return memory.Embedded{Vectors: vs, By: memory.LocalName, Fallback: failed.Error() + "; the " + memory.LocalName + " embedder stood in", Failed: failed}, err
}

// Remember stores a memory.
func (s *Session) Remember(ctx context.Context, who string, in memory.Input) (memory.Memory, error) {
	if err := in.Validate(); err != nil {
		return memory.Memory{}, err
	}
	m := s.memory
	if err := m.load(ctx); err != nil {
		return memory.Memory{}, err
	}
	mem := memory.Memory{ID: s.newID(), Swarm: in.SwarmID, Agent: in.AgentID, Type: in.Type, Content: in.Content, Size: len(in.Content),
		Links: append([]string{}, in.Links...), Created: s.now().UTC().Truncate(time.Millisecond)}
	if in.Importance != nil {
		mem.Importance, mem.Given = *in.Importance, true
	} else {
		mem.Importance = memory.BaseImportance(in.Content, in.Type, len(in.Links))
	}
	e, err := m.embed(ctx, []string{in.Content})
	if err != nil {
		return memory.Memory{}, fmt.Errorf("embed the memory: %w", err)
	}
	mem.Embedder, mem.Fallback = e.By, e.Fallback
	packed, compressed := memory.Pack(in.Content, int(s.settings.Float("memory.compressAbove")))
	mem.Compressed = compressed
	var letter *task.DeadLetter
	if e.Failed != nil {
		_, want, _ := m.embedder()
		d := task.DeadLetter{ID: "dl-" + mem.ID, Kind: kindEmbedding, Ref: mem.ID, Swarm: in.SwarmID, State: task.LetterOpen,
			Title: fmt.Sprintf("embed memory %s of %s with %s", mem.ID, in.AgentID, want), Errors: []string{e.Failed.Error()},
			Created: mem.Created, Updated: mem.Created}
		letter = &d
	}
	if err := s.store.InsertMemory(ctx, store.StoredMemory{Memory: mem, Packed: packed, Vector: e.Vectors[0]}, letter); err != nil {
		return memory.Memory{}, err
	}
	if err := m.index.Add(entryOf(&mem), mem.Embedder, e.Vectors[0]); err != nil {
		return memory.Memory{}, err
	}
	m.local.Observe(in.Content)
	m.remembered(mem)
	return mem, nil
}

// kindEmbedding is the dead letters' kind of failed embeddings.
const kindEmbedding = task.KindEmbedding

// Recall finds the memories closest to a query.
func (s *Session) Recall(ctx context.Context, q memory.Query) (memory.Result, error) {
	if err := q.Validate(); err != nil {
		return memory.Result{}, err
	}
	m := s.memory
	if err := m.load(ctx); err != nil {
		return memory.Result{}, err
	}
	e, err := m.embed(ctx, []string{q.Text})
	if err != nil {
		return memory.Result{}, fmt.Errorf("embed the query: %w", err)
	}
	scored, searched, skipped := m.index.Search(e.By, e.Vectors[0], q, s.now())
	res := memory.Result{Hits: []memory.Hit{}, Embedder: e.By, Fallback: e.Fallback, Searched: searched, Skipped: skipped}
	for _, sc := range scored {
		mem, err := s.Memory(ctx, sc.ID)
		if errors.Is(err, graph.ErrNotFound) {
			continue // forgotten meanwhile
		}
		if err != nil {
			return memory.Result{}, err
		}
		res.Hits = append(res.Hits, memory.Hit{Memory: mem, Cosine: sc.Cosine, Score: sc.Score})
	}
	return res, nil
}

// Memory reads one memory whole.
func (s *Session) Memory(ctx context.Context, id string) (memory.Memory, error) {
	if mem, ok := s.memory.cache.Get(id); ok {
		return mem, nil
	}
	sm, err := s.store.Memory(ctx, id)
	if err != nil {
		return memory.Memory{}, err
	}
	mem, err := whole(sm)
	if err != nil {
		return memory.Memory{}, err
	}
	s.memory.remembered(mem)
	return mem, nil
}

// whole is a stored memory with its content unpacked.
func whole(sm store.StoredMemory) (memory.Memory, error) {
	mem := sm.Memory
	var err error
	mem.Content, err = memory.Unpack(sm.Packed, sm.Compressed)
	return mem, err
}

// AgentMemories lists an agent's newest memories.
func (s *Session) AgentMemories(ctx context.Context, agentID string, limit int) ([]memory.Memory, error) {
	if err := graph.ValidateID("agent", agentID); err != nil {
		return nil, err
	}
	if limit < 1 || limit > 1000 {
		return nil, fieldErr(graph.ErrInvalid, "limit", "is %d; ask for 1 to 1000", limit)
	}
	list, err := s.store.AgentMemories(ctx, agentID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]memory.Memory, 0, len(list))
	for _, sm := range list {
		mem, err := whole(sm)
		if err != nil {
			return nil, err
		}
		out = append(out, mem)
	}
	return out, nil
}

// Forget deletes a memory.
func (s *Session) Forget(ctx context.Context, who, id string) error {
	m := s.memory
	if err := m.load(ctx); err != nil {
		return err
	}
	mem, err := s.Memory(ctx, id)
	if err != nil {
		return err
	}
	ok, err := s.store.DeleteMemory(ctx, id, s.now())
	if err != nil {
		return err
	}
	m.cache.Remove(id)
	if !ok {
		return fieldErr(graph.ErrNotFound, "memory", "there is no memory %q", id)
	}
	if m.index.Remove(id) {
		m.local.Forget(mem.Content)
	}
	return nil
}

// MemoryStatus says what the memories' vectors are.
func (s *Session) MemoryStatus(ctx context.Context) (session.MemoryStatus, error) {
	m := s.memory
	if err := m.load(ctx); err != nil {
		return session.MemoryStatus{}, err
	}
	guard, name, _ := m.embedder()
	st := session.MemoryStatus{Memories: m.index.Len(), Embedders: m.index.Embedders(), Embedder: name}
	if guard != nil {
		st.Breaker = guard.State()
	}
	m.jobMu.Lock()
	if m.job != nil {
		j := *m.job
		st.Reembed = &j
	}
	m.jobMu.Unlock()
	return st, nil
}

// reembedBatch is how many memories one call to the embedder takes.
const reembedBatch = 16

// Reembed starts giving every memory a vector of the configured embedder,
// in the background; MemoryStatus follows it.
func (s *Session) Reembed(ctx context.Context, who string) (session.MemoryStatus, error) {
	m := s.memory
	if err := m.load(ctx); err != nil {
		return session.MemoryStatus{}, err
	}
	_, target, unusable := m.embedder()
	if unusable != "" {
		return session.MemoryStatus{}, fieldErr(graph.ErrInvalid, "memory.embedder", "%s", unusable)
	}
	m.jobMu.Lock()
	if m.job != nil && m.job.Running {
		m.jobMu.Unlock()
		return session.MemoryStatus{}, fmt.Errorf("%w: a re-embedding to %s is running (%d of %d done)", task.ErrConflict, m.job.Target, m.job.Done, m.job.Total)
	}
	todo := m.index.Except(target)
	m.job = &session.ReembedJob{Target: target, By: who, Total: len(todo), Running: len(todo) > 0, Started: s.now()}
	if len(todo) == 0 {
		m.job.Finished = m.job.Started
	}
	jobCtx, cancel := context.WithCancel(s.runCtx)
	m.jobCancel = cancel
	m.jobMu.Unlock()
	if len(todo) > 0 {
		m.jobWG.Go(func() {
			defer cancel()
			m.reembed(jobCtx, target, todo)
		})
	} else {
		cancel()
	}
	return s.MemoryStatus(ctx)
}

// reembed gives these memories vectors of the target embedder, a batch at
// a time; it stops when the embedder fails (its guard's fallback would
// make vectors of another).
func (m *memories) reembed(ctx context.Context, target string, todo []memory.Entry) {
	s := m.s
	finish := func(errText string) {
		m.jobMu.Lock()
		m.job.Running, m.job.Error, m.job.Finished = false, errText, s.now()
		m.jobMu.Unlock()
		if errText != "" {
			s.log.Warn("memories: the re-embedding stopped", "target", target, "err", errText)
		}
	}
	for len(todo) > 0 {
		batch := todo[:min(reembedBatch, len(todo))]
		todo = todo[len(batch):]
		var mems []memory.Memory
		var texts []string
		for _, e := range batch {
			mem, err := s.Memory(ctx, e.ID)
			if errors.Is(err, graph.ErrNotFound) {
				continue // forgotten meanwhile
			}
			if err != nil {
				finish(err.Error())
				return
			}
			mems, texts = append(mems, mem), append(texts, mem.Content)
		}
		if len(mems) == 0 {
			continue
		}
		e, err := m.embed(ctx, texts)
		switch {
		case err != nil:
			finish(err.Error())
			return
		case e.By != target:
			finish(e.Fallback)
			return
		}
		for i, mem := range mems {
			if err := m.setVector(ctx, mem, target, e.Vectors[i], "re-embedding"); err != nil {
				finish(err.Error())
				return
			}
			m.jobMu.Lock()
			m.job.Done++
			m.jobMu.Unlock()
		}
	}
	finish("")
}

// setVector stores a memory's new vector, settling its open dead letter
// as retried, and puts it in the index.
func (m *memories) setVector(ctx context.Context, mem memory.Memory, by string, vec []float32, who string) error {
	s := m.s
	if !m.index.Fits(by, len(vec)) {
		return fmt.Errorf("%s answered a vector of %d dimensions for memory %s; its other vectors have another size", by, len(vec), mem.ID)
	}
	var letters []task.DeadLetter
	if d, open, err := s.store.OpenDeadLetterFor(ctx, kindEmbedding, mem.ID); err != nil {
		return err
	} else if open {
		d.State, d.By, d.Updated = task.LetterRetried, who, s.now()
		letters = append(letters, d)
	}
	ok, err := s.store.SetMemoryVector(ctx, mem.ID, by, vec, "", letters...)
	if err != nil || !ok {
		return err // !ok: forgotten meanwhile
	}
	mem.Embedder, mem.Fallback = by, ""
	m.cache.Remove(mem.ID)
	return m.index.Add(entryOf(&mem), by, vec)
}

// settleEmbedding retries an embedding's dead letter (embeds the memory
// again with the configured embedder) or discards it (the stand-in's
// vector stays).
func (m *memories) settleEmbedding(ctx context.Context, who string, d task.DeadLetter, to string) (task.DeadLetter, error) {
	s := m.s
	m.letterMu.Lock()
	defer m.letterMu.Unlock()
	d, err := s.store.DeadLetter(ctx, d.ID) // as it is now, under the lock
	if err != nil {
		return d, err
	}
	if d.State != task.LetterOpen {
		return d, fmt.Errorf("%w: dead letter %q was %s already", task.ErrConflict, d.ID, d.State)
	}
	now := s.now()
	if to == task.LetterDiscarded {
		d.State, d.By, d.Updated = to, who, now
		return d, s.store.SaveTasks(ctx, nil, d)
	}
	if err := m.load(ctx); err != nil {
		return d, err
	}
	mem, err := s.Memory(ctx, d.Ref)
	if err != nil {
		return d, err
	}
	e, err := m.embed(ctx, []string{mem.Content})
	if err != nil {
		return d, err
	}
	if e.Failed != nil || e.Fallback != "" {
		// Still failing: the letter stays open with this attempt's error.
		d.Errors, d.Updated = append(d.Errors, e.Fallback), now
		if err := s.store.SaveTasks(ctx, nil, d); err != nil {
			return d, err
		}
		return d, fmt.Errorf("%w: embedding memory %s failed again: %s", task.ErrConflict, mem.ID, e.Fallback)
	}
	if err := m.setVector(ctx, mem, e.By, e.Vectors[0], who); err != nil {
		return d, err
	}
	return s.store.DeadLetter(ctx, d.ID)
}
