package badgerstore

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/y"
	"google.golang.org/protobuf/proto"
)

// Badger's files and formats, as far as they are checked here (badger v4):
//
//   - MANIFEST: "Bdgr", versions, then change sets (length, CRC-32C,
//     protobuf) that create and delete tables;
//   - NNNNNN.sst: blocks, the table index, its length, the index checksum
//     (protobuf) and its length; each block ends with its own checksum;
//   - NNNNN.mem (memtable logs) and NNNNNN.vlog (value logs): a 20-byte
//     header (key id, IV), then entries (header of varints, key, value,
//     CRC-32C), grouped in transactions; the files are preallocated and
//     zero past their last entry;
//   - KEYREGISTRY: written once (no encryption here);
//   - DISCARD (value log statistics, unused without value log GC) and LOCK
//     (the pid of the process holding the directory's flock) are not part
//     of the data.
const (
	manifestName    = "MANIFEST"
	keyRegistryName = "KEYREGISTRY"
	lockName        = "LOCK"
	logHeaderSize   = 20
	tableExt        = ".sst"
	memExt          = ".mem"
	vlogExt         = ".vlog"

	bitTxn    = 1 << 6
	bitFinTxn = 1 << 7
)

// DamageError reports a store that is inconsistent or unreadable, naming
// the file at fault. It matches ErrDamaged.
type DamageError struct {
	Dir, File, Detail string
}

func (e *DamageError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("store in %s is damaged: %s", e.Dir, e.Detail)
	}
	return fmt.Sprintf("store in %s is damaged: %s: %s", e.Dir, e.File, e.Detail)
}

func (e *DamageError) Is(target error) bool { return target == ErrDamaged }

func damage(dir, file, detail string) error {
	return &DamageError{Dir: dir, File: file, Detail: detail}
}

// oneLine flattens an error message from a library.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func tableName(id uint64) string { return fmt.Sprintf("%06d%s", id, tableExt) }

// readManifest replays dir's MANIFEST without writing it. complete is
// false when it ends in a partial change set.
func readManifest(dir string) (m badger.Manifest, complete bool, err error) {
	f, err := os.Open(filepath.Join(dir, manifestName))
	if err != nil {
		return m, false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return m, false, err
	}
	m, end, err := badger.ReplayManifestFile(f, 0, badger.DefaultOptions(dir).WithLogger(nil))
	return m, err == nil && end == st.Size(), err
}

