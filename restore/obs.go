package restore

import (
	"fmt"
	"strings"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Task is what a dump records of one hashed task: what /proc/PID/status and
// /proc/PID/stat show (PPid, Tgid, NSpgid, NSsid, State, the task/ list, and
// with the patch NScaba) and the subreaper flag, which CRIU reads from
// inside the process with its parasite (prctl(PR_GET_CHILD_SUBREAPER)).
type Task struct {
	TID  uint8 // the pid /proc shows for the task (linux.TID)
	Tgid uint8 // its process
	PPid uint8 // the TGID of its real_parent's process (0 for init)
	Pgid uint8
	Sid  uint8
	// Zombie: the task is EXIT_ZOMBIE (a process whose only task is its
	// exited leader); otherwise it runs.
	Zombie bool
	// Sub: the process is a child subreaper. A zombie has no parasite to
	// ask, so it reads false.
	Sub bool
	// Caba is NScaba as the revision prints it (a TID, or a TGID for a
	// revision that prints the process); 0 is init_task.
	Caba uint8
	// CabaFreed: the caba pointer names a released task_struct, so reading
	// NScaba is a use-after-free (get_task_pid on freed memory); Caba is 0.
	CabaFreed bool
}

// Obs is the dump of a state: every hashed task, indexed by TID.
type Obs struct {
	Has uint16 // bit t: a task with TID t is in the image
	T   [state.Slots]Task
}

// In reports whether a task with TID t is in the image.
func (o *Obs) In(t uint8) bool { return t < state.Slots && o.Has&(1<<t) != 0 }

// TIDs lists the image's TIDs in ascending order.
func (o *Obs) TIDs() []uint8 {
	var out []uint8
	for t := uint8(1); t < state.Slots; t++ {
		if o.In(t) {
			out = append(out, t)
		}
	}
	return out
}

// IsProcess reports whether t is a process of the image (its leader's TID,
// which is the TGID).
func (o *Obs) IsProcess(t uint8) bool { return o.In(t) && o.T[t].Tgid == t }

// Processes lists the image's processes (TGIDs) in ascending order.
func (o *Obs) Processes() []uint8 {
	var out []uint8
	for t := uint8(1); t < state.Slots; t++ {
		if o.IsProcess(t) {
			out = append(out, t)
		}
	}
	return out
}

// Threads lists the TIDs of process g other than its leader, ascending.
func (o *Obs) Threads(g uint8) []uint8 {
	var out []uint8
	for t := uint8(1); t < state.Slots; t++ {
		if t != g && o.In(t) && o.T[t].Tgid == g {
			out = append(out, t)
		}
	}
	return out
}

// Observe returns the dump of s under revision rev (the revision decides
// what NScaba prints). It is defined for every state; it is what CRIU
// records only for dumpable ones (Dumpable).
func Observe(rev linux.Revision, s *state.State) Obs {
	var o Obs
	for u := uint8(1); u <= s.N; u++ {
		if !s.Hashed(u) {
			continue
		}
		tid := linux.TID(s, u)
		g := s.Tg[u]
		t := Task{
			TID:    tid,
			Tgid:   g,
			PPid:   s.Tg[s.Parent[u]],
			Pgid:   s.Pgid[g],
			Sid:    s.Sid[g],
			Zombie: s.St[u] == state.Zombie,
		}
		t.Sub = s.Sub[g] && !t.Zombie
		if c := s.Caba[u]; c != 0 && !s.Hashed(c) {
			t.CabaFreed = true
		} else {
			t.Caba = rev.NScaba(s, u)
		}
		o.Has |= 1 << tid
		o.T[tid] = t
	}
	return o
}

// Key is a compact, comparable form of an Obs (one word per TID), for maps.
type Key [state.Slots]uint32

// Key packs o.
func (o *Obs) Key() Key {
	var k Key
	for t := uint8(1); t < state.Slots; t++ {
		if !o.In(t) {
			continue
		}
		x := &o.T[t]
		v := uint32(1) | uint32(x.Tgid)<<1 | uint32(x.PPid)<<5 | uint32(x.Pgid)<<9 | uint32(x.Sid)<<13 | uint32(x.Caba)<<17
		if x.Zombie {
			v |= 1 << 21
		}
		if x.Sub {
			v |= 1 << 22
		}
		if x.CabaFreed {
			v |= 1 << 23
		}
		k[t] = v
	}
	return k
}

// String renders the dump, one line per task in TID order, as a restorer's
// log would list the image.
func (o *Obs) String() string {
	var b strings.Builder
	for _, t := range o.TIDs() {
		b.WriteString(o.Line(t))
		b.WriteByte('\n')
	}
	return b.String()
}

// Line renders task t of the dump.
func (o *Obs) Line(t uint8) string {
	x := &o.T[t]
	kind := "process"
	if x.Tgid != t {
		kind = "thread "
	}
	st := "running"
	if x.Zombie {
		st = "zombie"
	}
	line := fmt.Sprintf("%s %2d: tgid %d ppid %d pgid %d sid %d %s", kind, t, x.Tgid, x.PPid, x.Pgid, x.Sid, st)
	if x.Sub {
		line += " subreaper"
	}
	if x.CabaFreed {
		line += " caba <freed task_struct>"
	} else {
		line += fmt.Sprintf(" caba %d", x.Caba)
	}
	return line
}

// TreeDiff returns the first difference between the original dump o and the
// dump r of a restored tree in what the tree is (every field but caba), or
// "" when they agree: a task of the image missing or different, or a task
// left over (a helper, perhaps as a zombie).
func (o *Obs) TreeDiff(r *Obs) string { return o.diff(r, false) }

// CabaDiff returns the first task whose caba differs between o and r, or "".
func (o *Obs) CabaDiff(r *Obs) string { return o.diff(r, true) }

func (o *Obs) diff(r *Obs, caba bool) string {
	for t := uint8(1); t < state.Slots; t++ {
		switch {
		case o.In(t) && !r.In(t):
			if caba {
				continue
			}
			return fmt.Sprintf("task %d is missing from the restored tree", t)
		case !o.In(t) && r.In(t):
			if caba {
				continue
			}
			st := "running"
			if r.T[t].Zombie {
				st = "a zombie"
			}
			return fmt.Sprintf("task %d, not in the image, is left in the restored tree (%s)", t, st)
		case !o.In(t):
			continue
		}
		a, b := &o.T[t], &r.T[t]
		if caba {
			if a.Caba != b.Caba || a.CabaFreed != b.CabaFreed {
				return fmt.Sprintf("task %d: caba %s in the image, %s restored", t, cabaWord(a), cabaWord(b))
			}
			continue
		}
		field := func(name string, x, y any) string {
			return fmt.Sprintf("task %d: %s %v in the image, %v restored", t, name, x, y)
		}
		switch {
		case a.Tgid != b.Tgid:
			return field("tgid", a.Tgid, b.Tgid)
		case a.PPid != b.PPid:
			return field("ppid", a.PPid, b.PPid)
		case a.Sid != b.Sid:
			return field("sid", a.Sid, b.Sid)
		case a.Pgid != b.Pgid:
			return field("pgid", a.Pgid, b.Pgid)
		case a.Zombie != b.Zombie:
			return field("zombie", a.Zombie, b.Zombie)
		case a.Sub != b.Sub:
			return field("subreaper", a.Sub, b.Sub)
		}
	}
	return ""
}

func cabaWord(t *Task) string {
	if t.CabaFreed {
		return "<freed>"
	}
	return fmt.Sprint(t.Caba)
}
