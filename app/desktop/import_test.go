package desktop

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func drop(d *desk, paths ...string) {
	d.in.queue = append(d.in.queue, inputEvent{kind: evDrop, paths: paths})
}

// Importing as a user would: a GEXF file dropped on the window becomes a
// graph the window shows (its format told from the content), and so does
// an Obsidian vault folder, whose import says what it found.
func TestImportByDroppingFilesAndFolders(t *testing.T) {
	cfg := testConfig(t)
	cfg.Engine = "cpu"
	gexf, _ := filepath.Abs(filepath.Join("..", "..", "ingest", "testdata", "lesmis-gephi.gexf"))
	vault, _ := filepath.Abs(filepath.Join("..", "..", "ingest", "testdata", "obsidian", "vault"))
	runDesk(t, cfg, script(t, 40*time.Second,
		settled(),
		step{"drop a GEXF file", func(d *desk) bool {
			drop(d, gexf)
			return true
		}},
		step{"the window shows it", func(d *desk) bool {
			sc := d.sceneNow
			return sc != nil && sc.graphID == "lesmis-gephi" && sc.graphNodes == 5 && sc.graphEdges == 4 && hasNode(sc, "11")
		}},
		step{"drop an Obsidian vault", func(d *desk) bool {
			drop(d, vault)
			return true
		}},
		step{"the window shows the vault, and the import says what it found", func(d *desk) bool {
			sc := d.sceneNow
			if sc == nil || sc.graphID != "vault" {
				return false
			}
			if sc.graphNodes != 22 || sc.graphEdges != 30 {
				t.Errorf("the vault: %d nodes, %d edges, want 22 and 30", sc.graphNodes, sc.graphEdges)
			}
			if msg := d.m.imports.Load().Message; !strings.Contains(msg, "12 notes") || !strings.Contains(msg, "unresolved") {
				t.Errorf("import message %q", msg)
			}
			return true
		}},
	))
}
