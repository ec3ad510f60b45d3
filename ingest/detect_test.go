package ingest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Files from other tools are told apart by their content alone.
func TestReadDetectsTheFormat(t *testing.T) {
	for file, want := range map[string]string{
		"lesmis-networkx.graphml": "graphml",
		"lesmis-gephi.gexf":       "gexf",
		"karate-networkx.gml":     "gml",
		"karate-node-link.json":   "json",
		"karate-cytoscape.json":   "json",
		"karate-adjacency.json":   "json",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		imp, got, err := Read(bytes.NewReader(b), "upload", "auto", DefaultLimits)
		if err != nil || got != want || imp.Nodes == 0 {
			t.Errorf("%s: read as %q: %v", file, got, err)
		}
	}
	csv := "source;target\na;b\nb;c\n"
	if imp, got, err := Read(strings.NewReader(csv), "", "", DefaultLimits); err != nil || got != "csv" || imp.Edges != 2 {
		t.Errorf("CSV: %q %v", got, err)
	}
}

// What cannot be read says what was tried and why each failed, and a
// file given the wrong format says what it looks like.
func TestReadExplainsWhatItCannotRead(t *testing.T) {
	graphml, _ := os.ReadFile(filepath.Join("testdata", "lesmis-networkx.graphml"))
	for name, tc := range map[string]struct {
		doc, format string
		want        []string
	}{
		"GraphML as JSON":     {string(graphml), "json", []string{"JSON", "looks like graphml", "root element is <graphml>"}},
		"JSON as GraphML":     {`{"nodes":[]}`, "graphml", []string{"looks like json"}},
		"unknown XML":         {`<?xml version="1.0"?><!-- a --><svg xmlns="x"><g/></svg>`, "auto", []string{"root element <svg>", "tried graphml", "gexf"}},
		"broken JSON":         {`{"nodes": [{"id": "a"}`, "auto", []string{"starts with {", "tried json"}},
		"empty":               {"  \n", "", []string{"the file is empty"}},
		"binary":              {"\x00\x01\x02\xff\xfe", "auto", []string{"not a graph file"}},
		"an unknown format":   {"a,b\n", "pajek", []string{`format "pajek"`, "gexf"}},
		"GML with a bad edge": {"graph [ node [ id 1 ] edge [ source 1 target 2 ] ]", "auto", []string{"starts with graph [", "tried gml"}},
	} {
		_, _, err := Read(strings.NewReader(tc.doc), "upload.bin", tc.format, DefaultLimits)
		if err == nil {
			t.Errorf("%s: read", name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\n(want %q in it)", name, err, w)
			}
		}
	}
	// A limit ends the tries: the file was that format, and too large.
	lim := DefaultLimits
	lim.MaxNodes = 10
	if _, _, err := Read(bytes.NewReader(graphml), "", "auto", lim); !errors.Is(err, ErrLimit) {
		t.Errorf("past a limit: %v", err)
	}
}

func TestFolderFormat(t *testing.T) {
	if got := FolderFormat(os.DirFS(filepath.Join("testdata", "obsidian", "vault"))); got != "obsidian" {
		t.Errorf("the Obsidian vault: %s", got)
	}
	logseq := MemFS{"pages/a.md": []byte("- [[b]]"), "journals/2024_01_01.md": []byte("- hi")}
	if got := FolderFormat(logseq); got != "logseq" {
		t.Errorf("a Logseq notebook: %s", got)
	}
}

// FuzzRead: whatever detection accepts builds a valid graph.
func FuzzRead(f *testing.F) {
	for _, format := range ExportFormats {
		var buf bytes.Buffer
		Export(&buf, sampleContents(), format, nil)
		f.Add(buf.String())
	}
	f.Add("graph [ node [ id 1 label \"a\" ] ]")
	f.Fuzz(func(t *testing.T, doc string) {
		imp, _, err := Read(strings.NewReader(doc), "", "auto", Limits{MaxNodes: 1000, MaxEdges: 1000, MaxPages: 100, MaxLinksPerPage: 100})
		if err != nil {
			return
		}
		acceptedGraph(t, imp, "input", true)
	})
}
