package kernel

import (
	"fmt"
	"strconv"
	"strings"

	"cabacheck/spec/linux"
	"cabacheck/state"
)

// Fields of one task in a snapshot, in harness order.
const (
	FState  = iota // U unborn, R alive, Z zombie, X dead but hashed, G gone
	FTgid          // the leader's slot
	FPPid          // PPid (the parent's tgid) as the slot of that group's leader
	FParent        // leaders: the thread whose children list holds the task
	FCaba          // NScaba as a slot; "-" when the kernel has no NScaba line
	FSid           // session (/proc/TID/stat field 6) as a group name
	FPgid          // process group (/proc/TID/stat field 5) as a group name
	FExecd         // leaders: 1 if PF_FORKNOEXEC is clear (stat field 9), else 0
	FIgn           // 1 if SIGCHLD is ignored (SigIgn), else 0
	FSub           // alive tasks: prctl(PR_GET_CHILD_SUBREAPER) in the actor
	// The pidns fields (printed by the harness only in a PIDNS walk, and by
	// Snapshot.String only when some task has one): see nsfields.go.
	FNSpid    // hashed tasks: NSpid read from the walk's namespace (the model's root), levels joined by ':'
	FNSpidIn  // hashed tasks: NSpid read through a proc mount of each namespace on the task's chain, root first: "k_n:n/k_n"
	FNScabaIn // hashed tasks (caba compared): NScaba read through the same proc mounts, "k_n:n/k_"
	NFields
)

// NPidnsFields is the number of fields before the pidns ones: a snapshot of
// a walk without pidns has exactly these.
const NPidnsFields = FNSpid

// NBaseFields is the number of fields the harness observed before sessions,
// flags and execd were added (state, tgid, ppid, real_parent, caba).
const NBaseFields = FSid

var fieldNames = [NFields]string{"state", "tgid", "ppid", "real_parent", "caba", "sid", "pgid", "execd", "sigchld_ignored", "subreaper",
	"nspid", "nspid_inside", "nscaba_inside"}

// Any matches every observed value.
const Any = "*"

// Snapshot is the harness's view of every slot (index 0 is slot 1).
type Snapshot [][NFields]string

// ParseSnapshot parses "R.1.c.c.-.1.1.0.0.0 R.2.1.1.-.1.1.0.0.0 ..." (the
// pidns fields, when absent, are "-").
func ParseSnapshot(s string) (Snapshot, error) {
	var out Snapshot
	for _, t := range strings.Fields(s) {
		f := strings.Split(t, ".")
		if len(f) != NFields && len(f) != NPidnsFields {
			return nil, fmt.Errorf("snapshot task %q: want %d or %d fields", t, NPidnsFields, NFields)
		}
		var x [NFields]string
		for k := len(f); k < NFields; k++ {
			x[k] = "-"
		}
		copy(x[:], f)
		out = append(out, x)
	}
	return out, nil
}

// String renders the snapshot as the harness prints it: the pidns fields
// only when some task has one.
func (s Snapshot) String() string {
	n := NPidnsFields
	for _, t := range s {
		for k := NPidnsFields; k < NFields; k++ {
			if t[k] != "-" {
				n = NFields
			}
		}
	}
	var b []string
	for _, t := range s {
		b = append(b, strings.Join(t[:n], "."))
	}
	return strings.Join(b, " ")
}

// slotName renders a model slot as the harness does: 0 (init_task, the
// parent of init) is the controller, "c".
func slotName(x uint8) string {
	if x == 0 {
		return "c"
	}
	return strconv.Itoa(int(x))
}

// CabaView is how the kernel shows caba.
type CabaView uint8

const (
	CabaNone CabaView = iota // no NScaba line (a stock kernel)
	CabaTID                  // NScaba prints the CABA's TID (seed, v3, v4)
	CabaTGID                 // NScaba prints the CABA's TGID (kernel/patches/fixed.patch)
)

// ViewFor is the caba view of a revision's kernel patch.
func ViewFor(rev linux.Revision) CabaView {
	if rev.Def().NScaba == linux.NScabaTGID {
		return CabaTGID
	}
	return CabaTID
}

