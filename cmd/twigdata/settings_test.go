package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/stages"
)

// TestEverySettingIsAFlagOrOwnedByTheCLI holds the flag table to the
// configuration: every setting of stages.Config is a flag or set by the CLI
// itself, and no help text names a setting that is gone.
func TestEverySettingIsAFlagOrOwnedByTheCLI(t *testing.T) {
	fs := newBuildFlags(&bytes.Buffer{}).fs
	names := map[string]bool{}
	for _, s := range stages.Settings() {
		names[s.Name] = true
		if by, owned := cliOwned[s.Name]; owned && !strings.HasPrefix(by, "--") {
			continue // set by the CLI from elsewhere (the binary's version)
		}
		if fs.Lookup(flagName(s.Name)) == nil {
			t.Errorf("setting %s has no flag --%s", s.Name, flagName(s.Name))
		}
	}
	for name := range settingUsage {
		if !names[name] {
			t.Errorf("settingUsage has help for %s, which is no setting", name)
		}
	}
	for name := range cliOwned {
		if !names[name] {
			t.Errorf("cliOwned names %s, which is no setting", name)
		}
	}
}

// TestModelOptionsAreInTheFingerprint builds a partition of a dataset with
// a Florence-2 captioner, then another partition with another value of a
// model option: it is refused, naming the setting. The same partition
// built apart (as when both run at once) and copied in is refused by the
// merge, naming the setting.
func TestModelOptionsAreInTheFingerprint(t *testing.T) {
	florence := "../../testdata/models/twins/florence2"
	tests := []struct {
		name, flag       string
		atStart, atMerge string
	}{
		{"grounding", "--grounding=false", `grounding: "florence2@`, `grounding: "off" in the dataset, "florence2@`},
		{"caption task", "--caption-task=detailed_caption", `caption-task: "caption" in the dataset, "detailed_caption" in this run`,
			`caption-task: "detailed_caption" in the dataset, "caption" in this run`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in, out, apart := t.TempDir(), filepath.Join(t.TempDir(), "ds"), filepath.Join(t.TempDir(), "ds")
			pairs(t, in, 4)
			build := func(out string, args ...string) []string {
				return append([]string{"build", "--in", in, "--out", out, "--captioner", florence, "--partition-count", "2"}, args...)
			}
			if code, text := cli(build(out, "--partition-index", "0")...); code != 0 {
				t.Fatalf("partition 0: exit %d:\n%s", code, text)
			}
			code, text := cli(build(out, "--partition-index", "1", tc.flag)...)
			if code != 1 {
				t.Fatalf("partition 1 with %s: exit %d:\n%s", tc.flag, code, text)
			}
			mustContain(t, text, "built with other settings", tc.atStart)

			if code, text := cli(build(apart, "--partition-index", "1", tc.flag)...); code != 0 {
				t.Fatalf("partition 1 apart: exit %d:\n%s", code, text)
			}
			copyFiles(t, apart, out, func(rel string) bool { return !strings.HasPrefix(rel, ".twigdata") })
			code, text = cli(build(out, "--merge")...)
			if code != 1 {
				t.Fatalf("merge of partitions built with and without %s: exit %d:\n%s", tc.flag, code, text)
			}
			mustContain(t, text, "built with other settings", tc.atMerge)
		})
	}
}
