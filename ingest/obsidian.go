package ingest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"visionflow/graph"
)

// An Obsidian vault becomes one node per note (every .md file, in every
// folder but dot-folders such as .obsidian/ and .trash/) and one edge per
// ordered pair of notes that link, following Obsidian's own rules:
//
//   - links are wikilinks [[Page]], [[Page|text]], [[Page#Heading]],
//     [[Page#^block]], [[folder/Page]], [[Page.md]], embeds ![[Page]], and
//     Markdown links [text](Page%20Name.md) (URL-decoded); [[#Heading]] and
//     [text](#Heading) point into the note itself and make no edge; URLs
//     are not links; wikilinks in front-matter string values count too;
//   - code (fenced blocks and inline), %% comments %% and <!-- comments -->
//     hold no links and no tags;
//   - a link target resolves to a file: first the exact vault path (a
//     leading "/" means only that), then the path relative to the linking
//     note (only that for "./" and "../"), then among the files of that
//     name (case-insensitively, the path ending in the link's path) the
//     one in the linking note's folder, else the one with the shortest
//     path, else the first in path order; a target without an extension
//     means a .md note. Last, a note's front-matter aliases answer to their
//     names: Obsidian itself writes alias links as [[Note|alias]], but a
//     bare [[alias]] can only mean the note that declares it;
//   - a target that resolves to no file is reported (Report.UnresolvedList),
//     not made a node: Obsidian shows it as a "ghost", but it is no note of
//     the vault (ObsidianOptions.Unresolved makes them nodes);
//   - a link to a file that is not a note (an image, a PDF) is an
//     attachment: counted, and a node only with ObsidianOptions.Attachments;
//   - tags are the front matter's tags:/tag: (a list, or a string split at
//     commas and spaces; '#' optional) and inline #tags (after a space or at
//     a line's start; letters, digits, '_', '-' and '/', not only digits).
//     As in the Logseq importer, where #tag is a reference to page "tag", a
//     tag is a node (tags are case-insensitive: id "#tag" lower-cased,
//     label as first spelled) with a "tag" edge from each note that
//     carries it, and a nested tag "#a/b" has a "namespace" edge to "#a";
//   - an edge's weight is the number of links from source to target, its
//     label lists their kinds (embed, link, namespace, tag).
//
// Node metadata: kind (note, tag, attachment, unresolved), path and folder
// (omitted at the vault's root), and the note's front-matter properties
// (keys lower-cased; lists joined with ", ", maps as JSON). A note's label
// is its file name without ".md", as Obsidian shows it; its id is its vault
// path.

// ObsidianOptions choose what an Obsidian import adds beyond notes and tags.
type ObsidianOptions struct {
	Attachments bool // a node (metadata attachment=true) per linked file that is not a note
	Unresolved  bool // a node (metadata unresolved=true) per link target that no file answers
}

// Obsidian reads an Obsidian vault within DefaultLimits, notes and tags only.
func Obsidian(fsys fs.FS, progress Progress) (*Import, error) {
	return ObsidianWithin(fsys, progress, DefaultLimits, ObsidianOptions{})
}

