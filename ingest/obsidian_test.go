package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"visionflow/graph"
)

// edgeList lists an import's edges as "from -> to kinds weight", sorted.
func (im imported) edgeList() []string {
	var out []string
	for _, e := range im.edges {
		out = append(out, fmt.Sprintf("%s -> %s %s %g", e.Source, e.Target, *e.Label, *e.Weight))
	}
	slices.Sort(out)
	return out
}

func (im imported) nodeIDs() []string { return slices.Sorted(maps.Keys(im.nodes)) }

func (im imported) meta(t *testing.T, id string) map[string]string {
	t.Helper()
	op, ok := im.nodes[id]
	if !ok {
		t.Fatalf("no node %q", id)
	}
	md := map[string]string{}
	for k, v := range op.Metadata {
		md[k] = *v
	}
	return md
}

func equalLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s: unexpected %q", what, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

// The committed vault (testdata/obsidian/vault) exercises every rule once;
// its notes say in words what each link should do.
func TestObsidianVault(t *testing.T) {
	fsys := os.DirFS("testdata/obsidian/vault")
	if !IsObsidianVault(fsys) {
		t.Error("IsObsidianVault: false for a vault with .obsidian/")
	}
	var calls, lastDone, lastTotal int
	imp, err := Obsidian(fsys, func(done, total int) { calls++; lastDone, lastTotal = done, total })
	if err != nil {
		t.Fatal(err)
	}
	if calls != 12 || lastDone != 12 || lastTotal != 12 {
		t.Errorf("progress: %d calls, last %d/%d; want 12 notes", calls, lastDone, lastTotal)
	}
	im := index(t, imp)
	equalLists(t, "nodes", im.nodeIDs(), []string{
		"#daily", "#hub", "#idea", "#inline-tag", "#meta", "#nested", "#nested/child", "#project", "#status", "#status/active",
		"Archive/2023/Notes.md", "Archive/Beta.md", "Broken.md", "Daily/2024-01-02.md", "Guides/Getting Started.md", "Home.md",
		"Ideas.md", "Nested/Deep/Deeper/Leaf.md", "People/Ann.md", "People/Carol.md", "Projects/Alpha.md", "Projects/Beta.md",
	})
	equalLists(t, "edges", im.edgeList(), []string{
		"#nested/child -> #nested namespace 1",
		"#status/active -> #status namespace 1",
		// [[Beta]] from a folder without one: the shorter of two paths.
		"Archive/2023/Notes.md -> Archive/Beta.md link 2",
		"Archive/Beta.md -> Home.md link 1", // [home](../Home.md)
		"Archive/Beta.md -> Projects/Beta.md link 1",
		"Broken.md -> Home.md link 1",
		"Daily/2024-01-02.md -> #daily tag 1",
		"Daily/2024-01-02.md -> Home.md link 2", // [[home]], and the alias [[Front page]]
		"Guides/Getting Started.md -> Ideas.md embed,link 2",
		"Guides/Getting Started.md -> Projects/Alpha.md link 1", // a vault path before a relative one
		"Home.md -> #hub tag 1",
		"Home.md -> #inline-tag tag 1",
		"Home.md -> #meta tag 1",
		"Home.md -> Archive/Beta.md link 1",
		"Home.md -> Daily/2024-01-02.md embed 1",
		"Home.md -> Guides/Getting Started.md link 1", // Getting%20Started.md
		"Home.md -> Ideas.md link 3",                  // #Heading, #^block, #Heading|text
		"Home.md -> Projects/Alpha.md link 1",
		"Ideas.md -> #idea tag 3", // front matter, #idea and #Idea
		"Ideas.md -> Home.md link 1",
		"Nested/Deep/Deeper/Leaf.md -> #nested/child tag 1",
		"Nested/Deep/Deeper/Leaf.md -> Projects/Alpha.md link 1",
		"People/Carol.md -> People/Ann.md link 3", // relative Markdown link, path, alias
		"Projects/Alpha.md -> #project tag 1",
		"Projects/Alpha.md -> Home.md link 2",          // the alias [[Start]], [[Home.md]]
		"Projects/Alpha.md -> Ideas.md link 1",         // related: "[[Ideas]]"
		"Projects/Alpha.md -> Projects/Beta.md link 1", // same folder first
		"Projects/Beta.md -> #project tag 1",
		"Projects/Beta.md -> #status/active tag 1",
		"Projects/Beta.md -> Projects/Alpha.md link 1",
	})
	if op := im.nodes["Guides/Getting Started.md"]; *op.Label != "Getting Started" {
		t.Errorf("label %q, want the file name", *op.Label)
	}
	if op := im.nodes["#idea"]; *op.Label != "#idea" {
		t.Errorf("tag label %q, want the first spelling", *op.Label)
	}
	if md, want := im.meta(t, "Home.md"), map[string]string{
		"kind": "note", "path": "Home.md", "aliases": "Start, Front page", "tags": "hub, #meta",
		"created": "2024-01-02", "rating": "5", "authors": "Ann, Bob", "source": `{"site":"example.org","year":2020}`,
	}; !maps.Equal(md, want) {
		t.Errorf("Home.md metadata\n got %v\nwant %v", md, want)
	}
	if md, want := im.meta(t, "Projects/Alpha.md"), map[string]string{
		"kind": "note", "path": "Projects/Alpha.md", "folder": "Projects", "status": "active", "related": "[[Ideas]]",
	}; !maps.Equal(md, want) {
		t.Errorf("Projects/Alpha.md metadata\n got %v\nwant %v", md, want)
	}
	if md := im.meta(t, "#project"); !maps.Equal(md, map[string]string{"kind": "tag"}) {
		t.Errorf("tag metadata %v", md)
	}
	if md := im.meta(t, "Broken.md"); !maps.Equal(md, map[string]string{"kind": "note", "path": "Broken.md"}) {
		t.Errorf("Broken.md metadata %v, want no properties", md)
	}
	if len(imp.Warnings) != 1 || !strings.HasPrefix(imp.Warnings[0], "Broken.md: front matter is not valid YAML properties") {
		t.Errorf("warnings %q", imp.Warnings)
	}

	r := imp.Report
	if r.Notes != 12 || r.Links != 27 || r.Tags != 10 || r.Attachments != 2 || r.AttachmentsImported || r.SkippedFiles != 0 {
		t.Errorf("report %+v", r)
	}
	if want := []UnresolvedLink{{"Home.md", "Nowhere"}, {"People/Ann.md", "missing.png"}}; r.Unresolved != 2 || !slices.Equal(r.UnresolvedList, want) {
		t.Errorf("unresolved %d %v, want %v", r.Unresolved, r.UnresolvedList, want)
	}
	if got, want := r.Summary(), "12 notes, 27 links resolved, 10 tags, 2 links to attachments not imported; 2 unresolved: Home.md → Nowhere, People/Ann.md → missing.png"; got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
}

