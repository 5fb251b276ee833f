package badgerstore

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"cabacheck/explorer"
	"cabacheck/spec"
)

// formatVersion changes whenever the key layout, the checkpoint or the
// store's own file does. Format 1 kept the checkpoint in a Badger key;
// format 2 keeps it in CABACHECK, with a record of Badger's files.
const formatVersion = 2

const (
	shardBits  = 10
	visitedTag = 'v'
	indexTag   = 'i'
)

// Options configure a store.
type Options struct {
	Dir string
	// Identity names the search: model, revision, bound, actions, symmetry,
	// invariants. A store made for one identity is refused for another.
	Identity string
	// Resume opens an existing store; otherwise Dir must hold no store.
	Resume bool
	// MemBudget bounds the in-memory exact fingerprint set; past it the store
	// switches to a Bloom filter and reads the disk for possible duplicates.
	// 0 means no bound.
	MemBudget uint64
}

// Store is an explorer.Store in Badger. Insert may run concurrently on
// different shards; Commit runs alone.
type Store struct {
	db        *badger.DB
	opt       Options
	committed uint64 // distinct states of committed levels
	level     int    // the last committed level
	stateSize int
	chunks    []uint32        // first index of every record key, ascending
	exact     *explorer.FPSet // committed fingerprints, while within the budget
	filter    *bloom          // committed fingerprints, past the budget
	pending   *explorer.FPSet // fingerprints inserted during the current level

	cf     *checkFile          // the content of CABACHECK
	tables map[uint64]tableSum // the footers of the tables recorded so far
	// damaged: a check failed during this run; the store's record is then
	// not renewed when it is closed.
	damaged bool

	mu          sync.Mutex
	readErr     error // the first failed lookup, reported by the next Commit
	readers     []*reader
	freeReaders []*reader
}

var (
	_ explorer.Store     = (*Store)(nil)
	_ explorer.DiskStore = (*Store)(nil)
)

// ErrDamaged matches every sign that a store is inconsistent or unreadable
// (a *DamageError names the file).
var ErrDamaged = errors.New("store is damaged")

// badgerOptions are Badger's options for a store in dir: no compression,
// one version per key, and checksums verified on every block read from a
// table and every value read from a value log.
func badgerOptions(dir string) badger.Options {
	return badger.DefaultOptions(dir).WithLogger(nil).WithCompression(options.None).
		WithNumVersionsToKeep(1).WithDetectConflicts(false).WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20).
		WithChecksumVerificationMode(options.OnBlockRead).WithVerifyValueChecksum(true)
}

// Open opens or creates the store in opt.Dir. Everything that can be
// checked before Badger opens the directory (and may rewrite it) is checked
// first, reading only: that it is a writable directory, that no live
// process holds it, what it holds (CABACHECK), and, to resume, that
// Badger's files hold the checkpoint intact (verifyFiles). A store that is
// refused is left exactly as it was.
func Open(opt Options) (*Store, error) {
	if opt.Dir == "" {
		return nil, errors.New("no store directory given (--dir)")
	}
	cf, err := examine(opt)
	if err != nil {
		return nil, err
	}
	db, err := badger.Open(badgerOptions(opt.Dir))
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, fmt.Errorf("store in %s is in use by another process", opt.Dir)
		}
		if !opt.Resume {
			return nil, fmt.Errorf("store in %s: cannot create it: %s", opt.Dir, oneLine(err))
		}
		return nil, damage(opt.Dir, "", "Badger cannot open it: "+oneLine(err))
	}
	s := &Store{db: db, opt: opt, cf: cf, tables: map[uint64]tableSum{}, exact: explorer.NewFPSet(1 << 16), pending: explorer.NewFPSet(1 << 16)}
	for _, t := range cf.Files.Tables {
		s.tables[t.ID] = t
	}
	return s, nil
}

