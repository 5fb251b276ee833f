package explorer

// Store is where a search keeps what it has found: the visited set, the
// parent record of every state and, in a durable store, the states of each
// level and a checkpoint from which an interrupted search resumes.
//
// Config.Store chooses the store of a search; nil means a fresh MemStore.
// The explorer calls Insert (through Visited) during a level and Commit once
// the level is complete; a durable store makes the level permanent only in
// Commit, so a search killed during a level resumes from the previous one.
// At the end it reads the fingerprints shard by shard (AppendShard) for the
// collision estimate.
type Store interface {
	Visited
	// Commit records a completed level.
	Commit(c *Commit) error
	// Record returns the parent record of state i.
	Record(i uint32) (Record, error)
	// RecordBytes is the memory held by parent records.
	RecordBytes() uint64
	// Resume returns the last committed checkpoint and the states of its
	// level, or a nil checkpoint when the store holds no search.
	Resume() (*Checkpoint, []byte, error)
}

// Checkpoint is the position and statistics of a search after a completed level.
type Checkpoint struct {
	Level      int    // the last completed level
	Base       uint32 // index of its first state
	Initial    int    // number of initial states
	Distinct   uint64
	Generated  uint64
	Depth      int
	Violations []Violation
	Levels     []LevelStats
	Elapsed    int64 // nanoseconds of search before this point, over all runs
}

// Commit is one completed level: its new states in index order (from
// Checkpoint.Base on), with their records and fingerprints.
type Commit struct {
	Checkpoint
	Records      []Record
	Fingerprints []uint64
	States       []byte
	StateSize    int
	// Partial marks a level cut short by the max-states budget: its states
	// are recorded (for traces) but it is no checkpoint to resume from.
	Partial bool
}

// MemStore is the default Store: an FPSet and chunked parent records, all
// in memory; it cannot resume.
type MemStore struct {
	*FPSet
	records RecordLog
}

// NewMemStore returns an empty memory store sized for about expect states.
func NewMemStore(expect uint64) *MemStore { return &MemStore{FPSet: NewFPSet(expect)} }

func (m *MemStore) Commit(c *Commit) error {
	m.records.Append(c.Records)
	return nil
}

// AppendShard appends the fingerprints of shard sh: every fingerprint
// inserted, including those of a level cut short by max-states beyond its
// last kept state.
func (m *MemStore) AppendShard(dst []uint64, sh int) ([]uint64, error) {
	return m.FPSet.AppendShard(dst, sh), nil
}

func (m *MemStore) Record(i uint32) (Record, error)      { return m.records.At(i), nil }
func (m *MemStore) RecordBytes() uint64                  { return m.records.Bytes() }
func (m *MemStore) Resume() (*Checkpoint, []byte, error) { return nil, nil, nil }

const recordChunkBits = 16

// RecordLog holds parent records in fixed-size chunks, so it grows without
// copying and holds 8 bytes per record plus at most one partly used chunk.
type RecordLog struct {
	chunks [][]Record
	n      uint64
}

// Append adds records at the end.
func (l *RecordLog) Append(rs []Record) {
	for len(rs) > 0 {
		if l.n>>recordChunkBits == uint64(len(l.chunks)) {
			l.chunks = append(l.chunks, make([]Record, 0, 1<<recordChunkBits))
		}
		c := &l.chunks[len(l.chunks)-1]
		k := min(len(rs), cap(*c)-len(*c))
		*c = append(*c, rs[:k]...)
		rs = rs[k:]
		l.n += uint64(k)
	}
}

// At returns record i.
func (l *RecordLog) At(i uint32) Record {
	return l.chunks[i>>recordChunkBits][i&(1<<recordChunkBits-1)]
}

// Len is the number of records.
func (l *RecordLog) Len() uint64 { return l.n }

// Bytes is the memory held.
func (l *RecordLog) Bytes() uint64 { return uint64(len(l.chunks)) << recordChunkBits * 8 }
