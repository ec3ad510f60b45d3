package settings_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"visionflow/settings"
	"visionflow/store"
)

func open(t *testing.T, path string) (*settings.Manager, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	m, err := settings.Open(context.Background(), st, func() time.Time { return time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC) }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

func up(path, value string) settings.Update {
	return settings.Update{Path: path, Value: json.RawMessage(value)}
}

func TestDefaultsAreValid(t *testing.T) {
	for _, f := range settings.Schema {
		raw, _ := json.Marshal(f.Default)
		if _, err := f.Parse(raw); err != nil {
			t.Errorf("default of %s: %v", f.Path, err)
		}
		section, _, _ := strings.Cut(f.Path, ".")
		found := false
		for _, s := range settings.Sections {
			found = found || s == section
		}
		if !found {
			t.Errorf("%s is outside the known sections", f.Path)
		}
	}
}

func TestApplyValidatesEverythingFirst(t *testing.T) {
	m, st := open(t, filepath.Join(t.TempDir(), "vf.db"))
	ctx := context.Background()
	bad := []struct {
		update settings.Update
		path   string
		rule   string
		kind   error
	}{
		{up("physics.springK", "11"), "physics.springK", "must be between 0 and 10, got 11", settings.ErrInvalid},
		{up("physics.springK", `"fast"`), "physics.springK", "must be a number", settings.ErrInvalid},
		{up("physics.enabled", "1"), "physics.enabled", "must be true or false", settings.ErrInvalid},
		{up("nodes.baseColor", `"red"`), "nodes.baseColor", `must be a hex colour`, settings.ErrInvalid},
		{up("nodes.baseColor", `"#12345"`), "nodes.baseColor", `must be a hex colour`, settings.ErrInvalid},
		{up("nodes.quality", `"ultra"`), "nodes.quality", `must be one of "low", "medium", "high"`, settings.ErrInvalid},
		{up("system.websocket.updateRate", "30.5"), "system.websocket.updateRate", "whole number", settings.ErrInvalid},
		{up("edges.widthRange", "[2, 1]"), "edges.widthRange", "minimum 2 must be less than maximum 1", settings.ErrInvalid},
		{up("edges.widthRange", "[1]"), "edges.widthRange", "array of two numbers", settings.ErrInvalid},
		{up("physics.spring_k", "1"), "physics.spring_k", `did you mean "physics.springK"`, settings.ErrUnknownPath},
		{up("physics.nope", "1"), "physics.nope", "is not a setting", settings.ErrUnknownPath},
		{up("physics", "3"), "physics", "must be an object", settings.ErrInvalid},
		{up("physics", `{"springK": 0.1, "damping": 7}`), "physics.damping", "between 0 and 1", settings.ErrInvalid},
		{up("physics.springK", "null"), "physics.springK", "must be a number", settings.ErrInvalid},
	}
	for _, tc := range bad {
		// A valid update goes first in the same request: it must not be
		// applied either.
		_, err := m.Apply(ctx, "t", []settings.Update{up("physics.repelK", "77"), tc.update})
		var se *settings.Error
		if !errors.As(err, &se) || !errors.Is(err, tc.kind) {
			t.Errorf("%s = %s: got %v", tc.update.Path, tc.update.Value, err)
			continue
		}
		if se.Path != tc.path || !strings.Contains(se.Rule, tc.rule) {
			t.Errorf("%s = %s: path %q rule %q; want %q and %q", tc.update.Path, tc.update.Value, se.Path, se.Rule, tc.path, tc.rule)
		}
	}
	if got := m.Float("physics.repelK"); got != 50 {
		t.Errorf("repelK = %v after only rejected requests; want the default 50", got)
	}
	if hist, _ := st.SettingsHistory(ctx, "", 0, 100); len(hist) != 0 {
		t.Errorf("rejected requests left %d history entries", len(hist))
	}
}

func TestApplyPersistsRecordsAndNotifies(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vf.db")
	m, st := open(t, path)
	ctx := context.Background()
	var got [][]settings.Delta
	cancel := m.Subscribe(func(d []settings.Delta) { got = append(got, d) })

	deltas, err := m.Apply(ctx, "alice", []settings.Update{
		up("physics.springK", "0.2"),
		up("nodes.baseColor", `"#FF0000"`),
		up("physics", `{"featureFlags": {"gravity": false}, "damping": 0.9}`), // damping unchanged
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(deltas) != 3 {
		t.Fatalf("%d deltas, want 3 (the unchanged damping records none): %+v", len(deltas), deltas)
	}
	d := deltas[0]
	if d.Path != "physics.springK" || string(d.Old) != "0.05" || string(d.New) != "0.2" || d.Client != "alice" || d.ID == 0 {
		t.Errorf("delta %+v", d)
	}
	if m.String("nodes.baseColor") != "#ff0000" || m.Bool("physics.featureFlags.gravity") {
		t.Error("values not applied")
	}
	if len(got) != 1 || len(got[0]) != 3 {
		t.Errorf("listener got %v", got)
	}
	cancel()
	if _, err := m.Apply(ctx, "bob", []settings.Update{up("physics.springK", "0.3")}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Error("listener called after cancel")
	}
	// Nothing changes: no delta, no history.
	if deltas, err := m.Apply(ctx, "bob", []settings.Update{up("physics.springK", "0.3")}); err != nil || len(deltas) != 0 {
		t.Errorf("no-op apply: %v %v", deltas, err)
	}

	sub, err := m.Get("physics.featureFlags")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(sub); string(b) != `{"annealing":true,"attraction":true,"gravity":false,"repulsion":true,"springs":true}` {
		t.Errorf("physics.featureFlags = %s", b)
	}
	if _, err := m.Get("physics.feature"); !errors.Is(err, settings.ErrUnknownPath) {
		t.Errorf("Get of a partial segment: %v", err)
	}

	// A new manager on the same file sees the values, and the history is whole.
	m2, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if m2.Float("physics.springK") != 0.3 || m2.String("nodes.baseColor") != "#ff0000" {
		t.Error("values not persisted")
	}
	hist, _ := st.SettingsHistory(ctx, "physics.springK", 0, 100)
	if len(hist) != 2 || hist[1].Client != "bob" || string(hist[1].Old) != "0.2" {
		t.Errorf("history %+v", hist)
	}
	tree := m2.Tree()
	for _, s := range settings.Sections {
		if _, ok := tree[s].(map[string]any); !ok {
			t.Errorf("tree lacks section %s", s)
		}
	}
}

func TestOpenSkipsStoredValuesThatNoLongerFit(t *testing.T) {
	_, st := open(t, filepath.Join(t.TempDir(), "vf.db"))
	ctx := context.Background()
	_, err := st.SaveSettings(ctx, []settings.Delta{
		{Path: "physics.removedLongAgo", Old: json.RawMessage("1"), New: json.RawMessage("2"), Time: time.Now()},
		{Path: "physics.springK", Old: json.RawMessage("0.05"), New: json.RawMessage("5000"), Time: time.Now()},
		{Path: "physics.repelK", Old: json.RawMessage("50"), New: json.RawMessage("60"), Time: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := settings.Open(ctx, st, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if m.Float("physics.springK") != 0.05 || m.Float("physics.repelK") != 60 {
		t.Errorf("springK %v repelK %v", m.Float("physics.springK"), m.Float("physics.repelK"))
	}
}

func FuzzParse(f *testing.F) {
	seeds := map[string]string{
		"physics.springK": "0.5", "nodes.baseColor": `"#aabbcc"`, "edges.widthRange": "[0.1, 2]",
		"nodes.quality": `"low"`, "physics.enabled": "true", "system.websocket.updateRate": "30",
	}
	for k, fld := range settings.Schema {
		if v, ok := seeds[fld.Path]; ok {
			f.Add(uint8(k), []byte(v))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		fld := &settings.Schema[int(which)%len(settings.Schema)]
		v, err := fld.Parse(raw)
		if err != nil {
			var se *settings.Error
			if !errors.As(err, &se) || se.Path != fld.Path {
				t.Fatalf("%s: error %v does not name the path", fld.Path, err)
			}
			return
		}
		// Whatever is accepted must survive a round trip unchanged.
		b, _ := json.Marshal(v)
		v2, err := fld.Parse(b)
		if err != nil {
			t.Fatalf("%s: accepted %q but not its own encoding %s: %v", fld.Path, raw, b, err)
		}
		if b2, _ := json.Marshal(v2); string(b) != string(b2) {
			t.Fatalf("%s: %s became %s", fld.Path, b, b2)
		}
	})
}

// A text is checked; a secret is stored and used but never shown: reads,
// deltas and the history give only its mask, and the mask sent back
// leaves it alone.
func TestTextsAndSecrets(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	m, st := open(t, db)
	if _, err := m.Apply(ctx, "t", []settings.Update{up("memory.endpoint.url", `"ftp://x"`)}); err == nil || !strings.Contains(err.Error(), "http(s) URL") {
		t.Errorf("a bad URL: %v", err)
	}
	if _, err := m.Apply(ctx, "t", []settings.Update{up("memory.endpoint.model", `"a\nb"`)}); err == nil {
		t.Error("a model name with a newline was taken")
	}
	var seen []settings.Delta
	m.Subscribe(func(ds []settings.Delta) { seen = append(seen, ds...) })
	ds, err := m.Apply(ctx, "t", []settings.Update{up("memory.endpoint.url", `"http://localhost:11434/v1"`), up("memory.endpoint.key", `"sk-secret"`)})
	if err != nil || len(ds) != 2 {
		t.Fatal(err, ds)
	}
	for _, d := range append(ds, seen...) {
		if strings.Contains(string(d.New)+string(d.Old), "sk-secret") || d.Stored != nil {
			t.Errorf("a delta shows the secret: %+v", d)
		}
	}
	if m.String("memory.endpoint.key") != "sk-secret" {
		t.Error("the secret is not there for the server")
	}
	v, _ := m.Value("memory.endpoint.key")
	g, _ := m.Get("memory.endpoint")
	b, _ := json.Marshal(m.Tree())
	if v != settings.Hidden || strings.Contains(fmt.Sprint(g), "sk-secret") || strings.Contains(string(b), "sk-secret") {
		t.Errorf("a read shows the secret: %v %v", v, g)
	}
	// The mask sent back, as a client that read the group would.
	if ds, err := m.Apply(ctx, "t", []settings.Update{{Path: "memory.endpoint", Value: json.RawMessage(`{"key": "(set)", "timeout": 20}`)}}); err != nil || len(ds) != 1 {
		t.Fatalf("the mask sent back: %v %+v", err, ds)
	}
	hist, _ := st.SettingsHistory(ctx, "memory.endpoint.key", 0, 10)
	if len(hist) != 1 || strings.Contains(string(hist[0].New), "sk-secret") {
		t.Errorf("the history: %+v", hist)
	}
	st.Close()
	m, st = open(t, db)
	defer st.Close()
	if m.String("memory.endpoint.key") != "sk-secret" || m.String("memory.endpoint.url") != "http://localhost:11434/v1" {
		t.Error("the secret did not survive a restart")
	}
}