// ObsidianWithin reads an Obsidian vault: fsys is its root folder. A zero
// field of lim means its DefaultLimits value. Notes that cannot be read
// (too large, not UTF-8) stay nodes, without their links, and are listed
// in the report. It stops at the first limit passed, with an error that
// names it.
func ObsidianWithin(fsys fs.FS, progress Progress, lim Limits, opt ObsidianOptions) (*Import, error) {
	lim = limitsOrDefault(lim)
	v := &vault{fsys: fsys, opt: opt, lim: lim, byPath: map[string][]*vfile{}, byName: map[string][]*vfile{},
		aliases: map[string]*vfile{}, shortestOf: map[string]*vfile{}, report: &Report{AttachmentsImported: opt.Attachments}}
	if err := v.walk(); err != nil {
		return nil, err
	}
	var notes []*vfile
	for _, f := range v.files {
		if f.note {
			notes = append(notes, f)
		}
	}
	if len(notes) == 0 {
		return nil, fmt.Errorf("read Obsidian vault: no .md notes found")
	}
	var total int64
	for k, f := range notes {
		data, why := readNote(fsys, f.path)
		if total += int64(len(data)); total > MaxNotebookBytes {
			return nil, fmt.Errorf("read Obsidian vault: its notes hold more than %d bytes", MaxNotebookBytes)
		}
		if why == "" && !utf8.Valid(data) {
			why = "not UTF-8"
		}
		if why != "" {
			v.skip(f.path, why)
		} else {
			v.report.Notes++
			f.parsed = parseObsidianNote(string(data))
			if err := f.parsed.yamlErr; err != nil {
				v.warn("%s: front matter is not valid YAML properties; they are left out: %v", f.path, err)
			}
			if n := len(f.parsed.links) + len(f.parsed.tags); n > lim.MaxLinksPerPage {
				return nil, fmt.Errorf("read Obsidian vault: %s holds %d links and tags; the limit is %d a note (system.import.maxLinksPerPage): %w", f.path, n, lim.MaxLinksPerPage, ErrLimit)
			}
		}
		if progress != nil {
			progress(k+1, len(notes))
		}
	}
	v.indexAliases(notes)
	return v.build(notes)
}

// limitsOrDefault fills the zero fields of lim from DefaultLimits.
func limitsOrDefault(lim Limits) Limits {
	lim.MaxPages = cmp.Or(lim.MaxPages, DefaultLimits.MaxPages)
	lim.MaxLinksPerPage = cmp.Or(lim.MaxLinksPerPage, DefaultLimits.MaxLinksPerPage)
	lim.MaxNodes = cmp.Or(lim.MaxNodes, DefaultLimits.MaxNodes)
	lim.MaxEdges = cmp.Or(lim.MaxEdges, DefaultLimits.MaxEdges)
	return lim
}

// IsObsidianVault tells an Obsidian vault from a Logseq notebook or any
// other folder: a vault has a .obsidian/ folder, or else it has notes but
// not Logseq's pages/ folder or logseq/config.edn.
func IsObsidianVault(fsys fs.FS) bool {
	if fi, err := fs.Stat(fsys, ".obsidian"); err == nil && fi.IsDir() {
		return true
	}
	if fi, err := fs.Stat(fsys, "pages"); err == nil && fi.IsDir() {
		return false
	}
	if _, err := fs.Stat(fsys, "logseq/config.edn"); err == nil {
		return false
	}
	found := false
	// Unreadable folders are only passed over: this is a guess, not a read.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || p == ".":
			return nil
		case d.IsDir() && strings.HasPrefix(d.Name(), "."):
			return fs.SkipDir
		case !d.IsDir() && isNotePath(p):
			found = true
			return fs.SkipAll
		}
		return nil
	})
	return found
}

func isNotePath(p string) bool {
	return strings.EqualFold(path.Ext(p), ".md") && !strings.HasPrefix(path.Base(p), ".")
}

// vfile is a file of the vault: a note, or a file notes may link to.
type vfile struct {
	path   string
	dir    string // "" at the root
	note   bool
	parsed obsidianNote
	node   *vnode // the note's node, or the attachment's once linked
}

type vault struct {
	fsys    fs.FS
	opt     ObsidianOptions
	lim     Limits
	files   []*vfile            // in path order
	byPath  map[string][]*vfile // by lower-cased path
	byName  map[string][]*vfile // by lower-cased file name, in path order
	aliases map[string]*vfile   // by lower-cased alias
	// shortestOf remembers resolve's last resort, by lower-cased path.
	shortestOf map[string]*vfile
	warnings   []string
	report     *Report
}

func (v *vault) warn(format string, args ...any) {
	v.warnings = append(v.warnings, fmt.Sprintf(format, args...))
}

func (v *vault) skip(p, why string) {
	v.report.skip(p, why)
	v.warn("%s: %s; skipped", p, why)
}

