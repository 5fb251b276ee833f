package kernel

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// Every walk, trace and counterexample run on a kernel ends in one verdict,
// printed as one line, so that a run never ends in a bare count: what the
// model predicted (nothing wrong, or a violation at a step) against what the
// kernel did.

// VerdictKind is the outcome of one walk on a kernel.
type VerdictKind uint8

const (
	// VerdictAgree: the model predicts no violation and the kernel matched
	// every step, with no kernel report.
	VerdictAgree VerdictKind = iota
	// VerdictDeparts: the model predicts no violation and the kernel departs
	// from it at a step (or reports a bug the model does not predict).
	VerdictDeparts
	// VerdictReproduced: the model predicts a violation at a step and the
	// kernel shows it there (a kernel report for a dangling caba or a
	// use-after-free, else the model's violating state, NScaba compared).
	VerdictReproduced
	// VerdictNotReproduced: a predicted violation did not show: the kernel
	// departed before it, gave no report or one at another step, or cannot
	// show it at all (no CABA patch).
	VerdictNotReproduced
)

// Verdict is the judgement of one walk.
type Verdict struct {
	Kind   VerdictKind
	Step   int    // the step it is about (0: none)
	Detail string // why, for people
}

// Failed reports whether the verdict is a failed prediction.
func (v Verdict) Failed() bool { return v.Kind == VerdictDeparts || v.Kind == VerdictNotReproduced }

func (v Verdict) String() string {
	switch v.Kind {
	case VerdictAgree:
		return "AGREE: kernel and model agree" + v.Detail
	case VerdictDeparts:
		return "DISAGREE: " + v.Detail
	case VerdictReproduced:
		return fmt.Sprintf("REPRODUCED at step %d: %s", v.Step, v.Detail)
	}
	return "NOT REPRODUCED: " + v.Detail
}

// Prediction is what the model says a walk does on the kernel it runs on.
type Prediction struct {
	// ViolStep is the syscall-level step after which the model violates
	// Invariant (0: the model predicts nothing wrong).
	ViolStep  int
	Invariant string
	// Invisible, when not empty, says why the kernel cannot show the
	// violation (for example: it has no CABA patch).
	Invisible string
}

// departure describes the first step where r departs from the model before
// its first kernel report, or "".
func departure(r *WalkResult) (int, string) {
	if r.FailStep > 0 && (r.FirstReport == 0 || r.FailStep < r.FirstReport) {
		s := r.Steps[len(r.Steps)-1]
		for _, x := range r.Steps {
			if x.Step == r.FailStep {
				s = x
			}
		}
		var mm []string
		for i, m := range s.Mismatches {
			if i == 3 {
				mm = append(mm, fmt.Sprintf("and %d more", len(s.Mismatches)-3))
				break
			}
			mm = append(mm, m.String())
		}
		why := strings.Join(mm, "; ")
		if why == "" && s.Missing {
			why = "no observation (the harness stopped)"
		}
		return r.FailStep, fmt.Sprintf("kernel departs at step %d (%s): %s", r.FailStep, s.Op, why)
	}
	if len(r.Errors) > 0 {
		return r.Compared + 1, "harness or model error: " + r.Errors[0]
	}
	return 0, ""
}

