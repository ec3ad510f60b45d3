// Package packaging holds the files and scripts that make VisionFlow's
// packages (README.md); these tests check the pieces that can be checked
// in seconds: a real `make deb` builds the release binary, which takes
// minutes, so the package scripts are run here on a small stand-in.
package packaging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestVersionForms(t *testing.T) {
	for _, tc := range []struct{ in, numeric, deb string }{
		{"v1.2.3", "1.2.3", "1.2.3"},
		{"1.2", "1.2.0", "1.2.0"},
		{"v2", "2.0.0", "2.0.0"},
		{"v1.2.3-4-gabc1234", "1.2.3", "1.2.3+4.gabc1234"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3", "1.2.3+4.gabc1234.dirty"},
		{"v2.0.0-rc1", "2.0.0", "2.0.0~rc1"},
		// Untagged: the version app.Version names, before this build.
		{"e51f9f2", "0.1.0", "0.1.0~git.e51f9f2"},
		{"e51f9f2-dirty", "0.1.0", "0.1.0~git.e51f9f2.dirty"},
		{"1234567", "0.1.0", "0.1.0~git.1234567"}, // a hash of digits is no version
		{"12e4567", "0.1.0", "0.1.0~git.12e4567"},
		{"dev", "0.1.0", "0.1.0~git.dev"},
	} {
		for form, want := range map[string]string{"numeric": tc.numeric, "deb": tc.deb} {
			out, err := exec.Command("sh", "version.sh", form, tc.in).CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != want {
				t.Errorf("version.sh %s %s = %q (%v), want %q", form, tc.in, got, err, want)
			}
		}
	}
	// The untagged base follows the code's own version.
	src, err := os.ReadFile("../app/session.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte(`var Version = "0.1.0`)) {
		t.Log("app.Version no longer starts 0.1.0: update the untagged cases above")
	}
}

// iconSizes are the sizes `make icons` renders, read from the Makefile so
// that the files asked for below are the ones made.
func iconSizes(t *testing.T) []int {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)\nicons:.*?for n in ([0-9 ]+); do`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("no `for n in SIZES` in the Makefile's icons target")
	}
	var sizes []int
	for _, f := range strings.Fields(string(m[1])) {
		n, _ := strconv.Atoi(f)
		sizes = append(sizes, n)
	}
	return sizes
}

func TestWinresJSON(t *testing.T) {
	data, err := os.ReadFile("windows/winres.json")
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Icon     map[string]map[string][]string `json:"RT_GROUP_ICON"`
		Manifest map[string]map[string]struct {
			MinimumOS      string `json:"minimum-os"`
			ExecutionLevel string `json:"execution-level"`
			DPIAwareness   string `json:"dpi-awareness"`
			CommonControls bool   `json:"use-common-controls-v6"`
		} `json:"RT_MANIFEST"`
		Version map[string]map[string]struct {
			Fixed map[string]string            `json:"fixed"`
			Info  map[string]map[string]string `json:"info"`
		} `json:"RT_VERSION"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("winres.json: %v", err)
	}
	sizes := iconSizes(t)
	icons := res.Icon["APP"]["0000"]
	if len(icons) == 0 {
		t.Fatal("no APP icon")
	}
	for _, f := range icons {
		var n int
		if _, err := fmt.Sscanf(f, "visionflow-%d.png", &n); err != nil || !slices.Contains(sizes, n) || n > 256 {
			t.Errorf("icon image %s: `make icons` renders visionflow-N.png for N in %v, and an icon holds 256 at most", f, sizes)
		}
	}
	m := res.Manifest["#1"]["0409"]
	if m.DPIAwareness != "per monitor v2" || !m.CommonControls || m.ExecutionLevel != "as invoker" || m.MinimumOS != "win10" {
		t.Errorf("manifest %+v: want per-monitor-v2 DPI awareness, common controls 6, as invoker, Windows 10 (Go's minimum)", m)
	}
	v, ok := res.Version["#1"]["0000"]
	if !ok {
		t.Fatal("no RT_VERSION #1")
	}
	info := v.Info["0409"]
	for _, k := range []string{"FileDescription", "ProductName", "OriginalFilename", "FileVersion", "ProductVersion"} {
		if info[k] == "" {
			t.Errorf("version info has no %s", k)
		}
	}
	// make windows fills these in; a version written here would go stale.
	if v.Fixed["file_version"] != "@NUMVERSION@.0" || v.Fixed["product_version"] != "@NUMVERSION@.0" ||
		info["FileVersion"] != "@NUMVERSION@.0" || info["ProductVersion"] != "@VERSION@" {
		t.Errorf("versions %v %v: want the @NUMVERSION@.0 and @VERSION@ placeholders", v.Fixed, info)
	}
	mk, _ := os.ReadFile("../Makefile")
	for _, p := range []string{"s/@NUMVERSION@/$(NUMVERSION)/g", "s/@VERSION@/$(VERSION)/g"} {
		if !bytes.Contains(mk, []byte(p)) {
			t.Errorf("the Makefile does not fill in winres.json with %s", p)
		}
	}
}

func TestDesktopEntry(t *testing.T) {
	data, err := os.ReadFile("linux/visionflow.desktop")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if lines[0] != "[Desktop Entry]" {
		t.Fatalf("first line %q", lines[0])
	}
	keys := map[string]string{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("line %q", l)
		}
		keys[k] = v
	}
	for k, want := range map[string]string{"Type": "Application", "Name": "VisionFlow", "Exec": "visionflow", "Icon": "visionflow", "Terminal": "false"} {
		if keys[k] != want {
			t.Errorf("%s=%q, want %q", k, keys[k], want)
		}
	}
	// A main category puts it in a menu; DataVisualization alone would not.
	if cats := strings.Split(keys["Categories"], ";"); !slices.Contains(cats, "Science") && !slices.Contains(cats, "Office") {
		t.Errorf("Categories=%q has no main category", keys["Categories"])
	}
}

// standInDir is where standIn built, removed when the tests end.
var standInDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if standInDir != "" {
		os.RemoveAll(standInDir)
	}
	os.Exit(code)
}

// standIn is a small cgo program that answers `version` as visionflow
// does and links libc, as the release binary does, so that
// dpkg-shlibdeps has something to find.
var standIn = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "visionflow-standin")
	if err != nil {
		return "", err
	}
	standInDir = dir
	src := "package main\n\n// #include <stdlib.h>\nimport \"C\"\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\n" +
		"func main() {\n\tif len(os.Args) > 1 && os.Args[1] == \"version\" {\n\t\tfmt.Println(\"visionflow standin\")\n\t}\n\tC.free(nil)\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module standin\n\ngo 1.26\n"), 0o644); err != nil {
		return "", err
	}
	//lint:ignore SA1019 the go command built this test binary here, so the root it was built with holds that go command
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gocmd, "build", "-o", "visionflow", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the stand-in: %v\n%s", err, out)
	}
	return filepath.Join(dir, "visionflow"), nil
})

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("Linux packaging")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s (make deb installs it)", tool)
		}
	}
}

// icons writes PNGs of every size `make icons` renders.
func icons(t *testing.T) string {
	dir := t.TempDir()
	for _, n := range iconSizes(t) {
		var b bytes.Buffer
		if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, n, n))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("visionflow-%d.png", n)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func TestDeb(t *testing.T) {
	needTools(t, "dpkg-deb", "dpkg-shlibdeps", "gcc")
	bin, err := standIn()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	//lint:ignore SA1019 as in standIn
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	deb := strings.TrimSpace(run(t, []string{"GO=" + gocmd}, "linux/mkdeb.sh", bin, "1.2.3~test", icons(t), out))
	if filepath.Base(deb) != fmt.Sprintf("visionflow_1.2.3~test_%s.deb", strings.TrimSpace(run(t, nil, "dpkg", "--print-architecture"))) {
		t.Fatalf("mkdeb.sh wrote %s", deb)
	}
	t.Log(run(t, []string{"LINTIAN=0"}, "linux/deb-check.sh", deb))
	if rec := run(t, nil, "dpkg-deb", "--field", deb, "Recommends"); !strings.Contains(rec, "libxrandr2") {
		t.Errorf("Recommends: %s", rec)
	}
	// The copyright file names the Go modules in the binary (the
	// stand-in has none) after the project's own notice.
	x := t.TempDir()
	run(t, nil, "dpkg-deb", "-x", deb, x)
	cp, err := os.ReadFile(filepath.Join(x, "usr/share/doc/visionflow/copyright"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Copyright: [0-9]{4}(-[0-9]{4})? The VisionFlow authors$`).Match(cp) || !bytes.Contains(cp, []byte("Files: usr/bin/visionflow")) {
		t.Errorf("copyright:\n%s", cp)
	}
	// The maintainer scripts run where the cache tools are missing.
	for _, s := range []string{"postinst configure", "postrm remove"} {
		f := strings.Fields(s)
		run(t, []string{"PATH=/nonexistent"}, "/bin/sh", append([]string{"linux/deb/" + f[0]}, f[1:]...)...)
	}
}