// verifyFiles checks, reading only, that Badger's files in dir hold the
// checkpoint that rec describes, so that Badger can open them without
// losing or deleting anything the checkpoint needs (it deletes the tables
// its MANIFEST does not list, and panics on some damaged tables).
//
// Every table the MANIFEST lists must exist and pass its checksums (its
// index, and each of its blocks); a recorded one must be the recorded
// table. A recorded table the MANIFEST no longer lists, and a recorded
// memtable log that is gone, were compacted or flushed after the
// checkpoint, which created a table the record does not hold: without such
// a table they are missing. The checkpoint's part of every log must be
// intact; a value log is removed only when it is empty and a newer one
// exists. Past the checkpoint's part the logs are Badger's to repair.
func verifyFiles(dir string, rec fileRecord) error {
	bad := func(file, format string, args ...any) error { return damage(dir, file, fmt.Sprintf(format, args...)) }

	if kr := rec.KeyRegistry; kr != nil {
		sum, err := fileChecksum(filepath.Join(dir, keyRegistryName))
		switch {
		case errors.Is(err, os.ErrNotExist):
			return bad(keyRegistryName, "missing")
		case err != nil:
			return bad(keyRegistryName, "%s", oneLine(err))
		case sum != *kr:
			return bad(keyRegistryName, "%d bytes, checksum %08x; the checkpoint recorded %d bytes, checksum %08x", sum.Size, sum.CRC32C, kr.Size, kr.CRC32C)
		}
	}

	m, complete, err := readManifest(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return bad(manifestName, "missing")
	case err != nil:
		return bad(manifestName, "%s", oneLine(err))
	case !complete:
		return bad(manifestName, "ends in a partial change set (truncated?)")
	}
	recorded := map[uint64]tableSum{}
	for _, t := range rec.Tables {
		recorded[t.ID] = t
	}
	ids := make([]uint64, 0, len(m.Tables))
	for id := range m.Tables {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	newer := false // the MANIFEST lists a table made after the checkpoint
	for _, id := range ids {
		name := tableName(id)
		if c := m.Tables[id].Compression; c != options.None {
			return bad(name, "compressed (%d): not written by cabacheck", c)
		}
		want, ok := recorded[id]
		if !ok {
			newer = true
		}
		got, err := verifyTable(filepath.Join(dir, name))
		switch {
		case errors.Is(err, os.ErrNotExist):
			return bad(name, "missing (the MANIFEST lists it)")
		case err != nil:
			return bad(name, "%s", oneLine(err))
		case ok && got != want:
			return bad(name, "not the table of the checkpoint (%d bytes, index checksum %x; recorded %d bytes, %x)", got.Size, got.Sum, want.Size, want.Sum)
		}
	}
	for _, t := range rec.Tables {
		if _, ok := m.Tables[t.ID]; !ok && !newer {
			return bad(manifestName, "does not list %s, a table of the checkpoint (truncated or replaced?)", tableName(t.ID))
		}
	}

	vlogs := map[string]bool{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), vlogExt) {
			vlogs[e.Name()] = true
		}
	}
	logs := map[string]bool{}
	for _, l := range rec.Logs {
		logs[l.Name] = true
		end, n, header, err := scanLog(filepath.Join(dir, l.Name), logHeaderSize, l.End)
		if errors.Is(err, os.ErrNotExist) {
			switch {
			case l.End == logHeaderSize && strings.HasSuffix(l.Name, memExt):
				continue // an empty memtable, dropped when the store was opened
			case l.End == logHeaderSize && newerVlog(l.Name, vlogs):
				continue // an empty value log, removed when the store was opened
			case strings.HasSuffix(l.Name, memExt) && newer:
				continue // flushed to a table after the checkpoint
			}
			return bad(l.Name, "missing (it holds part of the checkpoint)")
		}
		switch {
		case err != nil:
			return bad(l.Name, "%s", oneLine(err))
		case string(header) != string(l.Header):
			return bad(l.Name, "its header differs from the checkpoint's")
		case end != l.End || n != l.Entries:
			return bad(l.Name, "the checkpoint's part ends at byte %d after %d entries, but %d entries end at byte %d (truncated or overwritten?)", l.End, l.Entries, n, end)
		}
	}
	// Logs written after the checkpoint are Badger's to replay and repair,
	// but one with an encryption key id would make Badger fail half-way.
	for _, e := range ents {
		name := e.Name()
		if logs[name] || !(strings.HasSuffix(name, memExt) || strings.HasSuffix(name, vlogExt)) {
			continue
		}
		if _, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(name, memExt), vlogExt)); err != nil {
			return bad(name, "not a name Badger gives its logs")
		}
		var h [8]byte
		if err := readAt(filepath.Join(dir, name), h[:], 0); err == nil && binary.BigEndian.Uint64(h[:]) != 0 {
			return bad(name, "its header names an encryption key")
		}
	}
	return nil
}

// newerVlog reports whether a value log newer than name is in vlogs.
func newerVlog(name string, vlogs map[string]bool) bool {
	fid, err := strconv.Atoi(strings.TrimSuffix(name, vlogExt))
	if err != nil {
		return false
	}
	for n := range vlogs {
		if f, err := strconv.Atoi(strings.TrimSuffix(n, vlogExt)); err == nil && f > fid {
			return true
		}
	}
	return false
}

func readAt(path string, b []byte, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.ReadAt(b, off)
	return err
}

func fileChecksum(path string) (fileSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileSum{}, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, f)
	return fileSum{Size: n, CRC32C: h.Sum32()}, err
}

// tableFooter reads the index checksum at the end of a table, checking
// only that it is where it should be.
func tableFooter(f *os.File, size int64) (cs *pb.Checksum, indexStart, indexLen int64, err error) {
	var b [4]byte
	if size < 8 {
		return nil, 0, 0, fmt.Errorf("%d bytes: too short for a table", size)
	}
	if _, err := f.ReadAt(b[:], size-4); err != nil {
		return nil, 0, 0, err
	}
	chkLen := int64(binary.BigEndian.Uint32(b[:]))
	if chkLen > 64 || chkLen > size-8 {
		return nil, 0, 0, fmt.Errorf("bad footer (checksum of %d bytes; truncated?)", chkLen)
	}
	raw := make([]byte, chkLen)
	if _, err := f.ReadAt(raw, size-4-chkLen); err != nil {
		return nil, 0, 0, err
	}
	cs = &pb.Checksum{}
	if err := proto.Unmarshal(raw, cs); err != nil {
		return nil, 0, 0, fmt.Errorf("bad footer (truncated?): %v", err)
	}
	if cs.Algo != pb.Checksum_CRC32C && cs.Algo != pb.Checksum_XXHash64 {
		return nil, 0, 0, fmt.Errorf("bad footer: checksum algorithm %d", cs.Algo)
	}
	if _, err := f.ReadAt(b[:], size-8-chkLen); err != nil {
		return nil, 0, 0, err
	}
	indexLen = int64(binary.BigEndian.Uint32(b[:]))
	indexStart = size - 8 - chkLen - indexLen
	if indexStart < 0 {
		return nil, 0, 0, fmt.Errorf("bad footer (index of %d bytes; truncated?)", indexLen)
	}
	return cs, indexStart, indexLen, nil
}

