package app

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/graph"
	"visionflow/store"
)

// A database with damaged pages is refused at start with what to do, and
// `visionflow check` says it is damaged; a backup made while the server ran
// is whole.
func TestDamagedDatabaseIsRefusedAndBackupsAreWhole(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	ts := startServer(t, db)
	list, _ := ts.c.Graphs(ctx)
	writeNodes(t, ts.c, list[0].ID, "n", 200)
	// A backup while it serves.
	backup := filepath.Join(dir, "copy.db")
	var out, errOut bytes.Buffer
	if code := Main([]string{"backup", "--to", backup, "--db", db}, &out, &errOut, nil); code != 0 {
		t.Fatalf("backup: %d %s", code, errOut.String())
	}
	if code := Main([]string{"backup", "--to", backup, "--db", db}, &out, &errOut, nil); code == 0 || !strings.Contains(errOut.String(), "exists") {
		t.Errorf("a backup over an existing file: %d %s", code, errOut.String())
	}
	want, _ := ts.c.Graph(ctx, list[0].ID)
	ts.Close()
	bs := startServer(t, backup)
	got, err := bs.c.Graph(ctx, list[0].ID)
	bs.Close()
	if err != nil || len(got.Nodes) != len(want.Nodes) || got.Seq != want.Seq {
		t.Fatalf("the backup holds %d nodes at seq %d, the database %d at %d (%v)", len(got.Nodes), got.Seq, len(want.Nodes), want.Seq, err)
	}
	out.Reset()
	if code := Main([]string{"check", "--db", db}, &out, &errOut, nil); code != 0 || !strings.Contains(out.String(), "ok") {
		t.Fatalf("check of a whole database: %d %q %q", code, out.String(), errOut.String())
	}

	// Damage pages in the middle of the file (not its header).
	f, err := os.OpenFile(db, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	page := int64(4096)
	if st.Size() < 8*page {
		t.Fatalf("the database is only %d bytes", st.Size())
	}
	junk := bytes.Repeat([]byte{0xA5, 0x5A, 0xFF, 0x00}, int(page)/4)
	for p := int64(2); p < 5; p++ {
		f.WriteAt(junk, p*page)
	}
	f.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, err = Start(ctx, Config{DB: db, Addr: ln.Addr().String()}, ln, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "backup") {
		t.Fatalf("a damaged database started: %v", err)
	}
	ln.Close()
	errOut.Reset()
	if code := Main([]string{"check", "--db", db}, &out, &errOut, nil); code == 0 || !strings.Contains(errOut.String(), "damaged") {
		t.Errorf("check of a damaged database: %d %q", code, errOut.String())
	}
}

// A graph whose rows no longer make a graph does not load: its answer and
// /api/health say why, and the other graphs work on.
func TestBrokenGraphIsReportedByHealth(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "b.db")
	ts := startServer(t, db)
	if _, err := ts.c.CreateGraph(ctx, "other", "Other", "logseq"); err != nil {
		t.Fatal(err)
	}
	list, _ := ts.c.Graphs(ctx)
	var broken string
	for _, g := range list {
		if g.ID != "other" {
			broken = g.ID
		}
	}
	ts.Close()
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE edges SET source = 'no-such-node' WHERE graph_id = ? AND id = (SELECT min(id) FROM edges WHERE graph_id = ?)`, broken, broken); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	ts = startServer(t, db)
	defer ts.Close()
	_, err = ts.c.Graph(ctx, broken)
	if err == nil || !strings.Contains(err.Error(), "no-such-node") {
		t.Errorf("the broken graph's answer: %v", err)
	}
	h, err := ts.c.Health(ctx)
	if err != nil || h.Status != "degraded" || len(h.Problems) != 1 || !strings.Contains(h.Problems[0], broken) {
		t.Errorf("health: %+v %v", h, err)
	}
	if _, err := ts.c.AddNode(ctx, "other", graph.Op{ID: "x"}); err != nil {
		t.Errorf("another graph: %v", err)
	}
}
