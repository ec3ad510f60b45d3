package api

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"visionflow/ingest"
	"visionflow/session"
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
//	POST /api/graphs/import?format=graphml[&id=…][&name=…] body: GraphML
//	POST /api/graphs/import?format=csv[&id=…][&name=…]     body: an edge list
func (s *Server) importGraph(w http.ResponseWriter, r *http.Request) error {
	client, err := clientID(r)
	if err != nil {
		return err
	}
	// One import at a time: each holds its whole upload and the graph it
	// builds in memory.
	select {
	case s.importSlot <- struct{}{}:
		defer func() { <-s.importSlot }()
	case <-r.Context().Done():
		return r.Context().Err()
	}
	// What an import built is garbage once it is stored or refused; a large
	// one gives its memory back to the system at once rather than
	// holding it as the runtime's reserve.
	if r.ContentLength < 0 || r.ContentLength > 4<<20 {
		defer debug.FreeOSMemory()
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
		if imp, err = ingest.LogseqWithin(fsys, nil, ingest.LimitsFrom(s.b.Settings().Float)); err != nil {
			if errors.Is(err, ingest.ErrLimit) {
				return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large", Detail: err.Error()}
			}
			return invalid("%v", err)
		}
	case "json":
		if err := requireType(r, "application/json"); err != nil {
			return err
		}
		if imp, err = ingest.NodeLinkWithin(http.MaxBytesReader(w, r.Body, s.opt.MaxImportBody), ingest.LimitsFrom(s.b.Settings().Float)); err != nil {
			if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
				return tooBig
			}
			if errors.Is(err, ingest.ErrLimit) {
				return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large", Detail: err.Error()}
			}
			return invalid("%v", err)
		}
	case "graphml", "csv":
		read, types := ingest.GraphMLWithin, []string{"application/graphml+xml", "application/xml", "text/xml"}
		if format == "csv" {
			read, types = ingest.CSVWithin, []string{"text/csv", "text/tab-separated-values", "text/plain"}
		}
		if err := requireType(r, types...); err != nil {
			return err
		}
		if imp, err = read(http.MaxBytesReader(w, r.Body, s.opt.MaxImportBody), ingest.LimitsFrom(s.b.Settings().Float)); err != nil {
			if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
				return tooBig
			}
			if errors.Is(err, ingest.ErrLimit) {
				return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large", Detail: err.Error()}
			}
			return invalid("%v", err)
		}
	default:
		return invalid("query parameter format=%q must be logseq, json, graphml or csv", format)
	}
	name := q.Get("name")
	if name == "" {
		name = imp.Name
	}
	info, err := graphInfo(q.Get("id"), name, imp.Type)
	if err != nil {
		return err
	}
	replace := false
	if v := q.Get("replace"); v != "" {
		if replace, err = strconv.ParseBool(v); err != nil {
			return invalid("query parameter replace=%q must be true or false", v)
		}
		if replace && info.ID == "" {
			return invalid("replace=true needs the id of the graph to replace")
		}
	}
	sum, err := s.b.ImportGraph(r.Context(), client, info, imp, session.ImportOptions{IDBase: format, Replace: replace})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/graph/"+sum.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"graph": sum, "warnings": nonNil(imp.Warnings)})
	return nil
}

// nonNil makes a nil list an empty one, so JSON says [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// notebookFS reads a zipped notebook into memory: the archive's root, or
// the single folder everything is in. Declared sizes are checked before
// anything is read and the bytes actually read are limited too, so a small
// upload cannot expand into gigabytes ("zip bomb"). macOS's __MACOSX
// folder and hidden files are left out; backslashes count as slashes.
func notebookFS(body []byte) (fs.FS, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, invalid("the upload is not a zip archive: %v", err)
	}
	if len(zr.File) > maxZipFiles {
		return nil, invalid("the archive holds %d files; the limit is %d", len(zr.File), maxZipFiles)
	}
	type entry struct {
		name string
		f    *zip.File
	}
	var entries []entry
	var declared uint64
	roots := map[string]bool{}
	for _, f := range zr.File {
		name := strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "./")
		if f.FileInfo().IsDir() || strings.HasSuffix(name, "/") {
			continue
		}
		if !fs.ValidPath(name) {
			return nil, invalid("the archive holds a file with an unsafe path: %q", f.Name)
		}
		if skipInArchive(name) {
			continue
		}
		if f.UncompressedSize64 > maxZipExpansion-declared {
			return nil, invalid("the archive expands to more than %d bytes", maxZipExpansion)
		}
		declared += f.UncompressedSize64
		first, _, nested := strings.Cut(name, "/")
		if !nested {
			first = ""
		}
		roots[first] = true
		entries = append(entries, entry{name, f})
	}
	strip := ""
	if len(roots) == 1 {
		for root := range roots {
			if root != "" && !isNotebookDir(root) {
				strip = root + "/"
			}
		}
	}
	files := ingest.MemFS{}
	var read int64
	for _, e := range entries {
		name := strings.TrimPrefix(e.name, strip)
		if !wantedInNotebook(name) {
			continue
		}
		rc, err := e.f.Open()
		if err != nil {
			return nil, invalid("read %q in the archive: %v", e.f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, ingest.MaxPageBytes+1))
		rc.Close()
		if err != nil {
			return nil, invalid("read %q in the archive: %v", e.f.Name, err)
		}
		if len(b) > ingest.MaxPageBytes {
			return nil, invalid("%q in the archive is larger than %d bytes", e.f.Name, ingest.MaxPageBytes)
		}
		if read += int64(len(b)); read > maxZipExpansion {
			return nil, invalid("the archive expands to more than %d bytes", maxZipExpansion)
		}
		files[name] = b
	}
	return files, nil
}

// skipInArchive leaves out what archivers add: macOS resource forks and
// hidden files such as .DS_Store.
func skipInArchive(name string) bool {
	if strings.HasPrefix(name, "__MACOSX/") {
		return true
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

// wantedInNotebook is what the Logseq importer reads.
func wantedInNotebook(name string) bool {
	return name == "logseq/config.edn" || strings.HasPrefix(name, "pages/") || strings.HasPrefix(name, "journals/")
}

func isNotebookDir(name string) bool {
	return name == "pages" || name == "journals" || name == "logseq"
}