// tableSumOf reads a table's footer (not its blocks), for the record.
func tableSumOf(path string, id uint64) (tableSum, error) {
	f, err := os.Open(path)
	if err != nil {
		return tableSum{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return tableSum{}, err
	}
	cs, _, _, err := tableFooter(f, st.Size())
	if err != nil {
		return tableSum{}, err
	}
	return tableSum{ID: id, Size: st.Size(), Algo: int32(cs.Algo), Sum: cs.Sum}, nil
}

// verifyTable checks every checksum of a table file: its index and each
// of its blocks, which must tile the file up to the index. It reads the
// file once, and recovers from any panic of the index decoder.
func verifyTable(path string) (ts tableSum, err error) {
	f, err := os.Open(path)
	if err != nil {
		return ts, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ts, err
	}
	id, _ := strconv.ParseUint(strings.TrimSuffix(filepath.Base(path), tableExt), 10, 64)
	cs, indexStart, indexLen, err := tableFooter(f, st.Size())
	if err != nil {
		return ts, err
	}
	index := make([]byte, indexLen)
	if _, err := f.ReadAt(index, indexStart); err != nil {
		return ts, err
	}
	if y.CalculateChecksum(index, cs.Algo) != cs.Sum {
		return ts, errors.New("index checksum mismatch")
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable index: %v", r)
		}
	}()
	ti := fb.GetRootAsTableIndex(index, 0)
	var bo fb.BlockOffset
	var block []byte
	next := int64(0)
	for i := 0; i < ti.OffsetsLength(); i++ {
		if !ti.Offsets(&bo, i) {
			return ts, fmt.Errorf("block %d: no offset in the index", i)
		}
		off, n := int64(bo.Offset()), int64(bo.Len())
		if off != next || off+n > indexStart || n < 8 {
			return ts, fmt.Errorf("block %d at %d+%d does not follow the previous one (ends at %d; index at %d)", i, off, n, next, indexStart)
		}
		next = off + n
		if int64(cap(block)) < n {
			block = make([]byte, n)
		}
		block = block[:n]
		if _, err := f.ReadAt(block, off); err != nil {
			return ts, err
		}
		chkLen := int64(binary.BigEndian.Uint32(block[n-4:]))
		if chkLen > n-8 {
			return ts, fmt.Errorf("block %d: bad checksum length %d", i, chkLen)
		}
		bcs := &pb.Checksum{}
		if err := proto.Unmarshal(block[n-4-chkLen:n-4], bcs); err != nil || (bcs.Algo != pb.Checksum_CRC32C && bcs.Algo != pb.Checksum_XXHash64) {
			return ts, fmt.Errorf("block %d: bad checksum", i)
		}
		if y.CalculateChecksum(block[:n-4-chkLen], bcs.Algo) != bcs.Sum {
			return ts, fmt.Errorf("block %d (bytes %d..%d): checksum mismatch", i, off, off+n-1)
		}
	}
	if next != indexStart {
		return ts, fmt.Errorf("the blocks end at byte %d, the index starts at %d", next, indexStart)
	}
	return tableSum{ID: id, Size: st.Size(), Algo: int32(cs.Algo), Sum: cs.Sum}, nil
}

