package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/pflag"

	"cabacheck/spec/linux"
)

// modelFlags are the flags that choose a Linux task model instance.
type modelFlags struct {
	tasks    int
	revision string
	actions  string
}

func addModelFlags(fs *pflag.FlagSet) *modelFlags {
	f := &modelFlags{}
	fs.IntVar(&f.tasks, "tasks", 5, "task budget, init included")
	fs.StringVar(&f.revision, "revision", "seed", "CABA revision: seed, v3, v4 or fixed")
	fs.StringVar(&f.actions, "actions", "threads,clone-parent,exec,subreaper", "optional actions: "+linux.ActionNames()+" (or all, default, none)")
	return f
}

func (f *modelFlags) options() (linux.Options, error) {
	rev, err := linux.ParseRevision(f.revision)
	if err != nil {
		return linux.Options{}, fmt.Errorf("--revision: %w", err)
	}
	acts, err := linux.ParseActions(f.actions)
	if err != nil {
		return linux.Options{}, fmt.Errorf("--actions: %w", err)
	}
	o := linux.Options{Tasks: f.tasks, Revision: rev, Actions: acts}
	return o, o.Validate()
}

func defaultWorkers() int { return runtime.NumCPU() }
