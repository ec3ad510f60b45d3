package ingest

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"visionflow/graph"
)

// A Logseq notebook becomes one node per page (files in pages/ and
// journals/, plus pages that are only referenced) and one edge per ordered
// pair of pages that refer to each other. The rules, matching what Logseq
// itself counts as a reference:
//
//   - page names are case-insensitive: the node id is the lower-cased name,
//     the label keeps the spelling of the page's file (or its title::), else
//     of its first reference;
//   - file names are decoded with the notebook's :file/name-format
//     (":triple-lowbar": "a___b" is page "a/b"; legacy: "a.b" is "a/b") and
//     %-escapes; journals are named in Logseq's default "MMM do, yyyy";
//   - references are [[page]], #tag, #[[tag]], the values of tags:: and
//     alias:: (comma-separated, with or without brackets), and [[...]]/#tags
//     in any other property; code blocks, inline code, queries
//     ({{query}} and #+BEGIN_QUERY) and links to URLs are not references;
//     [text]([[page]]) refers to page; [[a|b]] is Obsidian's syntax, not
//     Logseq's, which reads it as page "a|b", and so does this importer;
//   - alias:: names resolve to the page that declares them (when a file of
//     that name exists too, both stay and an "alias" edge joins them);
//   - a namespaced page "a/b" gets a "namespace" edge to "a";
//   - the edge's weight is the number of references from source to target,
//     its label lists their kinds (alias, link, namespace, tag).
//
// Node metadata: kind (page, journal), file, and the page's properties.

// page is one page as gathered from the files.
type page struct {
	name  string // display name
	kind  string // "page", "journal" or "" (referenced only)
	file  string
	props map[string]string
	refs  []ref
	date  time.Time // journals
}

type ref struct {
	name string
	kind string // link, tag, alias, namespace
}

// Limits bound the graph a notebook may make, whatever its bytes: a small
// archive can hold pages of nothing but distinct links.
type Limits struct {
	MaxPages        int // page and journal files
	MaxLinksPerPage int // links, tags and aliases on one page
	MaxNodes        int // pages, files and linked names together; nodes of a JSON import
	MaxEdges        int // links of a JSON import
}

// DefaultLimits are the limits when none are set (settings
// system.import.*).
var DefaultLimits = Limits{MaxPages: 100_000, MaxLinksPerPage: 10_000, MaxNodes: 250_000, MaxEdges: 1_000_000}

// LimitsFrom reads the limits from settings (system.import.*) through get.
func LimitsFrom(get func(path string) float64) Limits {
	return Limits{MaxPages: int(get("system.import.maxPages")), MaxLinksPerPage: int(get("system.import.maxLinksPerPage")),
		MaxNodes: int(get("system.import.maxNodes")), MaxEdges: int(get("system.import.maxEdges"))}
}

// ErrLimit is wrapped by the error of an import past a limit.
var ErrLimit = errors.New("over a limit")

// Logseq reads a Logseq notebook within DefaultLimits.
func Logseq(fsys fs.FS, progress Progress) (*Import, error) {
	return LogseqWithin(fsys, progress, DefaultLimits)
}

