package settings

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Update asks for one setting (or, when Path names a group such as
// "physics", every setting in the object Value) to change.
type Update struct {
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

// Delta records one applied change: what it was, what it became, when and
// by whom. ID orders deltas; the store assigns it.
type Delta struct {
	ID     int64           `json:"id"`
	Path   string          `json:"path"`
	Old    json.RawMessage `json:"old"`
	New    json.RawMessage `json:"new"`
	Time   time.Time       `json:"time"`
	Client string          `json:"client"`
	// Stored is the value to store when New is a secret's mask.
	Stored json.RawMessage `json:"-"`
}

// Store keeps settings durable.
type Store interface {
	// LoadSettings returns every stored value by path.
	LoadSettings(ctx context.Context) (map[string]json.RawMessage, error)
	// SaveSettings stores the new values and appends the deltas to the
	// history in one transaction, returning the deltas with IDs set.
	SaveSettings(ctx context.Context, deltas []Delta) ([]Delta, error)
	// LastSettingsID is the id of the newest delta in the history (0: none).
	LastSettingsID(ctx context.Context) (int64, error)
}

// Manager holds the current settings. It is safe for concurrent use.
type Manager struct {
	store Store
	now   func() time.Time

	applyMu   sync.Mutex // serialises Apply, so listeners see deltas in commit order
	mu        sync.RWMutex
	values    map[string]any // parsed current value of every field
	listeners map[int]func([]Delta)
	nextID    int
	seq       int64 // id of the last delta; guarded by mu
}

// Open loads stored settings over the defaults. A stored value that no
// longer fits the schema (a setting was removed or its range narrowed) is
// logged and replaced by the default rather than failing start-up.
func Open(ctx context.Context, store Store, now func() time.Time, log *slog.Logger) (*Manager, error) {
	if now == nil {
		now = time.Now
	}
	m := &Manager{store: store, now: now, values: make(map[string]any, len(Schema)), listeners: map[int]func([]Delta){}}
	for _, fld := range Schema {
		m.values[fld.Path] = fld.Default
	}
	stored, err := store.LoadSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	if m.seq, err = store.LastSettingsID(ctx); err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	for path, raw := range stored {
		fld, ok := Lookup(path)
		if !ok {
			log.Warn("ignoring stored setting that no longer exists", "path", path)
			continue
		}
		v, err := fld.Parse(raw)
		if err != nil {
			log.Warn("ignoring stored setting that is no longer valid; using the default", "path", path, "err", err)
			continue
		}
		m.values[path] = v
	}
	return m, nil
}

// Value returns the current value of a setting in its Go type, as readers
// see it (a secret masked; String gives its value).
func (m *Manager) Value(path string) (any, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.values[path]
	if !ok {
		return nil, unknownPath(path)
	}
	fld, _ := Lookup(path)
	return fld.shown(v), nil
}

// Float returns a numeric setting; it panics on a path that is not a
// numeric setting, which is a programming error.
func (m *Manager) Float(path string) float64 {
	switch v := m.mustValue(path).(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	panic("settings: " + path + " is not numeric")
}

// Bool returns a boolean setting; it panics on a path that is not one.
func (m *Manager) Bool(path string) bool { return m.mustValue(path).(bool) }

// String returns a colour, enum, text or secret setting (a secret's value,
// not its mask); it panics on a path that is not one.
func (m *Manager) String(path string) string { return m.mustValue(path).(string) }

func (m *Manager) mustValue(path string) any {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.values[path]
	if !ok {
		panic("settings: " + unknownPath(path).Error())
	}
	return v
}

// Get returns the value at path as a JSON-ready value: a leaf's value, or
// the nested object of a group ("physics", "system.websocket").
func (m *Manager) Get(path string) (any, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if v, ok := m.values[path]; ok {
		fld, _ := Lookup(path)
		return fld.shown(v), nil
	}
	sub := m.treeLocked(path)
	if sub == nil {
		return nil, unknownPath(path)
	}
	return sub, nil
}

// Seq is the id of the last change applied: a listener has been or is
// being told of every change up to it.
func (m *Manager) Seq() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.seq
}

// Values returns every setting's value as readers see it, by path, and
// the id of the last change they include.
func (m *Manager) Values() (map[string]json.RawMessage, int64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]json.RawMessage, len(Schema))
	for _, fld := range Schema {
		out[fld.Path] = encode(fld.shown(m.values[fld.Path]))
	}
	return out, m.seq
}

// Tree returns every setting as a nested object.
func (m *Manager) Tree() map[string]any {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.treeLocked("")
}