func TestTarballInstall(t *testing.T) {
	needTools(t, "install")
	bin, err := standIn()
	if err != nil {
		t.Fatal(err)
	}
	// The archive's folder, as make dist lays it out.
	dir := t.TempDir()
	for _, f := range []string{bin, "linux/install.sh", "linux/visionflow.desktop", "linux/visionflow.svg"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	prefix := t.TempDir()
	env := []string{"PREFIX=" + prefix}
	run(t, env, filepath.Join(dir, "install.sh"))
	installed := []string{"bin/visionflow", "share/applications/visionflow.desktop", "share/icons/hicolor/scalable/apps/visionflow.svg"}
	for _, f := range installed {
		if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	if out := run(t, nil, filepath.Join(prefix, "bin/visionflow"), "version"); out != "visionflow standin\n" {
		t.Errorf("the installed binary says %q", out)
	}
	out := run(t, env, filepath.Join(dir, "install.sh"), "--uninstall")
	for _, f := range installed {
		if _, err := os.Stat(filepath.Join(prefix, f)); !os.IsNotExist(err) {
			t.Errorf("%s left after --uninstall (%v):\n%s", f, err, out)
		}
	}
	if cmd := exec.Command(filepath.Join(dir, "install.sh"), "--bogus"); cmd.Run() == nil {
		t.Error("install.sh --bogus succeeded")
	}
}

func TestAppDir(t *testing.T) {
	needTools(t, "install", "readlink")
	bin, err := standIn()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	run(t, nil, "linux/mkappdir.sh", bin, icons(t), out)
	dir := filepath.Join(out, "VisionFlow.AppDir")
	// What appimagetool and the AppImage runtime look for at the top.
	for _, f := range []string{"AppRun", "visionflow.desktop", "visionflow.png", ".DirIcon", "usr/bin/visionflow"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil { // through symlinks
			t.Errorf("AppDir: %v", err)
		}
	}
	// AppRun runs the binary from wherever the AppDir is.
	moved := filepath.Join(t.TempDir(), "elsewhere")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if got := run(t, nil, filepath.Join(moved, "AppRun"), "version"); got != "visionflow standin\n" {
		t.Errorf("AppRun version: %q", got)
	}
}
