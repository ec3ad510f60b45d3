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
	"slices"
	"strings"

	"visionflow/graph"
	"visionflow/net/client"
	"visionflow/session"
)

// runSync is `visionflow sync --with URL`: it merges the graphs of this
// database and of the server at URL, both ways, so that both end with the
// same graphs (each a CRDT merge: see graph/crdt). The local side is the
// server that holds the database, or, when none runs, the file itself.
func runSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	with := fs.String("with", "", "the other instance's URL, such as http://192.168.1.20:7733 (a share link's #token= is taken)")
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	token := fs.String("token", os.Getenv("VISIONFLOW_TOKEN"), "token for the other instance, of role editor or admin (default $VISIONFLOW_TOKEN)")
	localToken := fs.String("local-token", os.Getenv("VISIONFLOW_LOCAL_TOKEN"), "token for this database's server, when it runs shared (default $VISIONFLOW_LOCAL_TOKEN)")
	var graphs []string
	fs.Func("graph", "a graph to merge (repeatable; default: every knowledge graph either side has)", func(v string) error {
		if err := graph.ValidateGraphID(v); err != nil {
			return err
		}
		graphs = append(graphs, v)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow sync --with URL [--graph ID]... [--token T] [--db PATH]\n\nMerges graphs that changed apart, both ways. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *with == "" {
		return fmt.Errorf("%w: --with URL is required: the instance to merge with", errUsage)
	}
	cfg := Config{Join: *with, Token: *token}
	if err := checkJoin(&cfg); err != nil {
		return fmt.Errorf("--with %s", strings.TrimPrefix(err.Error(), "--join "))
	}
	dbFile, err := dbPath(*db)
	if err != nil {
		return err
	}
	local, stop, err := localServer(ctx, dbFile, *localToken, stderr)
	if err != nil {
		return err
	}
	defer stop()
	remote := client.New(cfg.Join, "sync")
	remote.SetToken(cfg.Token)
	return syncAll(ctx, local, remote, graphs, stdout)
}

// localServer is a client of the server that holds db, or of one started
// here on loopback for the length of the command.
func localServer(ctx context.Context, db, token string, stderr io.Writer) (*client.Client, func(), error) {
	lock, err := lockDB(db)
	var locked *errLocked
	switch {
	case errors.As(err, &locked) && locked.url != "":
		base, err := loopbackURL(locked.url)
		if err != nil {
			return nil, nil, err
		}
		c := client.New(base, "sync")
		c.SetToken(token)
		return c, func() {}, nil
	case err != nil:
		return nil, nil, err
	}
	lock.release()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv, err := Start(ctx, Config{DB: db, Addr: ln.Addr().String()}, ln, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, nil, err
	}
	return client.New(srv.URL(), "sync"), func() { srv.Close() }, nil
}

// loopbackURL is a lock file's server URL, reached on loopback when the
// server listens on every address.
func loopbackURL(base string) (string, error) {
	u, err := mcpEndpoint(base)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(u, "/mcp"), nil
}

// SyncReport says what merging one graph did.
type SyncReport struct {
	Graph                   string
	Sent, Received          int // ops each way
	EventsThere, EventsHere int // events each side's graph changed by
	Created                 string
}

// syncAll merges the chosen graphs (default: every knowledge graph of
// either side) both ways.
func syncAll(ctx context.Context, local, remote *client.Client, graphs []string, stdout io.Writer) error {
	if len(graphs) == 0 {
		for _, c := range []*client.Client{local, remote} {
			list, err := c.Graphs(ctx)
			if err != nil {
				return err
			}
			for _, g := range list {
				if g.Type == graph.Knowledge && !slices.Contains(graphs, g.ID) {
					graphs = append(graphs, g.ID)
				}
			}
		}
	}
	var errs []error
	for _, id := range graphs {
		r, err := SyncGraph(ctx, local, remote, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("graph %q: %w", id, err))
			continue
		}
		note := ""
		if r.Created != "" {
			note = " (made on " + r.Created + ")"
		}
		fmt.Fprintf(stdout, "%s%s: sent %d ops (%d events there), received %d ops (%d events here)\n",
			id, note, r.Sent, r.EventsThere, r.Received, r.EventsHere)
	}
	return errors.Join(errs...)
}

// SyncGraph merges one graph of a and b both ways: each gets the CRDT ops
// it lacks from the other, in batches. A graph only one side has is made
// on the other first.
func SyncGraph(ctx context.Context, a, b *client.Client, id string) (SyncReport, error) {
	r := SyncReport{Graph: id}
	var info [2]graph.Info
	for i, c := range []*client.Client{a, b} {
		head, err := c.SyncOps(ctx, id, nil, 0)
		if err == nil {
			info[i] = head.Graph
		} else if !isNotFound(err) {
			return r, err
		}
	}
	switch {
	case info[0].ID == "" && info[1].ID == "":
		return r, fmt.Errorf("neither side has it")
	case info[0].ID == "":
		if _, err := a.CreateGraph(ctx, id, info[1].Name, info[1].Type); err != nil {
			return r, err
		}
		r.Created = "this side"
	case info[1].ID == "":
		if _, err := b.CreateGraph(ctx, id, info[0].Name, info[0].Type); err != nil {
			return r, err
		}
		r.Created = "the other side"
	}
	var err error
	if r.Sent, r.EventsThere, err = push(ctx, a, b, id); err != nil {
		return r, err
	}
	r.Received, r.EventsHere, err = push(ctx, b, a, id)
	return r, err
}

// push hands to what from has of a graph that to lacks.
func push(ctx context.Context, from, to *client.Client, id string) (ops, events int, err error) {
	head, err := to.SyncOps(ctx, id, nil, 0)
	if err != nil {
		return 0, 0, err
	}
	seen := head.Seen
	for {
		batch, err := from.SyncOps(ctx, id, seen, session.MaxSyncOps)
		if err != nil {
			return ops, events, err
		}
		// An empty batch still tells the other side what this side has
		// seen, so that it can collect tombstones.
		res, err := to.MergeOps(ctx, id, batch)
		if err != nil {
			return ops, events, err
		}
		ops, events, seen = ops+res.Applied, events+res.Events, res.Seen
		if !batch.More || len(batch.Ops) == 0 {
			return ops, events, nil
		}
	}
}

func isNotFound(err error) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Status == 404
}
