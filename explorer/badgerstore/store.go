package badgerstore

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"cabacheck/explorer"
	"cabacheck/spec"
)

// formatVersion changes whenever the key layout or meta does.
const formatVersion = 1

const (
	shardBits  = 10
	metaKey    = "m"
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

	mu          sync.Mutex
	readErr     error // the first failed lookup, reported by the next Commit
	readers     []*reader
	freeReaders []*reader
}

type meta struct {
	Format     int                 `json:"format"`
	Identity   string              `json:"identity"`
	StateSize  int                 `json:"state_size"`
	Checkpoint explorer.Checkpoint `json:"checkpoint"`
}

var _ explorer.Store = (*Store)(nil)

// ErrDamaged wraps every sign that a store is inconsistent or unreadable.
var ErrDamaged = errors.New("store is damaged")

// Open opens or creates the store in opt.Dir.
func Open(opt Options) (*Store, error) {
	if opt.Dir == "" {
		return nil, errors.New("no store directory given (--dir)")
	}
	exists := false
	if ents, err := os.ReadDir(opt.Dir); err == nil && len(ents) > 0 {
		exists = true
	}
	if opt.Resume && !exists {
		return nil, fmt.Errorf("%s holds no store to resume", opt.Dir)
	}
	if !opt.Resume && exists {
		if _, err := os.Stat(filepath.Join(opt.Dir, "MANIFEST")); err != nil {
			return nil, fmt.Errorf("%s is not empty and holds no store; choose an empty or new directory", opt.Dir)
		}
	}
	bo := badger.DefaultOptions(opt.Dir).WithLogger(nil).WithCompression(options.None).
		WithNumVersionsToKeep(1).WithDetectConflicts(false).WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20)
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("store in %s: %w: %v", opt.Dir, ErrDamaged, err)
	}
	s := &Store{db: db, opt: opt, exact: explorer.NewFPSet(1 << 16), pending: explorer.NewFPSet(1 << 16)}
	m, err := s.readMeta()
	if err != nil {
		db.Close()
		return nil, err
	}
	switch {
	case m == nil && opt.Resume:
		db.Close()
		return nil, fmt.Errorf("%s holds no search to resume (it was interrupted before its first level was saved, or is not a cabacheck store)", opt.Dir)
	case m != nil && !opt.Resume:
		db.Close()
		return nil, fmt.Errorf("%s already holds a store (of %s, level %d); use --resume to continue it, or another --dir", opt.Dir, m.Identity, m.Checkpoint.Level)
	case m != nil && m.Format != formatVersion:
		db.Close()
		return nil, fmt.Errorf("%s holds a store of format %d; this cabacheck reads format %d", opt.Dir, m.Format, formatVersion)
	case m != nil && m.Identity != opt.Identity:
		db.Close()
		return nil, fmt.Errorf("%s holds a store made for %s; this run is %s: the parameters must be the same to resume", opt.Dir, m.Identity, opt.Identity)
	}
	return s, nil
}

func (s *Store) readMeta() (*meta, error) {
	var m *meta
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte(metaKey))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error {
			m = &meta{}
			return json.Unmarshal(v, m)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store in %s: %w: meta: %v", s.opt.Dir, ErrDamaged, err)
	}
	return m, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.closeReaders()
	return s.db.Close()
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
		if s.readErr == nil {
			s.readErr = fmt.Errorf("store in %s: %w: reading fingerprint %016x: %v", s.opt.Dir, ErrDamaged, fp, err)
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

func (s *Store) lookup(fp uint64) (uint32, bool, error) {
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
func (s *Store) AppendShard(dst []uint64, sh int) ([]uint64, error) {
	if s.filter == nil {
		dst = s.exact.AppendShard(dst, sh)
	} else {
		const per = 1 << (bucketBits - shardBits) // buckets per shard
		err := s.db.View(func(txn *badger.Txn) error {
			return s.scanBuckets(txn, sh*per, (sh+1)*per, func(fp uint64, _ uint32) { dst = append(dst, fp) })
		})
		if err != nil {
			return dst, fmt.Errorf("store in %s: %w: visited keys of shard %d: %v", s.opt.Dir, ErrDamaged, sh, err)
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

// Commit writes a completed level in one sorted batch, then moves the
// checkpoint to it and syncs.
func (s *Store) Commit(c *explorer.Commit) error {
	s.mu.Lock()
	err := s.readErr
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
	m, err := json.Marshal(meta{Format: formatVersion, Identity: s.opt.Identity, StateSize: c.StateSize, Checkpoint: c.Checkpoint})
	if err != nil {
		return err
	}
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(metaKey), m) }); err != nil {
		return fmt.Errorf("store in %s: checkpoint of level %d: %w", s.opt.Dir, c.Level, err)
	}
	if err := s.db.Sync(); err != nil {
		return fmt.Errorf("store in %s: sync after level %d: %w", s.opt.Dir, c.Level, err)
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
func (s *Store) Record(i uint32) (explorer.Record, error) {
	var r explorer.Record
	k := sort.Search(len(s.chunks), func(k int) bool { return s.chunks[k] > i }) - 1
	if k < 0 || uint64(i) >= s.committed {
		return r, fmt.Errorf("store in %s: no record of state %d", s.opt.Dir, i)
	}
	start := s.chunks[k]
	err := s.db.View(func(txn *badger.Txn) error {
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
		return r, fmt.Errorf("store in %s: %w: state %d: %v", s.opt.Dir, ErrDamaged, i, err)
	}
	return r, nil
}

// Resume loads the last checkpoint: it rebuilds the in-memory filter from
// the visited keys of committed levels and reads the states of the last
// level. Any inconsistency is reported as damage.
func (s *Store) Resume() (*explorer.Checkpoint, []byte, error) {
	m, err := s.readMeta()
	if err != nil || m == nil {
		return nil, nil, err
	}
	cp := m.Checkpoint
	s.committed = cp.Distinct
	s.level = cp.Level
	damaged := func(format string, args ...any) error {
		return fmt.Errorf("store in %s: %w: %s", s.opt.Dir, ErrDamaged, fmt.Sprintf(format, args...))
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
	s.stateSize = m.StateSize
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