// walk lists the vault's files, leaving out what Obsidian leaves out:
// dot-folders (.obsidian/, .trash/, .git/) and dot-files. It stops past
// lim.MaxPages notes; of other files, which only matter as link targets,
// it lists at most lim.MaxNodes.
func (v *vault) walk() error {
	notes, others := 0, 0
	err := fs.WalkDir(v.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == "." {
				return err
			}
			v.skip(p+"/", fmt.Sprintf("not readable: %v", unwrapPath(err)))
			return nil
		}
		if p == "." {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		dir := path.Dir(p)
		if dir == "." {
			dir = ""
		}
		f := &vfile{path: p, dir: dir, note: isNotePath(p)}
		if f.note {
			if notes++; notes > v.lim.MaxPages {
				return fmt.Errorf("more than %d notes; the limit is %d (system.import.maxPages): %w", v.lim.MaxPages, v.lim.MaxPages, ErrLimit)
			}
		} else if others++; others > v.lim.MaxNodes {
			return nil
		}
		v.files = append(v.files, f)
		lp := strings.ToLower(p)
		v.byPath[lp] = append(v.byPath[lp], f)
		ln := strings.ToLower(path.Base(p))
		v.byName[ln] = append(v.byName[ln], f)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read Obsidian vault: %w", err)
	}
	if others > v.lim.MaxNodes {
		v.warn("%d files that are not notes; the first %d in path order are link targets, links to the others are unresolved (system.import.maxNodes)", others, v.lim.MaxNodes)
	}
	return nil
}

// unwrapPath drops the *fs.PathError's path, which the report already shows.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// readNote reads a note, or says why it cannot.
func readNote(fsys fs.FS, name string) ([]byte, string) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Sprintf("not readable: %v", unwrapPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPageBytes+1))
	if err != nil {
		return nil, fmt.Sprintf("not readable: %v", unwrapPath(err))
	}
	if len(b) > MaxPageBytes {
		return nil, fmt.Sprintf("larger than %d MiB", MaxPageBytes>>20)
	}
	return b, ""
}

// indexAliases maps each front-matter alias to the first note, in path
// order, that declares it.
func (v *vault) indexAliases(notes []*vfile) {
	for _, f := range notes {
		for _, a := range f.parsed.aliases {
			k := strings.ToLower(a)
			if prev := v.aliases[k]; prev != nil {
				if prev != f {
					v.warn("%s: alias %q is also declared by %s; it refers to %s", f.path, a, prev.path, prev.path)
				}
				continue
			}
			v.aliases[k] = f
		}
	}
}

// resolve finds the file a link from a note refers to, or nil.
func (v *vault) resolve(from *vfile, target string) *vfile {
	cands := []string{target + ".md"}
	if ext := path.Ext(target); strings.EqualFold(ext, ".md") {
		cands = []string{target}
	} else if ext != "" {
		// "[[Figure 1.png]]" is the image; "[[v1.2 notes]]" is a note.
		cands = []string{target, target + ".md"}
	}
	for _, c := range cands {
		if f := v.resolvePath(from, c); f != nil {
			return f
		}
	}
	if f := v.aliases[strings.ToLower(target)]; f != nil {
		return f
	}
	return nil
}

func (v *vault) resolvePath(from *vfile, p string) *vfile {
	if abs, ok := strings.CutPrefix(p, "/"); ok {
		return v.exact(path.Clean(abs))
	}
	rel := path.Join(from.dir, p)
	if strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") {
		return v.exact(rel)
	}
	if f := v.exact(path.Clean(p)); f != nil {
		return f
	}
	if f := v.exact(rel); f != nil {
		return f
	}
	lp := strings.ToLower(path.Clean(p))
	if f := v.exact(path.Join(from.dir, path.Base(p))); f != nil && pathEndsIn(f, lp) {
		return f
	}
	return v.shortest(lp)
}

func pathEndsIn(f *vfile, lp string) bool {
	fp := strings.ToLower(f.path)
	return fp == lp || strings.HasSuffix(fp, "/"+lp)
}