func TestObsidianOptions(t *testing.T) {
	imp, err := ObsidianWithin(os.DirFS("testdata/obsidian/vault"), nil, DefaultLimits, ObsidianOptions{Attachments: true, Unresolved: true})
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	if imp.Nodes != 22+4 || imp.Edges != 30+4 {
		t.Errorf("%d nodes, %d edges; want 26 and 34", imp.Nodes, imp.Edges)
	}
	im.edge(t, "Home.md", "Attachments/diagram.png", "embed")
	im.edge(t, "Guides/Getting Started.md", "Attachments/manual.pdf", "link")
	im.edge(t, "Home.md", "Nowhere", "link")
	im.edge(t, "People/Ann.md", "missing.png", "embed")
	if md, want := im.meta(t, "Attachments/diagram.png"), map[string]string{"kind": "attachment", "attachment": "true", "path": "Attachments/diagram.png", "folder": "Attachments"}; !maps.Equal(md, want) {
		t.Errorf("attachment metadata %v", md)
	}
	if op := im.nodes["Attachments/manual.pdf"]; *op.Label != "manual.pdf" {
		t.Errorf("attachment label %q", *op.Label)
	}
	if md := im.meta(t, "Nowhere"); !maps.Equal(md, map[string]string{"kind": "unresolved", "unresolved": "true"}) {
		t.Errorf("unresolved metadata %v", md)
	}
	if r := imp.Report; r.Links != 27 || r.Attachments != 2 || !r.AttachmentsImported || r.Unresolved != 2 {
		t.Errorf("report %+v", r)
	}
}

