package linux

// V4 is v3 with a thread's caba taken from its creator's real_parent.
var V4 = Register(RevisionDef{
	Name:        "v4",
	Description: "as v3, but a new thread's caba is current->real_parent",
	Fork:        ForkCabaCurrent,
	Thread:      ThreadCabaRealParent,
	HandOff:     HandOffAtRelease,
	NewCaba:     NewCabaForget,
	DeThread:    DeThreadKeepCaba,
	NScaba:      NScabaTID,
	Alive:       AliveHashed,
	Patch:       "v4.patch",
})
