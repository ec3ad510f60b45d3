package ingest

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"visionflow/graph"
)

// CSV reads an edge list: one edge a row, its source and target first. A
// first row naming its columns (source or from, target or to, and weight,
// label or anything else) is a header: weight and label are the edge's
// own, other columns its metadata. Without one, a third column of numbers
// is the weight. The delimiter (comma, semicolon, tab or bar) is the one
// that splits the first rows alike. Nodes are the ends named, labelled by
// their ids, in the order they first appear.
func CSV(r io.Reader) (*Import, error) { return CSVWithin(r, DefaultLimits) }

// CSVWithin reads an edge list within lim, a row at a time.
func CSVWithin(r io.Reader, lim Limits) (*Import, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	comma, err := sniffDelimiter(head)
	if err != nil {
		return nil, fmt.Errorf("CSV: %w", err)
	}
	cr := csv.NewReader(br)
	cr.Comma, cr.FieldsPerRecord, cr.ReuseRecord = comma, -1, true
	imp := &Import{Type: graph.Knowledge}
	seen := map[string]bool{}
	var nodes, edges []graph.Op
	cols := []string{"source", "target"} // by position; "" for none
	src, dst, weight, label := 0, 1, -1, -1
	addNode := func(id, where string) error {
		if seen[id] {
			return nil
		}
		if err := graph.ValidateID(where, id); err != nil {
			return err
		}
		if len(nodes) >= lim.MaxNodes {
			return fmt.Errorf("more than %d nodes; the limit is %d (system.import.maxNodes): %w", lim.MaxNodes, lim.MaxNodes, ErrLimit)
		}
		seen[id] = true
		nodes = append(nodes, graph.Op{Op: graph.AddNode, ID: id})
		return nil
	}
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV: %w", err)
		}
		if row == 1 {
			if h, ok := header(rec); ok {
				cols = h
				src, dst = indexOf(h, "source"), indexOf(h, "target")
				weight, label = indexOf(h, "weight"), indexOf(h, "label")
				continue
			}
			if len(rec) >= 3 {
				if _, err := strconv.ParseFloat(strings.TrimSpace(rec[2]), 32); err == nil {
					weight = 2
				}
			}
		}
		where := fmt.Sprintf("CSV row %d", row)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) <= max(src, dst) {
			return nil, fmt.Errorf("%s: %d fields; an edge needs a source and a target", where, len(rec))
		}
		if len(edges) >= lim.MaxEdges {
			return nil, fmt.Errorf("CSV: more than %d edges; the limit is %d (system.import.maxEdges): %w", lim.MaxEdges, lim.MaxEdges, ErrLimit)
		}
		op := graph.Op{Op: graph.AddEdge, Source: strings.TrimSpace(rec[src]), Target: strings.TrimSpace(rec[dst])}
		if err := addNode(op.Source, where+" source"); err != nil {
			return nil, wrapCSV(err)
		}
		if err := addNode(op.Target, where+" target"); err != nil {
			return nil, wrapCSV(err)
		}
		md := map[string]string{}
		for i, v := range rec {
			v = strings.TrimSpace(v)
			switch {
			case i == src || i == dst:
			case i == weight:
				if v == "" {
					continue
				}
				f, err := strconv.ParseFloat(v, 32)
				if err != nil {
					return nil, fmt.Errorf("%s: weight %q is not a number", where, v)
				}
				if err := graph.ValidateWeight(where+" weight", float32(f)); err != nil {
					return nil, err
				}
				op.Weight = new(float32(f))
			case i == label:
				if err := graph.ValidateLabel(where+" label", v); err != nil {
					return nil, err
				}
				op.Label = &v
			case i < len(cols) && cols[i] != "" && v != "":
				md[cols[i]] = v
			}
		}
		if op.Metadata, err = metaOps(md, where); err != nil {
			return nil, err
		}
		edges = append(edges, op)
	}
	if len(edges) == 0 {
		return nil, errors.New("CSV: no edges: an edge list has a source and a target on each row")
	}
	imp.Ops = append(nodes, edges...)
	imp.Nodes, imp.Edges = len(nodes), len(edges)
	return imp, nil
}

func wrapCSV(err error) error {
	if errors.Is(err, ErrLimit) {
		return fmt.Errorf("CSV: %w", err)
	}
	return err
}

func indexOf(cols []string, name string) int {
	for i, c := range cols {
		if c == name {
			return i
		}
	}
	return -1
}

// header reads a first row as column names when it names a source and a
// target column (source, from, src; target, to, dst, dest): the names
// lower-cased, those two and weight and label given their own.
func header(rec []string) ([]string, bool) {
	cols := make([]string, len(rec))
	var s, t bool
	for i, f := range rec {
		name := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(f, "\ufeff")))
		switch name {
		case "source", "from", "src":
			if !s {
				name, s = "source", true
			}
		case "target", "to", "dst", "dest":
			if !t {
				name, t = "target", true
			}
		case "weight", "value":
			name = "weight"
		case "label", "type", "relation":
			if indexOf(cols, "label") < 0 {
				name = "label"
			}
		}
		cols[i] = name
	}
	return cols, s && t
}

// sniffDelimiter picks the delimiter that splits the first lines into the
// same number (two or more) of fields.
func sniffDelimiter(head []byte) (rune, error) {
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	if len(lines) > 1 && len(head) == 64<<10 {
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
	if len(sample) == 0 {
		return 0, errors.New("the file is empty")
	}
	for _, d := range []rune{',', '\t', ';', '|'} {
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
	// Quoted fields may hold delimiters: take the commonest that splits
	// the first line.
	for _, d := range []rune{',', '\t', ';', '|'} {
		if strings.ContainsRune(sample[0], d) {
			return d, nil
		}
	}
	return 0, errors.New("no delimiter (comma, tab, semicolon or bar) splits the first line into a source and a target")
}
