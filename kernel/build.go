package kernel

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cabacheck/spec/linux"
)

// Patches are the revisions' kernel patches against linux-source-6.1
// (kernel/patches/REV.patch).
//
//go:embed patches
var Patches embed.FS

// PatchFor returns the kernel patch of a registered revision (its Patch file).
func PatchFor(rev string) ([]byte, error) {
	r, err := linux.ParseRevision(rev)
	if err != nil {
		return nil, err
	}
	name := r.Def().Patch
	if name == "" {
		return nil, fmt.Errorf("revision %s has no kernel patch", rev)
	}
	if filepath.IsAbs(name) { // a revision file's patch (revfile stores it absolute)
		return os.ReadFile(name)
	}
	b, err := Patches.ReadFile("patches/" + name)
	if err != nil {
		// a patch not embedded in the binary: look in the checkout
		if alt, err2 := os.ReadFile(filepath.Join("kernel", "patches", name)); err2 == nil {
			return alt, nil
		}
		return nil, fmt.Errorf("no kernel patch for revision %s (kernel/patches/%s)", rev, name)
	}
	return b, nil
}

// Packages are the Debian packages a VM run needs.
var Packages = []string{"linux-source-6.1", "qemu-system-x86", "flex", "bison", "libelf-dev", "cpio", "bc", "libssl-dev", "build-essential"}

// SourceTarball is where linux-source-6.1 puts the kernel source.
const SourceTarball = "/usr/src/linux-source-6.1.tar.xz"