// Judge gives the verdict of a compared walk against the model's prediction.
func Judge(r *WalkResult, p Prediction) Verdict {
	dep, why := departure(r)
	firstReport := func() string {
		for _, x := range r.Reports {
			if x.Step == r.FirstReport {
				return x.Line
			}
		}
		return ""
	}
	if p.ViolStep == 0 {
		switch {
		case dep > 0:
			return Verdict{Kind: VerdictDeparts, Step: dep, Detail: why}
		case r.FirstReport > 0:
			return Verdict{Kind: VerdictDeparts, Step: r.FirstReport,
				Detail: fmt.Sprintf("kernel report at step %d where the model predicts none: %s", r.FirstReport, firstReport())}
		}
		return Verdict{Kind: VerdictAgree, Detail: fmt.Sprintf(" (%d steps compared, no kernel report)", r.Compared)}
	}
	if p.Invisible != "" {
		d := fmt.Sprintf("%s; the model violates %s after step %d", p.Invisible, p.Invariant, p.ViolStep)
		if dep > 0 {
			d += "; besides, " + why
		} else {
			d += fmt.Sprintf("; on what it shows, kernel and model agree (%d steps compared)", r.Compared)
		}
		return Verdict{Kind: VerdictNotReproduced, Step: p.ViolStep, Detail: d}
	}
	if dep > 0 && dep <= p.ViolStep {
		return Verdict{Kind: VerdictNotReproduced, Step: dep, Detail: why}
	}
	// a dangling caba or a use-after-free shows as a kernel report; any
	// other violation as the model's state itself, which the kernel matched
	bug := false
	for _, s := range r.Steps {
		if s.Step == p.ViolStep {
			bug = s.Dangling || s.Corrupt
		}
	}
	switch {
	case bug && r.FirstReport == p.ViolStep:
		return Verdict{Kind: VerdictReproduced, Step: p.ViolStep, Detail: firstReport()}
	case bug && r.FirstReport < p.ViolStep && earlierExplained(r, p.ViolStep) && reportAt(r, p.ViolStep) != "":
		return Verdict{Kind: VerdictReproduced, Step: p.ViolStep,
			Detail: fmt.Sprintf("%s (the reports from step %d on read a caba the model has dangling there: %s)", reportAt(r, p.ViolStep), r.FirstReport, firstReport())}
	case bug && r.FirstReport == 0:
		return Verdict{Kind: VerdictNotReproduced, Step: p.ViolStep,
			Detail: fmt.Sprintf("no kernel report; the model predicts %s after step %d", p.Invariant, p.ViolStep)}
	case bug:
		return Verdict{Kind: VerdictNotReproduced, Step: r.FirstReport,
			Detail: fmt.Sprintf("kernel report at step %d, the model predicts %s after step %d: %s", r.FirstReport, p.Invariant, p.ViolStep, firstReport())}
	case r.FirstReport > 0 && r.FirstReport <= p.ViolStep:
		return Verdict{Kind: VerdictNotReproduced, Step: r.FirstReport,
			Detail: fmt.Sprintf("kernel report at step %d before the predicted %s (step %d): %s", r.FirstReport, p.Invariant, p.ViolStep, firstReport())}
	case r.Compared < p.ViolStep:
		return Verdict{Kind: VerdictNotReproduced, Step: r.Compared + 1,
			Detail: fmt.Sprintf("only %d steps compared, the model violates %s after step %d", r.Compared, p.Invariant, p.ViolStep)}
	}
	return Verdict{Kind: VerdictReproduced, Step: p.ViolStep,
		Detail: fmt.Sprintf("the kernel shows the model's state that violates %s (every field compared, NScaba included)", p.Invariant)}
}

// earlierExplained reports whether every kernel report before step viol
// comes at a step after which the model itself has a dangling caba: a /proc
// read of that caba is the use-after-free read the model predicts there
// (NoDanglingCaba), so it does not hide a later predicted violation.
func earlierExplained(r *WalkResult, viol int) bool {
	dangling := map[int]bool{}
	for _, s := range r.Steps {
		dangling[s.Step] = s.Dangling || s.Corrupt
	}
	for _, x := range r.Reports {
		if x.Step < viol && !dangling[x.Step] {
			return false
		}
	}
	return true
}

// reportAt is the first kernel report at step k, or "".
func reportAt(r *WalkResult, k int) string {
	for _, x := range r.Reports {
		if x.Step == k {
			return x.Line
		}
	}
	return ""
}

// PredictFor is the model's prediction for walk w on a kernel compared with
// model m through caba view caba, and a note when the walk was recorded
// under another revision than the one it is judged by (or under a revision
// at all, on a kernel without the CABA patch): the note says so, so that a
// count of agreeing steps is never taken for a reproduction.
func PredictFor(m *linux.Model, w Walk, caba CabaView) (Prediction, string, error) {
	if w.Invariant == "" {
		return Prediction{}, "", nil
	}
	rev := m.Options().Revision
	inv, ok := invariants.ByName(w.Invariant, rev)
	if !ok {
		return Prediction{}, "", fmt.Errorf("unknown invariant %s", w.Invariant)
	}
	if caba == CabaNone {
		p := Prediction{ViolStep: w.ViolStep, Invariant: w.Invariant}
		if inv.Group != "sanity" {
			p.Invisible = "the kernel has no CABA patch (no NScaba line), so caba is not compared"
		}
		note := ""
		if w.Revision != "" {
			note = fmt.Sprintf("revisions differ: the trace is a %s counterexample of %s (violated after step %d); this kernel has no CABA patch and is compared with the base semantics (NScaba not compared)", w.Revision, w.Invariant, w.ViolStep)
		}
		return p, note, nil
	}
	k, err := FirstViolation(m, w.Ops, inv)
	if err != nil {
		return Prediction{}, "", err
	}
	note := ""
	if w.Revision != "" && w.Revision != rev.String() {
		what := fmt.Sprintf("does not violate %s", w.Invariant)
		if k > 0 {
			what = fmt.Sprintf("violates %s after step %d", w.Invariant, k)
		}
		note = fmt.Sprintf("revisions differ: the trace is a %s counterexample of %s (violated after step %d); the kernel is judged by the %s model, which %s", w.Revision, w.Invariant, w.ViolStep, rev, what)
	}
	return Prediction{ViolStep: k, Invariant: w.Invariant}, note, nil
}
