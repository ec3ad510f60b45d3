package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"visionflow/app/demo"
	"visionflow/auth"
	"visionflow/session"
)

// runDemoSwarm is `visionflow demo-swarm`: a simulated swarm working on a
// running VisionFlow (the one that holds the database, or --join URL).
func runDemoSwarm(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow demo-swarm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opt := demo.Options{}
	fs.IntVar(&opt.Agents, "agents", 50, "how many agents (1 to 10000)")
	join := fs.String("join", "", "the server's URL (default: the VisionFlow running on --db)")
	db := fs.String("db", "", "database of the running VisionFlow to find (default: visionflow.db in the user's data folder)")
	fs.StringVar(&opt.Swarm, "swarm", "demo-swarm", "swarm id")
	fs.StringVar(&opt.Graph, "graph", "", "knowledge graph the agents work on (default: the newest)")
	fs.Uint64Var(&opt.Seed, "seed", 1, "seed of the simulation's choices")
	fs.DurationVar(&opt.Duration, "duration", 0, "stop after this long, such as 2m (default: until Ctrl+C)")
	level := fs.String("log-level", "info", "log verbosity: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow demo-swarm [--agents N] [--join URL] [flags]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	token := fs.String("token", os.Getenv("VISIONFLOW_TOKEN"), "with --join: a token of role agent for a shared host (default $VISIONFLOW_TOKEN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if opt.Agents < 1 || opt.Agents > 10_000 {
		return fmt.Errorf("%w: --agents %d: want 1 to 10000", errUsage, opt.Agents)
	}
	lvl, err := parseLevel(*level)
	if err != nil {
		return err
	}
	opt.Log = newLogger(stderr, lvl)
	if *join != "" {
		cfg := Config{Join: *join, Token: *token}
		if err := checkJoin(&cfg); err != nil {
			return err
		}
		opt.URL, opt.Token = cfg.Join, cfg.Token
	} else {
		url, err := runningServer(*db)
		if err != nil {
			return err
		}
		opt.URL = url
	}
	return runDemo(ctx, opt, stdout)
}

// runningServer finds the server that holds a database from its lock
// file.
func runningServer(db string) (string, error) {
	dbFile, err := dbPath(db)
	if err != nil {
		return "", err
	}
	lock, err := lockDB(dbFile)
	var locked *errLocked
	switch {
	case errors.As(err, &locked) && locked.url != "":
		return locked.url, nil
	case err != nil:
		return "", err
	}
	lock.release()
	return "", fmt.Errorf("no VisionFlow is running on %s: start one (make run, or visionflow --headless), or give --join URL", dbFile)
}

// runDemo starts a demo swarm and runs it until ctx ends.
func runDemo(ctx context.Context, opt demo.Options, stdout io.Writer) error {
	sw, err := demo.Start(ctx, opt)
	if err != nil {
		return err
	}
	defer sw.Close()
	sw.Describe(stdout)
	fmt.Fprintf(stdout, "the window shows it; Ctrl+C stops it\n")
	start := time.Now()
	err = sw.Run(ctx)
	st := sw.Stats()
	fmt.Fprintf(stdout, "after %v: %d status reports, %d messages (%d hand-offs), %d operator commands obeyed\n",
		time.Since(start).Round(time.Second), st.Reports, st.Messages, st.Handoffs, st.Commands)
	fmt.Fprintf(stdout, "tasks: %d submitted, %d planned, %d parts claimed, %d finished, %d failed attempts; %d memories kept, %d recalls\n",
		st.Submitted, st.Planned, st.Claimed, st.Completed, st.Failed, st.Remembered, st.Recalled)
	return err
}

// StartDemo runs a demo swarm of this many agents against a server (this
// process's own, for --demo-agents) until the returned function is called.
func StartDemo(srv *Server, agents int, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	opt := demo.Options{URL: srv.URL(), Agents: agents, Log: log}
	if srv.Shared {
		// The swarm reaches a shared server like any agent: with a token
		// of role agent, made for it and revoked when it stops.
		secret, tok, err := srv.Session.CreateToken(ctx, "visionflow", session.TokenRequest{Role: auth.Agent})
		if err != nil {
			log.Error("demo swarm: no token for it", "err", err)
			cancel()
			return func() {}
		}
		opt.Token = secret
		defer func() {
			inner := stop
			stop = func() {
				inner()
				if _, err := srv.Session.RevokeToken(context.Background(), "visionflow", tok.ID); err != nil {
					log.Warn("demo swarm: its token was not revoked", "token", tok.ID, "err", err)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { defer close(done); demoInProcess(ctx, opt, log) }()
	return func() { cancel(); <-done }
}

// demoInProcess runs a demo swarm against a server until ctx ends. Until
// it can start (the server has no knowledge graph yet, say) it tries again
// every few seconds.
func demoInProcess(ctx context.Context, opt demo.Options, log *slog.Logger) {
	var sw *demo.Swarm
	for {
		var err error
		if sw, err = demo.Start(ctx, opt); err == nil {
			break
		}
		log.Warn("demo swarm: cannot start yet; trying again in 5 s", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
	}
	defer sw.Close()
	log.Info("demo swarm started", "agents", opt.Agents)
	if err := sw.Run(ctx); err != nil {
		log.Error("demo swarm stopped", "err", err)
	}
}
