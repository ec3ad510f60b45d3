package api

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"visionflow/ingest"
)

// Limits on a zipped Logseq notebook, so a small upload cannot expand into
// gigabytes (a "zip bomb").
const (
	maxZipFiles     = 100_000
	maxZipExpansion = 1 << 30
)

// importGraph creates a graph from an upload:
//
//	POST /api/graphs/import?format=logseq[&id=…][&name=…]  body: a zip of the notebook folder
//	POST /api/graphs/import?format=json[&id=…][&name=…]    body: node-link JSON
func (s *Server) importGraph(w http.ResponseWriter, r *http.Request) error {
	client, err := clientID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format := q.Get("format")
	var imp *ingest.Import
	switch format {
	case "logseq":
		if err := requireType(r, "application/zip"); err != nil {
			return err
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxImportBody))
		if err != nil {
			return err
		}
		fsys, err := notebookFS(body)
		if err != nil {
			return err
		}
		if imp, err = ingest.Logseq(fsys, nil); err != nil {
			return invalid("%v", err)
		}
	case "json":
		if err := requireType(r, "application/json"); err != nil {
			return err
		}
		if imp, err = ingest.NodeLink(http.MaxBytesReader(w, r.Body, s.opt.MaxImportBody)); err != nil {
			if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
				return tooBig
			}
			return invalid("%v", err)
		}
	default:
		return invalid("query parameter format=%q must be logseq or json", format)
	}
	name := q.Get("name")
	if name == "" {
		name = imp.Name
	}
	info, err := s.graphInfo(r, q.Get("id"), name, imp.Type, format)
	if err != nil {
		return err
	}
	sum, err := s.b.ImportGraph(r.Context(), client, info, imp)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/graph/"+sum.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"graph": sum, "warnings": nonNil(imp.Warnings)})
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// notebookFS opens a zip and finds the notebook in it: the archive's root,
// or the single folder everything is in.
func notebookFS(body []byte) (fs.FS, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, invalid("the upload is not a zip archive: %v", err)
	}
	if len(zr.File) > maxZipFiles {
		return nil, invalid("the archive holds %d files; the limit is %d", len(zr.File), maxZipFiles)
	}
	var total uint64
	roots := map[string]bool{}
	for _, f := range zr.File {
		total += f.UncompressedSize64
		name := strings.TrimPrefix(f.Name, "./")
		first, rest, nested := strings.Cut(name, "/")
		if nested && rest != "" {
			roots[first] = true
		} else if !f.FileInfo().IsDir() {
			roots[""] = true
		}
	}
	if total > maxZipExpansion {
		return nil, invalid("the archive expands to %d bytes; the limit is %d", total, maxZipExpansion)
	}
	var fsys fs.FS = zr
	if len(roots) == 1 {
		for root := range roots {
			if root != "" && !isNotebookDir(root) {
				sub, err := fs.Sub(zr, path.Clean(root))
				if err != nil {
					return nil, invalid("open folder %q in the archive: %v", root, err)
				}
				fsys = sub
			}
		}
	}
	return fsys, nil
}

func isNotebookDir(name string) bool {
	return name == "pages" || name == "journals" || name == "logseq"
}
