package linux

// Seed is v1/v2 of the patch, as posted: caba = real_parent at fork, CABDs
// handed on at exit_notify by walking the caba chain.
var Seed = Register(RevisionDef{
	Name:        "seed",
	Description: "v1/v2 as posted: caba = real_parent at fork, hand-off at exit_notify along the caba chain",
	Fork:        ForkCabaRealParent,
	Thread:      ThreadCabaRealParent,
	HandOff:     HandOffAtExitNotify,
	NewCaba:     NewCabaAliveThenChain,
	DeThread:    DeThreadKeepCaba,
	NScaba:      NScabaTID,
	Alive:       AliveNotified,
	Patch:       "seed.patch",
})
