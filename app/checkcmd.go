package app

import (
	"context"
	"flag"
	"fmt"
	"io"

	"visionflow/store"
)

// runCheck is `visionflow check`: SQLite's full integrity check of the
// database, reading only, so it may run beside a server.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	path, err := dbPath(*db)
	if err != nil {
		return err
	}
	if err := store.CheckFile(ctx, path); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return nil
}

// runBackup is `visionflow backup --to FILE`: a consistent copy of the
// database, made while a server may be writing to it, then checked.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	to := fs.String("to", "", "the copy to write (a new file)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *to == "" {
		return fmt.Errorf("%w: --to FILE is required: where the copy goes", errUsage)
	}
	path, err := dbPath(*db)
	if err != nil {
		return err
	}
	if err := store.BackupFile(ctx, path, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s copied to %s and checked\n", path, *to)
	return nil
}
