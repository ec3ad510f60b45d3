package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unicode"
	"visionflow/graph"

	"visionflow/auth"
	"visionflow/compute"
	"visionflow/internal/clock"
)

// DefaultAddr is where the API listens unless --addr says otherwise:
// loopback only, so nothing is exposed to the network by default.
const DefaultAddr = "127.0.0.1:7733"

// Config is what the command line sets.
type Config struct {
	Headless bool
	DB       string // database file
	Addr     string // host:port for the API
	LogLevel slog.Level
	// AllowHosts are Host names a shared server answers to besides its
	// own addresses and name (--allow-host).
	AllowHosts []string
	// Token is sent to the host of Join (--token, $VISIONFLOW_TOKEN, or
	// the #token= part of the join URL).
	Token string

	// The desktop window.
	Join       string // a host's base URL: show its session instead of a local one
	Screenshot string // write a PNG of the window to this file and exit
	Width      int    // window size in pixels
	Height     int
	Frames     int    // frames to draw before a screenshot
	Engine     string // physics engine: auto, gpu or cpu
	GL         string // OpenGL to ask for: auto, es (ES 3.1) or core (4.1 core)
	Graph      string // the graph the window shows first ("": the last it showed, else the newest)
	DemoAgents int    // run a simulated swarm of this many agents on the server
	ColourBy   string // the window's first colouring (--colour-by; "": one colour)
	Local      string // a node whose local graph the window opens on (--local)
	Depth      int    // how many links deep that local graph goes (--depth)
	Pictures   string // the folder the window saves pictures of its view into (--pictures)

	// NewEngine makes each graph's physics engine; set by the desktop
	// front end (not a flag). Nil means the CPU engine.
	NewEngine func() (compute.Engine, error)
	// EngineReason says why the physics runs on the engine it runs on
	// (not a flag; the desktop's choice), for the log, /api/health and
	// the stats bar.
	EngineReason string
	// Clock drives the stream's ticks, pings and timeouts (not a flag; nil
	// is the system's): tests move a manual one.
	Clock clock.Clock
}

