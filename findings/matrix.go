package findings

import (
	"fmt"
	"strings"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// SanityColumn names the matrix column that sums up the kernel sanity
// invariants (true of the base model whatever the revision).
const SanityColumn = "sanity"

// MatrixConfig chooses the rows and the bound of a matrix.
type MatrixConfig struct {
	Tasks     int
	Actions   linux.ActionSet
	Revisions []linux.Revision
	Budget    Budget // per revision
}

// Matrix is every revision checked against every CABA invariant (and the
// sanity invariants), one exploration per revision.
type Matrix struct {
	Tasks      int            `json:"tasks"`
	Actions    string         `json:"actions"`
	Budget     string         `json:"budget,omitempty"`
	Invariants []string       `json:"invariants"`
	Rows       []*Exploration `json:"rows"`
}

// MatrixChecks returns the sanity invariants followed by the CABA ones.
func MatrixChecks() []invariants.Invariant {
	var out []invariants.Invariant
	for _, inv := range invariants.All() {
		if inv.Needs == 0 { // the matrix's actions have no sessions
			out = append(out, inv)
		}
	}
	return out
}

// MatrixChecksFor returns the checks of a matrix row: MatrixChecks for the
// default actions; with sessions on, the sessions' sanity invariants and the
// restorability checks (group restore, bound to the revision) as well.
func MatrixChecksFor(actions linux.ActionSet, rev linux.Revision) ([]invariants.Invariant, error) {
	if actions&linux.Sessions == 0 {
		return MatrixChecks(), nil
	}
	return invariants.SelectFor("all,restore", rev, actions)
}

// matrixColumns are the rows of a matrix's table (the CABA invariants, and
// the restorability checks when sessions are on).
func matrixColumns(actions linux.ActionSet) []string {
	cols := CabaInvariants()
	if actions&linux.Sessions != 0 {
		cols = append(cols, invariants.RestorableCRIU, invariants.RestorableCABA)
	}
	return cols
}

// CabaInvariants lists the CABA invariant names, in library order.
func CabaInvariants() []string {
	var n []string
	for _, inv := range invariants.All() {
		if inv.Group != "caba" {
			continue
		}
		n = append(n, inv.Name)
	}
	return n
}

// RunMatrix explores every revision of cfg, checking all invariants at
// once and recording the first violation of each. progress, when set, is
// told about each finished row.
func RunMatrix(cfg MatrixConfig, rc RunConfig, progress func(*Exploration)) (*Matrix, error) {
	m := &Matrix{Tasks: cfg.Tasks, Actions: cfg.Actions.String(), Budget: cfg.Budget.String(), Invariants: matrixColumns(cfg.Actions)}
	for _, rev := range cfg.Revisions {
		opt := linux.Options{Tasks: cfg.Tasks, Revision: rev, Actions: cfg.Actions}
		checks, err := MatrixChecksFor(cfg.Actions, rev)
		if err != nil {
			return nil, err
		}
		e, err := Explore(opt, checks, true, cfg.Budget, rc)
		if err != nil {
			return nil, err
		}
		m.Rows = append(m.Rows, e)
		if progress != nil {
			progress(e)
		}
	}
	return m, nil
}

// String renders a budget as flags, "" when unlimited.
func (b Budget) String() string {
	var f []string
	if b.MaxStates > 0 {
		f = append(f, fmt.Sprintf("--max-states %d", b.MaxStates))
	}
	if b.MaxDepth > 0 {
		f = append(f, fmt.Sprintf("--max-depth %d", b.MaxDepth))
	}
	if b.MaxTime > 0 {
		f = append(f, fmt.Sprintf("--max-time %s", b.MaxTime))
	}
	if b.MaxMemory > 0 {
		f = append(f, fmt.Sprintf("--max-memory %d", b.MaxMemory))
	}
	if b.Symmetry {
		f = append(f, "--symmetry")
	}
	return strings.Join(f, " ")
}

// sanityVerdict folds the sanity invariants of a row into one verdict; n
// is how many the row checked.
func sanityVerdict(e *Exploration) (ok bool, n int, broken []string) {
	for _, inv := range invariants.All() {
		if inv.Group != "sanity" {
			continue
		}
		v, checked := e.Verdict(inv.Name)
		if !checked {
			continue
		}
		n++
		if v.Violated {
			broken = append(broken, inv.Name)
		}
	}
	return len(broken) == 0, n, broken
}

// cell renders one matrix cell.
func cell(e *Exploration, inv string) string {
	v, ok := e.Verdict(inv)
	if !ok {
		return "not checked"
	}
	other := ""
	if strings.HasPrefix(inv, "CabaClosest") && inv != invariants.IntendedReading(mustRevision(e.Revision)) {
		other = " (other reading)"
	}
	if v.Violated {
		return fmt.Sprintf("**violated**, %d steps%s", v.Length, other)
	}
	if e.Complete {
		return fmt.Sprintf("holds (%s states)%s", Commas(e.Distinct), other)
	}
	return fmt.Sprintf("no violation to depth %d, partial%s", e.Depth, other)
}

func mustRevision(s string) linux.Revision {
	r, err := linux.ParseRevision(s)
	if err != nil {
		panic(err)
	}
	return r
}

// Markdown renders the matrix: a table with a row per invariant and a
// column per revision, then the exploration figures and every shortest
// trace.
func (m *Matrix) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Bound: %d tasks (init included), actions %s", m.Tasks, m.Actions)
	if m.Budget != "" {
		fmt.Fprintf(&b, ", budget per revision %s", m.Budget)
	}
	b.WriteString(".\n\n| invariant |")
	for _, r := range m.Rows {
		fmt.Fprintf(&b, " %s |", r.Revision)
	}
	b.WriteString("\n| --- |")
	for range m.Rows {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, inv := range m.Invariants {
		fmt.Fprintf(&b, "| %s |", inv)
		for _, r := range m.Rows {
			fmt.Fprintf(&b, " %s |", cell(r, inv))
		}
		b.WriteString("\n")
	}
	nSanity := 0
	if len(m.Rows) > 0 {
		_, nSanity, _ = sanityVerdict(m.Rows[0])
	}
	fmt.Fprintf(&b, "| %s (%d kernel invariants) |", SanityColumn, nSanity)
	for _, r := range m.Rows {
		if ok, _, broken := sanityVerdict(r); ok {
			b.WriteString(" holds |")
		} else {
			fmt.Fprintf(&b, " **violated**: %s |", strings.Join(broken, ", "))
		}
	}
	b.WriteString("\n\n| revision | distinct states | depth | complete | stop reason |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range m.Rows {
		fmt.Fprintf(&b, "| %s | %s | %d | %v | %s |\n", r.Revision, Commas(r.Distinct), r.Depth, r.Complete, r.StopReason)
	}
	var partial []string
	for _, r := range m.Rows {
		if !r.Complete {
			partial = append(partial, r.Revision)
		}
	}
	if len(partial) > 0 {
		fmt.Fprintf(&b, "\nThe exploration of %s stopped before the whole state space was seen: a \"no violation\" there holds only for the states listed, not up to %d tasks.\n", strings.Join(partial, ", "), m.Tasks)
	}
	b.WriteString("\nShortest traces (breadth-first, so no shorter trace exists at this bound):\n\n")
	for _, r := range m.Rows {
		for _, inv := range m.Invariants {
			v, ok := r.Verdict(inv)
			if !ok || !v.Violated {
				continue
			}
			fmt.Fprintf(&b, "- **%s / %s** (%d steps): `%s` — %s\n", r.Revision, inv, v.Length, v.Summary(), firstLine(v.Failure))
		}
	}
	return b.String()
}

func firstLine(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%s (and %d more)", lines[0], len(lines)-1)
}
