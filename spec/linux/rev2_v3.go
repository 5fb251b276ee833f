package linux

// V3 records current at fork and clone, and hands CABDs on in release_task.
var V3 = Register(RevisionDef{
	Name:        "v3",
	Description: "caba = current at fork and thread creation, hand-off at release_task (forget_caba)",
	Fork:        ForkCabaCurrent,
	Thread:      ThreadCabaCurrent,
	HandOff:     HandOffAtRelease,
	NewCaba:     NewCabaForget,
	DeThread:    DeThreadKeepCaba,
	NScaba:      NScabaTID,
	Alive:       AliveHashed,
	Patch:       "v3.patch",
})
