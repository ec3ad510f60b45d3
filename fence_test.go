package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	//lint:ignore SA1019 the go command built this test binary here, so the root it was built with holds that go command
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), append([]string{"list"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, out)
	}
	return strings.Fields(string(out))
}

// The pure packages must never pull in cgo graphics: GL, GLFW and Gio live
// in render/, the GPU half of compute/ (compute/gpu), internal/{gles,window,
// gltest} and app/desktop/ only.
func TestPurePackagesStayFreeOfGraphics(t *testing.T) {
	pure := []string{"./graph/...", "./store/...", "./settings/...", "./ingest/...", "./net/...", "./session", "./auth", "./metrics", "./agent", "./telemetry", "./task", "./memory/...", "./compute", "./app", "./internal/binenc", "./internal/testenv"}
	for _, dep := range goList(t, append([]string{"-deps"}, pure...)...) {
		if strings.HasPrefix(dep, "gioui.org") || strings.HasPrefix(dep, "github.com/go-gl/") {
			t.Errorf("a pure package depends on %s", dep)
		}
	}
	for _, dep := range goList(t, "-tags", "nogui", "-deps", ".") {
		if strings.HasPrefix(dep, "gioui.org") || strings.HasPrefix(dep, "github.com/go-gl/") {
			t.Errorf("the nogui build depends on %s", dep)
		}
	}
}

// graph/ is the pure domain: no I/O, no storage, no network.
func TestGraphDoesNoIO(t *testing.T) {
	banned := []string{"os", "io/fs", "net", "net/http", "database/sql", "path/filepath", "syscall", "visionflow/store", "visionflow/net/api", "visionflow/app"}
	for _, line := range goList(t, "-f", "{{.ImportPath}}:{{join .Imports \",\"}}", "./graph/...") {
		pkg, imports, _ := strings.Cut(line, ":")
		for _, imp := range strings.Split(imports, ",") {
			if slices.Contains(banned, imp) {
				t.Errorf("%s imports %s", pkg, imp)
			}
		}
	}
}

// The rooms of DESIGN.md: what each package must never import.
func TestPackageFences(t *testing.T) {
	never := map[string][]string{
		"./compute/...": {"visionflow/net", "visionflow/store", "visionflow/app", "visionflow/render"},
		"./store/...":   {"visionflow/net", "visionflow/compute", "visionflow/app", "visionflow/render"},
		"./net/...":     {"visionflow/compute", "visionflow/store", "visionflow/app", "visionflow/render"},
		"./ingest/...":  {"visionflow/net", "visionflow/store", "visionflow/app"},
		"./render/...":  {"visionflow/net", "visionflow/store", "visionflow/app", "visionflow/compute"},
		// The session's contract is neutral ground: transports import it,
		// it imports none of them.
		"./session": {"visionflow/net/api", "visionflow/net/client", "visionflow/store", "visionflow/app", "visionflow/render", "visionflow/compute"},
		// A client shares wire types with the server, never its code.
		"./net/client": {"visionflow/net/api"},
		// MCP is a transport beside REST and the WebSocket, not on top of them.
		"./net/mcp": {"visionflow/net/api", "visionflow/net/client"},
		// The agent domain is pure.
		"./auth ./agent ./telemetry ./task ./memory/...": {"visionflow/store", "visionflow/net", "visionflow/app", "visionflow/session"},
		// The desktop is a leaf: only the main package imports it.
		"./graph/... ./store/... ./settings/... ./ingest/... ./net/... ./compute/... ./app ./render/... ./internal/...": {"visionflow/app/desktop"},
	}
	for pkgs, banned := range never {
		for _, dep := range goList(t, append([]string{"-deps"}, strings.Fields(pkgs)...)...) {
			for _, b := range banned {
				if dep == b || strings.HasPrefix(dep, b+"/") {
					t.Errorf("%s depends on %s", pkgs, dep)
				}
			}
		}
	}
}