// Small vaults for the rules the committed one does not show.
func TestObsidianRules(t *testing.T) {
	tests := []struct {
		name  string
		vault MemFS
		edges []string // from the note "a.md"
	}{
		{"name case-insensitive", MemFS{"a.md": []byte("[[B]] [[b]]"), "x/b.md": nil}, []string{"a.md -> x/b.md link 2"}},
		{"absolute path only", MemFS{"a.md": []byte("[[/b]] [[/y/b]]"), "x/b.md": nil}, nil},
		{"relative path only", MemFS{"x/a.md": []byte("[[./b]] [[../c]] [[./c]]"), "x/b.md": nil, "c.md": nil, "y/c.md": nil}, []string{"x/a.md -> c.md link 1", "x/a.md -> x/b.md link 1"}},
		{"path suffix", MemFS{"a.md": []byte("[[y/b]] [[z/b]]"), "x/y/b.md": nil, "q/b.md": nil}, []string{"a.md -> x/y/b.md link 1"}},
		{"a path in the note's folder before a shorter one", MemFS{"long/x/a.md": []byte("[[x/b]]"), "long/x/b.md": nil, "y/x/b.md": nil}, []string{"long/x/a.md -> long/x/b.md link 1"}},
		{"tie in length goes by path order", MemFS{"a.md": []byte("[[b]]"), "y/b.md": nil, "x/b.md": nil}, []string{"a.md -> x/b.md link 1"}},
		{"dot in a name", MemFS{"a.md": []byte("[[v1.2 notes]] [[b.png]]"), "v1.2 notes.md": nil, "b.png.md": nil}, []string{"a.md -> b.png.md link 1", "a.md -> v1.2 notes.md link 1"}},
		{"non-notes need their extension", MemFS{"a.md": []byte("[[pic]] ![[pic.png]]"), "pic.png": nil}, nil},
		{"escaped pipe in a table", MemFS{"a.md": []byte("| [[b\\|B]] |"), "b.md": nil}, []string{"a.md -> b.md link 1"}},
		{"Markdown link forms", MemFS{"a.md": []byte(`[1](<b c.md>) [2](b%20c.md "title") [3](d%20(e).md) [4](b%20c.md#h) [5](#h) [6](obsidian://open?vault=x) [7](//x.org/b.md) ![8](b%20c.md)`), "b c.md": nil, "d (e).md": nil}, []string{"a.md -> b c.md embed,link 4", "a.md -> d (e).md link 1"}},
		{"case of files that differ only in case", MemFS{"a.md": []byte("[[b]] [[B]]"), "B.md": nil, "b.md": nil}, []string{"a.md -> B.md link 1", "a.md -> b.md link 1"}},
		{"alias declared twice", MemFS{"a.md": []byte("[[nick]]"), "b.md": []byte("---\nalias: nick\n---\n"), "c.md": []byte("---\naliases: [nick]\n---\n")}, []string{"a.md -> b.md link 1"}},
		{"a note's name before an alias", MemFS{"a.md": []byte("[[b]]"), "b.md": nil, "c.md": []byte("---\naliases: b\n---\n")}, []string{"a.md -> b.md link 1"}},
		{"links outside the vault", MemFS{"x/a.md": []byte("[[../../b]] [up](../../b.md)"), "b.md": nil}, nil},
		{"dot-folders and dot-files", MemFS{"a.md": []byte("[[b]] [[c]]"), ".hidden/b.md": nil, ".c.md": nil, ".obsidian/d.md": []byte("[[a]]")}, nil},
		{"links and tags in front matter", MemFS{"a.md": []byte("---\nup: \"[[b]]\"\nlist: [\"[[c]]\", 3]\ntags: x, y z\ntag: '#w'\n---\n"), "b.md": nil, "c.md": nil},
			[]string{"a.md -> #w tag 1", "a.md -> #x tag 1", "a.md -> #y tag 1", "a.md -> #z tag 1", "a.md -> b.md link 1", "a.md -> c.md link 1"}},
		{"inline tags", MemFS{"a.md": []byte("#café #y1984 #1984 (#no) #a//b/ #tag. x#no \\#no #-_ #Ünï/Cödé\n#start")},
			[]string{"#a/b -> #a namespace 1", "#ünï/cödé -> #ünï namespace 1", "a.md -> #-_ tag 1", "a.md -> #a/b tag 1", "a.md -> #café tag 1", "a.md -> #start tag 1", "a.md -> #tag tag 1", "a.md -> #y1984 tag 1", "a.md -> #ünï/cödé tag 1"}},
		{"no tags in links or code", MemFS{"a.md": []byte("[[b#c]] [x #no](b.md) `#no` %%#no%% <!-- #no -->")}, nil},
		{"unclosed code and comments run to the end", MemFS{"a.md": []byte("[[b]] %% [[c]]\n[[c]]"), "b.md": nil, "c.md": nil, "d.md": []byte("```\n[[a]]"), "e.md": []byte("<!--\n[[a]]\n")},
			[]string{"a.md -> b.md link 1"}},
		{"backtick runs without a match", MemFS{"a.md": []byte("` `` ``` [[b]] ``` `` [[c]]"), "b.md": nil, "c.md": nil}, []string{"a.md -> c.md link 1"}},
		{"a fence needs three marks and a matching close", MemFS{"a.md": []byte("``[[b]]``\n````\n```\n[[c]]\n````\n[[d]]"), "b.md": nil, "c.md": nil, "d.md": nil},
			[]string{"a.md -> d.md link 1"}},
		{"quoted and listed fences", MemFS{"a.md": []byte("> ```\n> [[b]]\n> ```\n1. [[c]]\n"), "b.md": nil, "c.md": nil}, []string{"a.md -> c.md link 1"}},
		{"empty and odd wikilinks", MemFS{"a.md": []byte("[[]] [[ ]] [[|x]] [[#]] [[#^b]] [[ b ]] [[[b]]]"), "b.md": nil}, []string{"a.md -> b.md link 2"}},
		{"front matter only at the top", MemFS{"a.md": []byte("\n---\ntags: no\n---\n[[b]]"), "b.md": nil}, []string{"a.md -> b.md link 1"}},
		{"front matter with CRLF and a BOM", MemFS{"a.md": []byte("\uFEFF---\r\ntags: yes\r\n---\r\n[[b]]\r\n"), "b.md": nil}, []string{"a.md -> #yes tag 1", "a.md -> b.md link 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			imp, err := Obsidian(tc.vault, nil)
			if err != nil {
				t.Fatal(err)
			}
			equalLists(t, "edges", index(t, imp).edgeList(), tc.edges)
		})
	}
}