// examine decides, without writing anything but a new store's CABACHECK,
// whether opt.Dir may be opened as asked, and returns its CABACHECK.
func examine(opt Options) (*checkFile, error) {
	dir := opt.Dir
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) && opt.Resume:
		return nil, fmt.Errorf("%s does not exist: there is no store to resume", dir)
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); errors.Is(err, syscall.EROFS) {
			return nil, fmt.Errorf("cannot create %s: it is on a read-only file system", dir)
		} else if err != nil {
			return nil, fmt.Errorf("cannot create the store directory: %v", err)
		}
	case errors.Is(err, syscall.ENOTDIR):
		return nil, fmt.Errorf("%s: a directory on its path is a file", dir)
	case err != nil:
		return nil, fmt.Errorf("store directory: %v", err)
	case !info.IsDir():
		return nil, fmt.Errorf("%s is a file, not a directory", dir)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store directory: %v", err)
	}
	if len(ents) == 0 {
		if opt.Resume {
			return nil, fmt.Errorf("%s holds no store to resume", dir)
		}
		if err := checkWritable(dir); err != nil {
			return nil, err
		}
		cf := &checkFile{Format: formatVersion, Identity: opt.Identity}
		if err := writeCheckFile(dir, cf); err != nil {
			return nil, fmt.Errorf("store in %s: %v", dir, err)
		}
		return cf, nil
	}
	cf, err := readCheckFile(dir)
	badgerFiles := false
	for _, e := range ents {
		if n := e.Name(); n == manifestName || n == keyRegistryName || strings.HasSuffix(n, tableExt) || strings.HasSuffix(n, vlogExt) || strings.HasSuffix(n, memExt) {
			badgerFiles = true
		}
	}
	switch {
	case errors.Is(err, errNoCheckFile) && badgerFiles:
		return nil, damage(dir, checkName, "missing (a Badger store without it is damaged, or was made by an older cabacheck)")
	case errors.Is(err, errNoCheckFile) && opt.Resume:
		return nil, fmt.Errorf("%s holds no store to resume", dir)
	case errors.Is(err, errNoCheckFile):
		return nil, fmt.Errorf("%s is not empty and holds no store; choose an empty or new directory", dir)
	case err != nil:
		return nil, err
	}
	switch {
	case cf.Format != formatVersion:
		return nil, fmt.Errorf("%s holds a store of format %d; this cabacheck reads format %d", dir, cf.Format, formatVersion)
	case !opt.Resume && cf.Checkpoint != nil:
		return nil, fmt.Errorf("%s already holds a store (of %s, level %d); use --resume to continue it, or another --dir", dir, cf.Identity, cf.Checkpoint.Level)
	case !opt.Resume:
		return nil, fmt.Errorf("%s already holds a store (of %s) that saved no level; remove it, or choose another --dir", dir, cf.Identity)
	case cf.Identity != opt.Identity:
		return nil, fmt.Errorf("%s holds a store made for %s; this run is %s: the parameters must be the same to resume", dir, cf.Identity, opt.Identity)
	case cf.Checkpoint == nil:
		return nil, fmt.Errorf("%s holds no search to resume (it was interrupted before its first level was saved); remove it to start again", dir)
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	if err := checkLock(dir); err != nil {
		return nil, err
	}
	if err := verifyFiles(dir, cf.Files); err != nil {
		return nil, err
	}
	return cf, nil
}

// Close closes the database and, when the store is sound, records Badger's
// files as the close left them (it flushes the memtables into tables).
func (s *Store) Close() error {
	s.closeReaders()
	err := s.db.Close()
	if err != nil || s.damaged || s.cf.Checkpoint == nil {
		return err
	}
	return s.writeRecord()
}

// writeRecord renews the record of Badger's files and writes CABACHECK.
func (s *Store) writeRecord() error {
	rec, err := record(s.opt.Dir, s.tables, s.cf.Files.Logs)
	for try := 0; err != nil && try < 3; try++ {
		// A file Badger was changing meanwhile (a flush, a compaction).
		time.Sleep(50 * time.Millisecond)
		rec, err = record(s.opt.Dir, s.tables, s.cf.Files.Logs)
	}
	if err != nil {
		return fmt.Errorf("store in %s: recording its files: %w", s.opt.Dir, err)
	}
	s.cf.Files = rec
	if err := writeCheckFile(s.opt.Dir, s.cf); err != nil {
		return fmt.Errorf("store in %s: %w", s.opt.Dir, err)
	}
	return nil
}

// recoverDamage turns a panic while the store is read (Badger panics on
// some damaged data) into a damage error in *err.
func (s *Store) recoverDamage(err *error, what string) {
	if r := recover(); r != nil {
		s.damaged = true
		*err = damage(s.opt.Dir, "", fmt.Sprintf("%s: %v", what, r))
	}
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.opt.Dir }

