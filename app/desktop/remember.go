package desktop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// recall is what the window keeps between runs, in a small JSON file of
// its own beside the database (a host's shared settings are not the
// place: another peer's window remembers its own): the graph last shown
// in each session, by where the session is ("" for this machine's).
type recall struct {
	path string
	mu   sync.Mutex
}

type memoryFile struct {
	LastGraph map[string]string `json:"lastGraph"`
}

func (m *recall) load() memoryFile {
	var f memoryFile
	b, err := os.ReadFile(m.path)
	if err == nil {
		json.Unmarshal(b, &f) // a damaged file is forgotten, not fatal
	}
	if f.LastGraph == nil {
		f.LastGraph = map[string]string{}
	}
	return f
}

// lastGraph is the graph shown last in the session at where ("": none).
func (m *recall) lastGraph(where string) string {
	if m == nil {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.load().LastGraph[where]
}

// rememberGraph keeps id as the graph shown last at where. The file is
// replaced whole (written aside, then renamed), so a crash leaves the old
// one or the new one.
func (m *recall) rememberGraph(where, id string) error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.load()
	if f.LastGraph[where] == id {
		return nil
	}
	f.LastGraph[where] = id
	b, _ := json.MarshalIndent(f, "", "  ")
	if err := os.MkdirAll(filepath.Dir(m.path), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("remember the graph: %w", err)
	}
	tmp := m.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("remember the graph: %w", err)
	}
	if err := os.Rename(tmp, m.path); err != nil {
		return fmt.Errorf("remember the graph: %w", err)
	}
	return nil
}