func TestObsidianAliasWarning(t *testing.T) {
	imp, err := Obsidian(MemFS{"b.md": []byte("---\nalias: nick\n---\n"), "c.md": []byte("---\naliases: [Nick]\n---\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Warnings) != 1 || !strings.Contains(imp.Warnings[0], `c.md: alias "Nick" is also declared by b.md`) {
		t.Errorf("warnings %q", imp.Warnings)
	}
}

// Notes that cannot be read stay nodes: other notes link to them. They are
// reported, and their (unread) links are not.
func TestObsidianSkipsUnreadableNotes(t *testing.T) {
	big := make([]byte, MaxPageBytes+1)
	imp, err := Obsidian(MemFS{"a.md": []byte("[[b]] [[c]]"), "b.md": []byte("[[a]] \xff"), "c.md": big}, nil)
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	equalLists(t, "edges", im.edgeList(), []string{"a.md -> b.md link 1", "a.md -> c.md link 1"})
	want := []Skipped{{"b.md", "not UTF-8"}, {"c.md", "larger than 16 MiB"}}
	if r := imp.Report; r.Notes != 1 || r.SkippedFiles != 2 || !slices.Equal(r.Skipped, want) {
		t.Errorf("report %+v", r)
	}
	if got := imp.Report.Summary(); got != "1 note, 2 links resolved; 2 files skipped: b.md (not UTF-8), c.md (larger than 16 MiB)" {
		t.Errorf("summary %s", got)
	}
	if len(imp.Warnings) != 2 || imp.Warnings[0] != "b.md: not UTF-8; skipped" {
		t.Errorf("warnings %q", imp.Warnings)
	}
}

// Front matter that is not YAML, or not a map, loses its properties with a
// warning that names the file; the note and its links stay.
func TestObsidianMalformedFrontMatter(t *testing.T) {
	for _, front := range []string{
		"title: [unclosed",
		"- a list\n- not a map",
		"just text",
		"a: b\n\tc: tab-indented",
		"a: &x [*x]",
		"a: 1\na: 2",
		"{[[b]]: x}",
	} {
		imp, err := Obsidian(MemFS{"n.md": []byte("---\n" + front + "\n---\n[[b]] #t"), "b.md": nil}, nil)
		if err != nil {
			t.Fatalf("%q: %v", front, err)
		}
		im := index(t, imp)
		if len(imp.Warnings) != 1 || !strings.HasPrefix(imp.Warnings[0], "n.md: front matter is not valid YAML properties") {
			t.Errorf("%q: warnings %q", front, imp.Warnings)
		}
		equalLists(t, front, im.edgeList(), []string{"n.md -> #t tag 1", "n.md -> b.md link 1"})
		if md := im.meta(t, "n.md"); len(md) != 2 {
			t.Errorf("%q: metadata %v, want kind and path only", front, md)
		}
	}
	// Values YAML reads but JSON cannot write, and lists in lists.
	laughs := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	imp, err := Obsidian(MemFS{"n.md": []byte("---\nnan: {x: .nan}\nnull:\nd: [[1, 2], 3]\n" + laughs + "---\n")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Warnings) != 0 {
		t.Errorf("warnings %q", imp.Warnings)
	}
	md := index(t, imp).meta(t, "n.md")
	if md["nan"] != `{"x":".nan"}` || md["null"] != "" || md["d"] != "[[1,2],3]" || md["a"] != "x, x, x, x, x, x, x, x, x" || md["c"] != "["+strings.Repeat(md["b"]+",", 8)+md["b"]+"]" {
		t.Errorf("metadata %v", md)
	}
	// Three levels more is a billion laughs, which YAML refuses.
	for _, x := range []string{"d", "e", "f"} {
		parent := string(rune(x[0] - 1))
		laughs += fmt.Sprintf("%s: &%s [%s*%s]\n", x, x, strings.Repeat("*"+parent+", ", 8), parent)
	}
	imp, err = Obsidian(MemFS{"n.md": []byte("---\n" + laughs + "---\n")}, nil)
	if err != nil || len(imp.Warnings) != 1 || !strings.HasSuffix(imp.Warnings[0], "excessive aliasing") {
		t.Errorf("a billion laughs: %v %q", err, imp.Warnings)
	}
}

func TestObsidianLimits(t *testing.T) {
	vault := MemFS{"a.md": []byte("[[b]] [[c]] #x"), "b.md": []byte("[[a]]"), "c.md": []byte("[[a]] #y/z")}
	for _, tc := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxPages: 2}, "more than 2 notes; the limit is 2 (system.import.maxPages)"},
		{Limits{MaxLinksPerPage: 2}, "a.md holds 3 links and tags; the limit is 2 a note (system.import.maxLinksPerPage)"},
		{Limits{MaxNodes: 5}, "more than 5 nodes (notes, tags and linked files); the limit is 5 (system.import.maxNodes)"},
		{Limits{MaxEdges: 5}, "more than 5 edges; the limit is 5 (system.import.maxEdges)"},
	} {
		_, err := ObsidianWithin(vault, nil, tc.lim, ObsidianOptions{})
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want ErrLimit and …%s…", tc.lim, err, tc.want)
		}
	}
	// At the limits: 3 notes, 3 tags (#x, #y/z, #y), 7 edges.
	if imp, err := ObsidianWithin(vault, nil, Limits{MaxPages: 3, MaxLinksPerPage: 3, MaxNodes: 6, MaxEdges: 7}, ObsidianOptions{}); err != nil || imp.Nodes != 6 || imp.Edges != 7 {
		t.Errorf("at the limits: %v", err)
	}
	// Files that are not notes are link targets up to MaxNodes of them.
	imp, err := ObsidianWithin(MemFS{"a.md": []byte("![[p.png]] ![[q.png]]"), "p.png": nil, "q.png": nil}, nil, Limits{MaxNodes: 1}, ObsidianOptions{})
	if err != nil || imp.Report.Attachments != 1 || imp.Report.Unresolved != 1 || len(imp.Warnings) != 1 || !strings.HasPrefix(imp.Warnings[0], "2 files that are not notes; the first 1") {
		t.Errorf("files past MaxNodes: %v %+v %q", err, imp.Report, imp.Warnings)
	}
	// Attachment and unresolved nodes count too.
	vault = MemFS{"a.md": []byte("![[p.png]] [[q]]"), "p.png": nil}
	if _, err := ObsidianWithin(vault, nil, Limits{MaxNodes: 2}, ObsidianOptions{Attachments: true, Unresolved: true}); !errors.Is(err, ErrLimit) {
		t.Errorf("attachment and unresolved nodes past MaxNodes: %v", err)
	}
}

