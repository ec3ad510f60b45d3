package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"visionflow/net/wire"
	"visionflow/settings"
)

func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.b.Settings().Tree())
	return nil
}

func (s *Server) getSetting(w http.ResponseWriter, r *http.Request) error {
	path := r.PathValue("path")
	v, err := s.b.Settings().Get(path)
	if err != nil {
		return &Error{Status: http.StatusNotFound, Code: "not found", Detail: err.Error()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"path": path, "value": v})
	return nil
}

func (s *Server) settingsSchema(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"settings": settings.Schema})
	return nil
}

func (s *Server) settingsHistory(w http.ResponseWriter, r *http.Request) error {
	since, err := queryUint(r, "since", 0, 1<<62)
	if err != nil {
		return err
	}
	limit, err := queryUint(r, "limit", 1000, wire.MaxEventPage)
	if err != nil {
		return err
	}
	hist, err := s.b.SettingsHistory(r.Context(), r.URL.Query().Get("path"), int64(since), int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deltas": nonNil(hist)})
	return nil
}

// postSettings takes one update {"path", "value"}, an array of them, or
// {"updates": [...]}. All are checked before any is applied.
func (s *Server) postSettings(w http.ResponseWriter, r *http.Request) error {
	client, err := clientID(r)
	if err != nil {
		return err
	}
	if err := requireType(r, "application/json"); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBody))
	if err != nil {
		return err
	}
	// The body's shape says which form it is: an array, an object with
	// "updates", or one update.
	var shape map[string]json.RawMessage
	var updates []settings.Update
	switch trimmed := bytes.TrimSpace(body); {
	case bytes.HasPrefix(trimmed, []byte("[")):
		err = decodeJSON(body, &updates)
	case json.Unmarshal(trimmed, &shape) == nil && shape["updates"] != nil:
		var wrapped struct {
			Updates []settings.Update `json:"updates"`
		}
		err = decodeJSON(body, &wrapped)
		updates = wrapped.Updates
	default:
		var one settings.Update
		err = decodeJSON(body, &one)
		updates = []settings.Update{one}
	}
	if err != nil {
		return err
	}
	for i, u := range updates {
		if u.Value == nil {
			return invalid("updates[%d] (%s): \"value\" is missing", i, u.Path)
		}
	}
	deltas, err := s.b.Settings().Apply(r.Context(), client, updates)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"applied": nonNil(deltas)})
	return nil
}
