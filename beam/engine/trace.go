package engine

import (
	"fmt"
	"slices"

	"cabacheck/check"
	"cabacheck/spec"
)

// counterexamples rebuilds a trace for every violation from the parent
// records in the levels' state files, and renders it as check does
// (check.NewCounterexample).
func (d *driver) counterexamples() error {
	pr := &pathReader{d: d, manifests: map[int]*manifest{}, files: map[string]*stateFile{}}
	for _, v := range d.res.Violations {
		acts, err := pr.path(v.State, v.Depth)
		if err != nil {
			return fmt.Errorf("rebuilding the %s trace: %w", v.Invariant, err)
		}
		ce, err := check.NewCounterexample(d.model, d.checker, v.Invariant, acts)
		if err != nil {
			return err
		}
		d.res.Counterexamples = append(d.res.Counterexamples, ce)
	}
	return nil
}

// pathReader follows parent records back through the levels.
type pathReader struct {
	d         *driver
	manifests map[int]*manifest
	files     map[string]*stateFile
}

func (pr *pathReader) manifest(level int) (*manifest, error) {
	if m, ok := pr.manifests[level]; ok {
		return m, nil
	}
	m := new(manifest)
	if err := readJSON(pr.d.ctx, manifestPath(pr.d.cfg.Work, level), m); err != nil {
		return nil, err
	}
	pr.manifests[level] = m
	return m, nil
}

// path returns the actions from an initial state to state idx of level.
func (pr *pathReader) path(idx uint64, level int) ([]spec.Action, error) {
	var acts []spec.Action
	for ; level > 0; level-- {
		m, err := pr.manifest(level)
		if err != nil {
			return nil, err
		}
		k := slices.IndexFunc(m.Files, func(f levelFile) bool { return f.Base <= idx && idx < f.Base+uint64(f.Count) })
		if k < 0 {
			return nil, fmt.Errorf("state %d is in no file of level %d", idx, level)
		}
		path := join(levelDir(pr.d.cfg.Work, level), m.Files[k].Name)
		sf, ok := pr.files[path]
		if !ok {
			if sf, err = readStateFile(pr.d.ctx, path, pr.d.size); err != nil {
				return nil, err
			}
			pr.files[path] = sf
		}
		rec := sf.records[idx-m.Files[k].Base]
		if rec.Parent >= idx {
			return nil, fmt.Errorf("record of state %d: parent %d is not an earlier state", idx, rec.Parent)
		}
		acts = append(acts, rec.Action)
		idx = rec.Parent
	}
	if idx >= uint64(pr.d.res.Initial) {
		return nil, fmt.Errorf("the path ends at state %d, not an initial state", idx)
	}
	slices.Reverse(acts)
	return acts, nil
}
