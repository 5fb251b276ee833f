package restore

import (
	"fmt"
	"strings"

	"cabacheck/state"
)

// Op is the syscall of a plan step.
type Op uint8

const (
	OpFork       Op = iota // By: clone3(set_tid = Pid)
	OpForkParent           // By: clone3(CLONE_PARENT, set_tid = Pid)
	OpThread               // By: clone3(CLONE_THREAD, set_tid = Pid)
	OpSetsid               // By: setsid()
	OpSetpgid              // By: setpgid(Pid, Arg) (Pid: By's process or a child)
	OpSubreaper            // By: prctl(PR_SET_CHILD_SUBREAPER, Arg)
	OpExit                 // By: exit (the task goes through exit_notify; a thread is released)
	OpWait                 // By: wait4(Pid): reaps the zombie Pid (release_task)
	OpGetsid               // By: getsid(0) must be Arg (a restorer's check, not a change)
)

// Step is one syscall of a plan. Pids are TIDs, as the model's slots are.
type Step struct {
	Op     Op
	By     uint8 // the calling task
	Pid    uint8 // the task created, the process setpgid moves, the zombie reaped
	Arg    uint8 // setpgid's pgid, the subreaper flag, getsid's expected sid
	Helper bool  // the task created or reaped is a helper (a pid not in the image)
}

// Plan is a planner's answer for one dump.
type Plan struct {
	Planner string
	Steps   []Step
	Helpers []uint8 // helper pids, in creation order
}

// Slots is the highest pid the plan uses (the model the replay needs holds
// that many tasks), at least the image's highest TID.
func (p *Plan) Slots(o *Obs) uint8 {
	n := uint8(2)
	for t := uint8(1); t < state.Slots; t++ {
		if o.In(t) {
			n = max(n, t)
		}
	}
	for _, st := range p.Steps {
		n = max(n, st.By, st.Pid)
	}
	return n
}

// Refusal is a planner declining a dump: CRIU's own error, or the CABA
// planner finding no way. Class names the kind of reason (a short word the
// findings group by); Msg is the message.
type Refusal struct {
	Planner string
	Class   string
	Msg     string
}

func (r *Refusal) Error() string { return r.Planner + ": " + r.Msg }

func refuse(planner, class, format string, args ...any) *Refusal {
	return &Refusal{Planner: planner, Class: class, Msg: fmt.Sprintf(format, args...)}
}

// Planner maps a dump to a plan. It sees the dump and nothing else of the
// state.
type Planner interface {
	Name() string
	Plan(o *Obs) (*Plan, *Refusal)
}

// Syscall renders a step as the call a restorer makes: "2: clone3(set_tid=4) = 4".
func (st Step) Syscall() string {
	h := ""
	if st.Helper {
		h = " [helper]"
	}
	switch st.Op {
	case OpFork:
		return fmt.Sprintf("%d: clone3(set_tid=%d) = %d%s", st.By, st.Pid, st.Pid, h)
	case OpForkParent:
		return fmt.Sprintf("%d: clone3(CLONE_PARENT, set_tid=%d) = %d%s", st.By, st.Pid, st.Pid, h)
	case OpThread:
		return fmt.Sprintf("%d: clone3(CLONE_THREAD, set_tid=%d) = %d", st.By, st.Pid, st.Pid)
	case OpSetsid:
		return fmt.Sprintf("%d: setsid() = %d", st.By, st.By)
	case OpSetpgid:
		return fmt.Sprintf("%d: setpgid(%d, %d)", st.By, st.Pid, st.Arg)
	case OpSubreaper:
		return fmt.Sprintf("%d: prctl(PR_SET_CHILD_SUBREAPER, %d)", st.By, st.Arg)
	case OpExit:
		return fmt.Sprintf("%d: exit(0)%s", st.By, h)
	case OpWait:
		return fmt.Sprintf("%d: wait4(%d) reaps %d%s", st.By, st.Pid, st.Pid, h)
	case OpGetsid:
		return fmt.Sprintf("%d: getsid(0) == %d", st.By, st.Arg)
	}
	return fmt.Sprintf("op%d(%d, %d, %d)", st.Op, st.By, st.Pid, st.Arg)
}

// String lists the plan, one numbered syscall per line.
func (p *Plan) String() string {
	var b strings.Builder
	for i, st := range p.Steps {
		fmt.Fprintf(&b, "%3d. %s\n", i+1, st.Syscall())
	}
	return b.String()
}

// builder accumulates a plan's steps.
type builder struct {
	plan *Plan
}

func (b *builder) add(st Step) { b.plan.Steps = append(b.plan.Steps, st) }

func (b *builder) fork(by, pid uint8, helper bool) {
	b.add(Step{Op: OpFork, By: by, Pid: pid, Helper: helper})
	if helper {
		b.plan.Helpers = append(b.plan.Helpers, pid)
	}
}

// freePids hands out helper pids: the lowest pids no task, process group or
// session of the image uses (the model's get_free_pid: CRIU also skips the
// first 300, which a 14-slot model cannot).
type freePids struct {
	used uint16
}

func newFreePids(o *Obs) *freePids {
	f := &freePids{used: 1} // pid 0 is nobody's
	for t := uint8(1); t < state.Slots; t++ {
		if o.In(t) {
			x := &o.T[t]
			f.used |= 1<<t | 1<<x.Pgid | 1<<x.Sid
		}
	}
	return f
}

// take reserves a given pid (a dead leader recreated as a helper).
func (f *freePids) take(p uint8) { f.used |= 1 << p }

// next returns the lowest free pid, or 0 when the model has no slot left.
func (f *freePids) next() uint8 {
	for p := uint8(1); p <= state.MaxTasks; p++ {
		if f.used&(1<<p) == 0 {
			f.used |= 1 << p
			return p
		}
	}
	return 0
}
