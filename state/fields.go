package state

//go:generate go test -run TestGeneratedFields . -args -update

// Fields is the one description of the state's fields: the State struct,
// Blank, Encode, Decode, Validate, Canonicalize's clearing, Permute, the
// pointer list and flag colour of symmetry refinement, Get and Set are
// generated from it (zz_fields_gen.go, by fields_gen_test.go; a test fails
// when the generated file is stale), and traces.Diff and the JSON form of a
// state (traces.EncodeState, DecodeState) walk it. Entries are in the order
// of the struct, of the changed: lines and of the JSON keys; a FieldID is an
// index into it. Do not modify it at run time.
//
// To add a field, see "Adding a state field" in the package documentation
// (doc.go): this entry, go generate, then the actions of spec/linux.
//
// Nothing else lists the fields: encoding, decoding, validation, canonical
// form, symmetry, the changed: lines and the JSON form follow the table.
var Fields = [...]Field{
	{Name: "corrupt", GoName: "Corrupt", Scope: ScopeGlobal, Kind: KindFlag, Byte: 0, Shift: 6,
		Doc: "a use-after-free happened; the state has no successors"},

	{Name: "state", GoName: "St", Scope: ScopeTask, Kind: KindStatus, Byte: 0, Shift: 0, Released: Kept,
		Doc: "lifecycle position"},
	{Name: "tgid", GoName: "Tg", Scope: ScopeTask, Kind: KindSlot, Byte: 1, Shift: 4, Released: KeptByFounder,
		Doc: "thread group (signal_struct), named by its founding slot"},
	{Name: "real_parent", GoName: "Parent", Scope: ScopeTask, Kind: KindSlot, Byte: 1, Shift: 0,
		Doc: "real_parent (a thread); 0 is init_task"},
	{Name: "caba", GoName: "Caba", Scope: ScopeTask, Kind: KindSlot, Byte: 2, Shift: 4,
		Doc: "the patch's caba pointer; 0 is init_task"},
	{Name: "cabd_on", GoName: "CabdOf", Scope: ScopeTask, Kind: KindSlotOrNone, Byte: 2, Shift: 0,
		Doc: "the task whose cabds list holds this task's cabd link, or None"},
	{Name: "born", GoName: "Born", Scope: ScopeTask, Kind: KindSlot, Byte: 3, Shift: 4, Released: KeptByFounder,
		Doc: "ghost: the group that ran clone() for this process; 0 for threads"},

	{Name: "group_leader", GoName: "Leader", Scope: ScopeGroup, Kind: KindSlot, Byte: 3, Shift: 0,
		Doc: "per group: current group_leader"},
	{Name: "is_child_subreaper", GoName: "Sub", Scope: ScopeGroup, Kind: KindFlag, Byte: 0, Shift: 3,
		Doc: "per group: is_child_subreaper"},
	{Name: "has_child_subreaper", GoName: "HasSub", Scope: ScopeGroup, Kind: KindFlag, Byte: 0, Shift: 4,
		Doc: "per group: has_child_subreaper"},
	{Name: "sigchld_ignored", GoName: "Ign", Scope: ScopeGroup, Kind: KindFlag, Byte: 0, Shift: 5,
		Doc: "per group: SIGCHLD is SIG_IGN (children auto-reap)"},
	{Name: "group_exec_task", GoName: "Exec", Scope: ScopeGroup, Kind: KindSlotOrNone, Byte: 4, Shift: 4,
		Doc: "per group: the thread running de_thread, or None"},

	// Sessions and process groups (action sets sessions, execve). Ids are
	// group names, and an id stays in use after its group is gone. With the
	// sets off sid and pgid are 1 for every group with a hashed task.
	{Name: "sid", GoName: "Sid", Scope: ScopeGroup, Kind: KindSlot, Byte: 4, Shift: 0, ID: true,
		Doc: "per group: session id (task_session), a group name"},
	{Name: "pgid", GoName: "Pgid", Scope: ScopeGroup, Kind: KindSlot, Byte: 5, Shift: 4, ID: true,
		Doc: "per group: process group id (task_pgrp), a group name"},
	{Name: "execd", GoName: "Execd", Scope: ScopeGroup, Kind: KindFlag, Byte: 0, Shift: 7,
		Doc: "per group: the process has completed an execve (PF_FORKNOEXEC clear)"},

	// Pid namespaces (action set pidns; docs/model.md). A namespace is named
	// by the founding slot of its init's group; the root is 1. With the set
	// off pidns is 1 for every born task and child_reaper is 1 for group 1,
	// 0 elsewhere. A Released task keeps pidns, which Canonicalize rewrites
	// to the deepest alive namespace on its chain (pidns.go).
	{Name: "pidns", GoName: "Pidns", Scope: ScopeTask, Kind: KindSlot, Byte: 5, Shift: 0, ID: true, Released: Kept,
		Doc: "the task's pid namespace (task_active_pid_ns), named by its init's group; 1 is the root"},
	{Name: "child_reaper", GoName: "ChildReaper", Scope: ScopeGroup, Kind: KindSlot, Byte: 6, Shift: 4, ID: true,
		Doc: "per group that founded a namespace: the thread that is its pid_ns->child_reaper (1 for group 1); 0 otherwise"},
	// A slot rather than a flag (the flags fill the symmetry colour): the
	// thread that runs zap_pid_ns_processes, always the child_reaper then.
	{Name: "pidns_zap", GoName: "PidnsZap", Scope: ScopeGroup, Kind: KindSlot, Byte: 6, Shift: 0, ID: true,
		Doc: "per group that founded a namespace: the thread running zap_pid_ns_processes (pid allocation disabled); 0 before the zap"},
}

