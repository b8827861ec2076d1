package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"

	"github.com/twigdata/twigdata"
)

// TestGoInstallFromAModuleProxy proves the README's install line: the
// committed tree is published as a module version in a proxy made here
// (GOPROXY=file://…, beside the module cache's downloads for the
// dependencies, nothing from the network), and `go install
// github.com/twigdata/twigdata/cmd/twigdata@latest` builds a binary from
// it that runs. A go.mod with a replace directive would fail here.
func TestGoInstallFromAModuleProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module from a proxy (about a minute)")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skip("not a git checkout: the module version is made from the committed tree")
	}
	t.Parallel()
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	tmp := t.TempDir()
	version := "v" + twigdata.Version
	mv := module.Version{Path: "github.com/twigdata/twigdata", Version: version}
	dir := filepath.Join(tmp, "proxy", "github.com", "twigdata", "twigdata", "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(dir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromVCS(zf, mv, root, "HEAD", ""); err != nil {
		t.Fatalf("module zip of HEAD: %v", err)
	}
	zf.Close()
	gomod, err := exec.Command("git", "-C", root, "show", "HEAD:go.mod").Output()
	if err != nil {
		t.Fatalf("git show HEAD:go.mod: %v", err)
	}
	for name, data := range map[string][]byte{
		"list":            []byte(version + "\n"),
		version + ".info": []byte(`{"Version":"` + version + `"}`),
		version + ".mod":  gomod,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(tmp, "bin")
	cmd := exec.Command("go", "install", "github.com/twigdata/twigdata/cmd/twigdata@latest")
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(),
		"GOPROXY=file://"+filepath.Join(tmp, "proxy")+",file://"+filepath.Join(goEnv("GOMODCACHE"), "cache", "download"),
		"GOMODCACHE="+filepath.Join(tmp, "modcache"), "GOFLAGS=-modcacherw -trimpath", "GOSUMDB=off", "GOBIN="+bin, "GOWORK=off", "CGO_ENABLED=1")
	out, err := cmd.CombinedOutput()
	t.Logf("go install github.com/twigdata/twigdata/cmd/twigdata@latest (%s in a proxy made here):\n%s", version, out)
	if err != nil {
		t.Fatalf("go install: %v", err)
	}
	var stdout bytes.Buffer
	run := exec.Command(filepath.Join(bin, "twigdata"), "version")
	run.Stdout, run.Stderr = &stdout, &stdout
	if err := run.Run(); err != nil || !strings.Contains(stdout.String(), twigdata.Version) {
		t.Fatalf("the installed twigdata version: %v\n%s", err, stdout.String())
	}
	t.Logf("installed binary: %s", strings.TrimSpace(stdout.String()))
}