// LogseqWithin reads a Logseq notebook: fsys is its root folder (holding
// pages/, journals/ and logseq/config.edn). It stops at the first limit
// passed, with an error that names it.
func LogseqWithin(fsys fs.FS, progress Progress, lim Limits) (*Import, error) {
	format := "legacy"
	if cfg, err := readLimited(fsys, "logseq/config.edn", MaxPageBytes); err == nil {
		if m := nameFormatRE.FindSubmatch(cfg); m != nil {
			format = string(m[1])
		}
	}
	var files []string
	for _, dir := range []string{"pages", "journals"} {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			if dir == "pages" && len(files) == 0 {
				if _, serr := fs.Stat(fsys, "journals"); serr != nil {
					return nil, fmt.Errorf("read Logseq notebook: neither pages/ nor journals/ found: %w", err)
				}
			}
			continue
		}
		for _, e := range entries {
			ext := path.Ext(e.Name())
			if e.Type().IsRegular() && (ext == ".md" || ext == ".org" || ext == ".markdown") {
				files = append(files, path.Join(dir, e.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read Logseq notebook: no .md or .org files in pages/ or journals/")
	}
	if len(files) > lim.MaxPages {
		return nil, fmt.Errorf("read Logseq notebook: %d page files; the limit is %d (system.import.maxPages): %w", len(files), lim.MaxPages, ErrLimit)
	}
	b := newBuilder()
	b.lim = lim
	var total int64
	for k, file := range files {
		data, err := readLimited(fsys, file, MaxPageBytes)
		if err != nil {
			return nil, err
		}
		if total += int64(len(data)); total > MaxNotebookBytes {
			return nil, fmt.Errorf("read Logseq notebook: its pages hold more than %d bytes", MaxNotebookBytes)
		}
		if !utf8.Valid(data) {
			b.warn("%s: not UTF-8; skipped", file)
			b.report.skip(file, "not UTF-8")
			continue
		}
		b.report.Notes++
		b.addFile(file, format, string(data))
		if b.err != nil {
			return nil, b.err
		}
		if progress != nil {
			progress(k+1, len(files))
		}
	}
	return b.build()
}

// Limits on what a notebook may hold, checked on the bytes actually read
// (an archive's declared sizes are not trusted).
const (
	MaxPageBytes     = 16 << 20
	MaxNotebookBytes = 1 << 30
)

// readLimited reads a file, refusing one longer than limit.
func readLimited(fsys fs.FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, limit)
	}
	return b, nil
}

var nameFormatRE = regexp.MustCompile(`:file/name-format\s+:([a-z-]+)`)

type builder struct {
	pages    map[string]*page // by lower-cased name
	aliasOf  map[string]string
	warnings []string
	lim      Limits
	err      error // the first limit passed
	report   *Report
}

func newBuilder() *builder {
	return &builder{pages: map[string]*page{}, aliasOf: map[string]string{}, report: &Report{}}
}

func (b *builder) warn(format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, args...))
}

// cleanName turns control characters (which ids may not hold) into spaces.
func cleanName(name string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, name))
}

func key(name string) string { return strings.ToLower(cleanName(name)) }

// get returns the page called name, creating a referenced-only one.
func (b *builder) get(name string) *page {
	k := key(name)
	p := b.pages[k]
	if p == nil {
		p = &page{name: cleanName(name)}
		b.pages[k] = p
	}
	return p
}

func (b *builder) addFile(file, format, text string) {
	dir, base := path.Split(file)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	isOrg := ext == ".org"
	props, body := splitPageProperties(text, isOrg)

	var name string
	var date time.Time
	kind := "page"
	if dir == "journals/" {
		kind = "journal"
		if d, err := time.Parse("2006_01_02", stem); err == nil {
			date = d
			name = journalTitle(d)
		}
	}
	if name == "" {
		name = fileNameToPage(stem, format)
	}
	if t := strings.TrimSpace(props["title"]); t != "" {
		name = t
	}
	if name = cleanName(name); name == "" {
		b.warn("%s: no page name; skipped", file)
		return
	}
	p := b.get(name)
	if p.kind != "" {
		b.warn("%s: page %q is also defined by %s; contents merged", file, name, p.file)
	} else {
		p.name, p.kind, p.file, p.date = name, kind, file, date
	}
	if p.props == nil {
		p.props = props
	}
	for _, a := range splitList(props["alias"]) {
		if key(a) != key(name) {
			p.refs = append(p.refs, ref{a, "alias"})
		}
	}
	for _, t := range splitList(props["tags"]) {
		p.refs = append(p.refs, ref{t, "tag"})
	}
	for k, v := range props {
		if k != "alias" && k != "tags" && k != "title" {
			p.refs = append(p.refs, scanRefs(v)...)
		}
	}
	p.refs = append(p.refs, scanRefs(stripNonContent(body, isOrg))...)
	if b.lim.MaxLinksPerPage > 0 && len(p.refs) > b.lim.MaxLinksPerPage {
		b.err = fmt.Errorf("read Logseq notebook: %s holds %d links; the limit is %d a page (system.import.maxLinksPerPage): %w", file, len(p.refs), b.lim.MaxLinksPerPage, ErrLimit)
	}
}

