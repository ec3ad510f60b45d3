package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strings"
)

// FileFormats are the formats of a single file (or upload) that Read
// takes, in the order detection tries them when nothing else decides.
var FileFormats = []string{"json", "graphml", "gexf", "gml", "csv"}

// readers read one file's bytes in each of FileFormats.
var readers = map[string]func(data []byte, lim Limits) (*Import, error){
	"json":    func(b []byte, lim Limits) (*Import, error) { return NodeLinkWithin(bytes.NewReader(b), lim) },
	"graphml": func(b []byte, lim Limits) (*Import, error) { return GraphMLWithin(bytes.NewReader(b), lim) },
	"gexf":    func(b []byte, lim Limits) (*Import, error) { return GEXFWithin(bytes.NewReader(b), lim) },
	"gml":     func(b []byte, lim Limits) (*Import, error) { return GMLWithin(bytes.NewReader(b), lim) },
	"csv": func(b []byte, lim Limits) (*Import, error) {
		if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
			return CSVZip(b, lim)
		}
		return CSVWithin(bytes.NewReader(b), lim)
	},
}

var (
	gmlStart = regexp.MustCompile(`^(?:\s*#[^\n]*\n)*\s*(?:(?:Creator|Version|creator|version)\s+("[^"]*"|\S+)\s+)*graph\s*\[`)
	xmlRoot  = regexp.MustCompile(`<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]`)
)

// Sniff names the format data looks like from its first bytes and how it
// told ("" when nothing fits). It reads no more than it is given.
func Sniff(data []byte) (format, why string) {
	head := bytes.TrimPrefix(data, []byte("\ufeff"))
	head = bytes.TrimLeft(head, " \t\r\n")
	switch {
	case len(head) == 0:
		return "", "the file is empty"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "csv", "a zip archive (of nodes.csv and edges.csv)"
	case head[0] == '{' || head[0] == '[':
		return "json", "it starts with " + string(head[0])
	case head[0] == '<':
		// The root element: past the XML declaration, comments and a
		// doctype.
		rest := head
		for len(rest) > 0 {
			i := bytes.IndexByte(rest, '<')
			if i < 0 {
				break
			}
			rest = rest[i:]
			if bytes.HasPrefix(rest, []byte("<?")) || bytes.HasPrefix(rest, []byte("<!")) {
				rest = rest[1:]
				continue
			}
			m := xmlRoot.FindSubmatch(rest)
			if m == nil {
				break
			}
			switch strings.ToLower(string(m[2])) {
			case "graphml":
				return "graphml", "its root element is <graphml>"
			case "gexf":
				return "gexf", "its root element is <gexf>"
			}
			return "", fmt.Sprintf("it is XML with a root element <%s>, neither <graphml> nor <gexf>", m[2])
		}
		return "", "it starts with < but has no XML root element"
	case gmlStart.Match(head):
		return "gml", "it starts with graph ["
	}
	if _, err := sniffDelimiter(head); err == nil {
		return "csv", "its first rows split alike on one delimiter"
	}
	return "", "it is not JSON, XML, GML or delimited text"
}

// Read reads one file of a graph. With format "" or "auto" the format is
// told from the content (name's extension breaks ties); if that format
// cannot read it, the others that might are tried, and the error names
// each format tried and why it failed. With a format given, a file that
// fails and looks like another format says so.
func Read(r io.Reader, name, format string, lim Limits) (*Import, string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, "", err
	}
	format = strings.ToLower(format)
	if format != "" && format != "auto" {
		read, ok := readers[format]
		if !ok {
			return nil, "", fmt.Errorf("format %q: want one of auto, %s", format, strings.Join(FileFormats, ", "))
		}
		imp, err := read(data, lim)
		if err != nil && !errors.Is(err, ErrLimit) {
			if other, why := Sniff(data); other != "" && other != format {
				err = fmt.Errorf("%w (the file looks like %s: %s; import it as that)", err, other, why)
			}
		}
		return imp, format, err
	}
	first, why := Sniff(data)
	if first == "" {
		if ext := extFormat(name); ext != "" {
			first, why = ext, "its name ends in "+strings.ToLower(extOf(name))
		}
	}
	order := []string{}
	if first != "" {
		order = append(order, first)
	}
	for _, f := range FileFormats {
		if f != first && plausible(f, data) {
			order = append(order, f)
		}
	}
	var tried []string
	for _, f := range order {
		imp, err := readers[f](data, lim)
		if err == nil {
			return imp, f, nil
		}
		if errors.Is(err, ErrLimit) {
			return nil, f, err // it was that format, and too large
		}
		tried = append(tried, fmt.Sprintf("%s: %v", f, err))
	}
	if len(tried) == 0 {
		return nil, "", fmt.Errorf("not a graph file VisionFlow reads (%s); the formats are %s", why, strings.Join(FileFormats, ", "))
	}
	return nil, "", fmt.Errorf("not a graph file VisionFlow reads (%s); tried %s", why, strings.Join(tried, "; "))
}

// plausible says whether format f could read data at all, so detection
// does not report every format's complaint about a file that is plainly
// another.
func plausible(f string, data []byte) bool {
	head := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n")
	if len(head) == 0 {
		return false
	}
	switch f {
	case "json":
		return head[0] == '{' || head[0] == '['
	case "graphml", "gexf":
		return head[0] == '<'
	case "gml":
		return bytes.Contains(head[:min(len(head), 4096)], []byte("graph"))
	case "csv":
		return head[0] != '<' && head[0] != '{' && head[0] != '['
	}
	return false
}

func extOf(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// extFormat is the format a file name's extension suggests.
func extFormat(name string) string {
	switch strings.ToLower(extOf(name)) {
	case ".json":
		return "json"
	case ".graphml", ".xml":
		return "graphml"
	case ".gexf":
		return "gexf"
	case ".gml":
		return "gml"
	case ".csv", ".tsv", ".txt", ".zip":
		return "csv"
	}
	return ""
}

// FolderFormat says which notes a folder holds: "obsidian" for a vault
// (a .obsidian folder, or Markdown notes without Logseq's pages folder),
// else "logseq".
func FolderFormat(fsys fs.FS) string {
	if IsObsidianVault(fsys) {
		return "obsidian"
	}
	return "logseq"
}
