package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"visionflow/net/client"
)

// A dynamic GEXF's spells are the graph's history once imported: the
// graph as it was at a time in the file comes back from ?at=, and the
// live graph is the one at the file's last time.
func TestDynamicGEXFImportsItsHistory(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	f, err := os.Open(filepath.Join("..", "ingest", "testdata", "dynamic-history.gexf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum, warnings, err := s.c.Import(ctx, "auto", f, client.ImportOptions{ID: "dyn"})
	if err != nil || len(warnings) != 1 {
		t.Fatalf("import: %v %v", err, warnings)
	}
	if sum.Nodes != 3 || sum.Edges != 1 {
		t.Errorf("the graph at the end: %+v", sum)
	}
	ids := func(at time.Time) []string {
		c, err := s.c.GraphAt(ctx, "dyn", at)
		if err != nil {
			t.Fatalf("at %v: %v", at, err)
		}
		var out []string
		for _, n := range c.Nodes {
			out = append(out, n.ID)
		}
		for _, e := range c.Edges {
			out = append(out, e.ID)
		}
		slices.Sort(out)
		return out
	}
	for at, want := range map[time.Time][]string{
		time.Date(2009, 3, 1, 12, 0, 0, 0, time.UTC): {"a", "ab", "b", "d"},
		time.Date(2009, 3, 2, 12, 0, 0, 0, time.UTC): {"a", "ab", "b", "c", "d", "e1"},
		time.Date(2009, 3, 3, 12, 0, 0, 0, time.UTC): {"a", "c", "d"},
		time.Date(2009, 3, 6, 0, 0, 0, 0, time.UTC):  {"a", "ab", "b", "d"},
	} {
		if got := ids(at); !slices.Equal(got, want) {
			t.Errorf("at %s: %v, want %v", at.Format(time.DateOnly), got, want)
		}
	}
}