// A Field describes one field of State (see Fields).
type Field struct {
	Name   string // the kernel's name: changed: lines ("caba[3]: 1 -> 2") and JSON keys
	GoName string // the State struct field
	Doc    string // the struct field's comment
	Scope  Scope
	Kind   Kind
	// Byte and Shift place the field in the encoding: bits Shift..Shift+Width-1
	// of byte Byte of each task slot's BytesPerTask bytes (a global field: of
	// slot 1's). Free today: none but bit 6 of byte 0 (the
	// global corrupt flag in slot 1, unused in the others); a Byte beyond 6
	// makes BytesPerTask grow.
	Byte, Shift uint8
	// Released is what Canonicalize keeps of a Released task (per-task fields;
	// per-group fields are all cleared once every task of the group is Released).
	Released Keep
	// ID marks a slot field that holds an id (a group name such as a session
	// id) rather than a pointer the lifecycle maintains: in the first colour
	// of symmetry refinement its kind counts only when it names a movable
	// slot (2 and up), so that with every id 0 or 1 (the sessions sets off)
	// the colours, hence representatives and symmetric traces, are those of
	// the table without the id fields (symmetry.go).
	ID bool
}

// FieldID names a field: its index in Fields (constants FieldSt, FieldTg, ...).
type FieldID uint8

// Scope says what a field's index is.
type Scope uint8

const (
	ScopeGlobal Scope = iota // one value for the state
	ScopeTask                // one value per task slot
	ScopeGroup               // one value per thread group, indexed by the group's founding slot
)

// Kind is what a field holds, which fixes its Go type, its width in the
// encoding, its zero value, how Permute renames it and how it is printed.
type Kind uint8

const (
	KindStatus     Kind = iota // a Status
	KindSlot                   // a slot (0 is init_task), renamed by Permute
	KindSlotOrNone             // a slot or None, renamed by Permute; zero value None
	KindFlag                   // a bool
)

// Width is the number of bits a field of kind k takes in the encoding.
func (k Kind) Width() uint8 {
	switch k {
	case KindStatus:
		return 3
	case KindSlot, KindSlotOrNone:
		return 4
	}
	return 1
}

// Zero is the value of a field of kind k in an unused slot or group and
// after Canonicalize clears it (in Get/Set terms).
func (k Kind) Zero() uint8 {
	if k == KindSlotOrNone {
		return None
	}
	return 0
}

// IsSlot reports whether fields of kind k point at slots.
func (k Kind) IsSlot() bool { return k == KindSlot || k == KindSlotOrNone }

// Keep says what a Released task keeps of a per-task field.
type Keep uint8

const (
	Cleared       Keep = iota // reset to the kind's zero
	Kept                      // kept (the status)
	KeptByFounder             // kept if the task founded its group (Tg[i] == i), else cleared
)