// scanLog reads the entries of a Badger log (a memtable log or a value log)
// from offset from, which must be the end of a complete entry (or
// logHeaderSize), up to limit (0: the end of the file), as Badger replays
// it: it stops at the first zero, partial or corrupt entry, or transaction
// left open. It returns the end of the last complete entry or transaction,
// the number of entries before it (from from), and the file's header.
func scanLog(path string, from, limit int64) (end int64, entries int, header []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, nil, err
	}
	size := st.Size()
	if limit > 0 && limit < size {
		size = limit
	}
	header = make([]byte, logHeaderSize)
	if n, _ := f.ReadAt(header, 0); n < logHeaderSize {
		return 0, 0, nil, fmt.Errorf("%d bytes: shorter than a log's header", n)
	}
	if from < logHeaderSize {
		from = logHeaderSize
	}
	if from > size {
		return from, 0, header, nil
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f, from, size-from), 1<<20)
	pos, end := from, from
	var lastCommit uint64
	pending := 0
	var key, val []byte
	for {
		h := crc32.New(castagnoli)
		tee := &countingByteReader{r: r, h: h}
		meta, e1 := tee.ReadByte()
		_, e2 := tee.ReadByte()
		klen, e3 := binary.ReadUvarint(tee)
		vlen, e4 := binary.ReadUvarint(tee)
		_, e5 := binary.ReadUvarint(tee)
		if err := errors.Join(e1, e2, e3, e4, e5); err != nil || klen == 0 || klen > 1<<16 {
			break
		}
		body := int64(klen + vlen)
		if vlen > uint64(size) || pos+tee.n+body+4 > size {
			break // partial
		}
		key = grow(key, int(klen))
		if _, err := io.ReadFull(tee, key); err != nil {
			break
		}
		// The value may be large (a value log): only its start is kept.
		keep := min(int(vlen), 64)
		val = grow(val, keep)
		if _, err := io.ReadFull(tee, val); err != nil {
			break
		}
		if _, err := io.CopyN(h, r, int64(vlen)-int64(keep)); err != nil {
			break
		}
		var crc [4]byte
		if _, err := io.ReadFull(r, crc[:]); err != nil || binary.BigEndian.Uint32(crc[:]) != h.Sum32() {
			break
		}
		pos += tee.n + int64(vlen) - int64(keep) + 4
		switch {
		case meta&bitTxn != 0:
			ts := parseTs(key)
			if lastCommit == 0 {
				lastCommit = ts
			}
			if lastCommit != ts {
				return end, entries, header, nil
			}
			pending++
		case meta&bitFinTxn != 0:
			ts, err := strconv.ParseUint(string(val), 10, 64)
			if err != nil || ts != lastCommit || keep < int(vlen) {
				return end, entries, header, nil
			}
			lastCommit = 0
			entries += pending + 1
			pending = 0
			end = pos
		default:
			if lastCommit != 0 {
				return end, entries, header, nil
			}
			entries++
			end = pos
		}
	}
	return end, entries, header, nil
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// parseTs is Badger's y.ParseTs: the version at the end of a key.
func parseTs(key []byte) uint64 {
	if len(key) <= 8 {
		return 0
	}
	return ^uint64(0) - binary.BigEndian.Uint64(key[len(key)-8:])
}

// countingByteReader reads through r, hashing and counting what it reads.
type countingByteReader struct {
	r *bufio.Reader
	h io.Writer
	n int64
}

func (c *countingByteReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.h.Write([]byte{b})
		c.n++
	}
	return b, err
}

func (c *countingByteReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// record describes Badger's files in dir for the checkpoint being written:
// the key registry, the tables the MANIFEST lists (reading only the footer
// of tables not seen before, kept in known) and the logs, each scanned from
// where the last record ended (logs only grow). Files that disappear while
// they are read were compacted or flushed meanwhile, and are left out.
func record(dir string, known map[uint64]tableSum, prev []logSum) (fileRecord, error) {
	var rec fileRecord
	kr, err := fileChecksum(filepath.Join(dir, keyRegistryName))
	if err != nil {
		return rec, fmt.Errorf("%s: %w", keyRegistryName, err)
	}
	rec.KeyRegistry = &kr
	// Badger may be appending to its MANIFEST (a compaction): a change set
	// read half-written is read again.
	m, _, err := readManifest(dir)
	for try := 0; err != nil && try < 5; try++ {
		time.Sleep(20 * time.Millisecond)
		m, _, err = readManifest(dir)
	}
	if err != nil {
		return rec, fmt.Errorf("%s: %w", manifestName, err)
	}
	for id := range m.Tables {
		ts, ok := known[id]
		if !ok {
			if ts, err = tableSumOf(filepath.Join(dir, tableName(id)), id); errors.Is(err, os.ErrNotExist) {
				continue
			} else if err != nil {
				return rec, fmt.Errorf("%s: %w", tableName(id), err)
			}
			known[id] = ts
		}
		rec.Tables = append(rec.Tables, ts)
	}
	slices.SortFunc(rec.Tables, func(a, b tableSum) int { return cmp.Compare(a.ID, b.ID) })
	for id := range known {
		if _, ok := m.Tables[id]; !ok {
			delete(known, id)
		}
	}
	from := map[string]logSum{}
	for _, l := range prev {
		from[l.Name] = l
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return rec, err
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, memExt) && !strings.HasSuffix(name, vlogExt) {
			continue
		}
		path := filepath.Join(dir, name)
		l, ok := from[name]
		end, n, header, err := scanLog(path, l.End, 0)
		if err == nil && ok && string(header) != string(l.Header) {
			// A new log under the name of one flushed meanwhile.
			ok = false
			end, n, header, err = scanLog(path, logHeaderSize, 0)
		}
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return rec, fmt.Errorf("%s: %w", name, err)
		}
		if !ok {
			l = logSum{Name: name, Header: header, End: logHeaderSize}
		}
		if end > l.End {
			l.End, l.Entries = end, l.Entries+n
		}
		rec.Logs = append(rec.Logs, l)
	}
	return rec, nil
}
