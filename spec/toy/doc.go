// Package toy is the standard process-table benchmark model that other
// checkers (TLC, SPIN, a plain Go BFS) were run on, so cabacheck's
// throughput can be compared with theirs on exactly the same state space.
//
// Slots 0..MAXP-1; slot 0 is init and never exits. Each slot is Free, Run or
// Zombie and has a parent (0 when Free).
//
//	Fork(me):  a Run slot puts the lowest Free slot c≠0 into Run with parent
//	           me (a no-op step if none is free).
//	Exit(me):  a Run slot other than 0 becomes Zombie; every non-Free slot
//	           whose parent is me gets parent 0.
//	Wait(me):  a Run slot frees its lowest-numbered Zombie child (a no-op
//	           step if it has none).
//
// Invariant ParentNotFree: every non-Free slot other than 0 has a non-Free
// parent. At MAXP=8 the model has 3,901,663 distinct states and BFS depth 31.
package toy
