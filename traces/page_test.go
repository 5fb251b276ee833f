package traces

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"cabacheck/invariants"
	"cabacheck/spec/linux"
)

// The HTML report in a real browser: headless Chromium (Debian's chromium
// package) loads the page from a file, runs its script, and either takes a
// screenshot or prints the DOM. Without Chromium the test skips, unless
// CI=true (.ci/slices/page.sh installs it and runs this test).

// chromiumFlags keep a headless Chromium off the network and away from any
// profile.
var chromiumFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
	"--disable-extensions", "--mute-audio"}

func chromiumBinary(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true requires this test (.ci/slices/page.sh installs it)")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); with CI=true this is a failure")
	return ""
}

// runChromium runs one headless Chromium on url with extra flags and
// returns its standard output.
func runChromium(t *testing.T, bin, url string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir()), extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(extra, " "), err, stderr.String())
	}
	return out
}

func TestHTMLInChromium(t *testing.T) {
	bin := chromiumBinary(t)
	dir := t.TempDir()
	tr := v3Dangling(t)
	seed := build(t, linux.Seed, "Fork(1)", "ForkParent(2)")
	inv, _ := invariants.ByName("CabaClosestHashed", linux.Seed)
	seed.Explain(inv)
	one, err := ReportOf("v3 NoDanglingCaba", tr).HTML()
	if err != nil {
		t.Fatal(err)
	}
	two, err := ReportOf("two counterexamples", tr, seed).HTML()
	if err != nil {
		t.Fatal(err)
	}
	// The keyboard: a test-only script presses End, then ←, after the
	// page's own script has run.
	keys := bytes.Replace(one, []byte("</body>"), []byte(`<script>
for (const k of ["End", "ArrowLeft"]) document.dispatchEvent(new KeyboardEvent("keydown", {key: k, bubbles: true}));
</script></body>`), 1)
	files := map[string][]byte{"one.html": one, "two.html": two, "keys.html": keys}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	url := func(name, hash string) string { return "file://" + filepath.Join(dir, name) + hash }
	shot := filepath.Join(dir, "shot.png")
	jobs := []struct {
		name string
		url  string
		args []string
	}{
		{"shot", url("one.html", "#step=6"), []string{"--window-size=1000,800", "--screenshot=" + shot}},
		{"last", url("one.html", "#step=6"), []string{"--dump-dom"}},
		{"keys", url("keys.html", "#step=2"), []string{"--dump-dom"}},
		{"two", url("two.html", "#run=2&step=last"), []string{"--dump-dom"}},
	}
	out := make([][]byte, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { out[i] = runChromium(t, bin, j.url, j.args...) })
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	dom := map[string]string{}
	for i, j := range jobs {
		dom[j.name] = string(out[i])
	}

	// The screenshot is not blank: the page's text, boxes and arrows
	// cover part of it, some of it the caba blue and the verdict's red.
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	var ink, red, blue, all int
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			all++
			if r < 235 || g < 235 || bl < 235 {
				ink++
			}
			if r > 170 && g < 90 && bl < 90 {
				red++
			}
			if bl > 170 && r < 90 && g < 150 {
				blue++
			}
		}
	}
	t.Logf("screenshot %dx%d: %d non-background pixels, %d red, %d blue", b.Dx(), b.Dy(), ink, red, blue)
	if ink < all/50 || red < 100 || blue < 100 {
		t.Errorf("the screenshot looks blank or unstyled: %d of %d pixels inked, %d red, %d blue", ink, all, red, blue)
	}

	current := regexp.MustCompile(`<section class="step current"[^>]*data-step="(\d+)"`)
	check := func(name, step string, verdictShown bool) {
		d := dom[name]
		if !strings.Contains(d, `data-ready="1"`) {
			t.Errorf("%s: the page's script did not run", name)
		}
		if n := strings.Count(d, `<section class="step`); n != tr.Len()+1 {
			t.Errorf("%s: %d step sections in the DOM, want %d", name, n, tr.Len()+1)
		}
		m := current.FindAllStringSubmatch(d, -1)
		if len(m) != 1 || m[0][1] != step {
			t.Errorf("%s: current steps %v, want step %s alone", name, m, step)
		}
		if !strings.Contains(d, "step "+step+" of 6") {
			t.Errorf("%s: the navigation does not say step %s of 6", name, step)
		}
		shown := strings.Contains(d, `<section class="verdict failed">`)
		if shown != verdictShown || !strings.Contains(d, "task 4 (Running): caba 3 is Released (freed task_struct)") {
			t.Errorf("%s: verdict shown %v, want %v", name, shown, verdictShown)
		}
	}
	check("last", "6", true)
	check("keys", "5", false) // End, then ←
	d2 := dom["two"]
	if !strings.Contains(d2, `data-run="2" data-step="2"`) && !strings.Contains(d2, `data-step="2" data-run="2"`) {
		t.Errorf("two: the hash #run=2&step=last did not select run 2's last step")
	}
	if !regexp.MustCompile(`<div class="run" id="run-1"[^>]*hidden`).MatchString(d2) {
		t.Error("two: run 1 is not hidden while run 2 is shown")
	}
}
