package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/client"
)

// Window is the desktop front end: it opens a window on cfg's session (a
// local server it starts, or the host of cfg.Join) and returns when the
// window closes or ctx ends. It must be called on the main OS thread. It
// returns an error wrapping ErrNoWindow when no window can be opened here,
// having started nothing.
type Window func(ctx context.Context, cfg Config, stdout io.Writer, log *slog.Logger) error

// ErrNoWindow says a window could not be opened: no display, or no OpenGL
// context the renderer can use.
var ErrNoWindow = errors.New("no desktop window")

// Main runs the visionflow command with the given arguments (without the
// program name) and returns its exit code. window is the desktop front end
// of builds that have one, else nil.
func Main(args []string, stdout, stderr io.Writer, window Window) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch {
	case len(args) > 0 && args[0] == "version":
		fmt.Fprintf(stdout, "visionflow %s\n", Version)
		return 0
	case len(args) > 0 && args[0] == "export":
		err = runExport(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "import":
		err = runImport(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "demo-swarm":
		err = runDemoSwarm(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "check":
		err = runCheck(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "backup":
		err = runBackup(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "sync":
		err = runSync(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "token":
		err = runToken(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "mcp":
		err = runMCP(ctx, args[1:], os.Stdin, nopCloser{stdout}, stderr)
	default:
		err = runServer(ctx, args, stdout, stderr, window)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "visionflow: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "visionflow: %v\n", err)
	return 1
}

// nopCloser lets the MCP transport close its output without closing the
// process's standard output under the caller.
type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runServer(ctx context.Context, args []string, stdout, stderr io.Writer, window Window) error {
	cfg, err := parseRun(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w (see visionflow --help)", err)
	}
	log := newLogger(stderr, cfg.LogLevel)
	if !cfg.Headless {
		// --join and --screenshot are nothing without a window; a plain
		// start falls back to the headless server and says why.
		needed := cfg.Join != "" || cfg.Screenshot != ""
		var err error
		switch reason := noDisplay(); {
		case window == nil:
			err = fmt.Errorf("%w: this build has none (it was built with -tags nogui)", ErrNoWindow)
		case reason != "":
			err = fmt.Errorf("%w: %s (on a server, use xvfb-run for screenshots)", ErrNoWindow, reason)
		default:
			err = window(ctx, cfg, stdout, log)
		}
		if needed || !errors.Is(err, ErrNoWindow) {
			return err
		}
		log.Warn(err.Error() + "; running headless")
	}
	srv, err := Start(ctx, cfg, nil, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "VisionFlow %s serving http://%s (database %s); Ctrl+C stops it\n", Version, srv.Addr, srv.Store.Path())
	if srv.Shared {
		fmt.Fprint(stdout, shareNotice(srv))
	}
	if cfg.DemoAgents > 0 {
		defer StartDemo(srv, cfg.DemoAgents, log)()
	}
	<-ctx.Done()
	log.Info("shutting down")
	return srv.Close()
}

// shareNotice tells whoever started a shared server how peers get in.
func shareNotice(srv *Server) string {
	_, port, _ := net.SplitHostPort(srv.Addr.String())
	var b strings.Builder
	fmt.Fprintf(&b, "Shared beyond this machine: every request needs a token (visionflow token create --role viewer|editor|agent|admin).\n")
	if srv.FirstToken != "" {
		fmt.Fprintf(&b, "Your admin token, shown only now:\n  %s\nOpen a window on this session from another machine with\n  visionflow --join http://%s --token %s\n",
			srv.FirstToken, LANHost(port, "HOST"), srv.FirstToken)
	}
	return b.String()
}

// runImport is `visionflow import`: it reads a folder of notes (a Logseq
// notebook, an Obsidian vault) or a graph file (JSON, GraphML, GEXF, GML,
// CSV) into a new graph of the database. The format is told from the
// content unless a flag names it.
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logseq := fs.String("logseq", "", "folder of a Logseq notebook (holding pages/ and journals/)")
	obsidian := fs.String("obsidian", "", "folder of an Obsidian vault (every folder in it is read)")
	files := map[string]*string{
		"json":    fs.String("json", "", "node-link JSON file (d3, networkx node-link or adjacency, Cytoscape.js, graphology)"),
		"graphml": fs.String("graphml", "", "GraphML file (as Gephi, yEd, Cytoscape or networkx write it)"),
		"gexf":    fs.String("gexf", "", "GEXF file (Gephi's format; positions, colours and sizes kept)"),
		"gml":     fs.String("gml", "", "GML file (as networkx, igraph, Gephi or yEd write it)"),
		"csv":     fs.String("csv", "", "CSV edge list (source, target, then weight, label or other columns; a header row optional), or a zip of nodes.csv and edges.csv"),
	}
	format := fs.String("format", "auto", "with a PATH argument: its format, auto (told from the content), logseq, obsidian, json, graphml, gexf, gml or csv")
	attachments := fs.Bool("attachments", false, "with an Obsidian vault: make a node of each attachment (image, PDF, …) a note links to")
	id := fs.String("graph", "", "id of the new graph (default: from the folder or file name)")
	name := fs.String("name", "", "display name of the new graph")
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	replace := fs.Bool("replace", false, "replace a graph that already has this id")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow import PATH [--format F] [flags]\n       visionflow import (--logseq DIR | --obsidian DIR | --json | --graphml | --gexf | --gml | --csv FILE) [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	// Flags may come after PATH, as users type them.
	var paths []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		paths, args = append(paths, fs.Arg(0)), fs.Args()[1:]
	}
	kind, source := "", ""
	given := 0
	if *logseq != "" {
		kind, source = "logseq", *logseq
		given++
	}
	if *obsidian != "" {
		kind, source = "obsidian", *obsidian
		given++
	}
	for f, v := range files {
		if *v != "" {
			kind, source = f, *v
			given++
		}
	}
	if len(paths) == 1 {
		kind, source = *format, paths[0]
		given++
	} else if len(paths) > 1 {
		return fmt.Errorf("%w: one PATH at a time, got %q", errUsage, paths)
	}
	if given != 1 {
		fs.Usage()
		return fmt.Errorf("%w: give exactly one PATH, or one of --logseq DIR, --obsidian DIR, --json, --graphml, --gexf, --gml or --csv FILE", errUsage)
	}
	st, err := os.Stat(source)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	folder := st.IsDir()
	switch {
	case folder && kind == "auto":
		kind = ingest.FolderFormat(os.DirFS(source))
	case folder && kind != "logseq" && kind != "obsidian":
		return fmt.Errorf("%s is a folder: import a folder as a Logseq notebook or an Obsidian vault (--format logseq or obsidian), a file as a graph", source)
	case !folder && (kind == "logseq" || kind == "obsidian"):
		return fmt.Errorf("--%s %s: not a folder", kind, source)
	}
	dbFile, err := dbPath(*db)
	if err != nil {
		return err
	}
	// The limits are the database's settings (system.import.*); a running
	// server applies its own to what is sent through it.
	log := newLogger(stderr, slog.LevelWarn)
	local, err := openSession(ctx, dbFile, log)
	var locked *errLocked
	lim := ingest.DefaultLimits
	switch {
	case errors.As(err, &locked) && locked.url != "":
		local = nil
	case err != nil:
		return err
	default:
		defer local.close()
		lim = ingest.LimitsFrom(local.session.Settings().Float)
	}
	progress := newProgress(stderr)
	var imp *ingest.Import
	start := time.Now()
	switch kind {
	case "logseq":
		imp, err = ingest.LogseqWithin(os.DirFS(source), progress.step("reading pages"), lim)
	case "obsidian":
		imp, err = ingest.ObsidianWithin(os.DirFS(source), progress.step("reading notes"), lim, ingest.ObsidianOptions{Attachments: *attachments})
	default:
		f, ferr := os.Open(source)
		if ferr != nil {
			return fmt.Errorf("import: %w", ferr)
		}
		defer f.Close()
		fmt.Fprintf(stderr, "reading %s…\n", source)
		imp, kind, err = ingest.Read(f, source, kind, lim)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	progress.done()
	for _, w := range imp.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if imp.Report != nil {
		fmt.Fprintf(stderr, "%s\n", imp.Report)
	}
	base := strings.TrimSuffix(filepath.Base(filepath.Clean(source)), filepath.Ext(source))
	if *id == "" {
		*id = Slug(base)
	}
	if *name == "" {
		*name = imp.Name
		if *name == "" {
			*name = base
		}
	}
	info := graph.Info{ID: *id, Name: *name, Type: imp.Type}
	if err := graph.ValidateGraphID(info.ID); err != nil {
		return fmt.Errorf("--graph: %w", err)
	}

	if local == nil {
		return importThrough(ctx, locked.url, kind, source, info, *replace, stdout, stderr)
	}
	sum, err := local.session.Import(ctx, "cli", info, imp, ImportOptions{Replace: *replace, Progress: progress.step("storing events")})
	progress.done()
	if errors.Is(err, graph.ErrDuplicateID) {
		return fmt.Errorf("a graph %q already exists in %s; choose another --graph or add --replace", info.ID, dbFile)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s into graph %q of %s: %d nodes, %d edges in %v\n",
		source, sum.ID, dbFile, sum.Nodes, sum.Edges, time.Since(start).Round(time.Millisecond))
	return nil
}

// importThrough sends an import to the server that holds the database, so
// the server (which keeps graphs in memory) makes the change itself.
func importThrough(ctx context.Context, url, format, file string, info graph.Info, replace bool, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "a VisionFlow server is using the database; sending the import to it at %s\n", url)
	c := client.New(url, "cli")
	opt := client.ImportOptions{ID: info.ID, Name: info.Name, Replace: replace}
	var sum graph.Summary
	var err error
	if format == "logseq" || format == "obsidian" {
		sum, _, err = c.ImportFolder(ctx, format, file, opt)
	} else {
		f, ferr := os.Open(file)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		sum, _, err = c.Import(ctx, format, f, opt)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported into graph %q on the server at %s: %d nodes, %d edges\n", sum.ID, url, sum.Nodes, sum.Edges)
	return nil
}

// Slug turns a file or folder name into a graph id.
func Slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	if len(out) > graph.MaxGraphIDBytes {
		out = out[:graph.MaxGraphIDBytes]
	}
	if out == "" {
		out = "imported"
	}
	return out
}
