// Package testenv finds what tests need from the machine they run on.
package testenv

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// LogseqDocs returns the folder of Logseq's documentation notebook, which
// the project's machines keep beside the repository in
// ../shared/data/logseq-docs (it is MIT-licensed but not copied into this
// repository). VISIONFLOW_LOGSEQ_DOCS overrides the place. The test fails,
// rather than skips, when it is missing: the import tests are the point.
func LogseqDocs(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("VISIONFLOW_LOGSEQ_DOCS"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	for _, d := range []string{
		filepath.Join(root, "..", "shared", "data", "logseq-docs"),
		"/work/shared/data/logseq-docs",
	} {
		if st, err := os.Stat(filepath.Join(d, "pages")); err == nil && st.IsDir() {
			return d
		}
	}
	t.Fatalf("Logseq docs sample not found in ../shared/data/logseq-docs; set VISIONFLOW_LOGSEQ_DOCS to its folder")
	return ""
}
