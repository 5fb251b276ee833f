package engine

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	// The file systems a work directory may be on: a local path (Prism,
	// or a cluster's shared mount) and gs:// (Dataflow).
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"

	"cabacheck/spec"
)

// The work directory holds the whole search, so that any level's pipeline
// runs from files alone and a completed level is a checkpoint:
//
//	IDENTITY                       the model, invariants and layout the search is for
//	checkpoint.json                the last completed level (written last, by rename)
//	level-LLLL/manifest.json       the level's state files, their index bases and counts
//	level-LLLL/states-WWWWWW.bin   new states whose parent was in work item W of level L-1
//	level-LLLL/sum-WWWWWW.json     their count and first violation per invariant
//	level-LLLL/gen-WWWWWW.json     work item W's successor counts
//	visited/pPPPP/level-LLLL.fp    the sorted fingerprints of partition P found at level L
//
// Paths are joined with "/" so that URLs (gs://bucket/dir) work as well as
// local paths; every write goes through Beam's file systems.

func join(dir string, elems ...string) string {
	return strings.TrimRight(dir, "/") + "/" + strings.Join(elems, "/")
}

func levelDir(work string, level int) string { return join(work, fmt.Sprintf("level-%04d", level)) }

func statesPath(work string, level, item int) string {
	return join(levelDir(work, level), fmt.Sprintf("states-%06d.bin", item))
}

func sumPath(work string, level, item int) string {
	return join(levelDir(work, level), fmt.Sprintf("sum-%06d.json", item))
}

func genPath(work string, level, item int) string {
	return join(levelDir(work, level), fmt.Sprintf("gen-%06d.json", item))
}

func manifestPath(work string, level int) string { return join(levelDir(work, level), "manifest.json") }

func visitedDir(work string, part int) string {
	return join(work, "visited", fmt.Sprintf("p%04d", part))
}

func visitedPath(work string, part, level int) string {
	return join(visitedDir(work, part), fmt.Sprintf("level-%04d.fp", level))
}

// openRead opens path for reading through Beam's file systems; closing the
// reader closes the file system too.
func openRead(ctx context.Context, path string) (io.ReadCloser, error) {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, err
	}
	r, err := fsys.OpenRead(ctx, path)
	if err != nil {
		fsys.Close()
		return nil, err
	}
	return fsReader{r, fsys}, nil
}

type fsReader struct {
	io.ReadCloser
	fsys filesystem.Interface
}

func (r fsReader) Close() error {
	err := r.ReadCloser.Close()
	if e := r.fsys.Close(); err == nil {
		err = e
	}
	return err
}

