package state

import "slices"

// Symmetry reduction. The model's behaviour depends on slot numbers in one
// way only: findAlive picks the lowest-numbered Running thread of a group
// (creation order). NextFree always takes the lowest Unborn slot, and Unborn
// slots are always the highest ones, so they are never permuted. Hence a
// permutation of the born slots other than init (slot 1) that keeps the
// relative order of the Running threads of each group maps every behaviour
// of a state to a behaviour of its image: such states are merged. Everything
// else (every field of the Fields table: groups, parents, caba, cabds lists,
// born, leaders, exec, session and process group ids, pid namespaces, flags)
// is carried along by the permutation. Sessions and process groups add no
// dependence on slot order: setsid and setpgid compare ids for equality only
// (is there a group with pgid g, is sid[c] == sid[g], is c a child of a
// thread of g), every id is a group name renamed with its group, and no
// action picks the lowest or highest of anything among them.
//
// Pid namespaces add one more: a task's pid number in a namespace other than
// the root is its rank, in slot order, among the born slots with a pid there
// (PidNr; in the root the number is the slot itself, renamed with it). So
// the merged permutations also keep the relative order of the slots of each
// nsBlock: the slots whose namespace is, or is nested in, one namespace k of
// level 1 (k's own slot first). Every non-root namespace's members lie in
// one block, so every pid number outside the root, and with it every NSpid
// and NScaba line, is the same in all states of a class; slots in the root
// namespace, and blocks as wholes, move as before. With pidns off there is
// no block and the reduction is the one above.
//
// The representative is found by canonical labelling: slots get a colour by
// colour refinement over the pointer structure (AHU-style: a slot's colour
// is its own fields plus the colours of what it points at and of what points
// at it, iterated to a fixed point), are sorted by (colour of their group,
// rank among the group's Running threads, own colour), a slot of a block by
// (colour of its block's namespace, rank in the block, own colour) after all
// those of the root, and ties, which only remain between slots refinement
// cannot tell apart, are broken every possible way, keeping the smallest
// encoding. The key is invariant under the merged permutations and every
// order it allows is one of them (a tie inside a block's key holds slots of
// different blocks of one rank, and all ranks r of equal blocks come before
// their ranks r+1), so the result is the same for all states of a class: the
// reduction is exact.

// SymmetryCanonical returns the representative of s's class.
func (s *State) SymmetryCanonical() State {
	var perm [Slots]uint8
	return s.symmetryCanonical(&perm)
}

// SymmetryCanonicalPerm is SymmetryCanonical that also returns, for every
// slot of s, its slot in the representative.
func (s *State) SymmetryCanonicalPerm() (State, [Slots]uint8) {
	var perm [Slots]uint8
	rep := s.symmetryCanonical(&perm)
	return rep, perm
}

