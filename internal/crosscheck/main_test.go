package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A module whose macOS-only file does not compile passes for Linux and
// fails for macOS, naming the file; its cgo half is accepted unchecked.
func TestCheckCatchesAPlatformsOwnFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":       "module example.com/m\n\ngo 1.26\n",
		"m.go":         "package m\n\nfunc Shared() int { return platform() }\n",
		"m_linux.go":   "package m\n\nfunc platform() int { return 1 }\n",
		"m_darwin.go":  "package m\n\nfunc platform() int { return undefinedOnMac }\n",
		"m_windows.go": "package m\n\n// #include <stdio.h>\nimport \"C\"\n\nfunc platform() int { return int(C.BUFSIZ) }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for goos, want := range map[string]string{"linux": "", "windows": "", "darwin": "m_darwin.go:3:30: undefined: undefinedOnMac"} {
		checked, problems, err := check(dir, goos, "amd64", []string{"."})
		if err != nil {
			t.Fatalf("%s: %v", goos, err)
		}
		got := strings.Join(problems, "\n")
		if checked != 1 || (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%s: %d checked, problems %q, want %q", goos, checked, got, want)
		}
	}
}
