package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"visionflow/internal/testenv"
	"visionflow/store"
)

func TestImportCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "vf.db")
	docs := testenv.LogseqDocs(t)
	var out, errOut bytes.Buffer
	if code := Main([]string{"import", "--logseq", docs, "--db", db}, &out, &errOut, nil); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `into graph "logseq-docs"`) || !strings.Contains(out.String(), "837 nodes, 1426 edges") {
		t.Errorf("output %q", out.String())
	}
	if !strings.Contains(errOut.String(), "reading pages: 333/333 (100%)") || !strings.Contains(errOut.String(), "storing events: 2263/2263 (100%)") {
		t.Errorf("progress not shown: %q", errOut.String())
	}

	// The same id again is refused with advice, and --replace replaces.
	out.Reset()
	errOut.Reset()
	if code := Main([]string{"import", "--logseq", docs, "--db", db}, &out, &errOut, nil); code != 1 || !strings.Contains(errOut.String(), "add --replace") {
		t.Errorf("second import: exit %d, %q", code, errOut.String())
	}
	json := filepath.Join(t.TempDir(), "small.json")
	os.WriteFile(json, []byte(`{"nodes": [{"id": "a"}, {"id": "b"}], "links": [{"source": "a", "target": "b"}]}`), 0o644)
	if code := Main([]string{"import", "--json", json, "--graph", "logseq-docs", "--replace", "--db", db}, &out, &errOut, nil); code != 0 {
		t.Fatalf("replace: exit %d: %s", code, errOut.String())
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	list, _ := st.ListGraphs(context.Background())
	if len(list) != 1 || list[0].Nodes != 2 || list[0].Edges != 1 {
		t.Errorf("after --replace: %+v", list)
	}

	for _, bad := range [][]string{
		{"import", "--db", db},
		{"import", "--logseq", docs, "--json", json, "--db", db},
	} {
		errOut.Reset()
		if code := Main(bad, &out, &errOut, nil); code != 2 || !strings.Contains(errOut.String(), "give exactly one PATH, or one of --logseq DIR, --obsidian DIR") {
			t.Errorf("%v: exit %d, %q", bad, code, errOut.String())
		}
	}
	errOut.Reset()
	if code := Main([]string{"import", "--json", "/nonexistent.json", "--db", db}, &out, &errOut, nil); code != 1 || !strings.Contains(errOut.String(), "no such file") {
		t.Errorf("missing file: exit %d, %q", code, errOut.String())
	}
	// A path with its format told from the content, flags after it: an
	// Obsidian vault prints its report; a GEXF file is read as GEXF; a
	// file given as the wrong format says what it looks like.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"import", "../ingest/testdata/obsidian/vault", "--db", db}, 0, "12 notes, 27 links resolved"},
		{[]string{"import", "../ingest/testdata/lesmis-gephi.gexf", "--graph", "lesmis", "--db", db}, 0, `graph "lesmis"`},
		{[]string{"import", "--json", "../ingest/testdata/lesmis-gephi.gexf", "--db", db}, 1, "the file looks like gexf"},
		{[]string{"import", "--format", "gml", "../ingest/testdata/obsidian/vault", "--db", db}, 1, "is a folder"},
		{[]string{"import", "a", "b", "--db", db}, 2, "one PATH at a time"},
	} {
		out.Reset()
		errOut.Reset()
		code := Main(tc.args, &out, &errOut, nil)
		if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %q %q; want exit %d and %q", tc.args, code, out.String(), errOut.String(), tc.code, tc.want)
		}
	}
}

func TestServerFlagsAreChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "localhost"}, "want HOST:PORT"},
		{[]string{"--addr", "127.0.0.1:99999"}, "from 0 to 65535"},
		{[]string{"--log-level", "loud"}, "want debug, info, warn or error"},
		{[]string{"--db", t.TempDir() + "/"}, "names a folder"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
	} {
		var out, errOut bytes.Buffer
		if code := Main(tc.args, &out, &errOut, nil); code == 0 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut.String())
		}
	}
}

func TestTokenCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(append(args, "--db", db), &out, &errOut, nil)
		return code, out.String(), errOut.String()
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"token"}, "name a token command"},
		{[]string{"token", "mint"}, `unknown token command "mint"`},
		{[]string{"token", "create"}, "--role is required"},
		{[]string{"token", "create", "--role", "root"}, "viewer, editor, agent, admin"},
		{[]string{"token", "create", "--role", "viewer", "--expires", "soon"}, "positive duration"},
		{[]string{"token", "revoke"}, "name the one token"},
		{[]string{"token", "revoke", "nobody"}, "no token has the id or name"},
	} {
		if code, _, errOut := run(tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut)
		}
	}
	code, secret, errOut := run("token", "create", "--role", "editor", "--name", "ana", "--expires", "7d")
	secret = strings.TrimSpace(secret)
	if code != 0 || !strings.HasPrefix(secret, "vf_") || !strings.Contains(errOut, "--join http://") {
		t.Fatalf("create: %d %q %q", code, secret, errOut)
	}
	if code, _, errOut := run("token", "create", "--role", "viewer", "--name", "ana"); code == 0 || !strings.Contains(errOut, "already named") {
		t.Errorf("a second ana: %d %q", code, errOut)
	}
	// The token works on a shared server using the same file, and stops
	// working once revoked (here before its first use, so no cache hides
	// it).
	code, second, _ := run("token", "create", "--role", "viewer", "--name", "ben")
	second = strings.TrimSpace(second)
	if code != 0 {
		t.Fatal("create ben")
	}
	if code, out, _ := run("token", "revoke", "ben"); code != 0 || !strings.Contains(out, "revoked") {
		t.Errorf("revoke ben: %d %q", code, out)
	}
	ts := startShared(t, db)
	if ts.FirstToken == "" {
		t.Error("a shared server whose tokens include no admin made no admin token")
	}
	ctx := context.Background()
	if me, err := ts.as(secret).WhoAmI(ctx); err != nil || me.Name != "ana" || me.Role != "editor" {
		t.Errorf("ana on the server: %+v %v", me, err)
	}
	if _, err := ts.as(second).WhoAmI(ctx); statusOf(err) != 401 {
		t.Errorf("revoked ben on the server: %v", err)
	}
	code, out, _ := run("token", "list")
	if code != 0 || !strings.Contains(out, "ana") || !strings.Contains(out, "until ") || !strings.Contains(out, "revoked ") {
		t.Errorf("list: %d\n%s", code, out)
	}
	if strings.Contains(out, secret) {
		t.Error("list shows a secret")
	}
}

