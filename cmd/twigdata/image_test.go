package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata"
)

// TestImageRunsBuildAndValidate runs the image `make image` made as a
// container runtime runs it: umoci unpacks its OCI archive into a runtime
// bundle (its configuration: entrypoint, user, environment, working
// folder) and runc — the OCI runtime podman itself drives — starts it, in
// its own namespaces with no network, its root filesystem read-only as
// deploy/'s Kubernetes templates mount it, /tmp a tmpfs and the output a
// mounted folder: `twigdata build` on the bundled sample, then `twigdata
// validate` on what it wrote. The image holds no shell; its labels name
// the version and the source.
//
// Not podman itself: on this machine its containers do not start (runc
// refuses the RLIMIT_NPROC that podman sets, "error setting rlimit type
// 6: operation not permitted", whatever --ulimit asks).
func TestImageRunsBuildAndValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the image's build in a container")
	}
	t.Parallel()
	archive := interopTool(t, fmt.Sprintf(".deps/image/twigdata-%s.oci.tar", twigdata.Version), "make image")
	for _, tool := range []string{"umoci", "runc"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: make image installs it", tool)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("runc runs the image's bundle as root here (a rootless bundle needs a user namespace mapping)")
	}
	st, err := os.Stat(archive)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	layout, bundle, out := filepath.Join(dir, "layout"), filepath.Join(dir, "bundle"), filepath.Join(dir, "out")
	os.MkdirAll(layout, 0o755)
	os.MkdirAll(out, 0o755)
	os.Chown(out, 65532, 65532)
	sh := func(name string, args ...string) string {
		b, err := exec.Command(name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	sh("tar", "-C", layout, "-xf", archive)
	sh("umoci", "unpack", "--image", layout+":"+twigdata.Version, bundle)
	rootfs := filepath.Join(bundle, "rootfs")
	for _, shell := range []string{"bin/sh", "bin/bash", "usr/bin/sh"} {
		if _, err := os.Stat(filepath.Join(rootfs, shell)); err == nil {
			t.Errorf("the image holds /%s: it needs no shell", shell)
		}
	}
	raw, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	process := spec["process"].(map[string]any)
	if u := process["user"].(map[string]any); u["uid"] != float64(65532) {
		t.Errorf("the image runs as %v, want user 65532", u)
	}
	ann, _ := spec["annotations"].(map[string]any)
	if ann["org.opencontainers.image.version"] != twigdata.Version || ann["org.opencontainers.image.source"] == nil {
		t.Errorf("labels %v: want the version and the source", ann)
	}
	spec["root"] = map[string]any{"path": "rootfs", "readonly": true}
	spec["mounts"] = append(spec["mounts"].([]any),
		map[string]any{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": []string{"nosuid", "nodev", "mode=1777"}},
		map[string]any{"destination": "/out", "type": "bind", "source": out, "options": []string{"rbind", "rw"}})
	process["terminal"] = false
	entry := process["args"].([]any)[0]
	for i, args := range [][]string{{"build", "--out", "/out/ds", "--progress", "none"}, {"validate", "/out/ds"}} {
		process["args"] = append([]any{entry}, toAny(args)...)
		b, _ := json.Marshal(spec)
		if err := os.WriteFile(filepath.Join(bundle, "config.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		log := sh("runc", "run", "--bundle", bundle, fmt.Sprintf("twigdata-test-%d-%d", os.Getpid(), i))
		lines := strings.Split(strings.TrimSpace(log), "\n")
		t.Logf("in the image: twigdata %s\n  …\n  %s", strings.Join(args, " "), strings.Join(lines[max(0, len(lines)-3):], "\n  "))
		if i == 1 && !strings.Contains(log, "loads cleanly") {
			t.Errorf("validate in the image:\n%s", log)
		}
	}
	var files int
	filepath.Walk(filepath.Join(out, "ds"), func(string, os.FileInfo, error) error { files++; return nil })
	t.Logf("image %s: %.1f MiB (OCI archive); build and validate ran in it, %d files written", filepath.Base(archive), float64(st.Size())/(1<<20), files)
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
