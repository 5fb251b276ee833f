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
	// Checks are further checks by name (Resolve: the findings' own among
	// them), added to every row and to the table after the others.
	Checks []string
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
// restorability checks (group restore, bound to the revision) as well; with
// pidns on, the pid namespace checks (PidnsChecks).
func MatrixChecksFor(actions linux.ActionSet, rev linux.Revision) ([]invariants.Invariant, error) {
	checks := MatrixChecks()
	if actions&linux.Sessions != 0 {
		var err error
		if checks, err = invariants.SelectFor("all,restore", rev, actions); err != nil {
			return nil, err
		}
	}
	if actions&linux.Pidns != 0 {
		ns, err := PidnsChecks(rev)
		if err != nil {
			return nil, err
		}
		checks = append(checks, ns...)
	}
	return checks, nil
}

// PidnsChecks returns the library's checks that read pid namespaces (the
// derived invariants that need the pidns actions; docs/model.md, "Optional:
// pid namespaces"), bound to rev, in library order: the derived group with
// pidns on, less the same group with it off.
func PidnsChecks(rev linux.Revision) ([]invariants.Invariant, error) {
	with, err := invariants.SelectFor("derived", rev, linux.AllActions|linux.Sessions|linux.Pidns)
	if err != nil {
		return nil, err
	}
	without, err := invariants.SelectFor("derived", rev, linux.AllActions|linux.Sessions)
	if err != nil {
		return nil, err
	}
	old := map[string]bool{}
	for _, inv := range without {
		old[inv.Name] = true
	}
	var out []invariants.Invariant
	for _, inv := range with {
		if !old[inv.Name] {
			out = append(out, inv)
		}
	}
	return out, nil
}

// pidnsNames are the names of PidnsChecks (the same for every revision).
func pidnsNames() []string {
	checks, err := PidnsChecks(linux.Seed)
	if err != nil {
		panic(err) // the library's own groups
	}
	var n []string
	for _, inv := range checks {
		n = append(n, inv.Name)
	}
	return n
}

// matrixColumns are the rows of a matrix's table (the CABA invariants, the
// restorability checks when sessions are on, the pid namespace checks when
// pidns is).
func matrixColumns(actions linux.ActionSet) []string {
	cols := CabaInvariants()
	if actions&linux.Sessions != 0 {
		cols = append(cols, invariants.RestorableCRIU, invariants.RestorableCABA)
	}
	if actions&linux.Pidns != 0 {
		cols = append(cols, pidnsNames()...)
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
// once and recording the first violation of each. done, when set, is told
// about each finished row; rc.Progress sees one part per revision.
func RunMatrix(cfg MatrixConfig, rc RunConfig, done func(*Exploration)) (*Matrix, error) {
	return runMatrix(cfg, rc.parts(len(cfg.Revisions)), done)
}

// MatrixPart names the part of a run that explores revision rev of a matrix.
func MatrixPart(cfg MatrixConfig, rev linux.Revision) string {
	return fmt.Sprintf("matrix tasks %d %s %s", cfg.Tasks, actionsFlag(cfg.Actions), rev)
}

func runMatrix(cfg MatrixConfig, p *parts, done func(*Exploration)) (*Matrix, error) {
	m := &Matrix{Tasks: cfg.Tasks, Actions: cfg.Actions.String(), Budget: cfg.Budget.String(), Invariants: append(matrixColumns(cfg.Actions), cfg.Checks...)}
	for _, rev := range cfg.Revisions {
		opt := linux.Options{Tasks: cfg.Tasks, Revision: rev, Actions: cfg.Actions}
		checks, err := MatrixChecksFor(cfg.Actions, rev)
		if err != nil {
			return nil, err
		}
		for _, name := range cfg.Checks {
			inv, err := Resolve(name, rev)
			if err != nil {
				return nil, err
			}
			checks = append(checks, inv)
		}
		var e *Exploration
		err = p.run(MatrixPart(cfg, rev), func(rc RunConfig) error {
			e, err = Explore(opt, checks, true, cfg.Budget, rc)
			return err
		})
		if err != nil {
			return nil, err
		}
		m.Rows = append(m.Rows, e)
		if done != nil {
			done(e)
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
	if strings.HasPrefix(inv, "CabaClosest") && !intended(inv, mustRevision(e.Revision)) {
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

// intended reports whether check name is revision rev's own reading of
// "alive" (OwnReading, or its restatement per pid namespace).
func intended(name string, rev linux.Revision) bool {
	for _, alias := range []string{OwnReading, invariants.ClosestIntendedNS} {
		if inv, ok := invariants.ByName(alias, rev); ok && inv.Name == name {
			return true
		}
	}
	return false
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
