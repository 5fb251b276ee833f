package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	// MaxDisk bounds the disk space of the store (explorer.Config.MaxDisk);
	// 0: no bound, but the store's file system keeps
	// explorer.DefaultDiskReserve free.
	MaxDisk uint64
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
	if s.MaxDisk > 0 && !s.onDisk() {
		return errors.New("a disk budget needs a disk store")
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
// removes a temporary directory). Every store on disk is opened here.
func openStore(s Store, identity string, cfg *explorer.Config) (func(), error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !s.onDisk() {
		return func() {}, nil
	}
	dir, temp := s.Dir, ""
	if dir == "" {
		var err error
		if temp, err = makeTempStore(os.TempDir()); err != nil {
			return nil, fmt.Errorf("temporary store directory: %w", err)
		}
		dir = filepath.Join(temp, tempStoreDir)
	}
	st, err := badgerstore.Open(badgerstore.Options{Dir: dir, Identity: identity, Resume: s.Resume, MemBudget: s.MemBudget})
	if err != nil {
		if temp != "" {
			os.RemoveAll(temp)
		}
		return nil, err
	}
	cfg.Store, cfg.MaxDisk = st, s.MaxDisk
	return func() {
		st.Close()
		if temp != "" {
			os.RemoveAll(temp)
		}
	}, nil
}

// A temporary store (MemBudget without Dir) is the directory tempStoreDir
// inside a directory cabacheck-store-* of the system's temporary directory,
// next to the file tempOwner: the pid and start time of the process that
// made it. A process killed with SIGKILL cannot remove its store: the next
// one that makes a temporary store removes those whose owner is gone.
const (
	tempPattern  = "cabacheck-store-"
	tempStoreDir = "store"
	tempOwner    = "OWNER"
)

// makeTempStore removes the stale temporary stores in root, then makes a
// new one owned by this process and returns its directory.
func makeTempStore(root string) (string, error) {
	removeStaleTempStores(root)
	d, err := os.MkdirTemp(root, tempPattern)
	if err != nil {
		return "", err
	}
	pid := os.Getpid()
	owner := fmt.Sprintf("%d %s\n", pid, badgerstore.ProcessStart(pid))
	if err := os.WriteFile(filepath.Join(d, tempOwner), []byte(owner), 0o644); err != nil {
		os.RemoveAll(d)
		return "", err
	}
	return d, nil
}

// staleAge is how old a temporary store without an owner file must be to
// be removed (one made by an older cabacheck, or killed as it was made).
const staleAge = time.Hour

// removeStaleTempStores removes the temporary stores in root whose owner
// is gone: never one whose owner lives (same pid and start time), nor one
// whose store a process holds locked.
func removeStaleTempStores(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, tempPattern+"*"))
	for _, d := range dirs {
		if info, err := os.Lstat(d); err != nil || !info.IsDir() {
			continue
		}
		if badgerstore.Locked(filepath.Join(d, tempStoreDir)) || badgerstore.Locked(d) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, tempOwner))
		if err != nil {
			// No owner file: only an old one is removed.
			if info, err := os.Stat(d); err != nil || time.Since(info.ModTime()) < staleAge {
				continue
			}
		} else {
			var pid int
			var start string
			if n, _ := fmt.Sscan(string(b), &pid, &start); n < 1 || pid <= 0 {
				continue
			}
			if badgerstore.ProcessLives(pid, start) {
				continue
			}
		}
		os.RemoveAll(d)
	}
}
