package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"visionflow/net/mcp"
)

// runMCP is `visionflow mcp`: an MCP server on stdin and stdout for
// clients that start their servers as commands (Claude Desktop, Claude
// Code, Cursor). When a VisionFlow server holds the database, it serves
// that server's tools (so the window and every peer see what the agent
// does); otherwise it opens the database itself.
func runMCP(ctx context.Context, args []string, stdin io.ReadCloser, stdout io.WriteCloser, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	level := fs.String("log-level", "warn", "log verbosity on stderr: debug, info, warn or error")
	token := fs.String("token", os.Getenv("VISIONFLOW_TOKEN"), "token for a running server that is shared (default $VISIONFLOW_TOKEN)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow mcp [--db PATH] [--token T]\n\nServes MCP on stdin/stdout. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	lvl, err := parseLevel(*level)
	if err != nil {
		return err
	}
	log := newLogger(stderr, lvl)
	dbFile, err := dbPath(*db)
	if err != nil {
		return err
	}
	t := &sdk.IOTransport{Reader: stdin, Writer: stdout}
	local, err := openSession(ctx, dbFile, log)
	var locked *errLocked
	switch {
	case errors.As(err, &locked) && locked.url != "":
		endpoint, err := mcpEndpoint(locked.url)
		if err != nil {
			return err
		}
		log.Info("a VisionFlow server holds the database: serving its tools", "endpoint", endpoint)
		p, err := mcp.NewProxy(ctx, endpoint, *token, Version, log)
		if err != nil {
			return err
		}
		defer p.Close()
		return ignoreClosed(p.Run(ctx, t))
	case err != nil:
		return err
	}
	defer local.close()
	srv := mcp.New(local.session, mcp.Options{Version: Version, Log: log})
	defer srv.Close()
	return ignoreClosed(srv.Run(ctx, t))
}

// ignoreClosed treats the client going away as the normal end.
func ignoreClosed(err error) error {
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, sdk.ErrConnectionClosed) || errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// mcpEndpoint is the MCP endpoint of the server whose base URL the lock
// file names; a server listening on every address is reached on loopback.
func mcpEndpoint(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the database's lock file names %q, not a server URL", base)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", fmt.Errorf("the database's lock file names %q: %v", base, err)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	u.Host = net.JoinHostPort(host, port)
	u.Path = "/mcp"
	return u.String(), nil
}
