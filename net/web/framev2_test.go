package web

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The viewer's v2 decoder, run by Node on the test vectors of
// docs/protocol.md, gives the node ids, positions, velocities, values and
// flags the vectors' JSON says, to the float32 bit (the page stores
// positions in a Float32Array). Without Node the test is skipped.
func TestViewerDecodesV2Vectors(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	js, err := static.ReadFile("static/viewer.js")
	if err != nil {
		t.Fatal(err)
	}
	fn := regexp.MustCompile(`(?s)// BEGIN decodeFrameV2[^\n]*\n(.*)// END decodeFrameV2`).FindSubmatch(js)
	if fn == nil {
		t.Fatal("viewer.js has no decodeFrameV2 between its markers")
	}
	doc, err := os.ReadFile("../../docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		ID       uint32     `json:"id"`
		State    bool       `json:"state"`
		Value    float32    `json:"value"`
		Flags    uint16     `json:"flags"`
		Position [3]float32 `json:"position"`
		Velocity [3]float32 `json:"velocity"`
	}
	type vector struct {
		Name  string `json:"name"`
		Hex   string `json:"hex"`
		Nodes []node `json:"nodes"`
	}
	var vectors []vector
	re := regexp.MustCompile("(?s)<!-- vector-v2: ([a-z0-9-]+) -->.*?```hex\n(.*?)```.*?```json\n(.*?)```")
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		v := vector{Name: m[1], Hex: strings.Join(strings.Fields(m[2]), "")}
		if _, err := hex.DecodeString(v.Hex); err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		if err := json.Unmarshal([]byte(m[3]), &v); err != nil {
			t.Fatalf("%s: %v", v.Name, err)
		}
		vectors = append(vectors, v)
	}
	if len(vectors) < 3 {
		t.Fatalf("%d v2 vectors in docs/protocol.md", len(vectors))
	}
	in, err := json.Marshal(vectors)
	if err != nil {
		t.Fatal(err)
	}
	script := string(fn[1]) + `
const vectors = ` + string(in) + `;
const f = Math.fround;
const out = vectors.map((v) => {
  const bytes = Uint8Array.from(v.hex.match(/../g).map((h) => parseInt(h, 16)));
  const nodes = [];
  const whole = decodeFrameV2(new DataView(bytes.buffer), (id, x, y, z, vx, vy, vz, value, flags, state) =>
    nodes.push({ id, state, value: f(value), flags, position: [f(x), f(y), f(z)], velocity: [f(vx), f(vy), f(vz)] }));
  // A frame cut short is refused.
  const cut = decodeFrameV2(new DataView(bytes.buffer, 0, bytes.length - 1), () => {});
  return { name: v.name, whole, cut, nodes };
});
console.log(JSON.stringify(out));
`
	path := filepath.Join(t.TempDir(), "v2.js")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(nodeBin, path).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, res)
	}
	var got []struct {
		Name       string `json:"name"`
		Whole, Cut bool
		Nodes      []node `json:"nodes"`
	}
	if err := json.Unmarshal(res, &got); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	for i, g := range got {
		want := vectors[i]
		if !g.Whole || g.Cut {
			t.Errorf("%s: whole %v, cut short accepted %v", g.Name, g.Whole, g.Cut)
		}
		if len(g.Nodes) != len(want.Nodes) {
			t.Errorf("%s: %d nodes, want %d", g.Name, len(g.Nodes), len(want.Nodes))
			continue
		}
		for k, n := range g.Nodes {
			w := want.Nodes[k]
			if !w.State {
				w.Value, w.Flags = 0, 0
			}
			if n != w {
				t.Errorf("%s: node %d is %+v, want %+v", g.Name, k, n, w)
			}
		}
	}
}
