package graph

import (
	"strconv"
	"visionflow/internal/binenc"
)

// AppendJSON appends e as encoding/json writes it without HTML escaping.
// The store writes an event's JSON for every edit it commits, where
// reflection was a sixth of the committing goroutine's time.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.Seq, 10)
	b = append(b, `,"hlc":"`...)
	b = strconv.AppendUint(b, uint64(e.Time), 10)
	b = append(b, `","type":`...)
	b = appendString(b, string(e.Type))
	if e.Client != "" {
		b = append(b, `,"client":`...)
		b = appendString(b, e.Client)
	}
	if e.Node != nil {
		b = append(b, `,"node":`...)
		b = appendNode(b, e.Node)
	}
	if e.Edge != nil {
		b = append(b, `,"edge":`...)
		b = appendEdge(b, e.Edge)
	}
	if e.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, e.ID)
	}
	b = appendVecField(b, `,"position":`, e.Position)
	b = appendVecField(b, `,"prevPosition":`, e.PrevPosition)
	b = appendVecField(b, `,"velocity":`, e.Velocity)
	b = appendVecField(b, `,"prevVelocity":`, e.PrevVelocity)
	b = appendBoolField(b, `,"pinned":`, e.Pinned)
	b = appendBoolField(b, `,"prevPinned":`, e.PrevPinned)
	if e.Label != nil {
		b = append(b, `,"label":`...)
		b = appendString(b, *e.Label)
	}
	if e.PrevLabel != nil {
		b = append(b, `,"prevLabel":`...)
		b = appendString(b, *e.PrevLabel)
	}
	b = appendChangedMetadata(b, `,"metadata":`, e.Metadata)
	b = appendChangedMetadata(b, `,"prevMetadata":`, e.PrevMetadata)
	if e.Weight != nil {
		b = append(b, `,"weight":`...)
		b = appendFloat(b, *e.Weight)
	}
	if e.PrevWeight != nil {
		b = append(b, `,"prevWeight":`...)
		b = appendFloat(b, *e.PrevWeight)
	}
	return append(b, '}')
}

func appendVecField(b []byte, name string, v *Vec3) []byte {
	if v == nil {
		return b
	}
	return appendVec(append(b, name...), *v)
}

func appendBoolField(b []byte, name string, v *bool) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendBool(append(b, name...), *v)
}

// appendChangedMetadata writes an event's metadata change: keys in order,
// null for a key removed (or, before, absent).
func appendChangedMetadata(b []byte, name string, md map[string]*string) []byte {
	if len(md) == 0 {
		return b
	}
	b = append(b, name...)
	b = append(b, '{')
	var keys [8]string
	for i, k := range binenc.SortedKeys(keys[:0], md) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if v := md[k]; v != nil {
			b = appendString(b, *v)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

// AppendJSON appends n as encoding/json writes it without HTML escaping.
func (n *Node) AppendJSON(b []byte) []byte { return appendNode(b, n) }

// AppendJSON appends e as encoding/json writes it without HTML escaping.
func (e *Edge) AppendJSON(b []byte) []byte { return appendEdge(b, e) }

// AppendJSONString appends s quoted as encoding/json quotes it without
// HTML escaping.
func AppendJSONString(b []byte, s string) []byte { return appendString(b, s) }