// fileNameToPage decodes a page file name per the notebook's name format.
func fileNameToPage(stem, format string) string {
	if format == "triple-lowbar" {
		stem = strings.ReplaceAll(stem, "___", "/")
	} else {
		stem = strings.ReplaceAll(stem, ".", "/")
	}
	if dec, err := url.PathUnescape(stem); err == nil {
		stem = dec
	}
	return stem
}

// journalTitle formats a date as Logseq's default journal title, "MMM do, yyyy".
func journalTitle(d time.Time) string {
	day := d.Day()
	suffix := "th"
	if day < 11 || day > 13 {
		switch day % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%s %d%s, %d", d.Format("Jan"), day, suffix, d.Year())
}

var (
	mdPropRE  = regexp.MustCompile(`^\s*(?:-\s+)?([A-Za-z0-9_][A-Za-z0-9_.-]*)::\s?(.*)$`)
	orgPropRE = regexp.MustCompile(`^#\+([A-Za-z0-9_-]+):\s?(.*)$`)
)

// splitPageProperties takes the page properties off the top of a file: the
// key:: value lines of its first block (markdown) or its #+key: lines (org).
func splitPageProperties(text string, isOrg bool) (map[string]string, string) {
	props := map[string]string{}
	lines := strings.SplitAfter(text, "\n")
	re := mdPropRE
	if isOrg {
		re = orgPropRE
	}
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r\n")
		if strings.TrimSpace(line) == "" && len(props) == 0 {
			continue
		}
		m := re.FindStringSubmatch(line)
		if m == nil {
			break
		}
		props[strings.ToLower(m[1])] = strings.TrimSpace(m[2])
	}
	return props, strings.Join(lines[i:], "")
}

