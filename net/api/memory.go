package api

import (
	"errors"
	"fmt"
	"net/http"

	"visionflow/memory"
)

func (s *Server) remember(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	if err := requireType(r, "application/json"); err != nil {
		return err
	}
	// A memory's request is bounded by what a memory may hold, with room
	// for JSON's escapes.
	body, err := readBody(w, r, 4*memory.MaxContentBytes)
	if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large",
			Detail: fmt.Sprintf("content: the request is over %d MiB; a memory holds at most 1 MiB of content", mbe.Limit>>20)}
	}
	if err != nil {
		return err
	}
	var in memory.Input
	if err := decodeJSON(body, &in); err != nil {
		return err
	}
	m, err := s.b.Remember(r.Context(), who, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/memory/"+m.ID)
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) recall(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	k, err := queryUint(r, "k", memory.DefaultK, memory.MaxK)
	if err != nil || k == 0 {
		return invalid("query parameter k=%q: ask for 1 to %d memories", qs.Get("k"), memory.MaxK)
	}
	res, err := s.b.Recall(r.Context(), memory.Query{Text: qs.Get("q"), K: int(k), Agent: qs.Get("agent"), Type: qs.Get("type"), Swarm: qs.Get("swarm")})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) agentMemories(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryUint(r, "limit", 20, 1000)
	if err != nil {
		return err
	}
	agent := r.URL.Query().Get("agent")
	if agent == "" {
		return invalid("query parameter agent: say whose memories to list (GET /api/memory/search finds them by meaning)")
	}
	list, err := s.b.AgentMemories(r.Context(), agent, int(max(limit, 1)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"memories": nonNil(list)})
	return nil
}

func (s *Server) getMemory(w http.ResponseWriter, r *http.Request) error {
	m, err := s.b.Memory(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) forget(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	if err := s.b.Forget(r.Context(), who, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) memoryStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.b.MemoryStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) reembed(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	st, err := s.b.Reembed(r.Context(), who)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, st)
	return nil
}
