package restore

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"text/template"
)

//go:embed restorer.c.tmpl
var restorerSource string

var restorerTemplate = template.Must(template.New("restorer").Parse(restorerSource))

// cOps are the C names of the plan's operations, indexed by Op.
var cOps = [...]string{
	OpFork: "OP_FORK", OpForkParent: "OP_FORK_PARENT", OpThread: "OP_THREAD", OpSetsid: "OP_SETSID",
	OpSetpgid: "OP_SETPGID", OpSubreaper: "OP_SUBREAPER", OpExit: "OP_EXIT", OpWait: "OP_WAIT", OpGetsid: "OP_GETSID",
}

// Restorer writes a standalone C program that performs plan p on the
// running kernel, in a fresh pid namespace, and compares /proc with the
// image o at the end: pids, parents, process groups, sessions, zombies,
// the subreaper flag, and NScaba where the kernel prints it (TAP output,
// kselftest exit codes). caba says whether to compare NScaba at all (a
// tree-only restore, such as CRIU's, leaves it out).
func Restorer(name string, o *Obs, p *Plan, caba bool) ([]byte, error) {
	type cStep struct {
		Op           string
		By, Pid, Arg uint8
		Text         string
	}
	type cWant struct {
		TID, Tgid, PPid, Pgid, Sid uint8
		Zombie, Sub                int
		Caba                       int
	}
	var data struct {
		Name, Planner string
		Image         []string
		PlanText      []string
		Steps         []cStep
		Want          []cWant
		Helpers       string
		NHelpers      int
	}
	data.Name, data.Planner = name, p.Planner
	data.Image = strings.Split(strings.TrimRight(o.String(), "\n"), "\n")
	for _, st := range p.Steps {
		if int(st.Op) >= len(cOps) || cOps[st.Op] == "" {
			return nil, fmt.Errorf("restorer: step %s has no C form", st.Syscall())
		}
		data.Steps = append(data.Steps, cStep{Op: cOps[st.Op], By: st.By, Pid: st.Pid, Arg: st.Arg, Text: st.Syscall()})
		data.PlanText = append(data.PlanText, st.Syscall())
	}
	if len(data.Steps) == 0 {
		return nil, fmt.Errorf("restorer: the plan has no steps")
	}
	for _, t := range o.TIDs() {
		x := &o.T[t]
		w := cWant{TID: t, Tgid: x.Tgid, PPid: x.PPid, Pgid: x.Pgid, Sid: x.Sid, Zombie: b2i(x.Zombie), Sub: b2i(x.Sub), Caba: -1}
		// Init's caba is init_task in the model; on the host the namespace's
		// init was created by the restorer, outside the namespace.
		if caba && t != 1 && !x.CabaFreed {
			w.Caba = int(x.Caba)
		}
		data.Want = append(data.Want, w)
	}
	var hs []string
	for _, h := range p.Helpers {
		hs = append(hs, fmt.Sprint(h))
	}
	data.NHelpers = len(hs)
	if len(hs) == 0 {
		hs = []string{"0"}
	}
	data.Helpers = strings.Join(hs, ", ")
	var b bytes.Buffer
	if err := restorerTemplate.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("restorer: %w", err)
	}
	return b.Bytes(), nil
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
