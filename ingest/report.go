package ingest

import (
	"fmt"
	"strconv"
	"strings"
)

// Report says what an import of a notebook or vault found, beyond the ops:
// how much resolved and what did not, for the user to check against what
// they expected of their notes.
type Report struct {
	Notes int `json:"notes"` // notes or pages read
	Links int `json:"links"` // links that resolved to another note (self-links are not counted)
	Tags  int `json:"tags"`  // distinct tags

	Unresolved     int              `json:"unresolved"`               // links to no file of the vault
	UnresolvedList []UnresolvedLink `json:"unresolvedList,omitempty"` // the first MaxReportList of them

	// Attachments counts links to files that are not notes (images,
	// PDFs, …); AttachmentsImported says whether they became nodes.
	Attachments         int  `json:"attachments"`
	AttachmentsImported bool `json:"attachmentsImported"`

	SkippedFiles int       `json:"skippedFiles"`      // files not read
	Skipped      []Skipped `json:"skipped,omitempty"` // the first MaxReportList of them
}

// UnresolvedLink is a link whose target no file of the vault answers.
type UnresolvedLink struct {
	From   string `json:"from"`   // the linking note's path
	Target string `json:"target"` // the link's target as written, without heading or display text
}

// Skipped is a file left out of an import, and why.
type Skipped struct {
	Path string `json:"path"`
	Why  string `json:"why"`
}

// MaxReportList bounds each list in a Report: a vault of thousands of
// broken links needs a count and examples, not a second copy of itself.
const MaxReportList = 200

func (r *Report) unresolved(from, target string) {
	r.Unresolved++
	if len(r.UnresolvedList) < MaxReportList {
		r.UnresolvedList = append(r.UnresolvedList, UnresolvedLink{from, target})
	}
}

func (r *Report) skip(path, why string) {
	r.SkippedFiles++
	if len(r.Skipped) < MaxReportList {
		r.Skipped = append(r.Skipped, Skipped{path, why})
	}
}

// Summary is the report in one line, with a few examples of each problem:
// "412 notes, 1,830 links resolved, 12 unresolved: a.md → X, …; 3 files
// skipped: b.md (not UTF-8), …".
func (r *Report) Summary() string { return r.format(3, true) }

// String is the whole report, one problem a line.
func (r *Report) String() string { return r.format(MaxReportList, false) }

func (r *Report) format(examples int, oneLine bool) string {
	sep, first, itemSep := "\n", "\n  ", "\n  "
	if oneLine {
		sep, first, itemSep = "; ", " ", ", "
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s resolved", nounCount(r.Notes, "note"), nounCount(r.Links, "link"))
	if r.Tags > 0 {
		fmt.Fprintf(&b, ", %s", nounCount(r.Tags, "tag"))
	}
	if r.Attachments > 0 {
		verb := "not imported"
		if r.AttachmentsImported {
			verb = "imported"
		}
		fmt.Fprintf(&b, ", %s to attachments %s", nounCount(r.Attachments, "link"), verb)
	}
	list := func(total int, what string, items []string) {
		if total == 0 {
			return
		}
		fmt.Fprintf(&b, "%s%s %s:", sep, thousands(total), what)
		shown := items[:min(len(items), examples)]
		for i, s := range shown {
			if i == 0 {
				b.WriteString(first)
			} else {
				b.WriteString(itemSep)
			}
			b.WriteString(s)
		}
		if more := total - len(shown); more > 0 {
			if len(shown) > 0 {
				b.WriteString(itemSep)
			} else {
				b.WriteString(first)
			}
			fmt.Fprintf(&b, "and %s more", thousands(more))
		}
	}
	var unres, skipped []string
	for _, u := range r.UnresolvedList {
		unres = append(unres, u.From+" → "+u.Target)
	}
	for _, s := range r.Skipped {
		skipped = append(skipped, s.Path+" ("+s.Why+")")
	}
	list(r.Unresolved, "unresolved", unres)
	what := "files skipped"
	if r.SkippedFiles == 1 {
		what = "file skipped"
	}
	list(r.SkippedFiles, what, skipped)
	return b.String()
}

func nounCount(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return thousands(n) + " " + noun
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