// shortest finds, of the files whose lower-cased path ends in lp, the one
// with the shortest path (the first in path order of equals). It does not
// depend on the linking note, so a vault of many notes of one name and
// many links to it costs each name one pass.
func (v *vault) shortest(lp string) *vfile {
	if f, ok := v.shortestOf[lp]; ok {
		return f
	}
	var best *vfile
	for _, f := range v.byName[path.Base(lp)] {
		if pathEndsIn(f, lp) && (best == nil || len(f.path) < len(best.path)) {
			best = f
		}
	}
	v.shortestOf[lp] = best
	return best
}

// exact finds the file at a vault path, case-insensitively as Obsidian
// does; of files that differ only in case, the one spelled alike wins.
func (v *vault) exact(p string) *vfile {
	same := v.byPath[strings.ToLower(p)]
	for _, f := range same {
		if f.path == p {
			return f
		}
	}
	if len(same) > 0 {
		return same[0]
	}
	return nil
}

// vnode is a node of the import.
type vnode struct {
	key   string // kind-prefixed, unique: "n:" file path (notes and attachments), "t:" tag, "u:" target
	id    string
	label string
	md    *boundedMeta
}

// build resolves the links and turns notes, tags, attachments and edges
// into ops.
func (v *vault) build(notes []*vfile) (*Import, error) {
	nodes := map[string]*vnode{}
	var order []*vnode
	usedIDs := map[string]bool{}
	tooMany := func() error {
		if len(order) > v.lim.MaxNodes {
			return fmt.Errorf("read Obsidian vault: it makes more than %d nodes (notes, tags and linked files); the limit is %d (system.import.maxNodes): %w", v.lim.MaxNodes, v.lim.MaxNodes, ErrLimit)
		}
		return nil
	}
	add := func(key, id, label string) *vnode {
		if n := nodes[key]; n != nil {
			return n
		}
		// Ids come from file names and tags, which a vault may spell in
		// ways ids cannot hold; a clash gets a number.
		base := nodeID(cmp.Or(cleanID(id), "_"))
		id = base
		for k := 2; usedIDs[id]; k++ {
			id = nodeID(fmt.Sprintf("%s #%d", base, k))
		}
		usedIDs[id] = true
		label = cleanName(strings.ToValidUTF8(label, "\uFFFD"))
		if label == "" {
			label = id
		}
		n := &vnode{key: key, id: id, label: truncate(label, graph.MaxLabelBytes), md: newBoundedMeta()}
		nodes[key] = n
		order = append(order, n)
		return n
	}
	fileNode := func(f *vfile, kind string) *vnode {
		name := path.Base(f.path)
		if f.note {
			name = strings.TrimSuffix(name, path.Ext(name))
		}
		n := add("n:"+f.path, f.path, name)
		n.md.set("kind", kind)
		n.md.set("path", f.path)
		if f.dir != "" {
			n.md.set("folder", f.dir)
		}
		f.node = n
		return n
	}
	for _, f := range notes {
		n := fileNode(f, "note")
		for _, p := range f.parsed.props {
			if n.md.get(p.key) == nil {
				n.md.set(p.key, p.value)
			}
		}
	}
	if err := tooMany(); err != nil {
		return nil, err
	}

	type pair struct{ from, to *vnode }
	type tally struct {
		count int
		kinds map[string]bool
	}
	edges := map[pair]*tally{}
	var pairs []pair
	link := func(from, to *vnode, kind string) {
		pr := pair{from, to}
		t := edges[pr]
		if t == nil {
			t = &tally{kinds: map[string]bool{}}
			edges[pr] = t
			pairs = append(pairs, pr)
		}
		t.count++
		t.kinds[kind] = true
	}
	var tagNode func(tag string) *vnode
	tagNode = func(tag string) *vnode {
		k := "t:" + strings.ToLower(tag)
		if n := nodes[k]; n != nil {
			return n
		}
		v.report.Tags++
		n := add(k, "#"+strings.ToLower(tag), "#"+tag)
		n.md.set("kind", "tag")
		if i := strings.LastIndexByte(tag, '/'); i > 0 {
			link(n, tagNode(tag[:i]), "namespace")
		}
		return n
	}
	for _, f := range notes {
		from := f.node
		for _, l := range f.parsed.links {
			kind := "link"
			if l.embed {
				kind = "embed"
			}
			to := v.resolve(f, l.target)
			switch {
			case to == nil:
				v.report.unresolved(f.path, l.target)
				if v.opt.Unresolved {
					name := strings.TrimSuffix(l.target, path.Ext(l.target))
					if name == "" || !strings.EqualFold(path.Ext(l.target), ".md") {
						name = l.target
					}
					n := add("u:"+strings.ToLower(name), name, name)
					n.md.set("kind", "unresolved")
					n.md.set("unresolved", "true")
					link(from, n, kind)
				}
			case to == f:
				// A link to the note itself is no edge, as [[#Heading]] is none.
			case !to.note:
				v.report.Attachments++
				if v.opt.Attachments {
					n := to.node
					if n == nil {
						n = fileNode(to, "attachment")
						n.md.set("attachment", "true")
					}
					link(from, n, kind)
				}
			default:
				v.report.Links++
				link(from, to.node, kind)
			}
		}
		for _, t := range f.parsed.tags {
			link(from, tagNode(t), "tag")
		}
		if err := tooMany(); err != nil {
			return nil, err
		}
		if len(pairs) > v.lim.MaxEdges {
			return nil, fmt.Errorf("read Obsidian vault: it makes more than %d edges; the limit is %d (system.import.maxEdges): %w", v.lim.MaxEdges, v.lim.MaxEdges, ErrLimit)
		}
	}

	imp := &Import{Type: graph.Knowledge, Warnings: v.warnings, Report: v.report}
	slices.SortFunc(order, func(a, b *vnode) int { return cmp.Compare(a.id, b.id) })
	for _, n := range order {
		imp.Ops = append(imp.Ops, graph.Op{Op: graph.AddNode, ID: n.id, Label: new(n.label), Metadata: n.md.md})
	}
	imp.Nodes = len(imp.Ops)
	slices.SortFunc(pairs, func(x, y pair) int {
		return cmp.Or(cmp.Compare(x.from.id, y.from.id), cmp.Compare(x.to.id, y.to.id))
	})
	usedEdges := make(map[string]bool, len(pairs))
	for _, pr := range pairs {
		t := edges[pr]
		id := edgeID(pr.from.id, pr.to.id)
		for k := 2; usedEdges[id] || usedIDs[id]; k++ {
			id = nodeID(fmt.Sprintf("%s -> %s #%d", pr.from.id, pr.to.id, k))
		}
		usedEdges[id] = true
		imp.Ops = append(imp.Ops, graph.Op{Op: graph.AddEdge, ID: id, Source: pr.from.id, Target: pr.to.id,
			Label: new(strings.Join(slices.Sorted(maps.Keys(t.kinds)), ",")), Weight: new(float32(min(t.count, graph.MaxWeight)))})
	}
	imp.Edges = len(imp.Ops) - imp.Nodes
	return imp, nil
}

