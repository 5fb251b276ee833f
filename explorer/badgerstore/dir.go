package badgerstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"cabacheck/explorer"
)

// checkWritable reports why dir cannot be written, if it cannot: a store is
// written even to resume it.
func checkWritable(dir string) error {
	err := syscall.Access(dir, 2 /* W_OK */)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s is on a read-only file system; a store is written to, even to resume it", dir)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%s is not writable (permission denied); a store is written to, even to resume it", dir)
	}
	return fmt.Errorf("%s: %v", dir, err)
}

// lockWait bounds the wait for the lock of a process that is exiting or
// gone (a kill -9 releases it only once the process is torn down).
var lockWait = 5 * time.Second

// checkLock makes sure no other process holds dir's lock (Badger's flock
// on the directory) before Badger opens it: a lock held by a process that
// lives is refused at once; one held by a process that is exiting or gone
// is waited for, up to lockWait. It leaves the lock free.
func checkLock(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	deadline := time.Now().Add(lockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("store in %s: cannot lock it: %v", dir, err)
		}
		pid := lockHolder(dir)
		if pid > 0 && processLives(pid) {
			return fmt.Errorf("store in %s is in use by %s; wait for it to end, or stop it", dir, describeProcess(pid))
		}
		if time.Now().After(deadline) {
			who := "another process"
			if pid > 0 {
				who = fmt.Sprintf("process %d, which has exited,", pid)
			}
			return fmt.Errorf("store in %s is still locked by %s after %s; try again", dir, who, lockWait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockHolder is the pid Badger wrote in dir/LOCK, or 0.
func lockHolder(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, lockName))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// processLives reports whether process pid exists and is not dying: a
// zombie, a task exiting (PF_EXITING) or one with SIGKILL pending (just
// killed, not yet torn down) is as good as gone.
func processLives(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		if _, serr := os.Stat("/proc/self/stat"); serr != nil {
			// No procfs: ask the kernel whether the pid exists.
			err := syscall.Kill(pid, 0)
			return err == nil || errors.Is(err, syscall.EPERM)
		}
		return false
	}
	// pid (comm) state ppid pgrp session tty tpgid flags ...
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) >= 7 {
			if f[0] == "Z" || f[0] == "X" || f[0] == "x" {
				return false
			}
			const pfExiting = 0x4
			if flags, err := strconv.ParseUint(f[6], 10, 64); err == nil && flags&pfExiting != 0 {
				return false
			}
		}
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "SigPnd" && k != "ShdPnd") {
			continue
		}
		const sigkill = 1 << (9 - 1)
		if mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64); err == nil && mask&sigkill != 0 {
			return false
		}
	}
	return true
}

// ProcessStart returns an identifier of process pid's start (its start
// time in clock ticks since boot), or "" when it cannot be read; with the
// pid it tells a process from a later one that reuses its pid.
func ProcessStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[19] // field 22, starttime
}

// ProcessLives reports whether process pid exists and is not exiting; with
// start (from ProcessStart, "" for any) it must also be that process.
func ProcessLives(pid int, start string) bool {
	if !processLives(pid) {
		return false
	}
	return start == "" || ProcessStart(pid) == "" || ProcessStart(pid) == start
}

// Locked reports whether a process holds dir's store lock.
func Locked(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

func describeProcess(pid int) string {
	if pid == os.Getpid() {
		return fmt.Sprintf("this process (%d)", pid)
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil {
		return fmt.Sprintf("process %d (%s)", pid, strings.TrimSpace(string(b)))
	}
	return fmt.Sprintf("process %d", pid)
}

// DiskUsage reports the store's disk space (explorer.DiskStore): the
// blocks its files occupy, the space free on its file system, and what
// Badger may write on its own: its memtables, to be flushed into tables,
// and its level-0 and base-level tables, which a compaction rewrites
// before it deletes them.
func (s *Store) DiskUsage() (explorer.DiskUsage, error) {
	var u explorer.DiskUsage
	var fs syscall.Statfs_t
	if err := syscall.Statfs(s.opt.Dir, &fs); err != nil {
		return u, err
	}
	u.Free = fs.Bavail * uint64(fs.Bsize)
	ents, err := os.ReadDir(s.opt.Dir)
	if err != nil {
		return u, err
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		n := uint64(info.Size())
		if st, ok := info.Sys().(*syscall.Stat_t); ok {
			n = uint64(st.Blocks) * 512
		}
		u.Used += n
		if strings.HasSuffix(e.Name(), memExt) {
			u.Rewrite += n
		}
	}
	var deeper bool
	var target int64
	for _, l := range s.db.Levels() {
		switch {
		case l.Level == 0 || l.IsBaseLevel:
			u.Rewrite += uint64(l.Size)
		case l.NumTables > 0:
			deeper = true
			target = max(target, l.TargetFileSize)
		}
	}
	if deeper {
		// A compaction below the base level: a table and those it overlaps.
		u.Rewrite += 11 * uint64(target)
	}
	return u, nil
}
