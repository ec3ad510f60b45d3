package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"visionflow/auth"
	"visionflow/graph"
)

func TestTokensAreStoredHashedAndRevoked(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	s := openTest(t, path, Options{})
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	secret, tok, err := auth.New(rand.Reader, "alice", auth.Editor, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	_, dup, _ := auth.New(rand.Reader, "alice", auth.Viewer, now, 0)
	if err := s.SaveToken(ctx, dup); !errors.Is(err, graph.ErrDuplicateID) {
		t.Errorf("a second active alice: %v", err)
	}
	got, err := s.TokenByHash(ctx, auth.Hash(secret))
	if err != nil || got.ID != tok.ID || got.Role != auth.Editor || !got.Expires.Equal(now.Add(time.Hour)) || !got.Created.Equal(now) {
		t.Fatalf("TokenByHash = %+v, %v", got, err)
	}
	if _, err := s.TokenByHash(ctx, auth.Hash(secret+"x")); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("an unknown hash: %v", err)
	}
	if err := s.TouchToken(ctx, tok.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	r, err := s.RevokeToken(ctx, "alice", now.Add(2*time.Minute))
	if err != nil || r.ID != tok.ID || !r.Revoked.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("revoke by name: %+v %v", r, err)
	}
	if r2, err := s.RevokeToken(ctx, tok.ID, now.Add(time.Hour)); err != nil || !r2.Revoked.Equal(r.Revoked) {
		t.Errorf("revoking again moved the time: %+v %v", r2, err)
	}
	if _, err := s.RevokeToken(ctx, "nobody", now); !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("revoke nobody: %v", err)
	}
	// Revoked, the name is free again.
	if err := s.SaveToken(ctx, dup); err != nil {
		t.Errorf("alice after revocation: %v", err)
	}
	all, err := s.Tokens(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("Tokens = %+v, %v", all, err)
	}
	for _, a := range all {
		if a.ID == tok.ID && (!a.LastUsed.Equal(now.Add(time.Minute)) || a.Revoked.IsZero()) {
			t.Errorf("the first alice is listed as %+v", a)
		}
	}
	s.Close()
	// The file holds no token in the clear.
	for _, f := range []string{path, path + "-wal"} {
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(secret[14:])) {
			t.Errorf("%s holds the token's secret", f)
		}
	}
}