// cleanID makes text fit for an id: valid UTF-8 without control characters.
func cleanID(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// metadata gathers a node's metadata within the graph's limits, dropping
// what does not fit rather than failing the import.
type boundedMeta struct {
	md   map[string]*string
	size int
}

func newBoundedMeta() *boundedMeta { return &boundedMeta{md: map[string]*string{}} }

func (m *boundedMeta) get(k string) *string { return m.md[k] }

func (m *boundedMeta) set(k, v string) {
	v = truncate(strings.ReplaceAll(strings.ToValidUTF8(v, "\uFFFD"), "\x00", ""), graph.MaxMetadataValueBytes)
	if k == "" || len(k) > graph.MaxMetadataKeyBytes || !utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl) {
		return
	}
	if old := m.md[k]; old != nil {
		m.size -= len(k) + len(*old)
		delete(m.md, k)
	}
	if len(m.md) >= graph.MaxMetadataEntries || m.size+len(k)+len(v) > graph.MaxMetadataBytes {
		return
	}
	m.md[k] = &v
	m.size += len(k) + len(v)
}

// obsidianNote is what one note says: its properties, aliases, tags and
// links.
type obsidianNote struct {
	props   []frontProp
	aliases []string
	tags    []string // without '#', as spelled
	links   []noteLink
	yamlErr error
}