// readFile reads a whole file through Beam's file systems.
func readFile(ctx context.Context, path string) ([]byte, error) {
	r, err := openRead(ctx, path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// writeFile writes data to path so that a reader sees the old content or
// the new, never a part: through a temporary name and a rename where the
// file system can rename (local), else in one object write (gs:// objects
// appear whole when the writer is closed).
func writeFile(ctx context.Context, path string, data []byte) error {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fsys.Close()
	rn, canRename := fsys.(filesystem.Renamer)
	target := path
	if canRename {
		target = fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	}
	w, err := fsys.OpenWrite(ctx, target)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if canRename {
		return rn.Rename(ctx, target, path)
	}
	return nil
}

func writeJSON(ctx context.Context, path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(ctx, path, append(b, '\n'))
}

// readJSON reads path into v; a missing file is reported as fs.ErrNotExist.
func readJSON(ctx context.Context, path string, v any) error {
	b, err := readFile(ctx, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// exists reports whether path can be read.
func exists(ctx context.Context, path string) (bool, error) {
	fsys, err := filesystem.New(ctx, path)
	if err != nil {
		return false, err
	}
	defer fsys.Close()
	files, err := fsys.List(ctx, path)
	if err != nil {
		return false, err
	}
	return len(files) > 0, nil
}

// list expands a glob.
func list(ctx context.Context, glob string) ([]string, error) {
	fsys, err := filesystem.New(ctx, glob)
	if err != nil {
		return nil, err
	}
	defer fsys.Close()
	return fsys.List(ctx, glob)
}

// removeAll removes the files matching glob (a level redone after an
// interruption starts without the files of the broken attempt).
func removeAll(ctx context.Context, glob string) error {
	fsys, err := filesystem.New(ctx, glob)
	if err != nil {
		return err
	}
	defer fsys.Close()
	files, err := fsys.List(ctx, glob)
	if err != nil {
		return err
	}
	rm, ok := fsys.(filesystem.Remover)
	if !ok {
		if len(files) > 0 {
			return fmt.Errorf("the file system of %s cannot remove files", glob)
		}
		return nil
	}
	for _, f := range files {
		if err := rm.Remove(ctx, f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// A state file holds one group of a level's new states in index order:
// a header, their parent records, their invariant masks, their encodings.
const (
	stateMagic      = "CBS2"
	stateHeaderSize = 16
)

// record is a state's parent record: the index of the state it was
// first reached from and the action. The native explorer's
// (explorer.Record) has 32-bit indices; the engine's are 64-bit, for
// searches past 2^32 states.
type record struct {
	Parent uint64
	Action spec.Action
}

// recordSize is a record's size in a state file.
const recordSize = 12

// stateFile is a decoded state file.
type stateFile struct {
	size    int
	records []record
	masks   []uint64
	states  []byte // len(records)*size
}

func (f *stateFile) len() int { return len(f.records) }

func (f *stateFile) state(i int) []byte { return f.states[i*f.size : (i+1)*f.size] }

func encodeStateFile(f *stateFile) []byte {
	n := f.len()
	b := make([]byte, stateHeaderSize, stateHeaderSize+n*(recordSize+8+f.size))
	copy(b, stateMagic)
	binary.LittleEndian.PutUint32(b[4:], uint32(f.size))
	binary.LittleEndian.PutUint32(b[8:], uint32(n))
	for _, r := range f.records {
		b = binary.LittleEndian.AppendUint64(b, r.Parent)
		b = binary.LittleEndian.AppendUint32(b, uint32(r.Action))
	}
	for _, m := range f.masks {
		b = binary.LittleEndian.AppendUint64(b, m)
	}
	return append(b, f.states...)
}

func decodeStateFile(b []byte, size int) (*stateFile, error) {
	if len(b) < stateHeaderSize || string(b[:4]) != stateMagic {
		return nil, errors.New("not a state file")
	}
	if got := int(binary.LittleEndian.Uint32(b[4:])); got != size {
		return nil, fmt.Errorf("state size %d, want %d", got, size)
	}
	n := int(binary.LittleEndian.Uint32(b[8:]))
	if want := stateHeaderSize + n*(recordSize+8+size); len(b) != want {
		return nil, fmt.Errorf("%d bytes for %d states, want %d", len(b), n, want)
	}
	f := &stateFile{size: size, records: make([]record, n), masks: make([]uint64, n)}
	p := b[stateHeaderSize:]
	for i := range f.records {
		f.records[i] = record{Parent: binary.LittleEndian.Uint64(p), Action: spec.Action(binary.LittleEndian.Uint32(p[8:]))}
		p = p[recordSize:]
	}
	for i := range f.masks {
		f.masks[i] = binary.LittleEndian.Uint64(p)
		p = p[8:]
	}
	f.states = p
	return f, nil
}

func readStateFile(ctx context.Context, path string, size int) (*stateFile, error) {
	b, err := readFile(ctx, path)
	if err != nil {
		return nil, err
	}
	f, err := decodeStateFile(b, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Fingerprint files are sorted little-endian uint64s.
func encodeFPs(fps []uint64) []byte {
	b := make([]byte, 0, 8*len(fps))
	for _, fp := range fps {
		b = binary.LittleEndian.AppendUint64(b, fp)
	}
	return b
}

func decodeFPs(b []byte) ([]uint64, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of fingerprints", len(b))
	}
	fps := make([]uint64, len(b)/8)
	for i := range fps {
		fps[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return fps, nil
}
