package reproduce

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
	"cabacheck/traces"
)

// kasanPrediction says what a KASAN kernel of the trace's revision reports
// at the violation: where the model's state first became corrupt (the
// kernel wrote or walked a freed task_struct: the step function that set
// Corrupt names the kernel function), and the read of a caba that points at
// a released task (task_state printing NScaba calls get_task_pid on it).
// Invariants that leave every pointer on a live task are invisible to
// KASAN; the program checks NScaba instead. These are the reports the VM
// runs of kernel/ saw (kernel/README.md, "Measured").
func kasanPrediction(tr *traces.Trace, inv invariants.Invariant) string {
	var out []string
	for i := 1; i < len(tr.Steps); i++ {
		if !tr.Steps[i].State.Corrupt || tr.Steps[i-1].State.Corrupt {
			continue
		}
		a := tr.Steps[i].Action
		where := "the kernel"
		switch a.Kind() {
		case linux.KExitNotify:
			where = "do_exit (exit_notify's find_new_caba walks a freed caba: find_alive_thread)"
		case linux.KRelease:
			where = "release_task (__unhash_process: forget_caba splices onto, or list_del_init writes, a freed task's cabds)"
		case linux.KExecSwap:
			where = "de_thread (list_replace_init on a freed cabds list)"
		}
		out = append(out, fmt.Sprintf("BUG: KASAN: use-after-free in %s, at model step %d %s", where, i, linux.FormatAction(a)))
		break
	}
	last := &tr.Steps[len(tr.Steps)-1].State
	var dang []string
	for t := uint8(1); t <= last.N; t++ {
		if c := last.Caba[t]; last.St[t].Hashed() && c != 0 && !last.St[c].Hashed() {
			dang = append(dang, fmt.Sprintf("task %d (caba %d released)", t, c))
		}
	}
	if len(dang) > 0 {
		out = append(out, "BUG: KASAN: use-after-free in get_task_pid when /proc/TID/status of "+strings.Join(dang, ", ")+" prints NScaba")
	}
	if len(out) == 0 {
		return fmt.Sprintf("nothing: %s leaves every caba on a live task, which KASAN cannot tell from a right one; the symptom is NScaba", inv.Name)
	}
	return strings.Join(out, "; then ")
}