func TestObsidianRefusesFoldersWithoutNotes(t *testing.T) {
	if _, err := Obsidian(MemFS{"a.txt": nil, ".obsidian/x.md": nil}, nil); err == nil || !strings.Contains(err.Error(), "no .md notes") {
		t.Errorf("a folder without notes: %v", err)
	}
}

func TestIsObsidianVault(t *testing.T) {
	for _, tc := range []struct {
		fsys MemFS
		want bool
	}{
		{MemFS{".obsidian/app.json": nil}, true},
		{MemFS{".obsidian/app.json": nil, "pages/a.md": nil}, true},
		{MemFS{"a/b/c.md": nil}, true},
		{MemFS{"pages/a.md": nil, "journals/2024_01_01.md": nil}, false},
		{MemFS{"journals/2024_01_01.md": nil, "logseq/config.edn": nil}, false},
		{MemFS{".hidden/a.md": nil, "b.txt": nil}, false},
		{MemFS{"a.txt": nil}, false},
	} {
		if got := IsObsidianVault(tc.fsys); got != tc.want {
			t.Errorf("%v: %v, want %v", slices.Sorted(maps.Keys(tc.fsys)), got, tc.want)
		}
	}
}

func TestReportFormat(t *testing.T) {
	r := &Report{Notes: 1234, Links: 1_830_000, Tags: 1}
	for i := range 5 {
		r.unresolved("a.md", fmt.Sprint("x", i))
	}
	for i := range MaxReportList + 2 {
		r.skip(fmt.Sprint("f", i, ".md"), "not UTF-8")
	}
	if got, want := r.Summary(), "1,234 notes, 1,830,000 links resolved, 1 tag; 5 unresolved: a.md → x0, a.md → x1, a.md → x2, and 2 more; 202 files skipped: f0.md (not UTF-8), f1.md (not UTF-8), f2.md (not UTF-8), and 199 more"; got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
	if len(r.Skipped) != MaxReportList {
		t.Errorf("%d skipped kept, want %d", len(r.Skipped), MaxReportList)
	}
	s := r.String()
	if !strings.HasPrefix(s, "1,234 notes, 1,830,000 links resolved, 1 tag\n5 unresolved:\n  a.md → x0\n") || !strings.HasSuffix(s, "\n  f199.md (not UTF-8)\n  and 2 more") {
		t.Errorf("report\n%s", s)
	}
}

