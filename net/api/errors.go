package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"visionflow/auth"

	"visionflow/graph"
	"visionflow/settings"
	"visionflow/task"
)

// Error is the JSON body of every failed request.
type Error struct {
	Status int    `json:"-"`
	Code   string `json:"error"`  // short and stable: "invalid", "not found", …
	Detail string `json:"detail"` // what exactly was wrong
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

func invalid(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid", Detail: fmt.Sprintf(format, args...)}
}

// toError maps domain errors to HTTP statuses.
func (s *Server) toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var tooBig *http.MaxBytesError
	var denied *auth.Denied
	switch {
	case errors.As(err, &denied):
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Detail: err.Error()}
	case errors.As(err, &tooBig):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large", Detail: fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)}
	case errors.Is(err, graph.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not found", Detail: err.Error()}
	case errors.Is(err, graph.ErrDuplicateID), errors.Is(err, task.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "conflict", Detail: err.Error()}
	case errors.Is(err, graph.ErrInvalid), errors.Is(err, graph.ErrNonFinite), errors.Is(err, graph.ErrTooLarge),
		errors.Is(err, graph.ErrUnknownType), errors.Is(err, graph.ErrDangling), errors.Is(err, settings.ErrInvalid),
		errors.Is(err, settings.ErrUnknownPath):
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Detail: err.Error()}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Detail: err.Error()}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Detail: err.Error()}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away; nothing to do
}

// writeJSONBytes answers with JSON already encoded.
func writeJSONBytes(w http.ResponseWriter, status int, body []byte) {
	setJSONHeaders(w.Header())
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away; nothing to do
}

// The values of the headers every JSON answer carries, shared by all
// answers rather than allocated per answer (Header.Set makes a slice each
// time, three allocations of a small write's answer). They are never
// changed in place: Header.Add appends into a new array, and net/http
// copies a header when it writes it.
var (
	jsonType = []string{"application/json"}
	noSniff  = []string{"nosniff"}
)

func setJSONHeaders(h http.Header) {
	h["Content-Type"] = jsonType
	h["X-Content-Type-Options"] = noSniff
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// writeLists streams a JSON object of named arrays element by element, so a
// large answer (a batch's events) is never built whole in memory: each
// element is encoded on its own and written through a buffer.
func writeLists(w http.ResponseWriter, status int, fields ...listField) {
	writeObject(w, status, nil, fields...)
}

// writeObject is writeLists with the fields of head (a struct or map
// encoded as a JSON object) before the arrays.
func writeObject(w http.ResponseWriter, status int, head any, fields ...listField) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	bw := bufio.NewWriterSize(w, 64<<10)
	defer bw.Flush()
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	bw.WriteByte('{')
	if head != nil {
		b, err := json.Marshal(head)
		if err != nil {
			panic(fmt.Sprintf("api: answer head does not encode: %v", err))
		}
		b = bytes.TrimSuffix(bytes.TrimPrefix(b, []byte("{")), []byte("}"))
		bw.Write(b)
		if len(b) > 0 && len(fields) > 0 {
			bw.WriteByte(',')
		}
	}
	for i, f := range fields {
		if i > 0 {
			bw.WriteByte(',')
		}
		fmt.Fprintf(bw, "%q:[", f.name)
		for k := range f.n {
			if k > 0 {
				bw.WriteByte(',')
			}
			if err := enc.Encode(f.at(k)); err != nil {
				return // the client went away
			}
		}
		bw.WriteByte(']')
	}
	bw.WriteString("}\n")
}

// A listField is one array of writeLists: n elements, the k-th at(k).
type listField struct {
	name string
	n    int
	at   func(k int) any
}

// writeChanges streams the answer to an edit.
func writeChanges(w http.ResponseWriter, status int, ch graph.Changes) {
	writeLists(w, status,
		listField{"events", len(ch.Events), func(k int) any { return &ch.Events[k] }},
		listField{"nodes", len(ch.Nodes), func(k int) any { return &ch.Nodes[k] }},
		listField{"edges", len(ch.Edges), func(k int) any { return &ch.Edges[k] }})
}
