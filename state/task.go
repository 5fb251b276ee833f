package state

import "fmt"

// MaxTasks is the largest task budget (init included) the encoding supports.
const MaxTasks = 14

// Slots is the size of the per-slot arrays: slot 0 is init_task, 1..MaxTasks are tasks.
const Slots = MaxTasks + 1

// None marks an absent slot pointer (cabdOf of a thread, exec of an idle group).
const None uint8 = 15

// Status is a task's lifecycle position, at the granularity of the kernel's
// atomic steps.
type Status uint8

const (
	Unborn   Status = iota // slot not yet used by fork/clone
	Running                // alive: no PF_EXITING
	Exiting                // PF_EXITING set, exit_notify not yet run
	Zombie                 // EXIT_ZOMBIE
	Dead                   // EXIT_DEAD, still hashed (claimed or auto-reaped, release_task pending)
	Released               // unhashed by release_task
)

var statusNames = [...]string{"Unborn", "Running", "Exiting", "Zombie", "Dead", "Released"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", s)
}

// Hashed reports whether a task in this status is still linked in the kernel's
// pid hash and thread lists.
func (s Status) Hashed() bool { return s >= Running && s <= Dead }

// The State struct, Blank, Get and Set are generated from the Fields table
// (fields.go) into zz_fields_gen.go.

// Initial returns the initial state for a budget of n tasks: init (task 1)
// running alone, child of init_task, on init_task's cabds list, leader of
// session 1 and process group 1, in the root pid namespace (1) of which it
// is the child_reaper.
func Initial(n int) State {
	s := Blank(n)
	s.St[1] = Running
	s.Tg[1] = 1
	s.CabdOf[1] = 0
	s.Leader[1] = 1
	s.Sid[1] = 1
	s.Pgid[1] = 1
	s.Pidns[1] = 1
	s.ChildReaper[1] = 1
	return s
}

// Hashed reports whether task i is hashed.
func (s *State) Hashed(i uint8) bool { return s.St[i].Hashed() }

// IsLeader reports whether task i is the current leader of its group.
func (s *State) IsLeader(i uint8) bool { return s.Leader[s.Tg[i]] == i && s.Tg[i] != 0 }

// FindAlive returns the lowest-numbered Running thread of group g other than
// except, or None (the kernel's find_alive_thread; for_each_thread is creation order).
func (s *State) FindAlive(g, except uint8) uint8 {
	for i := uint8(1); i <= s.N; i++ {
		if i != except && s.St[i] == Running && s.Tg[i] == g {
			return i
		}
	}
	return None
}

// GroupEmpty reports whether the leader of g is the only hashed task of g
// (thread_group_empty).
func (s *State) GroupEmpty(g uint8) bool {
	l := s.Leader[g]
	for i := uint8(1); i <= s.N; i++ {
		if i != l && s.Tg[i] == g && s.St[i].Hashed() {
			return false
		}
	}
	return true
}

// DanglingCabas is the set of hashed tasks whose caba is released (bit i
// for task i): reading such a task's NScaba reads a freed task_struct.
func (s *State) DanglingCabas() uint32 {
	var m uint32
	for i := uint8(1); i <= s.N; i++ {
		if c := s.Caba[i]; s.St[i].Hashed() && c != 0 && !s.St[c].Hashed() {
			m |= 1 << i
		}
	}
	return m
}

// GroupHashed reports whether some task of g is hashed.
func (s *State) GroupHashed(g uint8) bool {
	for i := uint8(1); i <= s.N; i++ {
		if s.Tg[i] == g && s.St[i].Hashed() {
			return true
		}
	}
	return false
}

// GroupNotified reports whether some task of g is Running or Exiting, that is,
// has not yet run exit_notify.
func (s *State) GroupNotified(g uint8) bool {
	for i := uint8(1); i <= s.N; i++ {
		if s.Tg[i] == g && (s.St[i] == Running || s.St[i] == Exiting) {
			return true
		}
	}
	return false
}

// NextFree returns the lowest unborn slot, or None when the budget is used up.
func (s *State) NextFree() uint8 {
	for i := uint8(1); i <= s.N; i++ {
		if s.St[i] == Unborn {
			return i
		}
	}
	return None
}

// IsChild reports whether c is a child of thread t: a hashed leader whose
// real_parent is t (the kernel's t->children list).
func (s *State) IsChild(c, t uint8) bool {
	return s.St[c].Hashed() && s.Parent[c] == t && s.IsLeader(c)
}