// The two importers tell the same story: a Logseq import reports pages,
// links and tags too.
func TestLogseqReport(t *testing.T) {
	imp, err := Logseq(MemFS{"pages/a.md": []byte("- [[b]] [[b]] #t [see]([[c]])"), "pages/b.md": []byte("- [[a]]"), "pages/bad.md": []byte("\xff")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	// A Markdown link whose target is a [[page]] refers to the page.
	im.edge(t, "a", "c", "link")
	im.noNode(t, "see")
	im.noNode(t, "[[c]]")
	if r := imp.Report; r.Notes != 2 || r.Links != 4 || r.Tags != 1 || r.Unresolved != 0 || !slices.Equal(r.Skipped, []Skipped{{"pages/bad.md", "not UTF-8"}}) {
		t.Errorf("report %+v", r)
	}
}

// The parts of one note: every link target is a path, without heading,
// block or display text; every tag is one; and a vault of that note (and
// a second it may link to) imports into a valid graph.
func FuzzObsidianNote(f *testing.F) {
	f.Add("---\naliases: [x, y]\ntags: a, #b\nup: \"[[c#d|e]]\"\n---\n[[p|q]] [[p#h]] ![[p#^b]] [t](p%20q.md#h) #tag/x `[[no]]` %% [[no]] %%\n```\n[[no]]\n```\n")
	f.Add("[[a\\|b]] [[ #x]] [x](<a b.md>) [y](a%23b.md) [z](a%7Cb.md) #1 #a# ##b")
	f.Add("---\na: &a [*a]\n---\n[[/.]] [[..]] [[../..]] [[./]] [[/]]")
	f.Add("---\n: x\n? [a]\n: b\n---\n#\u0301 #a\u0000b [[\u0000]] [[\u200b]]")
	f.Fuzz(func(t *testing.T, text string) {
		n := parseObsidianNote(text)
		for _, l := range n.links {
			if l.target == "" || strings.ContainsAny(l.target, "|#") {
				t.Fatalf("link target %q", l.target)
			}
		}
		for _, tag := range n.tags {
			if tag != normalTag(tag) || tag == "" {
				t.Fatalf("tag %q", tag)
			}
		}
		for _, a := range n.aliases {
			if strings.TrimSpace(a) != a || a == "" {
				t.Fatalf("alias %q", a)
			}
		}
		// Targets for the seeds' links, and a second copy of the note.
		vault := MemFS{"n.md": []byte(text), "x/p.md": []byte(text), "p.md": []byte("[[n]]"), "p q.md": nil, "p.png": nil}
		imp, err := ObsidianWithin(vault, nil, Limits{MaxNodes: 1000, MaxEdges: 1000}, ObsidianOptions{Attachments: true, Unresolved: true})
		if err != nil {
			if errors.Is(err, ErrLimit) {
				return
			}
			t.Fatal(err)
		}
		g := graph.New(graph.Info{ID: "f", Type: graph.Knowledge})
		tx := g.Begin(graph.NewClock(nil), "")
		for _, op := range imp.Ops {
			if _, err := tx.Do(op); err != nil {
				t.Fatalf("import produced an op the graph refuses: %v: %v", op.String(), err)
			}
		}
		tx.Commit()
		if g.NodeCount() != imp.Nodes || g.EdgeCount() != imp.Edges {
			t.Fatalf("counts %d/%d, graph has %d/%d", imp.Nodes, imp.Edges, g.NodeCount(), g.EdgeCount())
		}
	})
}

// TestObsidianVaultFolder imports a real vault named by
// VISIONFLOW_OBSIDIAN_VAULT (Obsidian's help vault, say: it is not copied
// into this repository) and checks what holds for any vault: every note is
// one node, and no node is made of link syntax.
func TestObsidianVaultFolder(t *testing.T) {
	dir := os.Getenv("VISIONFLOW_OBSIDIAN_VAULT")
	if dir == "" {
		t.Skip("VISIONFLOW_OBSIDIAN_VAULT is not set")
	}
	fsys := os.DirFS(dir)
	imp, err := Obsidian(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	im := index(t, imp)
	notes := 0
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if !d.IsDir() && isNotePath(p) {
			notes++
			if op, ok := im.nodes[p]; !ok || *op.Metadata["kind"] != "note" {
				t.Errorf("note %s is no node", p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for id, op := range im.nodes {
		kind := *op.Metadata["kind"]
		kinds[kind]++
		if kind != "tag" && strings.ContainsAny(*op.Label, "|#^[]") {
			t.Errorf("node %q is labelled with link syntax: %q", id, *op.Label)
		}
		if kind == "note" && !strings.HasSuffix(id, ".md") {
			t.Errorf("note node %q is no .md file", id)
		}
	}
	if kinds["note"] != notes {
		t.Errorf("%d note nodes for %d notes", kinds["note"], notes)
	}
	t.Logf("%d nodes %v, %d edges", imp.Nodes, kinds, imp.Edges)
	t.Logf("warnings: %q", imp.Warnings)
	t.Logf("report:\n%s", imp.Report)
}
