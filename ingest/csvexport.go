package ingest

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"

	"visionflow/graph"
)

// WriteCSVZip writes c as a zip of two tables, which Gephi's spreadsheet
// import and CSVZip read: nodes.csv (id, label, x, y, z, then a column for
// each metadata key of the nodes, sorted) and edges.csv (id, source,
// target, weight, label, then the edges' metadata). A metadata key that
// names a column the readers take for a field, in any case (label, type,
// from…), is written with a "meta." prefix, which they take off. The
// graph's name is in the zip's comment, where CSVZip finds it.
func WriteCSVZip(w io.Writer, c graph.Contents) error {
	zw := zip.NewWriter(w)
	if c.Name != "" {
		if err := zw.SetComment(csvZipComment + c.Name); err != nil {
			return fmt.Errorf("CSV zip: the graph's name: %w", err)
		}
	}
	f, err := zw.Create("nodes.csv")
	if err != nil {
		return fmt.Errorf("CSV zip: %w", err)
	}
	if err := writeNodeTable(f, c.Nodes); err != nil {
		return fmt.Errorf("CSV zip: nodes.csv: %w", err)
	}
	if f, err = zw.Create("edges.csv"); err != nil {
		return fmt.Errorf("CSV zip: %w", err)
	}
	if err := writeEdgeTable(f, c.Edges); err != nil {
		return fmt.Errorf("CSV zip: edges.csv: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("CSV zip: %w", err)
	}
	return nil
}

// WriteCSVEdges writes c's edges as an edge list, as edges.csv in
// WriteCSVZip; CSV reads it back. Nodes without edges, and nodes' labels,
// positions and metadata, have no place in it.
func WriteCSVEdges(w io.Writer, c graph.Contents) error {
	if err := writeEdgeTable(w, c.Edges); err != nil {
		return fmt.Errorf("CSV: %w", err)
	}
	return nil
}

func csvNum(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }

// metaColumns are the sorted metadata keys of a table and their columns.
func metaColumns(mds func(yield func(map[string]string) bool)) (keys, cols []string) {
	seen := map[string]bool{}
	for md := range mds {
		for k := range md {
			seen[k] = true
		}
	}
	keys = slices.Sorted(maps.Keys(seen))
	cols = make([]string, len(keys))
	for i, k := range keys {
		cols[i] = csvColumn(k)
	}
	return keys, cols
}

func writeNodeTable(w io.Writer, nodes []graph.Node) error {
	keys, cols := metaColumns(func(yield func(map[string]string) bool) {
		for _, n := range nodes {
			if !yield(n.Metadata) {
				return
			}
		}
	})
	cw := csv.NewWriter(w)
	row := append([]string{"id", "label", "x", "y", "z"}, cols...)
	cw.Write(row)
	for _, n := range nodes {
		row = append(row[:0], n.ID, n.Label, csvNum(n.Position.X), csvNum(n.Position.Y), csvNum(n.Position.Z))
		for _, k := range keys {
			row = append(row, n.Metadata[k])
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

func writeEdgeTable(w io.Writer, edges []graph.Edge) error {
	keys, cols := metaColumns(func(yield func(map[string]string) bool) {
		for _, e := range edges {
			if !yield(e.Metadata) {
				return
			}
		}
	})
	cw := csv.NewWriter(w)
	row := append([]string{"id", "source", "target", "weight", "label"}, cols...)
	cw.Write(row)
	for _, e := range edges {
		row = append(row[:0], e.ID, e.Source, e.Target, csvNum(e.Weight), e.Label)
		for _, k := range keys {
			row = append(row, e.Metadata[k])
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
