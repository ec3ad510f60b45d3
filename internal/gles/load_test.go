package gles

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// coreEntryPoints are the functions a go-gl package refuses to load
// without: those whose lookup is followed by a returned error.
func coreEntryPoints(t *testing.T, dir, pkg string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, pkg, "package.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`getProcAddr\("(gl\w+)"\)\)\n\s*if \w+ == nil \{\n\s*return errors\.New`).FindAllSubmatch(src, -1) {
		names = append(names, string(m[1]))
	}
	if len(names) < 200 {
		t.Fatalf("%s: only %d core entry points found; has go-gl's generated code changed?", pkg, len(names))
	}
	return names
}

// The stand-in lists are exactly the ES 3.1 core functions that go-gl's
// ES 3.0 and GL 4.1 core packages do not have.
func TestStandInListsMatchGoGL(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/go-gl/gl").Output()
	if err != nil {
		t.Fatalf("find github.com/go-gl/gl: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	es31 := coreEntryPoints(t, dir, "v3.1/gles2")
	for _, tc := range []struct {
		pkg  string
		list []string
	}{{"v3.0/gles2", notInES30}, {"v4.1-core/gl", notInGL41}} {
		other := coreEntryPoints(t, dir, tc.pkg)
		var want []string
		for _, n := range es31 {
			if !slices.Contains(other, n) {
				want = append(want, n)
			}
		}
		slices.Sort(want)
		got := slices.Sorted(slices.Values(tc.list))
		if !slices.Equal(got, want) {
			t.Errorf("ES 3.1 core functions not in %s:\n got %v\nwant %v", tc.pkg, got, want)
		}
	}
}
