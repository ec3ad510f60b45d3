package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"visionflow/graph"
)

// CSV reads an edge list: one edge a row, its source and target first. A
// first row naming its columns (source or from, target or to, and weight,
// label, id or anything else, in any case) is a header: weight (else
// value) and label (else type or relation) are the edge's own, id its id,
// other columns its metadata under their names. A type column holding
// Directed or Undirected is Gephi's kind of edge, not a label: every edge
// is kept as written, from source to target. Without a header, a third
// column of numbers is the weight. The delimiter (comma, semicolon, tab or
// bar) is the one that splits the first rows alike. Nodes are the ends
// named, labelled by their ids, in the order they first appear. Spaces
// after a delimiter are not part of a value (but in quotes); ids and
// numbers are trimmed of spaces; an empty value is none.
func CSV(r io.Reader) (*Import, error) { return CSVWithin(r, DefaultLimits) }

// CSVWithin reads an edge list within lim, a row at a time.
func CSVWithin(r io.Reader, lim Limits) (*Import, error) {
	g := newCSVGraph(lim)
	if err := g.edgeTable(r, "CSV"); err != nil {
		return nil, err
	}
	if len(g.edges) == 0 {
		return nil, errors.New("CSV: no edges: an edge list has a source and a target on each row")
	}
	return g.done(), nil
}

// CSVTables reads a node table and an edge table (either may be nil), as
// Gephi's spreadsheet import takes them. The node table's first row names
// its columns: id (required), label (else name), x, y and z (a position
// needs x and y), and any others, which become metadata under their names,
// in any case. Its nodes come first, in its order, those without edges
// too. The edge table is read as CSV reads an edge list; an end it names
// that the node table does not have is added as a node labelled by its id,
// with one warning counting them.
func CSVTables(nodes, edges io.Reader, lim Limits) (*Import, error) {
	return csvTables(nodes, edges, "CSV node table", "CSV edge table", lim)
}

func csvTables(nodes, edges io.Reader, nodesWhat, edgesWhat string, lim Limits) (*Import, error) {
	if nodes == nil && edges == nil {
		return nil, errors.New("CSV: neither a node table nor an edge table")
	}
	g := newCSVGraph(lim)
	if nodes != nil {
		if err := g.nodeTable(nodes, nodesWhat); err != nil {
			return nil, err
		}
	}
	inTable := len(g.nodes)
	if edges != nil {
		if err := g.edgeTable(edges, edgesWhat); err != nil {
			return nil, err
		}
	}
	if n := len(g.nodes) - inTable; nodes != nil && n > 0 {
		g.imp.Warnings = append(g.imp.Warnings, fmt.Sprintf("%d nodes named by edges were not in the node table: added, labelled by their ids", n))
	}
	if len(g.nodes) == 0 {
		return nil, errors.New("CSV: no nodes: the node table has no rows and the edge table no edges")
	}
	return g.done(), nil
}

// Bounds on a zip of tables, well past what Gephi writes (two entries).
const csvZipMaxEntries = 1000

// csvZipMaxEntry is the most bytes one table may hold unpacked; a
// variable so tests can lower it.
var csvZipMaxEntry int64 = 1 << 30

// csvZipComment starts the comment of a zip WriteCSVZip writes; the
// graph's name follows.
const csvZipComment = "VisionFlow graph: "

