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
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
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

// check type-checks the packages roots and their dependencies, listed by
// the go command in dir, for goos/goarch. Packages of the main module are
// checked in full and their problems returned (at most ten each); the
// others are checked by signature, since their errors are not ours.
func check(dir, goos, goarch string, roots []string) (checked int, problems []string, err error) {
	cmd := exec.Command("go", append([]string{"list", "-deps", "-f", "{{.ImportPath}}\t{{.Dir}}\t{{if .Module}}{{.Module.Main}}{{end}}"}, roots...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, nil, fmt.Errorf("go list: %v: %s", err, stderr.Bytes())
	}
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, goarch, true
	fset := token.NewFileSet()
	pkgs := map[string]*types.Package{"unsafe": types.Unsafe}
	imp := importerFunc(func(path string) (*types.Package, error) {
		if p, ok := pkgs[path]; ok {
			return p, nil
		}
		return nil, fmt.Errorf("%s not checked yet", path)
	})
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		path, pkgDir, ours := fields[0], fields[1], fields[2] == "true"
		if path == "unsafe" || path == "C" {
			continue
		}
		bp, err := ctx.ImportDir(pkgDir, 0)
		if err != nil {
			problems = append(problems, fmt.Sprintf("FAIL %s: %v", path, err))
			continue
		}
		var files []*ast.File
		for _, f := range append(append([]string{}, bp.GoFiles...), bp.CgoFiles...) {
			af, err := parser.ParseFile(fset, filepath.Join(bp.Dir, f), nil, parser.SkipObjectResolution)
			if err != nil {
				problems = append(problems, fmt.Sprintf("FAIL %s: %v", path, err))
				continue
			}
			files = append(files, af)
		}
		var errs []string
		conf := types.Config{Importer: imp, FakeImportC: true, IgnoreFuncBodies: !ours, Sizes: types.SizesFor("gc", goarch),
			Error: func(err error) {
				// C constants have no value under FakeImportC, so map
				// literals keyed by them look like duplicates.
				if !strings.Contains(err.Error(), "duplicate key unknown") {
					errs = append(errs, err.Error())
				}
			}}
		pkgs[path], _ = conf.Check(path, fset, files, nil)
		if !ours {
			continue
		}
		checked++
		if len(errs) > 0 {
			problems = append(problems, "FAIL "+path)
			for _, e := range errs[:min(len(errs), 10)] {
				problems = append(problems, "    "+e)
			}
		}
	}
	return checked, problems, nil
}

type importerFunc func(string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