func (s *Store) Shards() int           { return 1 << shardBits }
func (s *Store) ShardOf(fp uint64) int { return int(fp >> (64 - shardBits)) }

// Contains reports whether fp belongs to a committed level.
func (s *Store) Contains(fp uint64) bool {
	if s.filter == nil {
		return s.exact.Contains(fp)
	}
	if !s.filter.mayContain(fp) {
		return false
	}
	idx, ok, err := s.lookup(fp)
	if err != nil {
		// The level is then wrong; Commit refuses it.
		s.mu.Lock()
		s.damaged = true
		if s.readErr == nil {
			s.readErr = damage(s.opt.Dir, "", fmt.Sprintf("reading fingerprint %016x: %v", fp, err))
		}
		s.mu.Unlock()
		return false
	}
	return ok && uint64(idx) < s.committed
}

// reader is a read transaction with an iterator over the visited keys,
// reused by lookups during one level (commits happen only between levels).
type reader struct {
	txn *badger.Txn
	it  *badger.Iterator
}

func (s *Store) getReader() *reader {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.freeReaders); n > 0 {
		r := s.freeReaders[n-1]
		s.freeReaders = s.freeReaders[:n-1]
		return r
	}
	txn := s.db.NewTransaction(false)
	io := badger.DefaultIteratorOptions
	io.PrefetchValues = false
	io.Prefix = []byte{visitedTag}
	r := &reader{txn: txn, it: txn.NewIterator(io)}
	s.readers = append(s.readers, r)
	return r
}

func (s *Store) putReader(r *reader) {
	s.mu.Lock()
	s.freeReaders = append(s.freeReaders, r)
	s.mu.Unlock()
}

// closeReaders ends the level's read transactions.
func (s *Store) closeReaders() {
	for _, r := range s.readers {
		r.it.Close()
		r.txn.Discard()
	}
	s.readers, s.freeReaders = nil, nil
}

func (s *Store) lookup(fp uint64) (_ uint32, _ bool, err error) {
	defer func() {
		// Badger panics on some damaged data (its goroutine is the caller's).
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	r := s.getReader()
	defer s.putReader(r)
	prefix := visitedPrefix(fp)
	it := r.it
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		k := it.Item().Key()
		if len(k) != visitedKeyLen {
			return 0, false, fmt.Errorf("visited key of %d bytes", len(k))
		}
		if int(binary.BigEndian.Uint32(k[3:])) > s.level {
			continue
		}
		var idx uint32
		found := false
		err := it.Item().Value(func(v []byte) error {
			if len(v)%entryLen != 0 {
				return fmt.Errorf("visited bucket of %d bytes", len(v))
			}
			n := len(v) / entryLen
			lo, hi := 0, n
			for lo < hi {
				mid := (lo + hi) / 2
				if binary.BigEndian.Uint64(v[mid*entryLen:]) < fp {
					lo = mid + 1
				} else {
					hi = mid
				}
			}
			if lo < n && binary.BigEndian.Uint64(v[lo*entryLen:]) == fp {
				if i := binary.BigEndian.Uint32(v[lo*entryLen+8:]); uint64(i) < s.committed {
					idx, found = i, true
				}
			}
			return nil
		})
		if err != nil || found {
			return idx, found, err
		}
	}
	return 0, false, nil
}

// Visited fingerprints are kept in buckets by their top bits, one key per
// bucket and level, whose value is the level's sorted (fp, index) entries.
const (
	bucketBits    = 12
	visitedKeyLen = 1 + 2 + 4
	entryLen      = 12
	recordChunk   = 4096 // states per record key
)

func visitedPrefix(fp uint64) []byte {
	return []byte{visitedTag, byte(fp >> 56), byte(fp>>48) & (0xFF << (16 - bucketBits) & 0xFF)}
}

// bucketKey is the first visited key of bucket b (the top bucketBits bits
// of its fingerprints); keyBucket is the bucket of a visited key.
func bucketKey(b int) []byte {
	return visitedPrefix(uint64(b) << (64 - bucketBits))
}

func keyBucket(k []byte) int {
	return int(binary.BigEndian.Uint16(k[1:])) >> (16 - bucketBits)
}