func TestServerRefusesABusyAddress(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "a.db"))
	defer s.Close()
	var out, errOut bytes.Buffer
	code := Main([]string{"--headless", "--db", filepath.Join(t.TempDir(), "b.db"), "--addr", s.Addr.String()}, &out, &errOut, nil)
	if code != 1 || !strings.Contains(errOut.String(), "the address is in use (is another VisionFlow running?)") {
		t.Errorf("exit %d, %q", code, errOut.String())
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"logseq-docs": "logseq-docs", "My Notes!": "my-notes", "ÜÜ": "imported", "a..b": "a..b"} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the writer and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveUntilUp runs the server command until it says where it serves, then
// stops it and returns what it logged.
func serveUntilUp(t *testing.T, window Window, args ...string) string {
	t.Helper()
	var out, errOut syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	if args == nil {
		args = []string{"--db", filepath.Join(t.TempDir(), "vf.db"), "--addr", "127.0.0.1:0"}
	}
	go func() {
		done <- runServer(ctx, args, &out, &errOut, window)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "serving http://127.0.0.1:") {
		if time.Now().After(deadline) {
			t.Fatalf("no serving line; stderr %q", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return errOut.String()
}

// The very first start, with no --db, makes the user's data folder, which
// a fresh account does not have yet.
func TestFirstStartMakesTheDataFolder(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("LocalAppData", filepath.Join(home, "AppData", "Local"))
	serveUntilUp(t, nil, "--headless", "--addr", "127.0.0.1:0")
	db, err := dataDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(db, home) {
		t.Fatalf("data folder %s is not under the test's home %s", db, home)
	}
	if _, err := os.Stat(filepath.Join(db, "visionflow.db")); err != nil {
		t.Errorf("no database in the new data folder: %v", err)
	}
}

func TestWithoutADisplayItSaysSoAndServes(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	e := serveUntilUp(t, func(context.Context, Config, io.Writer, *slog.Logger) error {
		t.Error("the window was tried without a display")
		return nil
	})
	if !strings.Contains(e, "no display found ($DISPLAY and $WAYLAND_DISPLAY are not set)") || !strings.Contains(e, "running headless") {
		t.Errorf("stderr %q", e)
	}
}

// A display whose window cannot be made (no OpenGL ES 3.1) falls back to
// the headless server with the window's reason; --join and --screenshot,
// which need the window, fail instead.
func TestWindowFailureFallsBackToHeadless(t *testing.T) {
	t.Setenv("DISPLAY", ":99")
	noGL := func(context.Context, Config, io.Writer, *slog.Logger) error {
		return fmt.Errorf("%w: create an OpenGL ES 3.1 window: no such context", ErrNoWindow)
	}
	if e := serveUntilUp(t, noGL); !strings.Contains(e, "no such context") || !strings.Contains(e, "running headless") {
		t.Errorf("stderr %q", e)
	}
	var out, errOut syncBuffer
	err := runServer(context.Background(), []string{"--db", filepath.Join(t.TempDir(), "vf.db"), "--join", "http://127.0.0.1:1"}, &out, &errOut, noGL)
	if !errors.Is(err, ErrNoWindow) {
		t.Errorf("--join without a window: %v", err)
	}
	err = runServer(context.Background(), []string{"--db", filepath.Join(t.TempDir(), "vf.db"), "--screenshot", filepath.Join(t.TempDir(), "x.png")}, &out, &errOut, nil)
	if err == nil || !strings.Contains(err.Error(), "-tags nogui") {
		t.Errorf("--screenshot in a build without a window: %v", err)
	}
}

func TestGLOnThisOS(t *testing.T) {
	for _, tc := range []struct {
		gl, goos, want string
	}{
		{"es", "darwin", "macOS has no OpenGL ES"},
		{"es30", "darwin", "macOS has no OpenGL ES"},
		{"core", "windows", "ANGLE, which has OpenGL ES only"},
		{"core", "darwin", ""}, {"auto", "darwin", ""}, {"es", "windows", ""}, {"core", "linux", ""}, {"es30", "linux", ""},
	} {
		err := glOnThisOS(tc.gl, tc.goos)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("--gl %s on %s: %v, want %q", tc.gl, tc.goos, err, tc.want)
		}
	}
}

func TestWindowFlagsAreChecked(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--size", "big"}, "want WIDTHxHEIGHT"},
		{[]string{"--size", "10x10"}, "from 64 to 16384"},
		{[]string{"--engine", "quantum"}, "want auto, gpu or cpu"},
		{[]string{"--gl", "vulkan"}, "want auto, es, es30 or core"},
		{[]string{"--gl", "core", "--engine", "gpu"}, "which --gl core does not have: use --gl es or --engine cpu"},
		{[]string{"--gl", "es30", "--engine", "gpu"}, "which --gl es30 does not have"},
		{[]string{"--frames", "5"}, "give --screenshot FILE too"},
		{[]string{"--screenshot", filepath.Join(dir, "x.png"), "--frames", "-1"}, "want 1 to 100000"},
		{[]string{"--screenshot", filepath.Join(dir, "x.jpg")}, "must end in .png"},
		{[]string{"--screenshot", filepath.Join(dir, "missing", "x.png")}, "does not exist"},
		{[]string{"--headless", "--join", "http://h:1"}, "cannot be combined"},
		{[]string{"--join", "ftp://h:1"}, "want the host's base URL"},
		{[]string{"--join", "http://h:1/api/graphs"}, "want the host's base URL"},
		{[]string{"--join", "h:1"}, "want the host's base URL"},
		{[]string{"--join", "http://h:1/#key=x"}, "must be token=<token>"},
		{[]string{"--join", "http://h:1", "--token", "secret"}, "not a VisionFlow token"},
		{[]string{"--join", "http://h:1/#token=vf_" + strings.Repeat("a", 10) + "_" + strings.Repeat("b", 52), "--token", "vf_" + strings.Repeat("c", 10) + "_" + strings.Repeat("b", 52)}, "give one"},
		{[]string{"--allow-host", "a b"}, "is not a host name"},
		{[]string{"--headless", "--graph", "docs"}, "cannot be combined with --join, --screenshot or --graph"},
		{[]string{"--graph", "a/b"}, "--graph: "},
		{[]string{"--local", "x", "--depth", "4"}, "--depth 4: want 1, 2 or 3"},
		{[]string{"--headless", "--colour-by", "community"}, "cannot be combined with --headless"},
		{[]string{"--colour-by", "a\x00b"}, "want community, component"},
	} {
		_, err := parseRun(append(tc.args, "--db", filepath.Join(dir, "x.db")), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	cfg, err := parseRun([]string{"--join", "http://10.0.0.2:7733/", "--size", "800X600", "--db", filepath.Join(dir, "x.db")}, io.Discard)
	if err != nil || cfg.Join != "http://10.0.0.2:7733" || cfg.Width != 800 || cfg.Height != 600 || cfg.Frames != 3 || cfg.Engine != "auto" || cfg.GL != "auto" {
		t.Errorf("%+v %v", cfg, err)
	}
	// A share link carries its token after the #.
	tok := "vf_" + strings.Repeat("a", 10) + "_" + strings.Repeat("b", 52)
	cfg, err = parseRun([]string{"--join", "http://10.0.0.2:7733/#token=" + tok, "--db", filepath.Join(dir, "x.db")}, io.Discard)
	if err != nil || cfg.Join != "http://10.0.0.2:7733" || cfg.Token != tok {
		t.Errorf("a share link: %+v %v", cfg, err)
	}
	cfg, err = parseRun([]string{"--share", "--addr", "127.0.0.1:8000", "--allow-host", "Box.lan,viz", "--db", filepath.Join(dir, "x.db")}, io.Discard)
	if err != nil || cfg.Addr != "0.0.0.0:8000" || strings.Join(cfg.AllowHosts, " ") != "box.lan viz" {
		t.Errorf("--share: %+v %v", cfg, err)
	}
}
