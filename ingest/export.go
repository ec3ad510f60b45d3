package ingest

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"visionflow/graph"
)

// ExportFormats are the formats a graph can be exported in: "csv" is a
// zip of nodes.csv and edges.csv (Gephi's spreadsheet import reads both),
// "csv-edges" a plain edge list (no isolated nodes, labels or positions).
var ExportFormats = []string{"gexf", "graphml", "json", "gml", "csv", "csv-edges"}

// Export writes c in format (one of ExportFormats). Style, which may be
// nil, is how the graph is shown; GEXF carries it as viz colours and sizes.
func Export(w io.Writer, c graph.Contents, format string, style *Style) error {
	switch format {
	case "gexf":
		return WriteGEXF(w, c, style)
	case "graphml":
		return WriteGraphML(w, c)
	case "json":
		return WriteNodeLink(w, c)
	case "gml":
		return WriteGML(w, c)
	case "csv":
		return WriteCSVZip(w, c)
	case "csv-edges":
		return WriteCSVEdges(w, c)
	}
	return fmt.Errorf("export: format %q: want one of %s", format, strings.Join(ExportFormats, ", "))
}

// reserved are the attribute names the readers take for a node's or an
// edge's own fields; metadata under one of them is written with a "meta."
// prefix so it does not come back as a label or a position.
var reserved = map[string]bool{"id": true, "label": true, "name": true, "x": true, "y": true, "z": true, "weight": true, "value": true, "source": true, "target": true}

// The readers match those names in any case (GraphML's "Label" is a
// label too), so the check ignores case.
func metaName(k string) string {
	if reserved[strings.ToLower(k)] || strings.HasPrefix(k, "meta.") {
		return "meta." + k
	}
	return k
}

// unmeta undoes metaName on reading.
func unmeta(k string) string {
	if rest, ok := strings.CutPrefix(k, "meta."); ok && (reserved[strings.ToLower(rest)] || strings.HasPrefix(rest, "meta.")) {
		return rest
	}
	return k
}

// WriteGraphML writes c as GraphML: typed keys for the label, the position
// (x, y, z) and the weight, a string key for every metadata field of nodes
// and of edges, one <node> per node and one <edge> per edge. GraphML
// readers (Gephi, yEd, networkx, and GraphML here) read it back.
func WriteGraphML(w io.Writer, c graph.Contents) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	esc := func(s string) string {
		var b []byte
		bb := &byteWriter{&b}
		xml.EscapeText(bb, []byte(s))
		return string(b)
	}
	nk, ek := metadataKeys(c)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n")
	fmt.Fprintf(bw, "  <key id=\"label\" for=\"node\" attr.name=\"label\" attr.type=\"string\"/>\n")
	for _, a := range []string{"x", "y", "z"} {
		fmt.Fprintf(bw, "  <key id=\"%s\" for=\"node\" attr.name=\"%s\" attr.type=\"float\"/>\n", a, a)
	}
	fmt.Fprintf(bw, "  <key id=\"elabel\" for=\"edge\" attr.name=\"label\" attr.type=\"string\"/>\n")
	fmt.Fprintf(bw, "  <key id=\"weight\" for=\"edge\" attr.name=\"weight\" attr.type=\"float\"/>\n")
	fmt.Fprintf(bw, "  <key id=\"gname\" for=\"graph\" attr.name=\"name\" attr.type=\"string\"/>\n")
	for i, k := range nk {
		fmt.Fprintf(bw, "  <key id=\"n%d\" for=\"node\" attr.name=\"%s\" attr.type=\"string\"/>\n", i, esc(metaName(k)))
	}
	for i, k := range ek {
		fmt.Fprintf(bw, "  <key id=\"e%d\" for=\"edge\" attr.name=\"%s\" attr.type=\"string\"/>\n", i, esc(metaName(k)))
	}
	fmt.Fprintf(bw, "  <graph id=\"%s\" edgedefault=\"directed\">\n", esc(c.ID))
	if c.Name != "" {
		fmt.Fprintf(bw, "    <data key=\"gname\">%s</data>\n", esc(c.Name))
	}
	num := func(f float32) string { return strconv.FormatFloat(float64(f), 'g', -1, 32) }
	for _, n := range c.Nodes {
		fmt.Fprintf(bw, "    <node id=\"%s\">\n", esc(n.ID))
		if n.Label != "" {
			fmt.Fprintf(bw, "      <data key=\"label\">%s</data>\n", esc(n.Label))
		}
		fmt.Fprintf(bw, "      <data key=\"x\">%s</data><data key=\"y\">%s</data><data key=\"z\">%s</data>\n", num(n.Position.X), num(n.Position.Y), num(n.Position.Z))
		for i, k := range nk {
			if v, ok := n.Metadata[k]; ok {
				fmt.Fprintf(bw, "      <data key=\"n%d\">%s</data>\n", i, esc(v))
			}
		}
		fmt.Fprintf(bw, "    </node>\n")
	}
	for _, e := range c.Edges {
		fmt.Fprintf(bw, "    <edge id=\"%s\" source=\"%s\" target=\"%s\">\n", esc(e.ID), esc(e.Source), esc(e.Target))
		if e.Label != "" {
			fmt.Fprintf(bw, "      <data key=\"elabel\">%s</data>\n", esc(e.Label))
		}
		fmt.Fprintf(bw, "      <data key=\"weight\">%s</data>\n", num(e.Weight))
		for i, k := range ek {
			if v, ok := e.Metadata[k]; ok {
				fmt.Fprintf(bw, "      <data key=\"e%d\">%s</data>\n", i, esc(v))
			}
		}
		fmt.Fprintf(bw, "    </edge>\n")
	}
	fmt.Fprintf(bw, "  </graph>\n</graphml>\n")
	return bw.Flush()
}

