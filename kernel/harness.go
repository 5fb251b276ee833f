package kernel

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// HarnessSource is the C harness (kernel/harness/harness.c).
//
//go:embed harness/harness.c
var HarnessSource []byte

// CacheDir is where built harnesses and kernels are kept:
// $CABACHECK_CACHE, else $XDG_CACHE_HOME/cabacheck, else ~/.cache/cabacheck.
func CacheDir() string {
	if d := os.Getenv("CABACHECK_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "cabacheck")
	}
	return filepath.Join(os.TempDir(), "cabacheck-cache")
}

func shortHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// BuildHarness compiles the harness statically with gcc (cached by the hash
// of its source) and returns the binary's path.
func BuildHarness() (string, error) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return "", fmt.Errorf("gcc not found: the harness is a C program (apt-get install build-essential)")
	}
	dir := filepath.Join(CacheDir(), "harness")
	bin := filepath.Join(dir, "harness-"+shortHash(HarnessSource))
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(dir, "harness.c")
	if err := os.WriteFile(src, HarnessSource, 0o644); err != nil {
		return "", err
	}
	tmp := bin + ".tmp"
	out, err := exec.Command(gcc, "-O2", "-Wall", "-static", "-o", tmp, src).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("gcc -static harness.c: %v\n%s", err, out)
	}
	return bin, os.Rename(tmp, bin)
}
