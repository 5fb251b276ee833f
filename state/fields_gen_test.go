package state

// The generator of zz_fields_gen.go. It lives in a test so that it reads the
// Fields table itself, and so that `go test ./state/` fails when the
// generated file is stale. Regenerate with `go generate ./state/`.

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite zz_fields_gen.go from the Fields table")

const genFile = "zz_fields_gen.go"

func TestGeneratedFields(t *testing.T) {
	src, err := generateFields(Fields[:])
	if err != nil {
		t.Fatalf("the Fields table (fields.go): %v", err)
	}
	old, err := os.ReadFile(genFile)
	if err == nil && bytes.Equal(old, src) {
		return
	}
	if *update {
		if err := os.WriteFile(genFile, src, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote %s", genFile)
		return
	}
	t.Fatalf("%s is stale (it does not match the Fields table): run go generate ./state/", genFile)
}

// TestFieldTableChecks makes sure the generator refuses broken tables.
func TestFieldTableChecks(t *testing.T) {
	for name, edit := range map[string]func(fs []Field){
		"overlap":        func(fs []Field) { fs[2].Shift = 3 },
		"overflow":       func(fs []Field) { fs[2].Shift = 6 },
		"global overlap": func(fs []Field) { fs[0].Shift = 5 },
		"name":           func(fs []Field) { fs[3].Name = fs[2].Name },
		"bad name":       func(fs []Field) { fs[3].Name = "real parent" },
		"go name":        func(fs []Field) { fs[3].GoName = "N" },
		"two statuses":   func(fs []Field) { fs[2].Kind = KindStatus },
		"group keeps":    func(fs []Field) { fs[len(fs)-1].Released = Kept },
		"global slot":    func(fs []Field) { fs[0].Kind = KindSlot },
		"id flag":        func(fs []Field) { fs[0].ID = true },
		"colour bits": func(fs []Field) {
			for k := range fs {
				if fs[k].Scope == ScopeTask && fs[k].Kind == KindSlot {
					fs[k].Kind = KindFlag
				}
			}
		},
	} {
		fs := slices.Clone(Fields[:])
		edit(fs)
		if _, err := generateFields(fs); err == nil {
			t.Errorf("%s: a broken table was accepted", name)
		}
	}
}

// genField is a Field with what the generator derives from it.
type genField struct {
	Field
	id    string // the FieldID constant
	width uint8
}

func (f genField) mask() uint8 { return uint8(1<<f.width-1) << f.Shift }

// goType is the element type of the field in State.
func (f genField) goType() string {
	switch f.Kind {
	case KindStatus:
		return "Status"
	case KindFlag:
		return "bool"
	}
	return "uint8"
}

// zero is the Go expression of the field's zero value.
func (f genField) zero() string {
	switch f.Kind {
	case KindFlag:
		return "false"
	case KindSlotOrNone:
		return "None"
	}
	return "0"
}

// ref is the field of state variable v at index i.
func (f genField) ref(v, i string) string {
	if f.Scope == ScopeGlobal {
		return v + "." + f.GoName
	}
	return v + "." + f.GoName + "[" + i + "]"
}

// kernelName reports whether s is a plain lower-case identifier (written
// as is into JSON keys and changed: lines).
func kernelName(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return s != ""
}

func checkTable(fs []Field) ([]genField, int, error) {
	var out []genField
	names, goNames := map[string]bool{}, map[string]bool{"N": true}
	statuses, flags, bytesPerTask := 0, 0, 0
	var used, usedGlobal [8]uint8
	for _, f := range fs {
		g := genField{Field: f, id: "Field" + f.GoName, width: f.Kind.Width()}
		switch {
		case !kernelName(f.Name) || names[f.Name]:
			return nil, 0, fmt.Errorf("%q: a missing, duplicate or bad name (want [a-z0-9_]+)", f.Name)
		case !token.IsIdentifier(f.GoName) || !token.IsExported(f.GoName) || goNames[f.GoName]:
			return nil, 0, fmt.Errorf("%s: bad or duplicate Go name %q", f.Name, f.GoName)
		case f.Scope > ScopeGroup || f.Kind > KindFlag || f.Released > KeptByFounder:
			return nil, 0, fmt.Errorf("%s: bad scope, kind or Released", f.Name)
		case f.Scope == ScopeGlobal && f.Kind != KindFlag:
			return nil, 0, fmt.Errorf("%s: global fields can only be flags", f.Name)
		case f.ID && f.Kind != KindSlot:
			return nil, 0, fmt.Errorf("%s: only slot fields (KindSlot) hold ids", f.Name)
		case f.Scope != ScopeTask && f.Released != Cleared:
			return nil, 0, fmt.Errorf("%s: only per-task fields say what a Released task keeps", f.Name)
		case int(f.Byte) >= len(used) || f.Shift+g.width > 8:
			return nil, 0, fmt.Errorf("%s: bits %d..%d of byte %d do not fit", f.Name, f.Shift, f.Shift+g.width-1, f.Byte)
		}
		names[f.Name], goNames[f.GoName] = true, true
		m := g.mask()
		if (used[f.Byte]|usedGlobal[f.Byte])&m != 0 {
			return nil, 0, fmt.Errorf("%s: bits %d..%d of byte %d overlap another field", f.Name, f.Shift, f.Shift+g.width-1, f.Byte)
		}
		if f.Scope == ScopeGlobal {
			usedGlobal[f.Byte] |= m
		} else {
			used[f.Byte] |= m
			bytesPerTask = max(bytesPerTask, int(f.Byte)+1)
		}
		if f.Kind == KindStatus {
			statuses++
			if f.Scope != ScopeTask || f.Released != Kept {
				return nil, 0, fmt.Errorf("%s: the status is per task and kept by Released tasks", f.Name)
			}
		}
		if f.Kind == KindFlag && f.Scope != ScopeGlobal {
			flags++
		}
		out = append(out, g)
	}
	if statuses != 1 {
		return nil, 0, fmt.Errorf("%d status fields, want 1", statuses)
	}
	for b, m := range usedGlobal {
		if m != 0 && b >= bytesPerTask {
			return nil, 0, fmt.Errorf("global bits in byte %d, beyond the %d bytes of a slot", b, bytesPerTask)
		}
	}
	// The symmetry colour of a slot is its status in bits 0..3, then one bit
	// per flag in table order, then the running rank (symmetry.go).
	if colourStatusBits+flags > colourRankShift {
		return nil, 0, fmt.Errorf("%d flags do not fit below the running rank in the symmetry colour", flags)
	}
	return out, bytesPerTask, nil
}

// byteAt is the Go expression of byte k of the slot at offset o of b.
func byteAt(o string, k int) string {
	if k == 0 {
		return "b[" + o + "]"
	}
	return fmt.Sprintf("b[%s+%d]", o, k)
}

// generateFields returns the source of zz_fields_gen.go for table fs.
func generateFields(fs []Field) ([]byte, error) {
	all, bpt, err := checkTable(fs)
	if err != nil {
		return nil, err
	}
	var local, global, slots []genField // per task and per group; global; slot pointers
	for _, f := range all {
		if f.Scope == ScopeGlobal {
			global = append(global, f)
		} else {
			local = append(local, f)
		}
		if f.Kind.IsSlot() {
			slots = append(slots, f)
		}
	}
	inByte := func(fs []genField, b int) []genField {
		var out []genField
		for _, f := range fs {
			if int(f.Byte) == b {
				out = append(out, f)
			}
		}
		slices.SortStableFunc(out, func(x, y genField) int { return int(x.Shift) - int(y.Shift) })
		return out
	}
	var w strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&w, format+"\n", args...) }

	p("// Code generated by fields_gen_test.go from the Fields table in fields.go; DO NOT EDIT.")
	p("// Regenerate with: go generate ./state/")
	p("")
	p("package state")
	p("")
	p("// Field IDs: indices into Fields.")
	p("const (")
	for k, f := range all {
		if k == 0 {
			p("%s FieldID = iota // %s", f.id, f.Name)
		} else {
			p("%s // %s", f.id, f.Name)
		}
	}
	p(")")
	p("")
	p("// BytesPerTask is the encoded size of one task slot.")
	p("const BytesPerTask = %d", bpt)
	p("")
	p("// pointerFields is the number of slot-pointer fields, the length of pointers.")
	p("const pointerFields = %d", len(slots))
	p("")
	var ids uint64
	var idNames []string
	for k, f := range slots {
		if f.ID {
			ids |= 1 << k
			idNames = append(idNames, f.Name)
		}
	}
	p("// idPointers has bit k set when pointer k of pointers holds an id (Field.ID):")
	if len(idNames) == 0 {
		idNames = []string{"none"}
	}
	p("// %s.", strings.Join(idNames, ", "))
	p("const idPointers = %#x", ids)
	p("")
	p("// State is the decoded state of the Linux task model (see docs/model.md).")
	p("// Per-task arrays are indexed by slot; per-group arrays are indexed by the")
	p("// group's founding slot. The fields are described by Fields (fields.go).")
	p("type State struct {")
	p("N uint8 // task budget, init included; slots 1..N are in use")
	for _, f := range global {
		p("%s %s // %s", f.GoName, f.goType(), f.Doc)
	}
	p("")
	scope := ScopeTask
	for _, f := range local {
		if f.Scope != scope {
			p("")
			scope = f.Scope
		}
		p("%s [Slots]%s // %s", f.GoName, f.goType(), f.Doc)
	}
	p("}")
	p("")

	// Blank.
	p("// Blank returns the state of n tasks with every slot unborn and every")
	p("// field at its zero (None for the pointers that may be absent).")
	p("func Blank(n int) State {")
	p("var s State")
	p("s.N = uint8(n)")
	var nones []genField
	for _, f := range local {
		if f.Kind == KindSlotOrNone {
			nones = append(nones, f)
		}
	}
	if len(nones) > 0 {
		p("for i := range Slots {")
		for _, f := range nones {
			p("%s = None", f.ref("s", "i"))
		}
		p("}")
	}
	p("return s")
	p("}")
	p("")

	// Encode.
	p("// Encode writes the compact encoding of s into b, which must hold Size(N) bytes:")
	p("// BytesPerTask bytes per slot 1..N, laid out as the Fields table says:")
	p("//")
	for b := range bpt {
		var parts []string
		for _, f := range inByte(all, b) {
			part := fmt.Sprintf("%s bits %d..%d", f.Name, f.Shift, f.Shift+f.width-1)
			if f.width == 1 {
				part = fmt.Sprintf("%s bit %d", f.Name, f.Shift)
			}
			if f.Scope == ScopeGlobal {
				part += " (slot 1 only)"
			}
			parts = append(parts, part)
		}
		if len(parts) == 0 {
			parts = []string{"reserved"}
		}
		p("//	byte %d: %s", b, strings.Join(parts, ", "))
	}
	p("//")
	p("// Every other bit is zero.")
	p("func (s *State) Encode(b []byte) {")
	p("_ = b[BytesPerTask*int(s.N)-1]")
	p("for i := uint8(1); i <= s.N; i++ {")
	p("o := int(i-1) * BytesPerTask")
	p("p := b[o : o+BytesPerTask : o+BytesPerTask]")
	for b := range bpt {
		var terms []string
		for _, f := range slices.Backward(inByte(local, b)) { // high bits first, as one reads a byte
			t := f.ref("s", "i")
			switch f.Kind {
			case KindStatus:
				t = "uint8(" + t + ")"
			case KindFlag:
				t = "b2u(" + t + ")" // branch-free
			}
			if f.Shift > 0 {
				t += fmt.Sprintf("<<%d", f.Shift)
			}
			terms = append(terms, t)
		}
		expr := strings.Join(terms, " | ")
		if expr == "" {
			expr = "0"
		}
		p("p[%d] = %s", b, expr)
	}
	p("}")
	for _, f := range global {
		p("b[%d] |= b2u(%s) << %d // slot 1 holds the global fields", f.Byte, f.ref("s", ""), f.Shift)
	}
	p("}")
	p("")

	// Decode.
	decodeExpr := func(f genField, x string) string {
		m := uint8(1<<f.width - 1)
		switch {
		case f.Kind == KindFlag:
			return fmt.Sprintf("%s&(1<<%d) != 0", x, f.Shift)
		case f.Shift == 0:
			if f.Kind == KindStatus {
				return fmt.Sprintf("Status(%s & %d)", x, m)
			}
			return fmt.Sprintf("%s & %d", x, m)
		case f.Shift+f.width == 8:
			if f.Kind == KindStatus {
				return fmt.Sprintf("Status(%s >> %d)", x, f.Shift)
			}
			return fmt.Sprintf("%s >> %d", x, f.Shift)
		}
		if f.Kind == KindStatus {
			return fmt.Sprintf("Status(%s >> %d & %d)", x, f.Shift, m)
		}
		return fmt.Sprintf("%s >> %d & %d", x, f.Shift, m)
	}
	p("// Decode reads an encoded state of n tasks from b into s.")
	p("func (s *State) Decode(b []byte, n int) {")
	p("_ = b[BytesPerTask*n-1]")
	p("*s = blank // slot 0 and the slots beyond n at their zero; 1..n are all written below")
	p("s.N = uint8(n)")
	for _, f := range global {
		p("%s = %s", f.ref("s", ""), decodeExpr(f, fmt.Sprintf("b[%d]", f.Byte)))
	}
	p("for i := 1; i <= n; i++ {")
	p("o := (i - 1) * BytesPerTask")
	p("p := b[o : o+BytesPerTask : o+BytesPerTask]")
	for b := range bpt {
		fs := inByte(local, b)
		if len(fs) == 0 {
			continue
		}
		x := fmt.Sprintf("p[%d]", b)
		if len(fs) > 1 {
			v := fmt.Sprintf("f%d", b)
			p("%s := %s", v, x)
			x = v
		}
		// table order
		slices.SortStableFunc(fs, func(x, y genField) int { return slices.Index(all, x) - slices.Index(all, y) })
		for _, f := range fs {
			p("%s = %s", f.ref("s", "i"), decodeExpr(f, x))
		}
	}
	p("}")
	p("}")
	p("")
	p("// blank is Blank(0), what Decode starts from: one copy of the struct is")
	p("// cheaper than clearing each field of the unused slots.")
	p("var blank = Blank(0)")
	p("")

	// Validate.
	var usedMask, slot1Mask [8]uint8
	for _, f := range all {
		if f.Scope != ScopeGlobal {
			usedMask[f.Byte] |= f.mask()
		}
		slot1Mask[f.Byte] |= f.mask()
	}
	var status genField
	for _, f := range all {
		if f.Kind == KindStatus {
			status = f
		}
	}
	p("// Validate checks that b is a well-formed encoding of a state with n tasks")
	p("// (used for states read back from trace files or stores): the right size,")
	p("// statuses that exist, and no bit set outside the fields.")
	p("func Validate(b []byte, n int) error {")
	p("if n < 1 || n > MaxTasks {")
	p(`return fmt.Errorf("task budget %%d outside 1..%%d", n, MaxTasks)`)
	p("}")
	p("if len(b) != Size(n) {")
	p(`return fmt.Errorf("encoded state has %%d bytes, want %%d for %%d tasks", len(b), Size(n), n)`)
	p("}")
	p("for i := 0; i < n; i++ {")
	p("o := i * BytesPerTask")
	p("if st := %s; st > Released {", decodeExpr(status, byteAt("o", int(status.Byte))))
	p(`return fmt.Errorf("slot %%d: bad status %%d", i+1, st)`)
	p("}")
	var conds []string
	for b := range bpt {
		if usedMask[b] != slot1Mask[b] {
			conds = append(conds, fmt.Sprintf("%s&^reserved(i == 0, %#02x, %#02x) != 0", byteAt("o", b), slot1Mask[b], usedMask[b]))
		} else if usedMask[b] != 0xFF {
			conds = append(conds, fmt.Sprintf("%s&^%#02x != 0", byteAt("o", b), usedMask[b]))
		}
	}
	if len(conds) > 0 {
		p("if %s {", strings.Join(conds, " || "))
		p(`return fmt.Errorf("slot %%d: reserved bits set", i+1)`)
		p("}")
	}
	p("}")
	p("return nil")
	p("}")
	p("")
	p("// reserved returns slot1 for slot 1 (which holds the global fields), else other.")
	p("func reserved(first bool, slot1, other uint8) uint8 {")
	p("if first {")
	p("return slot1")
	p("}")
	p("return other")
	p("}")
	p("")

	// Permute.
	p("// Permute returns s with every slot i moved to perm[i] and every slot")
	p("// pointer renamed accordingly (0, 1, None and Unborn slots map to themselves).")
	p("func (s *State) Permute(perm *[Slots]uint8) State {")
	p("p := func(v uint8) uint8 {")
	p("if v == None {")
	p("return None")
	p("}")
	p("return perm[v]")
	p("}")
	p("t := *s")
	p("for i := uint8(1); i <= s.N; i++ {")
	p("j := perm[i]")
	for _, f := range local {
		if f.Kind.IsSlot() {
			p("%s = p(%s)", f.ref("t", "j"), f.ref("s", "i"))
		} else {
			p("%s = %s", f.ref("t", "j"), f.ref("s", "i"))
		}
	}
	p("}")
	p("return t")
	p("}")
	p("")

	// Symmetry refinement.
	var names []string
	for _, f := range slots {
		names = append(names, f.Name)
	}
	p("// pointers returns slot i's pointer fields, per task and per group in table")
	p("// order: %s.", strings.Join(names, ", "))
	p("func (s *State) pointers(i uint8) [pointerFields]uint8 {")
	var refs []string
	for _, f := range slots {
		refs = append(refs, f.ref("s", "i"))
	}
	p("return [pointerFields]uint8{%s}", strings.Join(refs, ", "))
	p("}")
	p("")
	p("// colourFlags is slot i's own fields other than pointers, for the symmetry")
	p("// colour: the status in bits 0..%d, then one bit per flag in table order.", colourStatusBits-1)
	p("func (s *State) colourFlags(i uint8) uint64 {")
	p("f := uint64(%s)", status.ref("s", "i"))
	bit := colourStatusBits
	for _, f := range local {
		if f.Kind == KindFlag {
			p("if %s {", f.ref("s", "i"))
			p("f |= 1 << %d", bit)
			p("}")
			bit++
		}
	}
	p("return f")
	p("}")
	p("")

	// Canonical form.
	p("// clearReleased clears the per-task fields a Released task i does not keep")
	p("// (the table's Released column); founder says i founded its group.")
	p("func (s *State) clearReleased(i uint8, founder bool) {")
	var byFounder []genField
	for _, f := range local {
		if f.Scope == ScopeTask && f.Released == KeptByFounder {
			byFounder = append(byFounder, f)
		}
	}
	if len(byFounder) > 0 {
		p("if !founder {")
		for _, f := range byFounder {
			p("%s = %s", f.ref("s", "i"), f.zero())
		}
		p("}")
	} else {
		p("_ = founder")
	}
	for _, f := range local {
		if f.Scope == ScopeTask && f.Released == Cleared {
			p("%s = %s", f.ref("s", "i"), f.zero())
		}
	}
	p("}")
	p("")
	p("// clearGroup clears the per-group fields of group g.")
	p("func (s *State) clearGroup(g uint8) {")
	for _, f := range local {
		if f.Scope == ScopeGroup {
			p("%s = %s", f.ref("s", "g"), f.zero())
		}
	}
	p("}")
	p("")

	// Get and Set.
	p("// Get returns field f of slot or group i (ignored for global fields) as a")
	p("// number: a Status, a slot or None, or 0/1 for a flag.")
	p("func (s *State) Get(f FieldID, i uint8) uint8 {")
	p("switch f {")
	for _, f := range all {
		p("case %s:", f.id)
		switch f.Kind {
		case KindFlag:
			p("return b2u(%s)", f.ref("s", "i"))
		case KindStatus:
			p("return uint8(%s)", f.ref("s", "i"))
		default:
			p("return %s", f.ref("s", "i"))
		}
	}
	p("}")
	p(`panic(fmt.Sprintf("state: no field %%d", f))`)
	p("}")
	p("")
	p("// Set sets field f of slot or group i (ignored for global fields) to v, a")
	p("// number as Get returns it.")
	p("func (s *State) Set(f FieldID, i uint8, v uint8) {")
	p("switch f {")
	for _, f := range all {
		p("case %s:", f.id)
		switch f.Kind {
		case KindFlag:
			p("%s = v != 0", f.ref("s", "i"))
		case KindStatus:
			p("%s = Status(v)", f.ref("s", "i"))
		default:
			p("%s = v", f.ref("s", "i"))
		}
	}
	p("default:")
	p(`panic(fmt.Sprintf("state: no field %%d", f))`)
	p("}")
	p("}")
	p("")
	p("func b2u(b bool) uint8 {")
	p("if b {")
	p("return 1")
	p("}")
	p("return 0")
	p("}")

	src := w.String()
	src = strings.Replace(src, "package state\n", "package state\n\nimport \"fmt\"\n", 1)
	out, err := format.Source([]byte(src))
	if err != nil {
		return nil, fmt.Errorf("generated code does not parse: %v\n%s", err, src)
	}
	return out, nil
}
