package api

import (
	"net/http"
	"strconv"
	"strings"

	"visionflow/graph/crdt"
	"visionflow/session"
)

// parseVV reads a version vector written "replica:n,replica:n".
func parseVV(s string) (crdt.VV, error) {
	v := crdt.VV{}
	if s == "" {
		return v, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		r, n, ok := strings.Cut(part, ":")
		num, err := strconv.ParseUint(n, 10, 64)
		if !ok || r == "" || len(r) > 64 || err != nil {
			return nil, invalid("since=%q: want replica:number pairs joined by commas, such as a1b2:40,c3d4:12", s)
		}
		v[r] = num
	}
	return v, nil
}

func (s *Server) syncOps(w http.ResponseWriter, r *http.Request) error {
	since, err := parseVV(r.URL.Query().Get("since"))
	if err != nil {
		return err
	}
	limit, err := queryUint(r, "limit", session.MaxSyncOps, session.MaxSyncOps)
	if err != nil {
		return err
	}
	b, err := s.b.SyncOps(r.Context(), r.PathValue("id"), since, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) mergeOps(w http.ResponseWriter, r *http.Request) error {
	who, err := clientID(r)
	if err != nil {
		return err
	}
	var b session.SyncBatch
	if err := s.decode(w, r, &b); err != nil {
		return err
	}
	res, err := s.b.MergeOps(r.Context(), who, r.PathValue("id"), b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
