package api

import (
	"net/http"

	"visionflow/net/wire"
	"visionflow/task"
)

func (s *Server) submitTask(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var sub task.Submission
	if err := s.decode(w, r, &sub); err != nil {
		return err
	}
	v, err := s.b.SubmitTask(r.Context(), who, sub)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/tasks/"+v.ID)
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := queryUint(r, "limit", 1000, 10_000)
	if err != nil {
		return err
	}
	list, err := s.b.Tasks(r.Context(), q.Get("swarm"), task.State(q.Get("state")), int(max(limit, 1)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": nonNil(list)})
	return nil
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	v, err := s.b.Task(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	v, err := s.b.CancelTask(r.Context(), who, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) taskMove(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		who, err := clientID(r)
		if err != nil {
			return err
		}
		// The body is the WebSocket's task move; the path names the task.
		var a wire.TaskMove
		if err := s.decode(w, r, &a); err != nil {
			return err
		}
		if a.AgentID == "" {
			return invalid(`"agentId": say which agent moves the task`)
		}
		id := r.PathValue("id")
		if a.TaskID != "" && a.TaskID != id {
			return invalid(`"taskId" %q is not the task of the path, %q`, a.TaskID, id)
		}
		ctx := r.Context()
		var out any
		switch kind {
		case "claim":
			t, err := s.b.ClaimTask(ctx, who, a.SwarmID, a.AgentID, id)
			if err != nil {
				return err
			}
			out = map[string]any{"task": t}
		case "plan":
			out, err = s.b.PlanTask(ctx, who, a.AgentID, id, a.Subtasks)
		case "progress":
			out, err = s.b.UpdateTask(ctx, who, a.AgentID, id, a.Progress, a.Note)
		case "complete":
			out, err = s.b.CompleteTask(ctx, who, a.AgentID, id, a.Result)
		case "fail":
			out, err = s.b.FailTask(ctx, who, a.AgentID, id, a.Error)
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryUint(r, "limit", 100, 10_000)
	if err != nil {
		return err
	}
	if limit == 0 {
		return invalid("query parameter limit must be at least 1")
	}
	state := r.URL.Query().Get("state")
	if !r.URL.Query().Has("state") {
		state = task.LetterOpen
	}
	list, err := s.b.DeadLetters(r.Context(), state, r.URL.Query().Get("swarm"), int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deadLetters": nonNil(list)})
	return nil
}

func (s *Server) handDeadLetter(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var h task.Handed
	if err := s.decode(w, r, &h); err != nil {
		return err
	}
	d, err := s.b.HandDeadLetter(r.Context(), who, h)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) settleDeadLetter(retry bool) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		who, err := clientID(r)
		if err != nil {
			return err
		}
		settle := s.b.DiscardDeadLetter
		if retry {
			settle = s.b.RetryDeadLetter
		}
		d, err := settle(r.Context(), who, r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, d)
		return nil
	}
}