func (m *Manager) treeLocked(prefix string) map[string]any {
	var root map[string]any
	for _, fld := range Schema {
		rest, ok := strings.CutPrefix(fld.Path, prefix)
		if prefix != "" {
			if !ok || !strings.HasPrefix(rest, ".") {
				continue
			}
			rest = rest[1:]
		}
		if root == nil {
			root = map[string]any{}
		}
		node := root
		parts := strings.Split(rest, ".")
		for _, p := range parts[:len(parts)-1] {
			child, ok := node[p].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[p] = child
			}
			node = child
		}
		node[parts[len(parts)-1]] = fld.shown(m.values[fld.Path])
	}
	return root
}

// expand turns updates into one parsed value per leaf path. A group path
// with an object value becomes its leaves; the last update of a path wins.
func expand(updates []Update) (paths []string, values map[string]any, err error) {
	values = map[string]any{}
	var walk func(path string, raw json.RawMessage) error
	walk = func(path string, raw json.RawMessage) error {
		if fld, ok := Lookup(path); ok {
			v, err := fld.Parse(raw)
			if err != nil {
				return err
			}
			if _, seen := values[path]; !seen {
				paths = append(paths, path)
			}
			values[path] = v
			return nil
		}
		if !isGroup(path) {
			return unknownPath(path)
		}
		var obj map[string]json.RawMessage
		if err := strictUnmarshal(bytes.TrimSpace(raw), &obj); err != nil {
			return &Error{Kind: ErrInvalid, Path: path, Rule: "is a group of settings; its value must be an object of settings, got " + describe(raw)}
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if err := walk(path+"."+k, obj[k]); err != nil {
				return err
			}
		}
		return nil
	}
	if len(updates) == 0 {
		return nil, nil, &Error{Kind: ErrInvalid, Path: "(request)", Rule: "holds no updates"}
	}
	for k, u := range updates {
		if u.Path == "" {
			return nil, nil, &Error{Kind: ErrInvalid, Path: fmt.Sprintf("updates[%d].path", k), Rule: "is missing"}
		}
		if err := walk(u.Path, u.Value); err != nil {
			return nil, nil, err
		}
	}
	return paths, values, nil
}

func isGroup(path string) bool {
	for _, fld := range Schema {
		if strings.HasPrefix(fld.Path, path+".") {
			return true
		}
	}
	return false
}

// Apply validates every update and, only if all are valid, stores them,
// records a delta for each setting whose value really changes, updates the
// current values and tells the listeners. It returns those deltas (none if
// nothing changed). On any error nothing is applied.
func (m *Manager) Apply(ctx context.Context, client string, updates []Update) ([]Delta, error) {
	paths, values, err := expand(updates)
	if err != nil {
		return nil, err
	}
	m.applyMu.Lock()
	defer m.applyMu.Unlock()

	now := m.now().UTC()
	var deltas []Delta
	m.mu.RLock()
	for _, p := range paths {
		old, nu := encode(m.values[p]), encode(values[p])
		fld, _ := Lookup(p)
		switch {
		case bytes.Equal(old, nu):
		case fld.Kind == Secret && values[p] == Hidden:
			// A secret's mask sent back (a group of settings as read)
			// leaves it as it is.
		case fld.Kind == Secret:
			deltas = append(deltas, Delta{Path: p, Old: encode(fld.shown(m.values[p])), New: encode(fld.shown(values[p])),
				Stored: nu, Time: now, Client: client})
		default:
			deltas = append(deltas, Delta{Path: p, Old: old, New: nu, Time: now, Client: client})
		}
	}
	m.mu.RUnlock()
	if len(deltas) == 0 {
		return nil, nil
	}
	deltas, err = m.store.SaveSettings(ctx, deltas)
	if err != nil {
		return nil, fmt.Errorf("save settings: %w", err)
	}
	m.mu.Lock()
	for i, d := range deltas {
		m.values[d.Path] = values[d.Path]
		deltas[i].Stored = nil // a secret's value stays here
		m.seq = max(m.seq, d.ID)
	}
	listeners := make([]func([]Delta), 0, len(m.listeners))
	for _, id := range slices.Sorted(maps.Keys(m.listeners)) {
		listeners = append(listeners, m.listeners[id])
	}
	m.mu.Unlock()
	for _, fn := range listeners {
		fn(slices.Clone(deltas))
	}
	return deltas, nil
}

// Subscribe registers fn to receive every batch of applied deltas, in order.
// fn runs on the goroutine that called Apply and must not block or call
// Apply. The returned function removes it.
func (m *Manager) Subscribe(fn func([]Delta)) (cancel func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := m.nextID
	m.nextID++
	m.listeners[id] = fn
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		delete(m.listeners, id)
	}
}