func recordKey(first uint32) []byte {
	k := []byte{indexTag, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(k[1:], first)
	return k
}

// Insert adds fp to the current level and reports whether it is new.
func (s *Store) Insert(fp uint64) bool {
	if s.Contains(fp) {
		return false
	}
	return s.pending.Insert(fp)
}

func (s *Store) Len() uint64 { return s.committed + s.pending.Len() }

// AppendShard appends the committed and pending fingerprints of shard sh:
// from the exact filter while it is in use, otherwise from the visited keys
// of the committed levels on disk.
func (s *Store) AppendShard(dst []uint64, sh int) (_ []uint64, err error) {
	defer s.recoverDamage(&err, fmt.Sprintf("visited keys of shard %d", sh))
	if s.filter == nil {
		dst = s.exact.AppendShard(dst, sh)
	} else {
		const per = 1 << (bucketBits - shardBits) // buckets per shard
		err := s.db.View(func(txn *badger.Txn) error {
			return s.scanBuckets(txn, sh*per, (sh+1)*per, func(fp uint64, _ uint32) { dst = append(dst, fp) })
		})
		if err != nil {
			return dst, damage(s.opt.Dir, "", fmt.Sprintf("visited keys of shard %d: %v", sh, err))
		}
	}
	return s.pending.AppendShard(dst, sh), nil
}

// Bytes is the memory of the in-memory filter and the level's pending set.
func (s *Store) Bytes() uint64 {
	n := s.pending.Bytes()
	if s.filter != nil {
		return n + s.filter.bytes()
	}
	return n + s.exact.Bytes()
}

// RecordBytes is 0: records live on disk.
func (s *Store) RecordBytes() uint64 { return 0 }

// Commit writes a completed level in one sorted batch and syncs, then
// moves the checkpoint to it: CABACHECK, with the record of Badger's files.
func (s *Store) Commit(c *explorer.Commit) (err error) {
	defer s.recoverDamage(&err, fmt.Sprintf("level %d", c.Level))
	s.mu.Lock()
	err = s.readErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.closeReaders()
	n := len(c.Records)
	if len(c.Fingerprints) != n || len(c.States) != n*c.StateSize {
		return fmt.Errorf("commit of level %d: %d records, %d fingerprints, %d state bytes", c.Level, n, len(c.Fingerprints), len(c.States))
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(c.Fingerprints[a], c.Fingerprints[b]) })
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	fail := func(err error) error { return fmt.Errorf("store in %s: level %d: %w", s.opt.Dir, c.Level, err) }
	var level [4]byte
	binary.BigEndian.PutUint32(level[:], uint32(c.Level))
	for lo := 0; lo < n; {
		prefix := visitedPrefix(c.Fingerprints[order[lo]])
		hi := lo
		var val []byte
		for ; hi < n && string(visitedPrefix(c.Fingerprints[order[hi]])) == string(prefix); hi++ {
			i := order[hi]
			val = binary.BigEndian.AppendUint64(val, c.Fingerprints[i])
			val = binary.BigEndian.AppendUint32(val, c.Base+uint32(i))
		}
		if err := wb.Set(append(prefix, level[:]...), val); err != nil {
			return fail(err)
		}
		lo = hi
	}
	rec := 8 + c.StateSize
	for lo := 0; lo < n; lo += recordChunk {
		hi := min(lo+recordChunk, n)
		val := make([]byte, 0, (hi-lo)*rec)
		for i := lo; i < hi; i++ {
			val = binary.BigEndian.AppendUint32(val, c.Records[i].Parent)
			val = binary.BigEndian.AppendUint32(val, uint32(c.Records[i].Action))
			val = append(val, c.States[i*c.StateSize:(i+1)*c.StateSize]...)
		}
		if err := wb.Set(recordKey(c.Base+uint32(lo)), val); err != nil {
			return fail(err)
		}
		s.chunks = append(s.chunks, c.Base+uint32(lo))
	}
	if err := wb.Flush(); err != nil {
		return fail(err)
	}
	s.stateSize = c.StateSize
	for _, fp := range c.Fingerprints {
		s.addCommitted(fp)
	}
	s.pending.Reset()
	s.committed = c.Distinct
	s.level = c.Level
	if err := s.maybeSpillFilter(); err != nil {
		return err
	}
	if c.Partial {
		return nil // the checkpoint stays at the last complete level
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("store in %s: sync after level %d: %w", s.opt.Dir, c.Level, err)
	}
	// The level is durable in Badger: the checkpoint moves to it.
	cp := c.Checkpoint
	cp.Levels, cp.Violations = slices.Clone(cp.Levels), slices.Clone(cp.Violations)
	s.cf.Checkpoint, s.cf.StateSize = &cp, c.StateSize
	if err := s.writeRecord(); err != nil {
		return fmt.Errorf("checkpoint of level %d: %w", c.Level, err)
	}
	return nil
}