// splitList splits a tags:: or alias:: value: comma-separated names, each
// possibly written as [[name]] or #name.
func splitList(v string) []string {
	var out []string
	for _, part := range splitOutsideBrackets(v) {
		part = strings.TrimSpace(part)
		part = strings.TrimPrefix(part, "#")
		if strings.HasPrefix(part, "[[") && strings.HasSuffix(part, "]]") {
			part = part[2 : len(part)-2]
		}
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func splitOutsideBrackets(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth = max(depth-1, 0)
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

var (
	fenceRE       = regexp.MustCompile("(?ms)^[ \t]*(?:- )?```.*?^[ \t]*```[^\n]*$")
	orgBlockRE    = regexp.MustCompile(`(?ims)^[ \t]*(?:- )?#\+BEGIN_(SRC|QUERY|EXAMPLE|EXPORT)\b.*?^[ \t]*#\+END_(SRC|QUERY|EXAMPLE|EXPORT)[^\n]*$`)
	drawerRE      = regexp.MustCompile(`(?ms)^[ \t]*:PROPERTIES:.*?^[ \t]*:END:[ \t]*$`)
	inlineCodeRE  = regexp.MustCompile("`[^`\n]*`")
	orgVerbatimRE = regexp.MustCompile(`~[^~\n]+~`)
	queryMacroRE  = regexp.MustCompile(`\{\{\s*query\b[^\n]*?\}\}`)
	pageRefRE     = regexp.MustCompile(`(#?)\[\[([^\[\]]+)\]\]`)
	tagRE         = regexp.MustCompile(`(?:^|[\s(])#([^\s#+{}\[\](),;!?"'` + "`" + `]+)`)
	orgLinkRE     = regexp.MustCompile(`\[\[([^\[\]]+)\]\[[^\[\]]*\]\]`)
	urlishPrefixs = []string{"http://", "https://", "file:", "mailto:", "ftp://", "../", "./", "assets/"}
)

// stripNonContent blanks out the parts of a page that cannot hold
// references: code, queries and property drawers.
func stripNonContent(text string, isOrg bool) string {
	text = fenceRE.ReplaceAllString(text, "")
	text = orgBlockRE.ReplaceAllString(text, "")
	if isOrg {
		text = drawerRE.ReplaceAllString(text, "")
		text = orgVerbatimRE.ReplaceAllString(text, "")
	}
	text = inlineCodeRE.ReplaceAllString(text, "")
	return queryMacroRE.ReplaceAllString(text, "")
}

func isURL(s string) bool {
	for _, p := range urlishPrefixs {
		if strings.HasPrefix(strings.ToLower(s), p) {
			return true
		}
	}
	return strings.Contains(s, "://") || strings.HasPrefix(s, "((") // block references
}

// scanRefs finds the page references in a piece of content.
func scanRefs(text string) []ref {
	var refs []ref
	// Org links [[target][label]] refer to a page when target is not a URL.
	text = orgLinkRE.ReplaceAllStringFunc(text, func(m string) string {
		target := orgLinkRE.FindStringSubmatch(m)[1]
		if !isURL(target) {
			refs = append(refs, ref{target, "link"})
		}
		return " "
	})
	text = pageRefRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := pageRefRE.FindStringSubmatch(m)
		name := strings.TrimSpace(sub[2])
		if name != "" && !isURL(name) {
			kind := "link"
			if sub[1] == "#" {
				kind = "tag"
			}
			refs = append(refs, ref{name, kind})
		}
		return " "
	})
	for _, m := range tagRE.FindAllStringSubmatch(text, -1) {
		name := strings.TrimRight(m[1], ".:,*_~")
		if name != "" && !isURL(name) {
			refs = append(refs, ref{name, "tag"})
		}
	}
	return refs
}

// build resolves aliases and namespaces and turns the pages into ops.
func (b *builder) build() (*Import, error) {
	// An alias name that is not a page file of its own resolves to the
	// page declaring it.
	for _, k := range slices.Sorted(maps.Keys(b.pages)) {
		for _, r := range b.pages[k].refs {
			ak := key(r.name)
			if r.kind != "alias" || ak == "" || b.pages[ak] != nil {
				continue
			}
			if prev, taken := b.aliasOf[ak]; taken && prev != k {
				b.warn("alias %q is declared by both %q and %q; it refers to %q", r.name, b.pages[prev].name, b.pages[k].name, b.pages[prev].name)
				continue
			}
			b.aliasOf[ak] = k
		}
	}
	resolve := func(name string) string {
		if target, ok := b.aliasOf[key(name)]; ok {
			return target
		}
		return key(name)
	}
	// Every referenced page exists, even without a file.
	tooMany := func() error {
		if b.lim.MaxNodes > 0 && len(b.pages) > b.lim.MaxNodes {
			return fmt.Errorf("read Logseq notebook: it makes more than %d pages (files and linked names); the limit is %d (system.import.maxNodes): %w", b.lim.MaxNodes, b.lim.MaxNodes, ErrLimit)
		}
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(b.pages)) {
		for _, r := range b.pages[k].refs {
			if _, isAlias := b.aliasOf[key(r.name)]; !isAlias && key(r.name) != "" {
				b.get(r.name)
			}
		}
		if err := tooMany(); err != nil {
			return nil, err
		}
	}
	// A namespaced page "a/b/c" refers to its parent "a/b", which refers
	// to "a"; parents are created as needed.
	work := slices.Sorted(maps.Keys(b.pages))
	for len(work) > 0 {
		p := b.pages[work[0]]
		work = work[1:]
		i := strings.LastIndex(p.name, "/")
		if i <= 0 || i == len(p.name)-1 {
			continue
		}
		parent := p.name[:i]
		p.refs = append(p.refs, ref{parent, "namespace"})
		if _, isAlias := b.aliasOf[key(parent)]; !isAlias && b.pages[key(parent)] == nil {
			b.get(parent)
			work = append(work, key(parent))
			if err := tooMany(); err != nil {
				return nil, err
			}
		}
	}

	keys := slices.Sorted(maps.Keys(b.pages))
	ids := make(map[string]string, len(keys))
	imp := &Import{Type: graph.Knowledge, Warnings: b.warnings, Report: b.report}
	for _, k := range keys {
		p := b.pages[k]
		ids[k] = nodeID(k)
		imp.Ops = append(imp.Ops, graph.Op{Op: graph.AddNode, ID: ids[k], Label: new(truncate(p.name, graph.MaxLabelBytes)), Metadata: pageMetadata(p)})
	}
	imp.Nodes = len(imp.Ops)

	type pair struct{ from, to string }
	type tally struct {
		count int
		kinds map[string]bool
	}
	edges := map[pair]*tally{}
	tags := map[string]bool{}
	for _, k := range keys {
		for _, r := range b.pages[k].refs {
			to := resolve(r.name)
			if to == k || b.pages[to] == nil {
				continue // self-references (including a page's own aliases)
			}
			// Every reference makes its page, so none is unresolved; the
			// report counts links and tags as the Obsidian importer does.
			switch r.kind {
			case "link":
				b.report.Links++
			case "tag":
				tags[to] = true
			}
			pr := pair{k, to}
			t := edges[pr]
			if t == nil {
				t = &tally{kinds: map[string]bool{}}
				edges[pr] = t
			}
			t.count++
			t.kinds[r.kind] = true
		}
	}
	pairs := slices.SortedFunc(maps.Keys(edges), func(x, y pair) int {
		return cmp.Or(cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to))
	})
	used := make(map[string]bool, len(pairs))
	for _, pr := range pairs {
		t := edges[pr]
		from, to := ids[pr.from], ids[pr.to]
		// "a -> b" and "c" give the same text as "a" and "b -> c"; later
		// ones get a number.
		id := edgeID(from, to)
		for n := 2; used[id]; n++ {
			id = nodeID(fmt.Sprintf("%s -> %s #%d", from, to, n))
		}
		used[id] = true
		imp.Ops = append(imp.Ops, graph.Op{Op: graph.AddEdge, ID: id, Source: from, Target: to,
			Label: new(strings.Join(slices.Sorted(maps.Keys(t.kinds)), ",")), Weight: new(float32(t.count))})
	}
	imp.Edges = len(imp.Ops) - imp.Nodes
	b.report.Tags = len(tags)
	return imp, nil
}

// pageMetadata describes a page: its kind, file, journal date and
// properties, cut to the graph's metadata limits.
func pageMetadata(p *page) map[string]*string {
	m := newBoundedMeta()
	set := m.set
	if p.kind == "" {
		set("kind", "reference")
	} else {
		set("kind", p.kind)
		set("file", p.file)
	}
	if !p.date.IsZero() {
		set("date", p.date.Format(time.DateOnly))
	}
	for _, pk := range slices.Sorted(maps.Keys(p.props)) {
		if m.get(pk) == nil {
			set(pk, p.props[pk])
		}
	}
	return m.md
}

// nodeID keeps ids within the graph's limit; long names get a hash suffix
// so they stay unique.
func nodeID(name string) string {
	// "." and ".." are no ids (they are URL path segments); long names are
	// cut. Both get a hash of the whole name, so ids stay unique.
	if len(name) <= graph.MaxIDBytes && name != "." && name != ".." {
		return name
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	suffix := "~" + strconv.FormatUint(h.Sum64(), 36)
	return truncate(name, graph.MaxIDBytes-len(suffix)) + suffix
}

func edgeID(from, to string) string { return nodeID(from + " -> " + to) }

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