// EnsurePackages installs the missing packages with apt-get.
func EnsurePackages(log io.Writer) error {
	var missing []string
	for _, p := range Packages {
		out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", p).Output()
		if err != nil || !strings.Contains(string(out), "install ok installed") {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	fmt.Fprintf(log, "installing %s with apt-get\n", strings.Join(missing, " "))
	if os.Geteuid() != 0 {
		return fmt.Errorf("packages %s are missing and installing them needs root", strings.Join(missing, " "))
	}
	start := time.Now()
	up := exec.Command("apt-get", "update")
	up.Stdout, up.Stderr = log, log
	if err := up.Run(); err != nil {
		return fmt.Errorf("apt-get update: %v", err)
	}
	cmd := exec.Command("apt-get", append([]string{"install", "-y", "--no-install-recommends"}, missing...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apt-get install: %v", err)
	}
	fmt.Fprintf(log, "packages installed in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// PristineSource unpacks linux-source-6.1 once into the cache.
func PristineSource(log io.Writer) (string, error) {
	dir := filepath.Join(CacheDir(), "src")
	src := filepath.Join(dir, "linux-source-6.1")
	if _, err := os.Stat(filepath.Join(src, "Makefile")); err == nil {
		if _, err := os.Stat(filepath.Join(dir, ".unpacked")); err == nil {
			return src, nil
		}
	}
	os.RemoveAll(src)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(log, "unpacking %s\n", SourceTarball)
	start := time.Now()
	cmd := exec.Command("tar", "-C", dir, "-xf", SourceTarball)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("tar: %v: %s", err, out)
	}
	fmt.Fprintf(log, "unpacked in %s\n", time.Since(start).Round(time.Second))
	return src, os.WriteFile(filepath.Join(dir, ".unpacked"), nil, 0o644)
}

// Flavor is a kernel configuration.
type Flavor string

const (
	Tiny  Flavor = "tiny"
	KASAN Flavor = "kasan"
)

// ConfigFragment is what is enabled on top of tinyconfig.
func ConfigFragment(f Flavor) string {
	on := []string{"64BIT", "PRINTK", "TTY", "SERIAL_8250", "SERIAL_8250_CONSOLE", "BINFMT_ELF", "BINFMT_SCRIPT",
		"PROC_FS", "PROC_CHILDREN", "MULTIUSER", "FUTEX", "NAMESPACES", "PID_NS", "BLK_DEV_INITRD", "RSEQ",
		"POSIX_TIMERS", "EPOLL", "SIGNALFD", "PROC_SYSCTL", "SYSFS"}
	off := []string{"RD_GZIP", "RD_BZIP2", "RD_LZMA", "RD_XZ", "RD_LZO", "RD_LZ4", "RD_ZSTD"}
	if f == KASAN {
		on = append(on, "SLUB", "KASAN", "KASAN_GENERIC", "KASAN_OUTLINE", "KALLSYMS", "KALLSYMS_ALL", "STACKTRACE",
			"DEBUG_KERNEL", "SLUB_DEBUG")
		off = append(off, "SLOB")
	}
	var b strings.Builder
	for _, o := range on {
		fmt.Fprintf(&b, "CONFIG_%s=y\n", o)
	}
	for _, o := range off {
		fmt.Fprintf(&b, "# CONFIG_%s is not set\n", o)
	}
	return b.String()
}

// Kernel is a built kernel image.
type Kernel struct {
	Revision string
	Flavor   Flavor
	Image    string
	Dir      string
	Cached   bool
	Elapsed  time.Duration
}

// patchedTree returns a source tree with the revision's patch applied
// (hard-linked from the pristine tree; patch breaks the links it writes).
func patchedTree(pristine, rev string, patch []byte, log io.Writer) (string, error) {
	dir := filepath.Join(CacheDir(), "trees", rev+"-"+shortHash(patch))
	if _, err := os.Stat(filepath.Join(dir, ".patched")); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if out, err := exec.Command("cp", "-al", pristine, dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("cp -al: %v: %s", err, out)
	}
	cmd := exec.Command("patch", "-p1", "--no-backup-if-mismatch")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(string(patch))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("patch (%s): %v: %s", rev, err, out)
	}
	fmt.Fprintf(log, "%s: patch applied\n", rev)
	return dir, os.WriteFile(filepath.Join(dir, ".patched"), nil, 0o644)
}

// CachedKernel returns the revision's kernel if it was built before.
func CachedKernel(rev string, f Flavor) (*Kernel, bool) {
	patch, err := PatchFor(rev)
	if err != nil {
		return nil, false
	}
	key := rev + "-" + string(f) + "-" + shortHash(patch, []byte(ConfigFragment(f)))
	out := builtDir(key)
	if out == "" {
		return nil, false
	}
	return &Kernel{Revision: rev, Flavor: f, Image: filepath.Join(out, "arch/x86/boot/bzImage"), Dir: out, Cached: true}, true
}

// BuildKernel builds (or reuses) the revision's kernel of the given flavor.
// The build directory is keyed by a hash of patch and configuration, so a
// second run reuses the image. Messages go to log; progress, when not nil,
// sees every build step (else a line goes to log every 15 s).
func BuildKernel(rev string, f Flavor, jobs int, log io.Writer, progress func(BuildProgress)) (*Kernel, error) {
	patch, err := PatchFor(rev)
	if err != nil {
		return nil, err
	}
	frag := ConfigFragment(f)
	key := rev + "-" + string(f) + "-" + shortHash(patch, []byte(frag))
	out := filepath.Join(CacheDir(), "kernels", key)
	if dir := builtDir(key); dir != "" {
		out = dir // the same patch and configuration built under another revision's name
	}
	img := filepath.Join(out, "arch/x86/boot/bzImage")
	k := &Kernel{Revision: rev, Flavor: f, Image: img, Dir: out}
	if _, err := os.Stat(filepath.Join(out, ".built")); err == nil {
		k.Cached = true
		return k, nil
	}
	pristine, err := PristineSource(log)
	if err != nil {
		return nil, err
	}
	tree, err := patchedTree(pristine, rev, patch, log)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	start := time.Now()
	mk := func(args ...string) *exec.Cmd {
		c := exec.Command("make", append([]string{"-C", tree, "O=" + out}, args...)...)
		return c
	}
	if b, err := mk("tinyconfig").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make tinyconfig: %v: %s", err, tail(string(b), 2000))
	}
	if err := os.WriteFile(filepath.Join(out, "cabacheck.config"), []byte(frag), 0o644); err != nil {
		return nil, err
	}
	merge := exec.Command(filepath.Join(tree, "scripts/kconfig/merge_config.sh"), "-m", "-O", out, filepath.Join(out, ".config"), filepath.Join(out, "cabacheck.config"))
	merge.Dir = tree
	if b, err := merge.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("merge_config: %v: %s", err, tail(string(b), 2000))
	}
	if b, err := mk("olddefconfig").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make olddefconfig: %v: %s", err, tail(string(b), 2000))
	}
	if err := checkConfig(filepath.Join(out, ".config"), frag); err != nil {
		return nil, err
	}
	total := expectedSteps(f)
	fmt.Fprintf(log, "building %s %s kernel in %s (make -j%d bzImage)\n", rev, f, out, jobs)
	if progress == nil {
		progress = lineProgress(log, 15*time.Second)
	}
	cmd := mk(fmt.Sprintf("-j%d", jobs), "bzImage")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var lines []string
	steps := 0
	done := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			l := sc.Text()
			lines = append(lines, l)
			if len(lines) > 200 {
				lines = lines[100:]
			}
			if isBuildStep(l) {
				steps++
				progress(BuildProgress{Revision: rev, Flavor: f, Steps: steps, Total: total, Elapsed: time.Since(start), Now: strings.TrimSpace(l)})
			}
		}
		close(done)
	}()
	err = cmd.Run()
	pw.Close()
	<-done
	if err != nil {
		return nil, fmt.Errorf("make bzImage (%s %s): %v\n%s", rev, f, err, strings.Join(lines, "\n"))
	}
	progress(BuildProgress{Revision: rev, Flavor: f, Steps: steps, Total: steps, Elapsed: time.Since(start), Done: true})
	if err := os.WriteFile(filepath.Join(out, stepsFile), []byte(strconv.Itoa(steps)+"\n"), 0o644); err != nil {
		return nil, err
	}
	k.Elapsed = time.Since(start)
	fmt.Fprintf(log, "built %s %s kernel in %s\n", rev, f, k.Elapsed.Round(time.Second))
	return k, os.WriteFile(filepath.Join(out, ".built"), []byte(k.Elapsed.String()+"\n"), 0o644)
}

// checkConfig verifies that every option of the fragment took.
func checkConfig(path, frag string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var bad []string
	for _, l := range strings.Split(strings.TrimSpace(frag), "\n") {
		if strings.HasSuffix(l, "=y") && !have[l] {
			bad = append(bad, l)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("kernel config: %s did not take", strings.Join(bad, ", "))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// builtDir returns the cached build of key (REV-FLAVOR-HASH), or of the same
// FLAVOR-HASH under another revision name (a revision file that reuses a
// built-in's patch boots the kernel already built), or "".
func builtDir(key string) string {
	dir := filepath.Join(CacheDir(), "kernels")
	if _, err := os.Stat(filepath.Join(dir, key, ".built")); err == nil {
		return filepath.Join(dir, key)
	}
	parts := strings.Split(key, "-")
	if len(parts) < 3 {
		return ""
	}
	suffix := "-" + parts[len(parts)-2] + "-" + parts[len(parts)-1]
	matches, _ := filepath.Glob(filepath.Join(dir, "*"+suffix))
	for _, m := range matches {
		if _, err := os.Stat(filepath.Join(m, ".built")); err == nil {
			return m
		}
	}
	return ""
}