func (s *Store) addCommitted(fp uint64) {
	if s.filter != nil {
		s.filter.add(fp)
	} else {
		s.exact.Insert(fp)
	}
}

// maybeSpillFilter replaces the exact set by a Bloom filter once it exceeds
// the budget, and rebuilds the Bloom filter larger when it is full.
func (s *Store) maybeSpillFilter() error {
	if s.opt.MemBudget == 0 {
		return nil
	}
	if s.filter == nil && s.exact.Bytes() <= s.opt.MemBudget {
		return nil
	}
	if s.filter != nil && !s.filter.full() {
		return nil
	}
	f := newBloom(s.committed * 4)
	if s.filter == nil {
		s.exact.Range(f.add)
		s.exact = nil
		s.filter = f
		return nil
	}
	err := s.db.View(func(txn *badger.Txn) error {
		return s.scanVisited(txn, func(fp uint64, idx uint32) {
			if uint64(idx) < s.committed {
				f.add(fp)
			}
		})
	})
	if err != nil {
		return fmt.Errorf("store in %s: rebuilding the filter: %w", s.opt.Dir, err)
	}
	s.filter = f
	return nil
}

// scanVisited calls fn for every entry of the visited keys of committed levels.
func (s *Store) scanVisited(txn *badger.Txn, fn func(fp uint64, idx uint32)) error {
	return s.scanBuckets(txn, 0, 1<<bucketBits, fn)
}

