// Command crosscheck type-checks VisionFlow for another platform where it
// cannot be built: the desktop needs cgo, and cgo for macOS needs Apple's
// SDK. It runs no cgo: names from C are taken as they are
// (types.Config.FakeImportC), so the Go side of every package, with the
// target's build tags, is checked in full for VisionFlow's packages and by
// signature for their dependencies. The C side is not checked.
//
//	go run ./internal/crosscheck GOOS GOARCH PACKAGES...
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: crosscheck GOOS GOARCH PACKAGES...")
		os.Exit(2)
	}
	goos, goarch := os.Args[1], os.Args[2]
	checked, problems, err := check(".", goos, goarch, os.Args[3:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "crosscheck:", err)
		os.Exit(1)
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("crosscheck: %d VisionFlow packages type-check for %s/%s\n", checked, goos, goarch)
}

// listed is what check needs of `go list -json` for one package.
type listed struct {
	ImportPath, Dir   string
	GoFiles, CgoFiles []string
	ImportMap         map[string]string // as written → the package meant (vendored std)
	Module            *struct{ Main bool }
	Error             *struct{ Err string }
	DepsErrors        []struct{ Err string }
	Incomplete        bool
}

// check type-checks the packages roots and their dependencies, as the go
// command in dir lists them for goos/goarch (build tags from GOFLAGS
// included). Packages of the main module are checked in full and their
// problems returned (at most ten each); the others by signature, where
// only a failed import counts as a problem, since it would leave types
// invalid that ours then use without complaint.
func check(dir, goos, goarch string, roots []string) (checked int, problems []string, err error) {
	cmd := exec.Command("go", append([]string{"list", "-deps", "-json=ImportPath,Dir,GoFiles,CgoFiles,ImportMap,Module,Error,DepsErrors,Incomplete"}, roots...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, nil, fmt.Errorf("go list: %v: %s", err, stderr.Bytes())
	}
	fset := token.NewFileSet()
	pkgs := map[string]*types.Package{"unsafe": types.Unsafe}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return 0, nil, fmt.Errorf("read go list's output: %w", err)
		}
		if p.ImportPath == "unsafe" || p.ImportPath == "C" {
			continue
		}
		if p.Error != nil {
			problems = append(problems, fmt.Sprintf("FAIL %s: %s", p.ImportPath, p.Error.Err))
			continue
		}
		ours := p.Module != nil && p.Module.Main
		var files []*ast.File
		for _, f := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.SkipObjectResolution)
			if err != nil {
				problems = append(problems, fmt.Sprintf("FAIL %s: %v", p.ImportPath, err))
				continue
			}
			files = append(files, af)
		}
		var errs []string
		imp := importerFunc(func(path string) (*types.Package, error) {
			if mapped, ok := p.ImportMap[path]; ok {
				path = mapped
			}
			if q, ok := pkgs[path]; ok {
				return q, nil
			}
			return nil, fmt.Errorf("%s not checked yet", path)
		})
		conf := types.Config{Importer: imp, FakeImportC: true, IgnoreFuncBodies: !ours, Sizes: types.SizesFor("gc", goarch),
			Error: func(err error) {
				msg := err.Error()
				switch {
				case strings.Contains(msg, "duplicate key unknown"):
					// C constants have no value under FakeImportC, so
					// map literals keyed by them look like duplicates.
				case ours || strings.Contains(msg, "could not import"):
					errs = append(errs, msg)
				}
			}}
		pkgs[p.ImportPath], _ = conf.Check(p.ImportPath, fset, files, nil)
		if ours {
			checked++
		}
		if len(errs) > 0 {
			problems = append(problems, "FAIL "+p.ImportPath)
			for _, e := range errs[:min(len(errs), 10)] {
				problems = append(problems, "    "+e)
			}
		}
	}
	if checked == 0 && len(problems) == 0 {
		return 0, nil, fmt.Errorf("no package of the main module among %v (run it inside the module)", roots)
	}
	return checked, problems, nil
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
