package openai

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"visionflow/internal/embedtest"
	"visionflow/memory"
)

func TestEmbedsOverTheRealProtocol(t *testing.T) {
	srv := embedtest.New(64)
	defer srv.Close()
	srv.Key = "sk-test"
	c, err := New(Config{URL: srv.URL(), Model: "test-embed", Key: "sk-test", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Name(), "openai:test-embed@127.0.0.1:") {
		t.Errorf("name %q", c.Name())
	}
	vs, err := c.Embed(context.Background(), []string{"shader compiler", "lease heartbeat"})
	if err != nil {
		t.Fatal(err)
	}
	want := srv.Vector("shader compiler")
	for i := range want {
		if math.Abs(float64(vs[0][i])-want[i]) > 1e-6 {
			t.Fatalf("vector 0 differs at %d", i)
		}
	}
	if len(vs) != 2 || len(vs[1]) != 64 || srv.Models()[0] != "test-embed" {
		t.Fatalf("%d vectors; models %v", len(vs), srv.Models())
	}
	bad, _ := New(Config{URL: srv.URL(), Model: "test-embed", Key: "wrong"})
	if _, err := bad.Embed(context.Background(), []string{"x"}); err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Incorrect API key") || Retryable(err) {
		t.Errorf("a wrong key: %v", err)
	}
}

func TestWhatGoesWrongIsSaid(t *testing.T) {
	srv := embedtest.New(32)
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL(), Model: "m", Timeout: 300 * time.Millisecond})
	for _, tc := range []struct {
		mode, want string
		retry      bool
	}{
		{embedtest.Hang, "did not answer within 300ms", false},
		{embedtest.Garbage, "not an embeddings response", false},
		{embedtest.Fail, "500 Internal Server Error", true},
		{embedtest.Short, "1 vectors for 2 texts", false},
		{embedtest.NaN, "not an embeddings response", false},
	} {
		srv.SetMode(tc.mode)
		_, err := c.Embed(context.Background(), []string{"a", "b"})
		if tc.mode == embedtest.Short {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v", tc.mode, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || Retryable(err) != tc.retry {
			t.Errorf("%s: %v (retryable %v)", tc.mode, err, Retryable(err))
		}
	}
	// Nothing listens: a connection that did not happen may pass.
	gone, _ := New(Config{URL: "http://127.0.0.1:1/v1", Model: "m"})
	if _, err := gone.Embed(context.Background(), []string{"x"}); err == nil || !Retryable(err) {
		t.Errorf("a refused connection: %v (retryable %v)", err, Retryable(err))
	}
	for _, cfg := range []Config{{URL: "ftp://x", Model: "m"}, {URL: "localhost:11434", Model: "m"}, {URL: "http://h/v1"}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%+v was accepted", cfg)
		}
	}
}

// The guard falls back to the local embedder when the endpoint fails,
// opens its breaker after three failures (no more calls), and closes it
// when a call after the open period works.
func TestGuardFallsBackAndBreaks(t *testing.T) {
	srv := embedtest.New(48)
	defer srv.Close()
	c, _ := New(Config{URL: srv.URL(), Model: "m", Timeout: 2 * time.Second})
	local := memory.NewLocal()
	g := memory.NewGuard(c, local, memory.GuardOptions{Open: 50 * time.Millisecond, Retryable: Retryable, Wait: func(int) time.Duration { return 0 }})
	ctx := context.Background()

	// Flaky: the retry gets through.
	srv.SetMode(embedtest.Flaky)
	e, err := g.Embed(ctx, []string{"x"})
	if err != nil || e.By != c.Name() || e.Fallback != "" || srv.Calls.Load() != 2 {
		t.Fatalf("flaky: %v %+v after %d calls", err, e, srv.Calls.Load())
	}
	// Failing: each call falls back, with the error for the dead-letter
	// queue; the third opens the breaker.
	srv.SetMode(embedtest.Fail)
	for i := range 3 {
		e, err := g.Embed(ctx, []string{"x"})
		if err != nil || e.By != memory.LocalName || e.Failed == nil || !strings.Contains(e.Fallback, "failed") || len(e.Vectors[0]) != memory.LocalDims {
			t.Fatalf("failure %d: %v %+v", i, err, e)
		}
	}
	if g.State() != "open" {
		t.Fatalf("breaker %s after three failures", g.State())
	}
	calls := srv.Calls.Load()
	e, _ = g.Embed(ctx, []string{"x"})
	if srv.Calls.Load() != calls || e.Failed != nil || !strings.Contains(e.Fallback, "circuit breaker is open") {
		t.Fatalf("an open breaker called the endpoint (%d → %d) or said %q", calls, srv.Calls.Load(), e.Fallback)
	}
	// The endpoint recovers: after the open period one call tries, and
	// closes the breaker.
	srv.SetMode(embedtest.OK)
	deadline := time.Now().Add(10 * time.Second)
	for {
		e, _ = g.Embed(ctx, []string{"x"})
		if e.By == c.Name() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the breaker never let a call through again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if g.State() != "closed" {
		t.Errorf("breaker %s after a good call", g.State())
	}
	// The caller giving up is its own error, not a fallback.
	srv.SetMode(embedtest.Hang)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := g.Embed(cctx, []string{"x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled call: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"data":[{"index":0,"embedding":[0.1,0.2]},{"index":1,"embedding":[0.3,0.4]}]}`), 2)
	f.Add([]byte(`{"data":[{"embedding":[1]}]}`), 1)
	f.Add([]byte(`{"data":[{"index":5,"embedding":[1]}]}`), 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 64 {
			return
		}
		vs, err := Parse(b, n)
		if err != nil {
			return
		}
		if len(vs) != n {
			t.Fatalf("%d vectors for %d texts", len(vs), n)
		}
		for _, v := range vs {
			var s float64
			for _, x := range v {
				s += float64(x) * float64(x)
			}
			if len(v) != len(vs[0]) || math.Abs(s-1) > 1e-3 {
				t.Fatalf("a vector of %d dims, length² %v", len(v), s)
			}
		}
	})
}

// An endpoint that echoes the key it refuses does not put it in the error.
func TestTheKeyIsNotRepeated(t *testing.T) {
	key := "sk-very-secret-0123456789"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"bad key ` + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") + `"}`))
	}))
	defer echo.Close()
	c, _ := New(Config{URL: echo.URL + "/v1", Model: "m", Key: key})
	_, err := c.Embed(context.Background(), []string{"x"})
	if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "0123456789") || !strings.Contains(err.Error(), "****") {
		t.Fatalf("the error: %v", err)
	}
	long := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 185) + key + `"`))
	}))
	defer long.Close()
	c, _ = New(Config{URL: long.URL + "/v1", Model: "m", Key: key})
	if _, err := c.Embed(context.Background(), []string{"x"}); err == nil || strings.Contains(err.Error(), key[:12]) {
		t.Fatalf("a key cut short: %v", err)
	}
}
