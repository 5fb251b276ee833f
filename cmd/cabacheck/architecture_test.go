package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// allowedImports is every import between the project's packages (non-test
// files), as docs/architecture.md draws them: the engine knows models only
// through spec, models and state never import the engine, and nothing
// imports a command.
var allowedImports = map[string][]string{
	"beam":                        {},
	"beam/cmd/cabacheck-beam":     {"beam/engine", "check", "spec/linux"},
	"beam/engine":                 {"check", "explorer", "invariants", "spec", "spec/linux", "spec/toy"},
	"bench":                       {},
	"check":                       {"explorer", "explorer/badgerstore", "spec", "traces"},
	"cmd/cabacheck":               {"check", "explorer", "findings", "growth", "invariants", "kernel", "reproduce", "restore", "revfile", "scenario", "simulate", "spec", "spec/linux", "spec/toy", "traces"},
	"explorer":                    {"spec"},
	"explorer/badgerstore":        {"explorer", "spec"},
	"findings":                    {"check", "explorer", "invariants", "restore", "scenario", "spec", "spec/linux", "state", "traces"},
	"growth":                      {"check", "explorer", "spec", "spec/linux"},
	"invariants":                  {"restore", "spec", "spec/linux", "state"},
	"kernel":                      {"check", "invariants", "scenario", "spec", "spec/linux", "state", "traces"},
	"reproduce":                   {"invariants", "kernel", "spec", "spec/linux", "state", "traces"},
	"restore":                     {"spec", "spec/linux", "state"},
	"revfile":                     {"spec/linux"},
	"scenario":                    {"invariants", "spec", "spec/linux", "state", "traces"},
	"simulate":                    {"spec"},
	"spec":                        {},
	"spec/linux":                  {"spec", "state"},
	"spec/reference":              {},
	"spec/reference/differential": {"explorer", "invariants", "spec", "spec/linux", "spec/reference"},
	"spec/toy":                    {"spec"},
	"state":                       {},
	"traces":                      {"invariants", "spec", "spec/linux", "state"},
}

func TestArchitectureImports(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		if _, ok := got[pkg]; !ok {
			got[pkg] = []string{}
		}
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if dep, ok := strings.CutPrefix(p, "cabacheck/"); ok && !slices.Contains(got[pkg], dep) {
				got[pkg] = append(got[pkg], dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, deps := range got {
		want, ok := allowedImports[pkg]
		if !ok {
			t.Errorf("package %s is not in the architecture (add it to allowedImports and docs/architecture.md)", pkg)
			continue
		}
		slices.Sort(deps)
		if !slices.Equal(deps, want) {
			t.Errorf("package %s imports %v, the architecture says %v (docs/architecture.md)", pkg, deps, want)
		}
	}
	for pkg := range allowedImports {
		if _, ok := got[pkg]; !ok {
			t.Errorf("package %s of the architecture does not exist", pkg)
		}
	}
}
