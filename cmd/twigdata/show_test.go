package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// chromium is Debian's Chromium, which `make test` installs
// (scripts/fetch-chromium.sh); the test is skipped without it, and fails
// under make test.
func chromium(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("TWIGDATA_REQUIRE_INTEROP") != "" {
			t.Fatal("chromium is missing: run scripts/fetch-chromium.sh (make test does)")
		}
		t.Skip("chromium is missing: run scripts/fetch-chromium.sh (make test does)")
	}
	return p
}

// headless loads a page in headless Chromium, as the machines here allow
// it (no sandbox as root, no background networking), and returns the DOM
// after its scripts ran (with no extra flags) and what the page logged to
// its console.
func headless(t *testing.T, bin, url string, extra ...string) (dom, console string) {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=3000"}, extra...)
	if len(extra) == 0 {
		args = append(args, "--dump-dom")
	}
	cmd := exec.Command(bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	var lines []string
	for _, l := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			lines = append(lines, l)
		}
	}
	return stdout.String(), strings.Join(lines, "\n")
}

// TestShowPageInChromium: `twigdata show` on the bundled sample writes one
// page that needs no network; headless Chromium loads it without a console
// message, shows the dataset's counts, and its filters (set from the
// address) keep the reflected samples, the low-scored ones and those whose
// prompt has the words; a screenshot is taken.
func TestShowPageInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the sample and loads the page in Chromium")
	}
	t.Parallel()
	bin := chromium(t)
	out := buildSample(t)
	page := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"show", out, "--out", page, "--in", filepath.Join(repoRoot, "testdata", "sample"), "--sample", "40"}, &stdout, &stderr); code != 0 {
		t.Fatalf("twigdata show exited %d: %s", code, stderr.String())
	}
	if want := "32 samples (32 in the gallery), 96 regions"; !strings.Contains(stdout.String(), want) {
		t.Errorf("show says %q, want %q", stdout.String(), want)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).Find(html); m != nil {
		t.Errorf("the page reaches the network: %s", m)
	}
	if n := bytes.Count(html, []byte(`<img src="data:image/jpeg;base64,`)); n < 32+2 {
		t.Errorf("%d embedded images, want the 32 canvases and the rejects' thumbnails", n)
	}
	dom, console := headless(t, bin, "file://"+page)
	if console != "" {
		t.Errorf("the page logged to its console:\n%s", console)
	}
	for _, want := range []string{`id="n-samples">32<`, `id="n-regions">96<`, `id="n-rejects">3<`, `id="n-shown">32<`, "filter.blur", "filter.resolution", "source.no_image", "revised:"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(dom, `class="card"`); n != 32 {
		t.Errorf("%d gallery cards, want 32", n)
	}
	reflected := strings.Count(dom, "revised:")
	for _, c := range []struct{ hash, want string }{
		{"#reflected", `id="n-shown">` + strconv.Itoa(reflected) + "<"},
		{"#words=yellow+box", `id="n-shown">`},
		{"#below=0", `id="n-shown">0<`},
	} {
		got, console := headless(t, bin, "file://"+page+c.hash)
		if console != "" || !strings.Contains(got, c.want) {
			t.Errorf("%s: want %q shown (console %q)", c.hash, c.want, console)
		}
		if c.hash == "#words=yellow+box" {
			shown := regexp.MustCompile(`id="n-shown">(\d+)<`).FindStringSubmatch(got)
			if len(shown) < 2 || shown[1] == "0" || shown[1] == "32" {
				t.Errorf("%s: %v shown, want some but not all", c.hash, shown)
			}
		}
	}
	shot := filepath.Join(t.TempDir(), "report.png")
	if dir := os.Getenv("TWIGDATA_SCREENSHOTS"); dir != "" {
		shot = filepath.Join(dir, "show.png")
	}
	headless(t, bin, "file://"+page, "--window-size=1400,2400", "--screenshot="+shot)
	if st, err := os.Stat(shot); err != nil || st.Size() < 50_000 {
		t.Errorf("no screenshot of the page (%v)", err)
	}
}
