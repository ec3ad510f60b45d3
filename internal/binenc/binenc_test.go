package binenc

import (
	"fmt"
	"slices"
	"testing"
)

// Keys come out in order, past the caller's buffer too.
func TestSortedKeys(t *testing.T) {
	for _, n := range []int{0, 1, 3, 8, 9, 40} {
		md := map[string]int{}
		var want []string
		for i := range n {
			k := fmt.Sprintf("k%03d", (i*17)%n)
			md[k] = i
			want = append(want, k)
		}
		slices.Sort(want)
		var buf [8]string
		if got := SortedKeys(buf[:0], md); !slices.Equal(got, want) {
			t.Errorf("%d keys: got %v, want %v", n, got, want)
		}
	}
}

// Encoding a small map's metadata allocates nothing: a snapshot encodes
// one per node and edge.
func TestAppendMetadataDoesNotAllocate(t *testing.T) {
	md := map[string]string{"kind": "page", "i": "15", "tag": "x"}
	b := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { b = AppendMetadata(b[:0], md) }); n != 0 {
		t.Errorf("AppendMetadata allocated %v times", n)
	}
	r := NewReader(b)
	if got := r.Metadata(); len(got) != 3 || got["kind"] != "page" || got["i"] != "15" || got["tag"] != "x" || r.Err() != nil {
		t.Errorf("read back %v (%v)", got, r.Err())
	}
}
