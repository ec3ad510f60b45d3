// Package embedtest serves the OpenAI embeddings protocol (POST
// /v1/embeddings) on loopback for tests, with a model of its own and the
// ways real endpoints go wrong: hanging, answering garbage, failing.
package embedtest

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
)

// Modes of the server.
const (
	OK      = "ok"
	Hang    = "hang"    // never answers (until the client gives up)
	Garbage = "garbage" // answers 200 with what is not an embeddings response
	Fail    = "fail"    // answers 500
	Short   = "short"   // answers one vector too few
	NaN     = "nan"     // answers a vector holding NaN
	Flaky   = "flaky"   // fails every other call with 503
)

// Server is an embeddings endpoint. Its model gives each word a direction
// of its own (hashed), so texts that share words are close.
type Server struct {
	*httptest.Server
	dims  atomic.Int64
	Key   string // when set, calls must carry it as a bearer token
	mode  atomic.Pointer[string]
	Calls atomic.Int64
	Texts atomic.Int64

	mu     sync.Mutex
	models []string // the model of each call
	hung   chan struct{}
}

// New starts a server in OK mode with vectors of dims dimensions.
func New(dims int) *Server {
	s := &Server{hung: make(chan struct{})}
	s.dims.Store(int64(dims))
	s.SetMode(OK)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the API's base, as users configure it.
func (s *Server) URL() string { return s.Server.URL + "/v1" }

// SetDims changes the size of the vectors the model makes (a new model
// under the same name).
func (s *Server) SetDims(n int) { s.dims.Store(int64(n)) }

// SetMode changes how the server answers.
func (s *Server) SetMode(m string) { s.mode.Store(&m) }

// Models lists the model each call named.
func (s *Server) Models() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.models...)
}

// Close releases hanging calls and stops the server.
func (s *Server) Close() {
	close(s.hung)
	s.Server.Close()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	if s.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.Key {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}`))
		return
	}
	var req struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" {
		http.Error(w, `{"error":{"message":"model and input are required"}}`, http.StatusBadRequest)
		return
	}
	var texts []string
	if json.Unmarshal(req.Input, &texts) != nil {
		var one string
		if json.Unmarshal(req.Input, &one) != nil {
			http.Error(w, `{"error":{"message":"input must be a string or an array of strings"}}`, http.StatusBadRequest)
			return
		}
		texts = []string{one}
	}
	n := s.Calls.Add(1)
	s.Texts.Add(int64(len(texts)))
	s.mu.Lock()
	s.models = append(s.models, req.Model)
	s.mu.Unlock()
	mode := *s.mode.Load()
	switch {
	case mode == Hang:
		select {
		case <-r.Context().Done():
		case <-s.hung:
		}
		return
	case mode == Garbage:
		w.Write([]byte(`<html>502 Bad Gateway</html>`))
		return
	case mode == Fail, mode == Flaky && n%2 == 1:
		code := http.StatusInternalServerError
		if mode == Flaky {
			code = http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
		w.Write([]byte(`{"error":{"message":"the model crashed"}}`))
		return
	}
	type datum struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []datum `json:"data"`
		Model  string  `json:"model"`
		Usage  any     `json:"usage"`
	}{Object: "list", Model: req.Model, Usage: map[string]int{"prompt_tokens": 1, "total_tokens": 1}}
	for i, t := range texts {
		v := s.Vector(t)
		if mode == NaN {
			v[0] = math.NaN()
		}
		out.Data = append(out.Data, datum{Object: "embedding", Index: i, Embedding: v})
	}
	if mode == Short {
		out.Data = out.Data[:len(out.Data)-1]
	}
	w.Header().Set("Content-Type", "application/json")
	if mode == NaN {
		// JSON has no NaN; some servers write it anyway.
		b, _ := json.Marshal(out.Data[0].Embedding[1:])
		w.Write([]byte(`{"object":"list","data":[{"object":"embedding","index":0,"embedding":[NaN,` + string(b[1:]) + `}]}`))
		return
	}
	json.NewEncoder(w).Encode(out)
}

// Vector is the server's model: the sum of its words' directions, unit
// length.
func (s *Server) Vector(text string) []float64 {
	dims := int(s.dims.Load())
	v := make([]float64, dims)
	for w := range strings.FieldsSeq(strings.ToLower(text)) {
		h := fnv.New64a()
		h.Write([]byte(strings.Trim(w, ".,;:!?")))
		x := h.Sum64()
		for i := range 4 {
			d := (x >> (i * 16)) % uint64(dims)
			v[d] += 1 - 2*float64((x>>(60-i))&1)
		}
	}
	var n float64
	for _, x := range v {
		n += x * x
	}
	if n == 0 {
		v[0], n = 1, 1
	}
	for i := range v {
		v[i] /= math.Sqrt(n)
	}
	return v
}
