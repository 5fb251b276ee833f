package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"cabacheck/explorer"
)

// parseBytes reads sizes like 512MiB, 8GiB, 2GB, 1000000.
func parseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 512MiB, 8GiB)", s)
	}
	return uint64(f * float64(mult)), nil
}

// levelRecord is one line of --stats-out.
type levelRecord struct {
	Level          int      `json:"level"`
	New            uint64   `json:"new_states"`
	Duplicates     uint64   `json:"duplicates"`
	Frontier       uint64   `json:"frontier"`
	Generated      uint64   `json:"states_generated"`
	Candidates     uint64   `json:"candidates"`
	OutDegree      []uint64 `json:"out_degree"`
	Distinct       uint64   `json:"distinct_states"`
	ElapsedSeconds float64  `json:"elapsed_seconds"`
	BytesPerState  float64  `json:"bytes_per_state"`
	HeapBytes      uint64   `json:"heap_bytes"`
}

type statsWriter struct {
	f *os.File
	w *bufio.Writer
}

func newStatsWriter(path string) (*statsWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &statsWriter{f: f, w: bufio.NewWriter(f)}, nil
}

func toLevelRecord(ls explorer.LevelStats) levelRecord {
	return levelRecord{Level: ls.Level, New: ls.New, Duplicates: ls.Duplicates, Frontier: ls.Frontier, Generated: ls.Generated,
		Candidates: ls.Candidates, OutDegree: ls.OutDegree, Distinct: ls.Distinct, ElapsedSeconds: ls.Elapsed.Seconds(),
		BytesPerState: ls.BytesPerState, HeapBytes: ls.HeapBytes}
}

// Write appends one level; it flushes every line so an interrupted run keeps its statistics.
func (s *statsWriter) Write(ls explorer.LevelStats) {
	b, _ := json.Marshal(toLevelRecord(ls))
	s.w.Write(append(b, '\n'))
	s.w.Flush()
}

func (s *statsWriter) Close() error {
	s.w.Flush()
	return s.f.Close()
}
