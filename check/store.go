package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"cabacheck/explorer"
	"cabacheck/explorer/badgerstore"
	"cabacheck/spec"
)

// Store chooses where the visited set and parent records live: in memory
// (the zero value), or in a Badger store in Dir (Disk, Resume, or a
// MemBudget past which the search goes on from disk).
type Store struct {
	Disk      bool   // a Badger store in Dir
	Dir       string // the store's directory; "" with MemBudget: a temporary one
	Resume    bool   // continue the search committed in Dir
	MemBudget uint64 // bytes of in-memory visited set before spilling to disk
}

func (s Store) onDisk() bool { return s.Disk || s.Resume || s.MemBudget > 0 }

// Validate checks the store's options.
func (s Store) Validate() error {
	if s.Disk && s.Dir == "" {
		return errors.New("a disk store needs a directory")
	}
	if s.Resume && s.Dir == "" {
		return errors.New("resuming needs the directory of the interrupted search")
	}
	return nil
}

// Identity is what a store records of the search it holds, so that a
// store made for other parameters is refused: the explored model, the
// invariants and whether the search goes on past violations (a search that
// stopped at one and one that went on hold different states).
func Identity(explored spec.Model, ch spec.Checker, cont bool) string {
	var names []string
	if ch != nil {
		names = ch.Names()
	}
	id := explored.Name() + "/invariants=" + strings.Join(names, ",")
	if cont {
		id += "/continue"
	}
	return id
}

// openStore sets cfg.Store for s; the returned function closes it (and
// removes a temporary directory).
func openStore(s Store, identity string, cfg *explorer.Config) (func(), error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.onDisk() {
		return func() {}, nil
	}
	dir, temp := s.Dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "cabacheck-store-")
		if err != nil {
			return nil, fmt.Errorf("temporary store directory: %w", err)
		}
		dir, temp = d, true
	}
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: identity, Resume: s.Resume, MemBudget: s.MemBudget})
	if err != nil {
		if temp {
			os.RemoveAll(dir)
		}
		return nil, err
	}
	cfg.Store = st
	return func() {
		st.Close()
		if temp {
			os.RemoveAll(filepath.Clean(dir))
		}
	}, nil
}
