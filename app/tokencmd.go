package app

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"visionflow/auth"
	"visionflow/store"
)

// runToken is `visionflow token create|list|revoke`: it works on the
// database file itself, so it works whether or not a server is running
// (one that is sees a new token at once and a revoked one within seconds).
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := "Usage: visionflow token create --role viewer|editor|agent|admin [--name N] [--expires D] [--db PATH]\n" +
		"       visionflow token list [--db PATH]\n" +
		"       visionflow token revoke ID|NAME [--db PATH]\n"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: name a token command first: create, list or revoke", errUsage)
	}
	cmd := args[0]
	fs := flag.NewFlagSet("visionflow token "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage+"\nFlags:\n"); fs.PrintDefaults() }
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	var role, name, expires *string
	if cmd == "create" {
		role = fs.String("role", "", "what the holder may do: viewer (read, stream), editor (and edit graphs), agent (and report status, work on tasks), admin (everything)")
		name = fs.String("name", "", "who holds it: the name their changes are recorded under (default ROLE-ID)")
		expires = fs.String("expires", "", "how long it works, such as 12h or 30d (default: until revoked)")
	}
	// Flags may come before or after the token of revoke.
	var rest []string
	for in := args[1:]; ; {
		if err := fs.Parse(in); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		in = fs.Args()[1:]
	}
	switch cmd {
	case "create", "list":
		if len(rest) > 0 {
			return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
		}
	case "revoke":
		if len(rest) != 1 {
			return fmt.Errorf("%w: name the one token to revoke by its id or name (visionflow token list shows them)", errUsage)
		}
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: unknown token command %q: want create, list or revoke", errUsage, cmd)
	}
	var r auth.Role
	var ttl time.Duration
	if cmd == "create" {
		var err error
		if *role == "" {
			return fmt.Errorf("%w: --role is required: viewer, editor, agent or admin", errUsage)
		}
		if r, err = auth.ParseRole(*role); err != nil {
			return fmt.Errorf("%w: --role: %v", errUsage, err)
		}
		if ttl, err = auth.ParseTTL(*expires); err != nil {
			return fmt.Errorf("%w: --expires: %v", errUsage, err)
		}
		if err := auth.CheckName(*name); err != nil {
			return fmt.Errorf("%w: --name: %v", errUsage, err)
		}
	}
	path, err := dbPath(*db)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, path, store.Options{Log: newLogger(stderr, slog.LevelError)})
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now().UTC().Truncate(time.Millisecond)
	switch cmd {
	case "create":
		secret, t, err := auth.New(rand.Reader, *name, r, now, ttl)
		if err != nil {
			return err
		}
		if err := st.SaveToken(ctx, t); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", secret)
		exp := "never expires"
		if !t.Expires.IsZero() {
			exp = "expires " + t.Expires.Local().Format(time.DateTime)
		}
		fmt.Fprintf(stderr, "token %s (%s, role %s, %s): shown only now; give it to its holder, who joins with\n  visionflow --join http://%s --token %s\n",
			t.ID, t.Name, t.Role, exp, guessAddr(path), secret)
	case "list":
		ts, err := st.Tokens(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tSTATE\tCREATED\tLAST USED")
		for _, t := range ts {
			state := "active"
			switch {
			case !t.Revoked.IsZero():
				state = "revoked " + t.Revoked.Local().Format(time.DateTime)
			case !t.Active(now):
				state = "expired " + t.Expires.Local().Format(time.DateTime)
			case !t.Expires.IsZero():
				state = "until " + t.Expires.Local().Format(time.DateTime)
			}
			used := "never"
			if !t.LastUsed.IsZero() {
				used = t.LastUsed.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, state, t.Created.Local().Format(time.DateTime), used)
		}
		return tw.Flush()
	case "revoke":
		t, err := st.RevokeToken(ctx, rest[0], now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (%s, role %s)\n", t.ID, t.Name, t.Role)
	}
	return nil
}

// guessAddr is where peers are likely to reach a server on this database:
// the running server's address if it is shared, else this machine's first
// LAN address on the default port.
func guessAddr(db string) string {
	port := "7733"
	if l, err := lockDB(db); err == nil {
		l.release()
	} else if locked, ok := err.(*errLocked); ok && locked.url != "" {
		if _, p, err := net.SplitHostPort(strings.TrimPrefix(locked.url, "http://")); err == nil {
			port = p
		}
	}
	return LANHost(port, "HOST")
}

// LANHost is host:port on this machine's first LAN address, or on
// fallback when it has none: where peers reach a server on port.
func LANHost(port, fallback string) string {
	if ips := LANAddrs(); len(ips) > 0 {
		return net.JoinHostPort(ips[0], port)
	}
	return net.JoinHostPort(fallback, port)
}

// LANAddrs lists this machine's addresses that peers could reach, IPv4
// first.
func LANAddrs() []string {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var v4, v6 []string
	for _, a := range as {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			v4 = append(v4, n.IP.String())
		} else {
			v6 = append(v6, n.IP.String())
		}
	}
	return append(v4, v6...)
}
