package badgerstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"cabacheck/explorer"
)

// The store's own file, next to Badger's: the search it holds, its last
// checkpoint and a record of Badger's files at that checkpoint, so that a
// store is checked before Badger opens it (and may rewrite it), and a store
// that is refused is left as it was.
const (
	checkName = "CABACHECK"
	checkTemp = "CABACHECK.tmp"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkFile is the content of CABACHECK. It is written when the store is
// created (without a checkpoint), after every committed level and when the
// store is closed, each time atomically (a temporary file, synced, renamed
// over the old one, and the directory synced).
type checkFile struct {
	Format     int                  `json:"format"`
	Identity   string               `json:"identity"`
	StateSize  int                  `json:"state_size,omitempty"`
	Checkpoint *explorer.Checkpoint `json:"checkpoint,omitempty"` // nil: no level saved yet
	Files      fileRecord           `json:"files"`
}

// fileRecord describes Badger's files at the checkpoint.
type fileRecord struct {
	// KeyRegistry is Badger's key registry, written once when the
	// database is created.
	KeyRegistry *fileSum `json:"keyregistry,omitempty"`
	// Tables are the tables the MANIFEST listed, with the checksum of each
	// table's index (which holds the offsets and checksums of its blocks).
	Tables []tableSum `json:"tables,omitempty"`
	// Logs are Badger's append-only logs (memtable logs .mem, value logs
	// .vlog): the checkpoint's part of each, up to End.
	Logs []logSum `json:"logs,omitempty"`
}

type fileSum struct {
	Size   int64  `json:"size"`
	CRC32C uint32 `json:"crc32c"`
}

type tableSum struct {
	ID   uint64 `json:"id"`
	Size int64  `json:"size"`
	Algo int32  `json:"algo"` // Badger's pb.Checksum_Algorithm
	Sum  uint64 `json:"sum"`
}

type logSum struct {
	Name    string `json:"name"`
	Header  []byte `json:"header"`  // the first 20 bytes: key id and IV
	End     int64  `json:"end"`     // the end of its last complete entry (or transaction)
	Entries int    `json:"entries"` // entries before End
}

// encode is the JSON of c followed by a line with its CRC-32C.
func (c *checkFile) encode() ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return fmt.Appendf(b, "\ncrc32c %08x\n", crc32.Checksum(b, castagnoli)), nil
}

// errNoCheckFile: the directory holds no CABACHECK.
var errNoCheckFile = errors.New("no " + checkName)

// readCheckFile reads dir/CABACHECK: errNoCheckFile when there is none, a
// damage error when it does not parse or its checksum differs.
func readCheckFile(dir string) (*checkFile, error) {
	b, err := os.ReadFile(filepath.Join(dir, checkName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNoCheckFile
	}
	if err != nil {
		return nil, fmt.Errorf("store in %s: %s: %w", dir, checkName, err)
	}
	damaged := func(why string) error { return damage(dir, checkName, why) }
	i := bytes.LastIndex(b, []byte("\ncrc32c "))
	if i < 0 {
		return nil, damaged("no checksum line (truncated?)")
	}
	var sum uint32
	if _, err := fmt.Sscanf(string(b[i+1:]), "crc32c %08x\n", &sum); err != nil || len(b)-i != len("\ncrc32c 00000000\n") {
		return nil, damaged("bad checksum line")
	}
	body := b[:i]
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, damaged("checksum mismatch")
	}
	c := &checkFile{}
	if err := json.Unmarshal(body, c); err != nil {
		return nil, damaged(err.Error())
	}
	return c, nil
}

// writeCheckFile replaces dir/CABACHECK by c atomically.
func writeCheckFile(dir string, c *checkFile) error {
	b, err := c.encode()
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, checkTemp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, checkName))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", checkName, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
