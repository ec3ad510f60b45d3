package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// plistEntry is one key of a flat property list: its value is a string or
// a bool, which is all an app's Info.plist needs here.
type plistEntry struct {
	Key   string
	Value any // string or bool
}

const plistHeader = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
`

// writePlist writes entries as an XML property list, in their order.
func writePlist(w io.Writer, entries []plistEntry) error {
	var b bytes.Buffer
	b.WriteString(plistHeader)
	for _, e := range entries {
		b.WriteString("\t<key>")
		_ = xml.EscapeText(&b, []byte(e.Key))
		b.WriteString("</key>\n")
		switch v := e.Value.(type) {
		case string:
			b.WriteString("\t<string>")
			_ = xml.EscapeText(&b, []byte(v))
			b.WriteString("</string>\n")
		case bool:
			fmt.Fprintf(&b, "\t<%t/>\n", v)
		default:
			return fmt.Errorf("plist: %s: a %T is not a string or a bool", e.Key, e.Value)
		}
	}
	b.WriteString("</dict>\n</plist>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// parsePlist reads an XML property list whose root is a dict of strings,
// booleans, integers, reals, dates, arrays and dicts. Values come back
// as string, bool or, for the rest, their text; nested containers are
// skipped whole (the checks here look at top-level keys only).
func parsePlist(data []byte) (map[string]any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var root, top bool
	out := map[string]any{}
	key := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("plist: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case !root:
				if t.Name.Local != "plist" {
					return nil, fmt.Errorf("plist: root element <%s>, want <plist>", t.Name.Local)
				}
				root = true
			case !top:
				if t.Name.Local != "dict" {
					return nil, fmt.Errorf("plist: top-level <%s>, want <dict>", t.Name.Local)
				}
				top = true
			case t.Name.Local == "key":
				if key != "" {
					return nil, fmt.Errorf("plist: key %q has no value", key)
				}
				var k string
				if err := d.DecodeElement(&k, &t); err != nil {
					return nil, fmt.Errorf("plist: %v", err)
				}
				if k == "" {
					return nil, errors.New("plist: empty key")
				}
				if _, dup := out[k]; dup {
					return nil, fmt.Errorf("plist: key %q twice", k)
				}
				key = k
			default:
				if key == "" {
					return nil, fmt.Errorf("plist: <%s> without a key", t.Name.Local)
				}
				v, err := plistValue(d, t)
				if err != nil {
					return nil, fmt.Errorf("plist: %s: %v", key, err)
				}
				out[key], key = v, ""
			}
		case xml.EndElement:
			if t.Name.Local == "dict" && key != "" {
				return nil, fmt.Errorf("plist: key %q has no value", key)
			}
		}
	}
	if !top {
		return nil, errors.New("plist: no top-level dict")
	}
	return out, nil
}

// plistValue reads the value element start begins.
func plistValue(d *xml.Decoder, start xml.StartElement) (any, error) {
	switch start.Name.Local {
	case "true", "false":
		if err := d.Skip(); err != nil {
			return nil, err
		}
		return start.Name.Local == "true", nil
	case "string", "integer", "real", "date", "data":
		var s string
		if err := d.DecodeElement(&s, &start); err != nil {
			return nil, err
		}
		if start.Name.Local == "string" {
			return s, nil
		}
		return strings.TrimSpace(s), nil
	case "array", "dict":
		return nil, d.Skip()
	}
	return nil, fmt.Errorf("unknown plist element <%s>", start.Name.Local)
}