// parseRun reads the flags of `visionflow [flags]`.
func parseRun(args []string, stderr io.Writer) (Config, error) {
	cfg := Config{Addr: DefaultAddr}
	fs := flag.NewFlagSet("visionflow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&cfg.Headless, "headless", false, "run the server without a window")
	fs.StringVar(&cfg.DB, "db", "", "database file (default: visionflow.db in the user's data folder)")
	fs.StringVar(&cfg.Addr, "addr", DefaultAddr, "host:port for the REST API; an address beyond loopback (0.0.0.0:PORT) lets LAN peers in, each with a token")
	share := fs.Bool("share", false, "let LAN peers in: listen on every address (0.0.0.0, the port of --addr); every request then needs a token")
	fs.Func("allow-host", "a host name a shared server answers to besides its addresses and its machine name (repeatable)", func(v string) error {
		for h := range strings.SplitSeq(v, ",") {
			h = strings.ToLower(strings.TrimSpace(h))
			if h == "" || strings.ContainsAny(h, " /:@") {
				return fmt.Errorf("%q is not a host name", h)
			}
			cfg.AllowHosts = append(cfg.AllowHosts, h)
		}
		return nil
	})
	fs.StringVar(&cfg.Token, "token", os.Getenv("VISIONFLOW_TOKEN"), "with --join: the token the host gave you (default $VISIONFLOW_TOKEN)")
	level := fs.String("log-level", "info", "log verbosity: debug, info, warn or error")
	fs.StringVar(&cfg.Join, "join", "", "open a window on another instance's session at this URL (http://HOST:PORT)")
	fs.StringVar(&cfg.Screenshot, "screenshot", "", "draw the graph, write this PNG file and exit")
	fs.StringVar(&cfg.Pictures, "pictures", "", "folder the window saves pictures of its view into, with P or the view panel (default: Pictures in the home folder, else beside the database)")
	fs.StringVar(&cfg.ColourBy, "colour-by", "", "the window's colouring: community, component, degree, pagerank, betweenness or a metadata field (the view panel opens with its legend)")
	fs.StringVar(&cfg.Local, "local", "", "open the window on the local graph of this node id (with --depth)")
	fs.IntVar(&cfg.Depth, "depth", 1, "with --local: how many links deep the local graph goes, 1 to 3")
	fs.StringVar(&cfg.Graph, "graph", "", "the graph the window (and --screenshot) opens first (default: the one the window showed last, else the newest)")
	size := fs.String("size", "1280x800", "window size in pixels, WIDTHxHEIGHT")
	fs.IntVar(&cfg.Frames, "frames", 0, "with --screenshot: frames to draw once the layout has settled (default 3)")
	fs.StringVar(&cfg.Engine, "engine", "auto", "physics engine of the desktop: auto (GPU when compute shaders work), gpu or cpu")
	fs.IntVar(&cfg.DemoAgents, "demo-agents", 0, "run a simulated swarm of this many agents on this server's API (see also visionflow demo-swarm)")
	fs.StringVar(&cfg.GL, "gl", "auto", "OpenGL of the desktop: auto (core on macOS, es elsewhere), es (OpenGL ES 3.1 with GPU physics, else 3.0), es30 (OpenGL ES 3.0 only) or core (OpenGL 4.1 core); all but es 3.1 lay out on the CPU")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow [flags]\n       visionflow import (--logseq DIR | --json FILE) [flags]\n       visionflow token create --role ROLE | list | revoke ID\n       visionflow sync --with URL [--graph ID]\n       visionflow check [--db PATH]\n       visionflow backup --to FILE [--db PATH]\n       visionflow mcp [--db PATH] [--token T]\n       visionflow demo-swarm [--agents N] [--join URL] [--token T]\n       visionflow version\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q (see visionflow --help)", fs.Arg(0))
	}
	var err error
	if cfg.LogLevel, err = parseLevel(*level); err != nil {
		return cfg, err
	}
	if err := checkAddr(cfg.Addr); err != nil {
		return cfg, err
	}
	if *share {
		_, port, _ := net.SplitHostPort(cfg.Addr)
		cfg.Addr = net.JoinHostPort("0.0.0.0", port)
	}
	if cfg.Width, cfg.Height, err = parseSize(*size); err != nil {
		return cfg, err
	}
	if err := checkWindowFlags(&cfg); err != nil {
		return cfg, err
	}
	cfg.DB, err = dbPath(cfg.DB)
	return cfg, err
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// checkAddr validates --addr before anything is opened, so a typo gets a
// precise message instead of a listener error.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT such as %s: %v", addr, DefaultAddr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("--addr %q: port %q must be a number from 0 to 65535", addr, port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("--addr %q: %q is not a host name or IP address", addr, host)
	}
	return nil
}

// parseSize reads --size WIDTHxHEIGHT.
func parseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, errW := strconv.Atoi(a)
	h, errH := strconv.Atoi(b)
	if !ok || errW != nil || errH != nil {
		return 0, 0, fmt.Errorf("--size %q: want WIDTHxHEIGHT in pixels, such as 1280x800", s)
	}
	if w < 64 || h < 64 || w > 16384 || h > 16384 {
		return 0, 0, fmt.Errorf("--size %q: width and height must be from 64 to 16384 pixels", s)
	}
	return w, h, nil
}

// glOnThisOS refuses an OpenGL the platform cannot give the window: macOS
// has no OpenGL ES, and on Windows Gio draws through ANGLE, which has no
// desktop OpenGL. internal/window refuses the same (for callers that skip
// the flags); this package stays free of graphics, so the rule is written
// twice.
func glOnThisOS(gl, goos string) error {
	switch {
	case goos == "darwin" && (gl == "es" || gl == "es30"):
		return fmt.Errorf("--gl %s: macOS has no OpenGL ES; use --gl core or leave --gl out", gl)
	case goos == "windows" && gl == "core":
		return errors.New("--gl core: on Windows the window draws through ANGLE, which has OpenGL ES only; use --gl es or leave --gl out")
	}
	return nil
}