type frontProp struct{ key, value string }

// noteLink is a link out of a note. Its target is a path, never empty,
// without heading, block or display text: it holds no '#' and no '|'.
type noteLink struct {
	target string
	embed  bool
}

// parseObsidianNote reads a note's front matter, links and tags.
func parseObsidianNote(text string) obsidianNote {
	var n obsidianNote
	text = strings.TrimPrefix(text, "\uFEFF")
	front, body, ok := splitFrontMatter(text)
	if ok {
		n.readFrontMatter(front)
	}
	content := stripObsidianCode(body)
	content = cutMatches(wikilinkRE, content, func(embed, inner string) {
		if t := wikiTarget(inner); t != "" {
			n.links = append(n.links, noteLink{t, embed == "!"})
		}
	})
	content = cutMatches(mdLinkRE, content, func(embed, dest string) {
		if t := markdownTarget(dest); t != "" {
			n.links = append(n.links, noteLink{t, embed == "!"})
		}
	})
	n.tags = append(n.tags, inlineTags(content)...)
	return n
}

// cutMatches hands found the two groups of each match of re, and returns
// the text with each match cut down to a NUL, so that what a link holds is
// not read again as a link or a tag.
func cutMatches(re *regexp.Regexp, text string, found func(g1, g2 string)) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
		b.WriteString(text[last:m[0]])
		b.WriteByte(0)
		found(text[m[2]:m[3]], text[m[4]:m[5]])
		last = m[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

var (
	wikilinkRE = regexp.MustCompile(`(!?)\[\[([^\[\]\n]*)\]\]`)
	// [text](target "title"): the target may be <in angle brackets> or
	// hold one level of balanced parentheses, as file names do.
	mdLinkRE  = regexp.MustCompile(`(!?)\[[^\[\]\n]*\]\(\s*(<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))+)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)`)
	schemeRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	tagKeyRE  = regexp.MustCompile(`(?i)^tags?$`)
	aliasKeRE = regexp.MustCompile(`(?i)^alias(es)?$`)
)

// wikiTarget takes the target out of what is between [[ and ]]: display
// text follows '|' (written "\|" in tables), a heading or block '#'.
func wikiTarget(inner string) string {
	t, _, _ := strings.Cut(inner, "|")
	t, _, _ = strings.Cut(t, "#")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(t), `\`))
}

// markdownTarget takes a note path out of a Markdown link's destination,
// or "" for a URL, an anchor in the note itself, or a path no wikilink
// could name.
func markdownTarget(dest string) string {
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	if schemeRE.MatchString(dest) || strings.HasPrefix(dest, "//") {
		return ""
	}
	dest, _, _ = strings.Cut(dest, "#")
	if dec, err := url.PathUnescape(dest); err == nil {
		dest = dec
	}
	dest = strings.TrimSpace(dest)
	if strings.ContainsAny(dest, "#|") {
		return ""
	}
	return dest
}

// splitFrontMatter takes the YAML front matter, between a first line
// "---" and the next line "---", off a note.
func splitFrontMatter(text string) (front, body string, ok bool) {
	first, rest, found := strings.Cut(text, "\n")
	if !found || strings.TrimRight(first, " \t\r") != "---" {
		return "", text, false
	}
	for off := 0; off <= len(rest); {
		line, _, more := strings.Cut(rest[off:], "\n")
		if strings.TrimRight(line, " \t\r") == "---" {
			end := off + len(line)
			if more {
				end++
			}
			return rest[:off], rest[end:], true
		}
		if !more {
			break
		}
		off += len(line) + 1
	}
	return "", text, false
}

// Bounds on how much of the front matter's YAML is looked at: aliases
// (&a, *a) can make a small text a very large tree.
const (
	maxYAMLNodes = 10_000
	maxYAMLDepth = 32
)

func (n *obsidianNote) readFrontMatter(front string) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(front), &doc); err != nil {
		n.yamlErr = err
		return
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return // empty
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		n.yamlErr = fmt.Errorf("line %d: a %s, not a map of properties", root.Line, nodeKindName(root.Kind))
		return
	}
	// Decoding finds what the tree alone does not show: keys given twice,
	// keys that are not text, anchors that hold themselves or expand
	// without end.
	var props map[string]any
	if err := root.Decode(&props); err != nil {
		n.yamlErr = err
		return
	}
	budget := maxYAMLNodes
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, val := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		key := strings.ToLower(strings.TrimSpace(k.Value))
		strs := scalarStrings(val, &budget, 0)
		switch {
		case tagKeyRE.MatchString(key):
			for _, s := range strs {
				for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
					if t = normalTag(strings.TrimPrefix(t, "#")); t != "" {
						n.tags = append(n.tags, t)
					}
				}
			}
		case aliasKeRE.MatchString(key):
			for _, s := range strs {
				parts := []string{s}
				if resolveAlias(val, 0).Kind == yaml.ScalarNode {
					parts = strings.Split(s, ",")
				}
				for _, a := range parts {
					if a = strings.TrimSpace(a); a != "" {
						n.aliases = append(n.aliases, a)
					}
				}
			}
		default:
			// Obsidian reads wikilinks in properties: related: "[[Other]]".
			for _, s := range strs {
				for _, m := range wikilinkRE.FindAllStringSubmatch(s, -1) {
					if t := wikiTarget(m[2]); t != "" {
						n.links = append(n.links, noteLink{t, m[1] == "!"})
					}
				}
			}
		}
		n.props = append(n.props, frontProp{key, renderYAML(val, &budget)})
	}
}

func nodeKindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "single value"
	}
	return "value"
}

func resolveAlias(n *yaml.Node, depth int) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil && depth < maxYAMLDepth {
		n, depth = n.Alias, depth+1
	}
	return n
}

// scalarStrings lists the strings in a YAML value: itself, or its list's.
func scalarStrings(n *yaml.Node, budget *int, depth int) []string {
	n = resolveAlias(n, depth)
	if *budget--; *budget < 0 || depth > maxYAMLDepth {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			out = append(out, scalarStrings(c, budget, depth+1)...)
		}
		return out
	}
	return nil
}

// renderYAML writes a property's value as metadata: a scalar as written,
// a list of scalars joined with ", ", anything else as JSON.
func renderYAML(n *yaml.Node, budget *int) string {
	n = resolveAlias(n, 0)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return ""
		}
		return n.Value
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c = resolveAlias(c, 0); c.Kind != yaml.ScalarNode {
				return yamlJSON(n, budget)
			}
			if c.Tag != "!!null" {
				parts = append(parts, c.Value)
			}
		}
		return strings.Join(parts, ", ")
	}
	return yamlJSON(n, budget)
}

func yamlJSON(n *yaml.Node, budget *int) string {
	b, err := json.Marshal(yamlValue(n, budget, 0))
	if err != nil {
		return ""
	}
	return string(b)
}

// yamlValue turns a YAML tree into JSON-ready values, within the budget.
func yamlValue(n *yaml.Node, budget *int, depth int) any {
	n = resolveAlias(n, depth)
	if *budget--; *budget < 0 || depth > maxYAMLDepth {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil
		case "!!bool", "!!int", "!!float":
			var x any
			if n.Decode(&x) == nil {
				if f, ok := x.(float64); !ok || !math.IsInf(f, 0) && !math.IsNaN(f) {
					return x
				}
			}
		}
		return n.Value
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, yamlValue(c, budget, depth+1))
		}
		return out
	case yaml.MappingNode:
		out := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i], depth)
			out[k.Value] = yamlValue(n.Content[i+1], budget, depth+1)
		}
		return out
	}
	return nil
}

// stripObsidianCode blanks out what holds no links or tags: fenced code
// blocks, inline code, %% comments %% and <!-- HTML comments -->. What is
// cut becomes a NUL, which no link or tag holds or follows.
func stripObsidianCode(body string) string {
	var out strings.Builder
	var fence string // the open fence's marker, "" outside one
	var comment string
	for line := range strings.Lines(body) {
		text := strings.TrimRight(line, "\r\n")
		if fence != "" {
			if m := fenceMarker(text); m != "" && m[0] == fence[0] && len(m) >= len(fence) && strings.TrimSpace(strings.TrimLeft(fenceText(text), m[:1])) == "" {
				fence = ""
			}
			out.WriteString("\n")
			continue
		}
		if comment == "" {
			if m := fenceMarker(text); m != "" && !(m[0] == '`' && strings.Contains(fenceText(text)[len(m):], "`")) {
				fence = m
				out.WriteString("\n")
				continue
			}
		}
		// A run of n backticks with no closing run of n after it has none
		// after any later run either: remembering that keeps a line of
		// many unmatched runs from being scanned once per run.
		unclosed := map[int]bool{}
		for i := 0; i < len(text); {
			if comment != "" {
				j := strings.Index(text[i:], comment)
				if j < 0 {
					break // the comment runs on to the next line
				}
				i += j + len(comment)
				comment = ""
				continue
			}
			switch {
			case text[i] == '`':
				n := len(text[i:]) - len(strings.TrimLeft(text[i:], "`"))
				end := -1
				if !unclosed[n] {
					end = closingTicks(text[i+n:], n)
				}
				if end >= 0 {
					out.WriteByte(0)
					i += n + end + n
				} else {
					unclosed[n] = true
					out.WriteString(text[i : i+n])
					i += n
				}
			case strings.HasPrefix(text[i:], "%%"):
				out.WriteByte(0)
				comment, i = "%%", i+2
			case strings.HasPrefix(text[i:], "<!--"):
				out.WriteByte(0)
				comment, i = "-->", i+4
			default:
				out.WriteByte(text[i])
				i++
			}
		}
		out.WriteString("\n")
	}
	return out.String()
}