func (s *State) symmetryCanonical(best *[Slots]uint8) State {
	n := int(s.N)
	for i := range best {
		best[i] = uint8(i)
	}
	var movBuf [Slots]uint8
	mov := movBuf[:0]
	for i := 2; i <= n; i++ {
		if s.St[i] != Unborn {
			mov = append(mov, uint8(i))
		}
	}
	if len(mov) <= 1 {
		return *s
	}
	color := s.refine(mov)
	var blk [Slots]uint8
	blocks := s.nsBlocks(mov, &blk)
	type keyed struct {
		slot             uint8
		inBlock          bool
		group, rank, own uint64
	}
	var ksBuf [Slots]keyed
	ks := ksBuf[:len(mov)]
	for k, i := range mov {
		if b := blk[i]; b != 0 {
			ks[k] = keyed{slot: i, inBlock: true, group: color[b], rank: uint64(blockRank(mov, &blk, i)), own: color[i]}
			continue
		}
		g := color[i]
		if t := s.Tg[i]; t >= 2 && t != None && s.St[t] != Unborn {
			g = color[t]
		}
		ks[k] = keyed{slot: i, group: g, rank: uint64(s.runningRank(i)), own: color[i]}
	}
	cmpKey := func(a, b keyed) int {
		if blocks && a.inBlock != b.inBlock {
			if b.inBlock {
				return -1
			}
			return 1
		}
		if a.group != b.group {
			return cmpU(a.group, b.group)
		}
		if a.rank != b.rank {
			return cmpU(a.rank, b.rank)
		}
		if a.own != b.own {
			return cmpU(a.own, b.own)
		}
		return 0
	}
	slices.SortFunc(ks, cmpKey)
	var orderBuf [Slots]uint8
	order := orderBuf[:len(ks)]
	for k := range ks {
		order[k] = ks[k].slot
	}
	// Tie classes: runs of equal keys; every order of each is tried.
	var ties [][2]int
	for lo := 0; lo < len(ks); {
		hi := lo + 1
		for hi < len(ks) && cmpKey(ks[lo], ks[hi]) == 0 {
			hi++
		}
		if hi-lo > 1 {
			ties = append(ties, [2]int{lo, hi})
		}
		lo = hi
	}
	if len(ties) == 0 {
		// The usual case: the order is forced.
		for k, old := range order {
			best[old] = uint8(k + 2)
		}
		return s.Permute(best)
	}
	var bestState State
	var bestEnc, enc [BytesPerTask * Slots]byte
	have := false
	try := func() {
		var perm [Slots]uint8
		for i := range perm {
			perm[i] = uint8(i)
		}
		for k, old := range order {
			perm[old] = uint8(k + 2)
		}
		t := s.Permute(&perm)
		t.Encode(enc[:])
		if !have || string(enc[:n*BytesPerTask]) < string(bestEnc[:n*BytesPerTask]) {
			have, bestState, bestEnc, *best = true, t, enc, perm
		}
	}
	var rec func(c int)
	rec = func(c int) {
		if c == len(ties) {
			try()
			return
		}
		permuteRange(order[ties[c][0]:ties[c][1]], 0, func() { rec(c + 1) })
	}
	rec(0)
	return bestState
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

// permuteRange calls fn once for every order of xs[k:] (Heap-style
// swapping), leaving xs as it found it.
func permuteRange(xs []uint8, k int, fn func()) {
	if k >= len(xs)-1 {
		fn()
		return
	}
	for i := k; i < len(xs); i++ {
		xs[k], xs[i] = xs[i], xs[k]
		permuteRange(xs, k+1, fn)
		xs[k], xs[i] = xs[i], xs[k]
	}
}

// nsBlocks sets blk[i], for every movable slot i whose pid namespace is not
// the root, to the namespace of level 1 on its chain (its nsBlock), and
// reports whether there is any. With pidns off every namespace is the root
// and it returns false after one pass.
func (s *State) nsBlocks(mov []uint8, blk *[Slots]uint8) bool {
	any := false
	for _, i := range mov {
		m := s.Pidns[i]
		if m <= 1 || m > s.N {
			continue // the root (or no namespace a valid state has)
		}
		for step := 0; step <= int(s.N); step++ {
			p := s.NsParent(m)
			if p <= 1 || p > s.N {
				break
			}
			m = p
		}
		blk[i], any = m, true
	}
	return any
}

// blockRank is the number of slots of i's nsBlock below i: the order that
// every pid number of the block's namespaces is derived from.
func blockRank(mov []uint8, blk *[Slots]uint8, i uint8) int {
	r := 0
	for _, j := range mov {
		if j < i && blk[j] == blk[i] {
			r++
		}
	}
	return r
}

// runningRank is the number of Running threads of i's group before i, or
// 255 when i is not Running.
func (s *State) runningRank(i uint8) int {
	if s.St[i] != Running {
		return 255
	}
	r := 0
	for j := uint8(1); j < i; j++ {
		if s.St[j] == Running && s.Tg[j] == s.Tg[i] {
			r++
		}
	}
	return r
}

// The colour a slot starts refinement with: the kinds of its pointers (0, 1,
// None, itself, another slot), except that an id field (Field.ID: sid, pgid)
// that is 0 or 1 adds nothing. 0 and 1 are fixed by every merged
// permutation, so the colour stays label-independent; the information is not
// lost either (an id is 0 exactly at a slot that founds no group with a
// hashed task, which group_leader already tells). It keeps the colours of
// the model with the sessions sets off, where every id is 0 or 1, equal to
// those before the id fields existed, so representatives and the traces of
// symmetric runs did not change with them. Then its own non-pointer fields
// (colourFlags, generated from the Fields table: the status in the low
// colourStatusBits bits, then one bit per flag in table order) and its rank
// among the Running threads of its group from bit colourRankShift. These
// positions fix the colours, hence the choice of representative and the
// traces of symmetric runs: they are not the encoding's.
const (
	colourStatusBits = 4
	colourRankShift  = 8
)

func mix(h, v uint64) uint64 {
	h ^= v + 0x9E3779B97F4A7C15 + h<<6 + h>>2
	h *= 0xBF58476D1CE4E5B9
	return h ^ h>>31
}

// refine computes label-independent colours of the movable slots.
func (s *State) refine(mov []uint8) [Slots]uint64 {
	var color, next [Slots]uint64
	movable := func(v uint8) bool { return v >= 2 && v != None && s.St[v] != Unborn }
	kind := func(v, self uint8) uint64 {
		switch {
		case v == 0:
			return 1
		case v == 1:
			return 2
		case v == None:
			return 3
		case v == self:
			return 4
		}
		return 5
	}
	var ptrs [Slots][pointerFields]uint8 // each movable slot's pointers, read once
	for _, i := range mov {
		ptrs[i] = s.pointers(i)
	}
	for _, i := range mov {
		h := mix(0, s.colourFlags(i)|uint64(s.runningRank(i))<<colourRankShift)
		for f, v := range ptrs[i] {
			if idPointers&(1<<f) != 0 && v <= 1 {
				continue // an id naming init or no group (see below)
			}
			h = mix(h, kind(v, i))
		}
		color[i] = h
	}
	distinct := func(c *[Slots]uint64) int {
		var v [Slots]uint64
		m := len(mov)
		for k, i := range mov {
			v[k] = c[i]
		}
		slices.Sort(v[:m])
		d := 1
		for k := 1; k < m; k++ {
			if v[k] != v[k-1] {
				d++
			}
		}
		return d
	}
	classes := distinct(&color)
	for round := 0; round < len(mov); round++ {
		for _, i := range mov {
			h := color[i]
			for f, v := range ptrs[i] {
				if movable(v) && v != i {
					h = mix(h, mix(uint64(f)+16, color[v]))
				}
			}
			var in uint64 // a commutative sum: the multiset of who points at i
			for _, j := range mov {
				if j == i {
					continue
				}
				for f, v := range ptrs[j] {
					if v == i {
						in += mix(uint64(f)+32, color[j])
					}
				}
			}
			next[i] = mix(h, in)
		}
		color = next
		if c := distinct(&color); c == classes {
			break
		} else {
			classes = c
		}
	}
	return color
}
