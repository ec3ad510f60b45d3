package app

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// procKB reads a "VmRSS" or "VmHWM" line of /proc/self/status, in MiB.
func procMiB(b *testing.B, field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status here")
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// BenchmarkRejectedImportMemory is the memory a large JSON import that is
// refused leaves resident: a 50 MiB node-link file (100k nodes with 300
// bytes of text each, 400k links) whose last link names a node that does
// not exist, so it is read whole and refused (400). It reports the
// process's resident memory before, its high-water mark, and the resident
// memory once the request is over, in MiB.
func BenchmarkRejectedImportMemory(b *testing.B) {
	s := startServer(b, filepath.Join(b.TempDir(), "vf.db"))
	defer s.Close()
	var doc bytes.Buffer
	doc.WriteString(`{"nodes":[`)
	text := strings.Repeat("x", 300)
	for i := range 100_000 {
		if i > 0 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `{"id":"n%d","label":"node %d","text":"%s"}`, i, i, text)
	}
	doc.WriteString(`],"links":[`)
	for i := range 400_000 {
		fmt.Fprintf(&doc, `{"source":"n%d","target":"n%d"},`, i%100_000, (i*7+1)%100_000)
	}
	doc.WriteString(`{"source":"n0","target":"nobody"}]}`)
	body := doc.Bytes()
	hc := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	defer hc.CloseIdleConnections()
	runtime.GC()
	debug.FreeOSMemory()
	before := procMiB(b, "VmRSS")
	var after float64
	for b.Loop() {
		resp, err := hc.Post(s.url+"/api/graphs/import?format=json&id=big", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(msg), "nobody") {
			b.Fatalf("%s: %s", resp.Status, msg)
		}
		// The same connection: answered once the import's handler is done.
		resp, err = hc.Get(s.url + "/api/health")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		after = procMiB(b, "VmRSS")
	}
	b.ReportMetric(float64(len(body))/(1<<20), "upload-MiB")
	b.ReportMetric(before, "rss-before-MiB")
	b.ReportMetric(procMiB(b, "VmHWM"), "rss-peak-MiB")
	b.ReportMetric(after, "rss-after-MiB")
}