// Predict renders what the harness must observe in the settled state s of a
// model with actions acts. With CabaNone the kernel has no NScaba line ("-");
// otherwise a caba pointing at a released task is not determined (reading it
// is the bug). Sessions and process groups are compared whatever the action
// sets (with the sessions set off every task stays in task 1's); execd only
// when the model tracks it: with sessions on (execve, and a de_thread exec
// when it completes, set it, as the kernel's exec clears PF_FORKNOEXEC).
func Predict(s *state.State, caba CabaView, acts linux.ActionSet) Snapshot {
	out := make(Snapshot, s.N)
	for i := uint8(1); i <= s.N; i++ {
		f := &out[i-1]
		for k := range f {
			f[k] = "-"
		}
		switch s.St[i] {
		case state.Unborn:
			f[FState] = "U"
			continue
		case state.Released:
			f[FState] = "G"
			continue
		case state.Running, state.Exiting:
			f[FState] = "R"
		case state.Zombie:
			f[FState] = "Z"
		case state.Dead:
			f[FState] = "X"
		}
		g := s.Tg[i]
		f[FTgid] = slotName(s.Leader[g])
		p := s.Parent[i]
		if p == 0 {
			f[FPPid] = "c"
		} else {
			f[FPPid] = slotName(s.Leader[s.Tg[p]])
		}
		if s.Leader[g] == i {
			f[FParent] = slotName(p)
			f[FExecd] = Any
			if acts&linux.Sessions != 0 {
				f[FExecd] = flag(s.Execd[g])
			}
		}
		f[FSid] = slotName(s.Sid[g])
		f[FPgid] = slotName(s.Pgid[g])
		f[FIgn] = flag(s.Ign[g])
		if s.St[i] == state.Running || s.St[i] == state.Exiting {
			f[FSub] = flag(s.Sub[g])
		}
		if acts&linux.Pidns != 0 {
			predictPidns(s, i, caba, f)
		}
		if caba != CabaNone {
			c := s.Caba[i]
			switch {
			case c == 0:
				f[FCaba] = "c"
			case !s.St[c].Hashed():
				f[FCaba] = Any
			case caba == CabaTGID:
				f[FCaba] = slotName(s.Leader[s.Tg[c]])
			default:
				f[FCaba] = slotName(c)
			}
		}
	}
	return out
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Matches reports whether observation o fits prediction p.
func Matches(p, o Snapshot) bool {
	if len(p) != len(o) {
		return false
	}
	for i := range p {
		for k := 0; k < NFields; k++ {
			if p[i][k] != Any && p[i][k] != o[i][k] {
				return false
			}
		}
	}
	return true
}

// Determined merges predictions: a field on which all agree keeps its value,
// any other field becomes Any.
func Determined(ps []Snapshot) Snapshot {
	if len(ps) == 0 {
		return nil
	}
	out := make(Snapshot, len(ps[0]))
	copy(out, ps[0])
	for _, p := range ps[1:] {
		for i := range out {
			for k := 0; k < NFields; k++ {
				if out[i][k] != p[i][k] {
					out[i][k] = Any
				}
			}
		}
	}
	return out
}

// Mismatch is one field where the kernel differs from what the model determines.
type Mismatch struct {
	Slot     int
	Field    string
	Expected string
	Observed string
}

func (m Mismatch) String() string {
	if m.Slot == 0 {
		return fmt.Sprintf("%s: model %s, kernel %s", m.Field, m.Expected, m.Observed)
	}
	return fmt.Sprintf("task %d %s: model %s, kernel %s", m.Slot, m.Field, m.Expected, m.Observed)
}

// Diff lists the fields where o differs from the determined prediction d.
func Diff(d, o Snapshot) []Mismatch {
	var out []Mismatch
	for i := range d {
		if i >= len(o) {
			out = append(out, Mismatch{Slot: i + 1, Field: "state", Expected: d[i][FState], Observed: "(missing)"})
			continue
		}
		for k := 0; k < NFields; k++ {
			if d[i][k] != Any && d[i][k] != o[i][k] {
				out = append(out, Mismatch{Slot: i + 1, Field: fieldNames[k], Expected: d[i][k], Observed: o[i][k]})
			}
		}
	}
	return out
}

// predictAll predicts every candidate; with avoid, the tasks whose caba
// dangles in some candidate are not read (all their fields are Any), and
// their mask is returned.
func predictAll(cands []state.State, caba CabaView, acts linux.ActionSet, avoid bool) ([]Snapshot, uint32) {
	var skip uint32
	if avoid {
		for i := range cands {
			skip |= cands[i].DanglingCabas()
		}
	}
	ps := make([]Snapshot, len(cands))
	for i := range cands {
		ps[i] = Predict(&cands[i], caba, acts)
		for k := range ps[i] {
			if skip&(1<<(k+1)) != 0 {
				for f := range ps[i][k] {
					ps[i][k][f] = Any
				}
			}
			// a child of an unread thread is found in no children list read
			if p := cands[i].Parent[k+1]; p != 0 && skip&(1<<p) != 0 && ps[i][k][FParent] != "-" {
				ps[i][k][FParent] = Any
			}
		}
	}
	return ps, skip
}
