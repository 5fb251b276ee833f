package linux

// Fixed is this project's proposed fix (docs/findings.md,
// kernel/patches/fixed.patch): a thread takes its leader's caba, de_thread
// copies the old leader's caba, and NScaba prints the TGID.
var Fixed = Register(RevisionDef{
	Name:        "fixed",
	Description: "the proposed fix: a thread takes group_leader->caba, de_thread copies the leader's caba, NScaba prints the TGID",
	Fork:        ForkCabaCurrent,
	Thread:      ThreadCabaLeaderCaba,
	HandOff:     HandOffAtRelease,
	NewCaba:     NewCabaForget,
	DeThread:    DeThreadLeaderCaba,
	NScaba:      NScabaTGID,
	Alive:       AliveHashed,
	Patch:       "fixed.patch",
})
