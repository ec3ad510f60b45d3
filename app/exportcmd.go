package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"visionflow/graph"
	"visionflow/ingest"
	"visionflow/net/client"
)

// runExport is `visionflow export`: a graph of the database written as
// GEXF, GraphML, node-link JSON, GML or CSV, to a file or to stdout. With a server running
// on the database, the graph comes from it.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("visionflow export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	id := fs.String("graph", "", "id of the graph to export")
	format := fs.String("format", "", "gexf, graphml, json, gml, csv (a zip of nodes.csv and edges.csv) or csv-edges (default: from the --out file's extension, else json)")
	out := fs.String("out", "", "file to write (default: standard output)")
	db := fs.String("db", "", "database file (default: visionflow.db in the user's data folder)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: visionflow export --graph ID [--format gexf|graphml|json|gml|csv|csv-edges] [--out FILE] [--db PATH]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if err := graph.ValidateGraphID(*id); err != nil {
		return fmt.Errorf("%w: --graph: %v", errUsage, err)
	}
	if *format == "" {
		*format = "json"
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".graphml", ".xml":
			*format = "graphml"
		case ".gexf":
			*format = "gexf"
		case ".gml":
			*format = "gml"
		case ".zip":
			*format = "csv"
		case ".csv", ".tsv":
			*format = "csv-edges"
		}
	}
	if !slices.Contains(ingest.ExportFormats, *format) {
		return fmt.Errorf("%w: --format %q: want one of %s", errUsage, *format, strings.Join(ingest.ExportFormats, ", "))
	}
	dbFile, err := dbPath(*db)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		local, err := openSession(ctx, dbFile, newLogger(stderr, slog.LevelWarn))
		var locked *errLocked
		switch {
		case errors.As(err, &locked) && locked.url != "":
			fmt.Fprintf(stderr, "a VisionFlow server is using the database; exporting through it at %s\n", locked.url)
			return client.New(locked.url, "cli").Export(ctx, *id, *format, w)
		case err != nil:
			return err
		}
		defer local.close()
		c, err := local.session.Graph(ctx, *id)
		if err != nil {
			return fmt.Errorf("graph %q of %s: %w", *id, dbFile, err)
		}
		return ingest.Export(w, c, *format, nil)
	}
	if *out == "" {
		return write(stdout)
	}
	// Written aside and renamed: a failed export leaves no half file.
	f, err := os.CreateTemp(filepath.Dir(*out), ".export-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), *out); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(stderr, "wrote graph %q as %s to %s\n", *id, *format, *out)
	return nil
}