// fenceText is a line without its indentation, quote and list markers.
func fenceText(line string) string {
	for {
		t := strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(t, ">"):
			line = t[1:]
		case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "), strings.HasPrefix(t, "+ "):
			line = t[2:]
		default:
			return t
		}
	}
}

// fenceMarker is the ``` or ~~~ run that opens or closes a fence, or "".
func fenceMarker(line string) string {
	t := fenceText(line)
	if t == "" || (t[0] != '`' && t[0] != '~') {
		return ""
	}
	n := len(t) - len(strings.TrimLeft(t, t[:1]))
	if n < 3 {
		return ""
	}
	return t[:n]
}

// closingTicks finds the run of exactly n backticks that closes a code
// span, returning its offset in s, or -1.
func closingTicks(s string, n int) int {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] == '`' {
			j++
		}
		if j-i == n {
			return i
		}
		i = j
	}
	return -1
}

// inlineTags finds #tags: '#' at a line's start or after white space,
// then tag characters, not all digits ("#1" is no tag, nor "# Heading").
func inlineTags(text string) []string {
	var tags []string
	for i := 0; i < len(text); i++ {
		if text[i] != '#' {
			continue
		}
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(text[:i])
			if !unicode.IsSpace(r) {
				continue
			}
		}
		j := i + 1
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !isTagRune(r) {
				break
			}
			j += size
		}
		if t := normalTag(text[i+1 : j]); t != "" {
			tags = append(tags, t)
		}
		i = j - 1
	}
	return tags
}

func isTagRune(r rune) bool {
	return r == '_' || r == '-' || r == '/' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// normalTag checks a tag's characters and drops empty nesting levels
// ("a//b/" is "a/b"), or returns "" for no tag.
func normalTag(t string) string {
	if t == "" || strings.IndexFunc(t, func(r rune) bool { return !isTagRune(r) }) >= 0 {
		return ""
	}
	parts := strings.FieldsFunc(t, func(r rune) bool { return r == '/' })
	t = strings.Join(parts, "/")
	if strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		return "" // empty, or only digits
	}
	return t
}
