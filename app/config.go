package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
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
}

// parseRun reads the flags of `visionflow [flags]`.
func parseRun(args []string, stderr io.Writer) (Config, error) {
	cfg := Config{Addr: DefaultAddr}
	fs := flag.NewFlagSet("visionflow", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&cfg.Headless, "headless", false, "run the server without a window")
	fs.StringVar(&cfg.DB, "db", "", "database file (default: visionflow.db in the user's data folder)")
	fs.StringVar(&cfg.Addr, "addr", DefaultAddr, "host:port for the REST API; use 0.0.0.0:PORT to let LAN peers in")
	level := fs.String("log-level", "info", "log verbosity: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow [flags]\n       visionflow import (--logseq DIR | --json FILE) [flags]\n       visionflow version\n\nFlags:\n")
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
