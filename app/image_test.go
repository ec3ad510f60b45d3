package app

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"visionflow/picture"
)

// GET /api/graph/{id}/image draws the graph on a headless server: a PNG
// of the asked size with the community colours on it, an SVG with a
// circle per node; bad parameters are refused with what was wrong.
func TestGraphImageOverREST(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "vf.db"))
	defer s.Close()
	physicsOff(t, s)
	orig := stableGraph(t, s.c, "visionflow-tour")
	get := func(query string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(s.url + "/api/graph/visionflow-tour/image" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get("?w=400&h=300")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("PNG: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
		t.Fatalf("size %v", b)
	}
	// The two largest communities' colours are both on the picture.
	seen := map[[3]uint8]int{}
	for y := range 300 {
		for x := range 400 {
			r, g, b, _ := img.At(x, y).RGBA()
			seen[[3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}]++
		}
	}
	for _, c := range picture.Classes[:2] {
		if seen[c] == 0 {
			t.Errorf("community colour %v not on the picture", c)
		}
	}
	resp, body = get("?format=svg&colour=none&labels=0")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("SVG: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	circles := 0
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		if e, ok := tok.(xml.StartElement); ok && e.Name.Local == "circle" {
			circles++
		}
	}
	if circles != len(orig.Nodes) {
		t.Errorf("%d circles for %d nodes", circles, len(orig.Nodes))
	}
	for query, want := range map[string]string{
		"?format=gif":     "png or svg",
		"?w=5":            "at least 16",
		"?w=100000":       "from 0 to 8192",
		"?colour=rainbow": "meta:KEY",
		"?labels=many":    "labels",
	} {
		if status, body := raw(t, "GET", s.url+"/api/graph/visionflow-tour/image"+query, "", ""); status != http.StatusBadRequest || !strings.Contains(body["detail"], want) {
			t.Errorf("%s: %d %v", query, status, body)
		}
	}
	if status, _ := raw(t, "GET", s.url+"/api/graph/nope/image", "", ""); status != http.StatusNotFound {
		t.Errorf("an unknown graph: %d", status)
	}
}