type byteWriter struct{ b *[]byte }

func (w *byteWriter) Write(p []byte) (int, error) { *w.b = append(*w.b, p...); return len(p), nil }

// WriteNodeLink writes c as node-link JSON (what NodeLink reads): nodes
// with id, label, x, y, z and their metadata as fields; links with id,
// source, target, label, weight and theirs. Written a node at a time.
func WriteNodeLink(w io.Writer, c graph.Contents) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	name, _ := json.Marshal(c.Name)
	fmt.Fprintf(bw, "{\"name\":%s,\"nodes\":[\n", name)
	for i, n := range c.Nodes {
		obj := map[string]any{}
		for k, v := range n.Metadata {
			obj[metaName(k)] = v
		}
		obj["id"], obj["x"], obj["y"], obj["z"] = n.ID, n.Position.X, n.Position.Y, n.Position.Z
		if n.Label != "" {
			obj["label"] = n.Label
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(obj); err != nil {
			return err
		}
	}
	bw.WriteString("],\"links\":[\n")
	for i, e := range c.Edges {
		obj := map[string]any{}
		for k, v := range e.Metadata {
			obj[metaName(k)] = v
		}
		obj["id"], obj["source"], obj["target"], obj["weight"] = e.ID, e.Source, e.Target, e.Weight
		if e.Label != "" {
			obj["label"] = e.Label
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(obj); err != nil {
			return err
		}
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// ExportType is the file name extension and media type of a format.
func ExportType(format string) (ext, mediaType string) {
	switch format {
	case "gexf":
		return ".gexf", "application/gexf+xml"
	case "graphml":
		return ".graphml", "application/graphml+xml"
	case "gml":
		return ".gml", "text/plain; charset=utf-8"
	case "csv":
		return ".zip", "application/zip"
	case "csv-edges":
		return ".csv", "text/csv; charset=utf-8"
	}
	return ".json", "application/json"
}

// metadataKeys are the metadata keys c's nodes use and its edges use,
// each sorted: the attribute declarations of the XML formats.
func metadataKeys(c graph.Contents) (nodeKeys, edgeKeys []string) {
	nk, ek := map[string]bool{}, map[string]bool{}
	for _, n := range c.Nodes {
		for k := range n.Metadata {
			nk[k] = true
		}
	}
	for _, e := range c.Edges {
		for k := range e.Metadata {
			ek[k] = true
		}
	}
	return slices.Sorted(maps.Keys(nk)), slices.Sorted(maps.Keys(ek))
}