// scanBuckets calls fn for every entry of the visited keys of committed
// levels in buckets lo..hi-1.
func (s *Store) scanBuckets(txn *badger.Txn, lo, hi int, fn func(fp uint64, idx uint32)) error {
	io := badger.DefaultIteratorOptions
	io.Prefix = []byte{visitedTag}
	io.PrefetchSize = 256
	it := txn.NewIterator(io)
	defer it.Close()
	for it.Seek(bucketKey(lo)); it.Valid(); it.Next() {
		item := it.Item()
		k := item.Key()
		if len(k) != visitedKeyLen {
			return fmt.Errorf("%w: visited key of %d bytes", ErrDamaged, len(k))
		}
		if keyBucket(k) >= hi {
			break
		}
		if int(binary.BigEndian.Uint32(k[3:])) > s.level {
			continue
		}
		err := item.Value(func(v []byte) error {
			if len(v)%entryLen != 0 {
				return fmt.Errorf("%w: visited bucket of %d bytes", ErrDamaged, len(v))
			}
			for o := 0; o < len(v); o += entryLen {
				fn(binary.BigEndian.Uint64(v[o:]), binary.BigEndian.Uint32(v[o+8:]))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// readRecords calls fn for the records (and states) of indices first..end-1,
// in order.
func (s *Store) readRecords(txn *badger.Txn, first, end uint32, fn func(i uint32, r explorer.Record, st []byte) error) error {
	io := badger.DefaultIteratorOptions
	io.Prefix = []byte{indexTag}
	io.Reverse = true
	it := txn.NewIterator(io)
	// The chunk holding first starts at or before it.
	it.Seek(recordKey(first))
	if !it.Valid() {
		it.Close()
		return fmt.Errorf("no record chunk holds state %d", first)
	}
	chunk := binary.BigEndian.Uint32(it.Item().Key()[1:])
	it.Close()
	io.Reverse = false
	it = txn.NewIterator(io)
	defer it.Close()
	want := first
	for it.Seek(recordKey(chunk)); it.Valid() && want < end; it.Next() {
		k := it.Item().Key()
		if len(k) != 5 {
			return fmt.Errorf("record key of %d bytes", len(k))
		}
		start := binary.BigEndian.Uint32(k[1:])
		if start > want {
			return fmt.Errorf("state %d missing", want)
		}
		err := it.Item().Value(func(v []byte) error {
			size := s.stateSize
			if size <= 0 || len(v)%(8+size) != 0 {
				return fmt.Errorf("record chunk %d of %d bytes", start, len(v))
			}
			rec := 8 + size
			n := uint32(len(v) / rec)
			for ; want < end && want < start+n; want++ {
				o := int(want-start) * rec
				r := explorer.Record{Parent: binary.BigEndian.Uint32(v[o:]), Action: spec.Action(binary.BigEndian.Uint32(v[o+4:]))}
				if err := fn(want, r, v[o+8:o+rec]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if want < end {
		return fmt.Errorf("states %d..%d missing", want, end-1)
	}
	return nil
}

// Record reads the parent record of state i.
func (s *Store) Record(i uint32) (r explorer.Record, err error) {
	defer s.recoverDamage(&err, fmt.Sprintf("record of state %d", i))
	k := sort.Search(len(s.chunks), func(k int) bool { return s.chunks[k] > i }) - 1
	if k < 0 || uint64(i) >= s.committed {
		return r, fmt.Errorf("store in %s: no record of state %d", s.opt.Dir, i)
	}
	start := s.chunks[k]
	err = s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(recordKey(start))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			rec := 8 + s.stateSize
			o := int(i-start) * rec
			if s.stateSize <= 0 || len(v)%rec != 0 || o+rec > len(v) {
				return fmt.Errorf("record chunk %d of %d bytes", start, len(v))
			}
			r = explorer.Record{Parent: binary.BigEndian.Uint32(v[o:]), Action: spec.Action(binary.BigEndian.Uint32(v[o+4:]))}
			return nil
		})
	})
	if err != nil {
		s.damaged = true
		return r, damage(s.opt.Dir, "", fmt.Sprintf("record of state %d: %v", i, err))
	}
	return r, nil
}

// Resume loads the last checkpoint (from CABACHECK): it rebuilds the
// in-memory filter from the visited keys of committed levels, checks that
// every committed state has its record key, and reads the states of the
// last level. Any inconsistency is reported as damage, and so is a panic
// of Badger on the way.
func (s *Store) Resume() (_ *explorer.Checkpoint, _ []byte, err error) {
	defer s.recoverDamage(&err, "resuming")
	if s.cf.Checkpoint == nil {
		return nil, nil, nil
	}
	cp := *s.cf.Checkpoint
	s.committed = cp.Distinct
	s.level = cp.Level
	damaged := func(format string, args ...any) error {
		s.damaged = true
		return damage(s.opt.Dir, "", fmt.Sprintf(format, args...))
	}
	var seen uint64
	err = s.db.View(func(txn *badger.Txn) error {
		return s.scanVisited(txn, func(fp uint64, idx uint32) {
			if uint64(idx) < cp.Distinct {
				seen++
				s.addCommitted(fp)
			}
		})
	})
	if err != nil {
		return nil, nil, damaged("visited set: %v", err)
	}
	if seen != cp.Distinct {
		return nil, nil, damaged("%d visited fingerprints for %d states", seen, cp.Distinct)
	}
	if err := s.maybeSpillFilter(); err != nil {
		return nil, nil, err
	}
	s.stateSize = s.cf.StateSize
	err = s.db.View(func(txn *badger.Txn) error {
		io := badger.DefaultIteratorOptions
		io.PrefetchValues = false
		io.Prefix = []byte{indexTag}
		it := txn.NewIterator(io)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if k := it.Item().Key(); len(k) == 5 && uint64(binary.BigEndian.Uint32(k[1:])) < cp.Distinct {
				s.chunks = append(s.chunks, binary.BigEndian.Uint32(k[1:]))
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, damaged("records: %v", err)
	}
	if want := chunkStarts(cp.Levels); !slices.Equal(s.chunks, want) {
		return nil, nil, damaged("%d record keys for the %d the levels need", len(s.chunks), len(want))
	}
	var states []byte
	err = s.db.View(func(txn *badger.Txn) error {
		return s.readRecords(txn, cp.Base, uint32(cp.Distinct), func(_ uint32, _ explorer.Record, st []byte) error {
			states = append(states, st...)
			return nil
		})
	})
	if err != nil {
		return nil, nil, damaged("level %d: %v", cp.Level, err)
	}
	return &cp, states, nil
}

// chunkStarts lists the first index of every record key that the levels
// wrote: each level's states from its base, recordChunk at a time.
func chunkStarts(levels []explorer.LevelStats) []uint32 {
	var starts []uint32
	base := uint64(0)
	for _, l := range levels {
		for i := uint64(0); i < l.New; i += recordChunk {
			starts = append(starts, uint32(base+i))
		}
		base += l.New
	}
	return starts
}