// CSVZip reads a zip holding nodes.csv and edges.csv (either may be
// missing; the names in any case, at the top or one folder down) as
// CSVTables does, and the graph's name from the comment WriteCSVZip
// writes.
func CSVZip(data []byte, lim Limits) (*Import, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are only compared here, never used as paths
		return nil, fmt.Errorf("CSV zip: %w", err)
	}
	if len(zr.File) > csvZipMaxEntries {
		return nil, fmt.Errorf("CSV zip: %d entries; a zip of tables may hold %d", len(zr.File), csvZipMaxEntries)
	}
	var tables [2]*zip.File
	var names []string
	for _, f := range zr.File {
		name := strings.Trim(strings.ReplaceAll(f.Name, `\`, "/"), "/")
		parts := strings.Split(name, "/")
		if f.FileInfo().IsDir() || len(parts) > 2 || parts[0] == "__MACOSX" {
			continue
		}
		names = append(names, name)
		for i, want := range []string{"nodes.csv", "edges.csv"} {
			if strings.EqualFold(parts[len(parts)-1], want) {
				if tables[i] != nil {
					return nil, fmt.Errorf("CSV zip: two %s: %s and %s", want, tables[i].Name, f.Name)
				}
				tables[i] = f
			}
		}
	}
	if tables[0] == nil && tables[1] == nil {
		if len(names) > 5 {
			names = append(names[:5], "…")
		}
		return nil, fmt.Errorf("CSV zip: no nodes.csv or edges.csv at the top or one folder down (it holds %s)", strings.Join(names, ", "))
	}
	var readers [2]io.Reader
	var whats [2]string
	for i, f := range tables {
		if f == nil {
			continue
		}
		whats[i] = "CSV zip: " + f.Name
		if f.UncompressedSize64 > uint64(csvZipMaxEntry) {
			return nil, fmt.Errorf("%s: %d bytes unpacked; a table may hold %d", whats[i], f.UncompressedSize64, csvZipMaxEntry)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", whats[i], err)
		}
		defer rc.Close()
		// The size a zip declares is not to be trusted: what comes out is
		// counted.
		readers[i] = &boundedReader{r: rc, left: csvZipMaxEntry + 1}
	}
	imp, err := csvTables(readers[0], readers[1], whats[0], whats[1], lim)
	if err != nil {
		return nil, err
	}
	if name, ok := strings.CutPrefix(zr.Comment, csvZipComment); ok && utf8.ValidString(name) {
		imp.Name = name
	}
	return imp, nil
}

type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, fmt.Errorf("over %d bytes unpacked, the most a table may hold", csvZipMaxEntry)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// csvGraph gathers the nodes and edges of one or two tables.
type csvGraph struct {
	lim          Limits
	imp          *Import
	nodeRow      map[string]int // a node's id → its row in the node table (0: named by an edge)
	edgeRow      map[string]int // an edge's id → its row
	nodes, edges []graph.Op
	undirected   bool
}

func newCSVGraph(lim Limits) *csvGraph {
	return &csvGraph{lim: lim, imp: &Import{Type: graph.Knowledge}, nodeRow: map[string]int{}, edgeRow: map[string]int{}}
}

func (g *csvGraph) done() *Import {
	if g.undirected {
		g.imp.Warnings = append(g.imp.Warnings, "edges of type Undirected are kept as written, from source to target")
	}
	fillEdgeIDs(g.edges, g.edgeRow)
	g.imp.Ops = append(g.nodes, g.edges...)
	g.imp.Nodes, g.imp.Edges = len(g.nodes), len(g.edges)
	return g.imp
}

// reader sniffs r's delimiter and gives a CSV reader of it; what names r in
// errors.
func csvReader(r io.Reader, what string, oneColumn bool) (*csv.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	comma, err := sniffDelimiter(head)
	if err != nil {
		if !oneColumn || len(bytes.TrimSpace(head)) == 0 {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		comma = ',' // a node table of ids alone
	}
	cr := csv.NewReader(br)
	cr.Comma, cr.FieldsPerRecord, cr.ReuseRecord = comma, -1, true
	// "a, b" is a and b; a label or value keeps spaces it ends with, and
	// those in quotes, so that what WriteCSVZip writes comes back as it
	// was. (With tabs as delimiters, the reader would take them for space.)
	cr.TrimLeadingSpace = comma != '\t'
	return cr, nil
}

// nodeCols are the columns of a node table: where its fields are (-1 for
// none), and the metadata key of the others ("" for none).
type nodeCols struct {
	names              []string
	id, label, x, y, z int
}

func nodeHeader(rec []string) (nodeCols, bool) {
	c := nodeCols{names: make([]string, len(rec)), id: -1, label: -1, x: -1, y: -1, z: -1}
	lower := make([]string, len(rec))
	for i, f := range rec {
		c.names[i] = strings.TrimSpace(strings.TrimPrefix(f, "\ufeff"))
		lower[i] = strings.ToLower(c.names[i])
	}
	hasLabel := slices.Contains(lower, "label")
	for i, name := range lower {
		var own bool
		switch name {
		case "id":
			own = take(&c.id, i)
		case "label":
			own = take(&c.label, i)
		case "name":
			own = !hasLabel && take(&c.label, i)
		case "x":
			own = take(&c.x, i)
		case "y":
			own = take(&c.y, i)
		case "z":
			own = take(&c.z, i)
		}
		if own {
			c.names[i] = ""
		} else {
			c.names[i] = csvUnmeta(c.names[i])
		}
	}
	return c, c.id >= 0
}

// take makes i the column of a field that has none yet.
func take(col *int, i int) bool {
	if *col >= 0 {
		return false
	}
	*col = i
	return true
}

func (g *csvGraph) nodeTable(r io.Reader, what string) error {
	cr, err := csvReader(r, what, true)
	if err != nil {
		return err
	}
	var cols nodeCols
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if row == 1 {
			var ok bool
			if cols, ok = nodeHeader(rec); !ok {
				return fmt.Errorf("%s: the first row names no id column (a node table's first row names its columns: id, and label, x, y, z or any other)", what)
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		where := fmt.Sprintf("%s row %d", what, row)
		if len(rec) <= cols.id {
			return fmt.Errorf("%s: %d fields; the id is in column %d", where, len(rec), cols.id+1)
		}
		id := strings.TrimSpace(rec[cols.id])
		if err := graph.ValidateID(where+" id", id); err != nil {
			return err
		}
		if prev, dup := g.nodeRow[id]; dup {
			return fmt.Errorf("%s: node %q is on row %d too", where, id, prev)
		}
		if len(g.nodes) >= g.lim.MaxNodes {
			return fmt.Errorf("%s: more than %d nodes; the limit is %d (system.import.maxNodes): %w", what, g.lim.MaxNodes, g.lim.MaxNodes, ErrLimit)
		}
		op := graph.Op{Op: graph.AddNode, ID: id}
		var xyz [3]string
		md := map[string]string{}
		for i, v := range rec {
			switch {
			case i == cols.id:
			case i == cols.label:
				if v != "" {
					if err := graph.ValidateLabel(where+" label", v); err != nil {
						return err
					}
					op.Label = &v
				}
			case i == cols.x:
				xyz[0] = strings.TrimSpace(v)
			case i == cols.y:
				xyz[1] = strings.TrimSpace(v)
			case i == cols.z:
				xyz[2] = strings.TrimSpace(v)
			case i < len(cols.names) && cols.names[i] != "" && v != "":
				md[cols.names[i]] = v
			}
		}
		if xyz != [3]string{} {
			if xyz[0] == "" || xyz[1] == "" {
				return fmt.Errorf("%s: a position needs both x and y", where)
			}
			var c [3]float32
			for i, v := range xyz {
				if v == "" {
					continue
				}
				f, err := strconv.ParseFloat(v, 32)
				if err != nil {
					return fmt.Errorf("%s: %s %q is not a number", where, "xyz"[i:i+1], v)
				}
				c[i] = float32(f)
			}
			pos := graph.Vec3{X: c[0], Y: c[1], Z: c[2]}
			if err := graph.ValidateVec(where+" position", pos); err != nil {
				return err
			}
			op.Position = &pos
		}
		if op.Metadata, err = metaOps(md, where); err != nil {
			return err
		}
		g.nodeRow[id] = row
		g.nodes = append(g.nodes, op)
	}
}

// edgeCols are the columns of an edge table, as nodeCols; typ is a type
// column, which may hold Gephi's kind of edge.
type edgeCols struct {
	names                            []string
	src, dst, weight, label, id, typ int
}

// header reads a first row as column names when it names a source and a
// target column (source, from, src; target, to, dst, dest, in any case).
func header(rec []string) (edgeCols, bool) {
	c := edgeCols{names: make([]string, len(rec)), src: -1, dst: -1, weight: -1, label: -1, id: -1, typ: -1}
	lower := make([]string, len(rec))
	for i, f := range rec {
		c.names[i] = strings.TrimSpace(strings.TrimPrefix(f, "\ufeff"))
		lower[i] = strings.ToLower(c.names[i])
	}
	hasWeight, hasLabel := slices.Contains(lower, "weight"), slices.Contains(lower, "label")
	for i, name := range lower {
		var own bool
		switch name {
		case "source", "from", "src":
			own = take(&c.src, i)
		case "target", "to", "dst", "dest":
			own = take(&c.dst, i)
		case "weight":
			own = take(&c.weight, i)
		case "value":
			own = !hasWeight && take(&c.weight, i)
		case "label":
			own = take(&c.label, i)
		case "type", "relation":
			if name == "type" && c.typ < 0 {
				c.typ = i
			}
			own = !hasLabel && take(&c.label, i)
		case "id":
			own = take(&c.id, i)
		}
		if own {
			c.names[i] = ""
		} else {
			c.names[i] = csvUnmeta(c.names[i])
		}
	}
	return c, c.src >= 0 && c.dst >= 0
}

func (g *csvGraph) addNode(id, where, what string) error {
	if _, ok := g.nodeRow[id]; ok {
		return nil
	}
	if err := graph.ValidateID(where, id); err != nil {
		return err
	}
	if len(g.nodes) >= g.lim.MaxNodes {
		return fmt.Errorf("%s: more than %d nodes; the limit is %d (system.import.maxNodes): %w", what, g.lim.MaxNodes, g.lim.MaxNodes, ErrLimit)
	}
	g.nodeRow[id] = 0
	g.nodes = append(g.nodes, graph.Op{Op: graph.AddNode, ID: id})
	return nil
}

func (g *csvGraph) edgeTable(r io.Reader, what string) error {
	cr, err := csvReader(r, what, false)
	if err != nil {
		return err
	}
	c := edgeCols{src: 0, dst: 1, weight: -1, label: -1, id: -1, typ: -1}
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if row == 1 {
			if h, ok := header(rec); ok {
				c = h
				continue
			}
			if len(rec) >= 3 {
				if _, err := strconv.ParseFloat(strings.TrimSpace(rec[2]), 32); err == nil {
					c.weight = 2
				}
			}
		}
		where := fmt.Sprintf("%s row %d", what, row)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) <= max(c.src, c.dst) {
			return fmt.Errorf("%s: %d fields; an edge needs a source and a target", where, len(rec))
		}
		if len(g.edges) >= g.lim.MaxEdges {
			return fmt.Errorf("%s: more than %d edges; the limit is %d (system.import.maxEdges): %w", what, g.lim.MaxEdges, g.lim.MaxEdges, ErrLimit)
		}
		op := graph.Op{Op: graph.AddEdge, Source: strings.TrimSpace(rec[c.src]), Target: strings.TrimSpace(rec[c.dst])}
		if err := g.addNode(op.Source, where+" source", what); err != nil {
			return err
		}
		if err := g.addNode(op.Target, where+" target", what); err != nil {
			return err
		}
		md := map[string]string{}
		for i, v := range rec {
			trimmed := strings.TrimSpace(v)
			switch {
			case i == c.src || i == c.dst:
			case i == c.typ && (strings.EqualFold(trimmed, "directed") || strings.EqualFold(trimmed, "undirected")):
				g.undirected = g.undirected || strings.EqualFold(trimmed, "undirected")
			case i == c.weight:
				if v = trimmed; v == "" {
					continue
				}
				f, err := strconv.ParseFloat(v, 32)
				if err != nil {
					return fmt.Errorf("%s: weight %q is not a number", where, v)
				}
				if err := graph.ValidateWeight(where+" weight", float32(f)); err != nil {
					return err
				}
				op.Weight = new(float32(f))
			case i == c.label:
				if err := graph.ValidateLabel(where+" label", v); err != nil {
					return err
				}
				op.Label = &v
			case i == c.id:
				if v = trimmed; v == "" {
					continue
				}
				if err := graph.ValidateID(where+" id", v); err != nil {
					return err
				}
				if prev, dup := g.edgeRow[v]; dup {
					return fmt.Errorf("%s: edge id %q is on row %d too", where, v, prev)
				}
				g.edgeRow[v] = row
				op.ID = v
			case i < len(c.names) && c.names[i] != "" && v != "":
				md[c.names[i]] = v
			}
		}
		if op.Metadata, err = metaOps(md, where); err != nil {
			return err
		}
		g.edges = append(g.edges, op)
	}
}

// csvReserved are column names the CSV readers give a meaning beyond
// export.go's reserved (synonyms of source, target and label).
var csvReserved = map[string]bool{"from": true, "src": true, "to": true, "dst": true, "dest": true, "type": true, "relation": true}

// csvColumn names a metadata key's column: with metaName's "meta." prefix
// where the key names a field, in any case since the readers match column
// names in any case, and where it has that prefix already, so that
// "meta.label" and "label" do not come back as one.
func csvColumn(k string) string {
	if l := strings.ToLower(k); reserved[l] || csvReserved[l] || strings.HasPrefix(k, "meta.") {
		return "meta." + k
	}
	return k
}

// csvUnmeta undoes csvColumn.
func csvUnmeta(name string) string {
	if rest, ok := strings.CutPrefix(name, "meta."); ok {
		if l := strings.ToLower(rest); reserved[l] || csvReserved[l] || strings.HasPrefix(rest, "meta.") {
			return rest
		}
	}
	return name
}

var delimiters = []rune{',', '\t', ';', '|'}

// sniffDelimiter picks the delimiter that splits the first records into
// the same number (two or more) of fields.
func sniffDelimiter(head []byte) (rune, error) {
	if len(bytes.TrimSpace(head)) == 0 {
		return 0, errors.New("the file is empty")
	}
	cut := len(head) == 64<<10
	// Parsed as CSV first: quoted fields may hold delimiters and line
	// breaks.
	for _, d := range delimiters {
		if sameFields(head, d, cut) {
			return d, nil
		}
	}
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	if len(lines) > 1 && cut {
		lines = lines[:len(lines)-1] // the last may be cut short
	}
	var sample []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			sample = append(sample, l)
		}
		if len(sample) == 10 {
			break
		}
	}
	for _, d := range delimiters {
		n := -1
		same := true
		for _, l := range sample {
			c := strings.Count(l, string(d)) + 1
			if n >= 0 && c != n {
				same = false
				break
			}
			n = c
		}
		if same && n >= 2 {
			return d, nil
		}
	}
	// Badly quoted: the first that splits the first line, for the reader
	// to say what is wrong.
	for _, d := range delimiters {
		if len(sample) > 0 && strings.ContainsRune(sample[0], d) {
			return d, nil
		}
	}
	return 0, errors.New("no delimiter (comma, tab, semicolon or bar) splits the first line into a source and a target")
}

// sameFields reports whether the first ten records of head, parsed with
// delimiter d, all have the same number (two or more) of fields. When head
// is cut short, so may its last record be.
func sameFields(head []byte, d rune, cut bool) bool {
	cr := csv.NewReader(bytes.NewReader(head))
	cr.Comma, cr.FieldsPerRecord = d, -1
	n := -1
	for range 10 {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if cut && n >= 0 {
				break
			}
			return false
		}
		if n >= 0 && len(rec) != n {
			// Only the last, which a cut may have shortened, may differ.
			_, err := cr.Read()
			return cut && n >= 2 && err == io.EOF
		}
		n = len(rec)
	}
	return n >= 2
}
