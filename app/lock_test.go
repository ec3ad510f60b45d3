//go:build unix

package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// No spelling of the database's path opens a second server on it: not a
// symbolic link to it, not a link to its folder, not a hard link.
func TestOneServerPerDatabaseWhateverItsName(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "real", "v.db")
	ts := startServer(t, db)
	defer ts.Close()
	links := filepath.Join(dir, "links")
	os.MkdirAll(links, 0o755)
	sym, dirSym, hard := filepath.Join(links, "sym.db"), filepath.Join(dir, "dirlink"), filepath.Join(links, "hard.db")
	for _, err := range []error{os.Symlink(db, sym), os.Symlink(filepath.Dir(db), dirSym), os.Link(db, hard)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	start := func(path string) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := Start(context.Background(), Config{DB: path, Addr: ln.Addr().String()}, ln, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			srv.Close()
		} else {
			ln.Close()
		}
		return err
	}
	for _, path := range []string{sym, filepath.Join(dirSym, "v.db"), hard} {
		err := start(path)
		var locked *errLocked
		if !errors.As(err, &locked) {
			t.Errorf("a second server on %s: %v", path, err)
		}
	}
	if err := start(hard); err == nil || !strings.Contains(err.Error(), "hard link") {
		t.Errorf("through the hard link: %v", err)
	}
	ts.Close()
	// Once the first has stopped, any name will do.
	if err := start(hard); err != nil {
		t.Errorf("after the first server stopped, through the hard link: %v", err)
	}
}
