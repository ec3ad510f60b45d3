package window

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"

	"visionflow/internal/gles"
)

// childEnv marks the test binary run as a child with a display that does
// not exist: GLFW can be started only once per process.
const childEnv = "VISIONFLOW_WINDOW_CHILD"

func TestOpenOnADeadDisplay(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		runtime.LockOSThread()
		_, err := Open(Options{Width: 64, Height: 64, Hidden: true})
		if !errors.Is(err, ErrNoDisplay) {
			t.Fatalf("Open: %v, want ErrNoDisplay", err)
		}
		t.Logf("Open: %v", err)
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("a dead display is an X11 notion")
	}
	// A stale $DISPLAY (an old SSH session, a closed Xvfb) once made go-gl's
	// GLFW panic after the platform refused to start.
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpenOnADeadDisplay$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"=1", "DISPLAY=:197", "WAYLAND_DISPLAY=")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "panic") || !strings.Contains(string(out), "GLFW did not start") {
		t.Errorf("child: %v\n%s", err, out)
	}
}

func TestParseAPI(t *testing.T) {
	for in, want := range map[string]API{"": Default, "auto": Default, "es": ES31, "es30": ES30, "core": Core41} {
		if got, err := ParseAPI(in); err != nil || got != want {
			t.Errorf("ParseAPI(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseAPI("vulkan"); err == nil || !strings.Contains(err.Error(), "want auto, es, es30 or core") {
		t.Errorf("ParseAPI(vulkan): %v", err)
	}
	if Default.Resolve() == Default || ES31.Resolve() != ES31 || Core41.Resolve() != Core41 {
		t.Error("Resolve")
	}
	if ES31.Dialect() != gles.ES310 || ES30.Dialect() != gles.ES300 || Core41.Dialect() != gles.GL410 {
		t.Error("Dialect")
	}
}

func TestPlan(t *testing.T) {
	if got := plan(ES30); !slices.Equal(got, []API{ES30}) {
		t.Errorf("es30: %v", got)
	}
	if got := plan(Core41); !slices.Equal(got, []API{Core41}) {
		t.Errorf("core: %v", got)
	}
	if got := plan(ES31); !slices.Equal(got, []API{ES31, ES30}) {
		t.Errorf("es: %v (asked for, ES never falls back to desktop GL)", got)
	}
	want := []API{defaultAPI}
	switch {
	case defaultAPI == ES31 && coreFallback:
		want = []API{ES31, ES30, Core41}
	case defaultAPI == ES31:
		want = []API{ES31, ES30}
	}
	if got := plan(Default); !slices.Equal(got, want) {
		t.Errorf("auto on %s: %v, want %v", runtime.GOOS, got, want)
	}
	if runtime.GOOS == "linux" && !coreFallback {
		t.Error("Linux has lost its last resort of OpenGL 4.1 core")
	}
	// ES 3.0 is tried only when 3.1 was refused as a version; desktop
	// OpenGL after any failure of ES.
	if retry(ES30, false) || !retry(ES30, true) || !retry(Core41, false) {
		t.Error("retry")
	}
}
