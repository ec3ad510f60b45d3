package api

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"runtime/debug"
	"slices"
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
//	POST /api/graphs/import?format=FORMAT[&id=…][&name=…][&replace=true]
//
// FORMAT is logseq or obsidian (the body a zip of the folder), json,
// graphml, gexf, gml or csv (the body the file; csv may be a zip of
// nodes.csv and edges.csv), or auto (the default: told from the content).
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
	if format == "" {
		format = "auto"
	}
	lim := ingest.LimitsFrom(s.b.Settings().Float)
	imp, err := s.readUpload(w, r, format, lim)
	if err != nil {
		if tooBig := new(http.MaxBytesError); errors.As(err, &tooBig) {
			return tooBig
		}
		if errors.Is(err, ingest.ErrLimit) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too large", Detail: err.Error()}
		}
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return invalid("%v", err)
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
	answer := map[string]any{"graph": sum, "warnings": nonNil(imp.Warnings)}
	if imp.Report != nil {
		answer["report"] = imp.Report
	}
	writeJSON(w, http.StatusCreated, answer)
	return nil
}

// uploadTypes are the media types each format's upload may be sent as.
var uploadTypes = map[string][]string{
	"json":    {"application/json"},
	"graphml": {"application/graphml+xml", "application/xml", "text/xml"},
	"gexf":    {"application/gexf+xml", "application/xml", "text/xml"},
	"gml":     {"text/plain", "application/octet-stream"},
	"csv":     {"text/csv", "text/tab-separated-values", "text/plain", "application/zip"},
}

// readUpload reads the body of an import in format.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, format string, lim ingest.Limits) (*ingest.Import, error) {
	body := http.MaxBytesReader(w, r.Body, s.opt.MaxImportBody)
	switch format {
	case "logseq", "obsidian":
		if err := requireType(r, "application/zip"); err != nil {
			return nil, err
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		return readNotes(b, format, lim)
	case "auto":
		var all []string
		for _, f := range ingest.FileFormats {
			for _, t := range uploadTypes[f] {
				if !slices.Contains(all, t) {
					all = append(all, t)
				}
			}
		}
		if err := requireType(r, all...); err != nil {
			return nil, err
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		// A zip is a CSV pair or a folder of notes.
		if bytes.HasPrefix(b, []byte("PK\x03\x04")) && !hasCSVTables(b) {
			return readNotes(b, "", lim)
		}
		imp, _, err := ingest.Read(bytes.NewReader(b), "", "auto", lim)
		return imp, err
	}
	types, ok := uploadTypes[format]
	if !ok {
		return nil, invalid("query parameter format=%q must be auto, logseq, obsidian or one of %s", format, strings.Join(ingest.FileFormats, ", "))
	}
	if err := requireType(r, types...); err != nil {
		return nil, err
	}
	imp, _, err := ingest.Read(body, "", format, lim)
	return imp, err
}

// hasCSVTables says whether a zip holds nodes.csv or edges.csv.
func hasCSVTables(b []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		base := strings.ToLower(path.Base(strings.ReplaceAll(f.Name, "\\", "/")))
		if base == "nodes.csv" || base == "edges.csv" {
			return true
		}
	}
	return false
}

// readNotes reads a zipped Logseq notebook or Obsidian vault; kind ""
// tells which from the folders in it.
func readNotes(body []byte, kind string, lim ingest.Limits) (*ingest.Import, error) {
	fsys, err := notebookFS(body, kind)
	if err != nil {
		return nil, err
	}
	if kind == "" {
		kind = ingest.FolderFormat(fsys)
	}
	if kind == "obsidian" {
		return ingest.ObsidianWithin(fsys, nil, lim, ingest.ObsidianOptions{})
	}
	return ingest.LogseqWithin(fsys, nil, lim)
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
//
// For a Logseq notebook only its pages, journals and config are kept; for
// an Obsidian vault (or kind "", not known yet) every note, and the names
// of other files (empty: an attachment's name is what links resolve to).
func notebookFS(body []byte, kind string) (fs.FS, error) {
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
			if root != "" && (kind == "obsidian" || !isNotebookDir(root)) {
				strip = root + "/"
			}
		}
	}
	if kind == "" { // a notebook has Logseq's folders at its root
		kind = "obsidian"
		for _, e := range entries {
			if wantedInNotebook(strings.TrimPrefix(e.name, strip)) {
				kind = "logseq"
				break
			}
		}
	}
	files := ingest.MemFS{}
	var read int64
	for _, e := range entries {
		name := strings.TrimPrefix(e.name, strip)
		if kind == "logseq" && !wantedInNotebook(name) {
			continue
		}
		if kind == "obsidian" && !strings.EqualFold(path.Ext(name), ".md") {
			files[name] = nil
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
