package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"io"
)

// An ICNS file is a big-endian container: the magic "icns" and the
// file's length, then entries of a four-letter type, the entry's length
// (its 8-byte header included) and the data. Since OS X 10.7 the data of
// the types below may be a plain PNG, which is all this writes: no old
// bitmap types, no masks, no table of contents (iconutil writes one, but
// Finder reads files without it).
const icnsMagic = "icns"

// iconTypes maps the PNG entry types to the pixel size each must have.
// The @2x types repeat sizes for Retina screens; macOS picks by type, so
// both are written.
var iconTypes = map[string]int{
	"icp4": 16,
	"icp5": 32,
	"ic11": 32, // 16@2x
	"ic12": 64, // 32@2x
	"ic07": 128,
	"ic08": 256,
	"ic13": 256, // 128@2x
	"ic09": 512,
	"ic14": 512, // 256@2x
	"ic10": 1024,
}

// iconOrder is the order entries are written in: small to large, as
// iconutil does.
var iconOrder = []string{"icp4", "icp5", "ic11", "ic12", "ic07", "ic08", "ic13", "ic09", "ic14", "ic10"}

// icnsEntry is one image of an ICNS file.
type icnsEntry struct {
	Type string
	Data []byte
}

// writeICNS writes entries as an ICNS file. Every type must be one of
// iconTypes and its data a PNG of that type's size, so that a file this
// writes is one readICNS accepts.
func writeICNS(w io.Writer, entries []icnsEntry) error {
	total := 8
	for _, e := range entries {
		if err := checkEntry(e); err != nil {
			return err
		}
		total += 8 + len(e.Data)
	}
	if total > 1<<31 {
		return errors.New("icns: too large")
	}
	var b bytes.Buffer
	b.WriteString(icnsMagic)
	_ = binary.Write(&b, binary.BigEndian, uint32(total))
	for _, e := range entries {
		b.WriteString(e.Type)
		_ = binary.Write(&b, binary.BigEndian, uint32(8+len(e.Data)))
		b.Write(e.Data)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// readICNS parses an ICNS file and checks every entry (see checkEntry).
func readICNS(data []byte) ([]icnsEntry, error) {
	if len(data) < 8 || string(data[:4]) != icnsMagic {
		return nil, errors.New("icns: no icns header")
	}
	if n := binary.BigEndian.Uint32(data[4:8]); int64(n) != int64(len(data)) {
		return nil, fmt.Errorf("icns: header says %d bytes, the file has %d", n, len(data))
	}
	var entries []icnsEntry
	seen := map[string]bool{}
	for rest := data[8:]; len(rest) > 0; {
		if len(rest) < 8 {
			return nil, fmt.Errorf("icns: %d stray bytes at the end", len(rest))
		}
		typ, n := string(rest[:4]), binary.BigEndian.Uint32(rest[4:8])
		if n < 8 || int64(n) > int64(len(rest)) {
			return nil, fmt.Errorf("icns: entry %q says %d bytes, %d are left", typ, n, len(rest))
		}
		e := icnsEntry{Type: typ, Data: rest[8:n]}
		if err := checkEntry(e); err != nil {
			return nil, err
		}
		if seen[typ] {
			return nil, fmt.Errorf("icns: entry %q twice", typ)
		}
		seen[typ] = true
		entries = append(entries, e)
		rest = rest[n:]
	}
	if len(entries) == 0 {
		return nil, errors.New("icns: no entries")
	}
	return entries, nil
}

// checkEntry says whether e is a PNG entry of a known type with the size
// that type stands for: macOS does not rescale a wrong one, it shows it
// wrong.
func checkEntry(e icnsEntry) error {
	want, ok := iconTypes[e.Type]
	if !ok {
		return fmt.Errorf("icns: entry type %q is not one this writes", e.Type)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(e.Data))
	if err != nil {
		return fmt.Errorf("icns: entry %q: not a PNG: %v", e.Type, err)
	}
	if cfg.Width != want || cfg.Height != want {
		return fmt.Errorf("icns: entry %q is %dx%d, its type is %dx%d", e.Type, cfg.Width, cfg.Height, want, want)
	}
	return nil
}