// checkWindowFlags validates the flags of the desktop window.
func checkWindowFlags(cfg *Config) error {
	switch cfg.Engine {
	case "auto", "gpu", "cpu":
	default:
		return fmt.Errorf("--engine %q: want auto, gpu or cpu", cfg.Engine)
	}
	switch cfg.GL {
	case "auto", "es", "es30", "core":
	default:
		return fmt.Errorf("--gl %q: want auto, es, es30 or core", cfg.GL)
	}
	if (cfg.GL == "core" || cfg.GL == "es30") && cfg.Engine == "gpu" {
		return fmt.Errorf("--engine gpu runs on compute shaders, which --gl %s does not have: use --gl es or --engine cpu", cfg.GL)
	}
	if err := glOnThisOS(cfg.GL, runtime.GOOS); err != nil {
		return err
	}
	if cfg.Frames < 0 || cfg.Frames > 100000 {
		return fmt.Errorf("--frames %d: want 1 to 100000", cfg.Frames)
	}
	if cfg.Frames > 0 && cfg.Screenshot == "" {
		return errors.New("--frames counts the frames of a screenshot: give --screenshot FILE too")
	}
	if cfg.Frames == 0 {
		cfg.Frames = 3
	}
	if cfg.Headless && (cfg.Join != "" || cfg.Screenshot != "" || cfg.Graph != "") {
		return errors.New("--headless opens no window: it cannot be combined with --join, --screenshot or --graph")
	}
	if cfg.Graph != "" {
		if err := graph.ValidateGraphID(cfg.Graph); err != nil {
			return fmt.Errorf("--graph: %w", err)
		}
	}
	if cfg.Headless && (cfg.ColourBy != "" || cfg.Local != "") {
		return errors.New("--colour-by and --local are the window's: they cannot be combined with --headless")
	}
	if len(cfg.ColourBy) > 128 || strings.ContainsFunc(cfg.ColourBy, unicode.IsControl) {
		return fmt.Errorf("--colour-by %q: want community, component, degree, pagerank, betweenness or a metadata field name", cfg.ColourBy)
	}
	if cfg.Local != "" {
		if err := graph.ValidateID("--local", cfg.Local); err != nil {
			return err
		}
	}
	if cfg.Depth < 1 || cfg.Depth > 3 {
		return fmt.Errorf("--depth %d: want 1, 2 or 3", cfg.Depth)
	}
	if cfg.Screenshot != "" {
		if !strings.EqualFold(filepath.Ext(cfg.Screenshot), ".png") {
			return fmt.Errorf("--screenshot %q: the file name must end in .png", cfg.Screenshot)
		}
		if fi, err := os.Stat(filepath.Dir(cfg.Screenshot)); err != nil || !fi.IsDir() {
			return fmt.Errorf("--screenshot %q: the folder %s does not exist", cfg.Screenshot, filepath.Dir(cfg.Screenshot))
		}
	}
	if cfg.DemoAgents < 0 || cfg.DemoAgents > 10_000 {
		return fmt.Errorf("--demo-agents %d: want 0 to 10000", cfg.DemoAgents)
	}
	if cfg.DemoAgents > 0 && cfg.Join != "" {
		return errors.New("--demo-agents runs a swarm on this process's own server; to run one on another host use visionflow demo-swarm --join URL")
	}
	return checkJoin(cfg)
}

// checkJoin validates and normalises --join.
func checkJoin(cfg *Config) error {
	if cfg.Join != "" {
		u, err := url.Parse(cfg.Join)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("--join %q: want the host's base URL, such as http://192.168.1.20:7733", cfg.Join)
		}
		// A share link carries its token after the #, which browsers
		// never send to a server.
		if u.Fragment != "" {
			tok, ok := strings.CutPrefix(u.Fragment, "token=")
			if !ok {
				return fmt.Errorf("--join %q: the part after # must be token=<token>", cfg.Join)
			}
			if cfg.Token != "" && cfg.Token != tok {
				return fmt.Errorf("--join %q carries a token and --token gives another; give one", cfg.Join)
			}
			cfg.Token = tok
		}
		if cfg.Token != "" {
			if _, err := auth.Parse(cfg.Token); err != nil {
				return fmt.Errorf("--token: %w", err)
			}
		}
		cfg.Join = u.Scheme + "://" + u.Host
	}
	return nil
}

// dbPath resolves --db, defaulting to the user's data folder.
func dbPath(flagValue string) (string, error) {
	if flagValue != "" {
		if strings.HasSuffix(flagValue, "/") || strings.HasSuffix(flagValue, string(filepath.Separator)) {
			return "", fmt.Errorf("--db %q names a folder; give a file such as %s", flagValue, filepath.Join(flagValue, "visionflow.db"))
		}
		return filepath.Abs(flagValue)
	}
	dir, err := dataDir()
	if err != nil {
		return "", fmt.Errorf("find the user's data folder (use --db PATH instead): %w", err)
	}
	return filepath.Join(dir, "visionflow.db"), nil
}

var errUsage = errors.New("usage")

// DataDir is the folder of the default database, where the window also
// keeps what it remembers between runs.
func DataDir() (string, error) { return dataDir() }
