package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/twigdata/twigdata/internal/testutil"
)

// repoRoot is the checkout this test runs in.
const repoRoot = "../.."

// interopTool is an interpreter of .deps/ that `make test` installs (see
// testutil.Dep).
func interopTool(t *testing.T, rel, install string) string {
	t.Helper()
	return testutil.Dep(t, repoRoot, rel, install)
}

// TestShardsReadInPythonAndArrowRs reads fresh builds as their users do:
// pyarrow (schema, nullability, metadata, encodings, row groups), Hugging
// Face `datasets` (load_dataset through the card's configs and through plain
// Parquet files, Dataset.from_parquet: images as PIL images of the canvas
// size, lists of structs as lists of dicts, the manifest's row counts),
// polars (scan and explode), the card's own Python examples, and arrow-rs
// (parquet-wasm). One build is the bundled sample; the other has no reject,
// so that its rejects config is a 0-row file.
func TestShardsReadInPythonAndArrowRs(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: reads the shards with Python and Node.js")
	}
	t.Parallel()
	python := interopTool(t, ".deps/py/bin/python", "scripts/fetch-pyenv.sh")
	nodeModules := interopTool(t, ".deps/node/node_modules", "scripts/fetch-node-deps.sh")
	sample := buildSample(t)
	// A build with no reject: six pairs the bundled sample accepts.
	in := t.TempDir()
	for _, stem := range []string{"scene-000", "scene-001", "scene-002", "scene-003", "scene-004", "scene-005"} {
		for _, ext := range []string{".txt", ".jpg", ".png", ".webp"} {
			data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", stem+ext))
			if err == nil {
				if err := os.WriteFile(filepath.Join(in, stem+ext), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	clean := buildSample(t, "--in", in)
	if _, err := os.Stat(filepath.Join(clean, "rejects", "part-empty.parquet")); err != nil {
		t.Fatalf("a build with no reject has no 0-row rejects file: %v", err)
	}
	for _, c := range []struct {
		name string
		cmd  *exec.Cmd
	}{
		{"python", exec.Command(python, filepath.Join(repoRoot, "scripts", "interop_check.py"), sample, clean)},
		{"arrow-rs", exec.Command("node", filepath.Join(repoRoot, "scripts", "interop_check.mjs"), sample, clean)},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules, "HF_HOME="+t.TempDir())
			out, err := c.cmd.CombinedOutput()
			t.Logf("%s", strings.TrimSpace(string(out)))
			if err != nil {
				t.Fatalf("%s found problems (%v)", c.name, err)
			}
		})
	}
}

// codeBlocks are the fenced blocks of one language in a Markdown file.
func codeBlocks(t *testing.T, file, lang string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile("(?s)```"+lang+"\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// TestExamplesRunAsWritten runs the README's and the dataset card's DuckDB
// and Python examples against a fresh build: the README's with out/sample
// pointing at the build, the card's from the dataset's folder (the Python
// ones run in TestShardsReadInPythonAndArrowRs's checker).
func TestExamplesRunAsWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the README's Python examples")
	}
	t.Parallel()
	out := buildSample(t)
	db := duck(t)
	sqls := codeBlocks(t, filepath.Join(repoRoot, "README.md"), "sql")
	for i, block := range sqls {
		for _, q := range strings.Split(block, ";") {
			if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*--.*$`).ReplaceAllString(q, "")) == "" {
				continue
			}
			q = strings.ReplaceAll(q, "out/sample", out)
			rows, err := db.Query(q)
			if err != nil {
				t.Errorf("README sql block %d: %v\n%s", i+1, err, q)
				continue
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			if n == 0 {
				t.Errorf("README sql block %d returns no row:\n%s", i+1, q)
			}
		}
	}
	for i, q := range codeBlocks(t, filepath.Join(out, "README.md"), "sql") {
		q = strings.NewReplacer("'samples/", "'"+out+"/samples/", "'tasks/", "'"+out+"/tasks/", "'rejects/", "'"+out+"/rejects/", "'training/", "'"+out+"/training/").Replace(q)
		rows, err := db.Query(q)
		if err != nil {
			t.Errorf("card sql block %d: %v\n%s", i+1, err, q)
			continue
		}
		if !rows.Next() {
			t.Errorf("card sql block %d returns no row", i+1)
		}
		rows.Close()
	}
	if len(sqls) < 1 {
		t.Error("the README has no DuckDB example")
	}
	python := interopTool(t, ".deps/py/bin/python", "scripts/fetch-pyenv.sh")
	for i, code := range codeBlocks(t, filepath.Join(repoRoot, "README.md"), "python") {
		if strings.Contains(code, "import torch") {
			t.Logf("README python block %d: the DataLoader example, run by make test-torch (torch is 3 GB with its CUDA libraries)", i+1)
			continue
		}
		script := filepath.Join(t.TempDir(), "example.py")
		if err := os.WriteFile(script, []byte(strings.ReplaceAll(code, "out/sample", out)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(python, script)
		cmd.Env = append(os.Environ(), "HF_HOME="+t.TempDir(), "HF_HUB_OFFLINE=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README python block %d: %v\n%s", i+1, err, b)
		}
	}
}

// TestDatasetCardAcrossReleases: the card of the bundled sample as the Hub
// and three `datasets` releases read it (scripts/card_check.py):
// huggingface_hub parses it and its metadata, the template's sections are
// there, and in datasets 2.21, 3.6 and 5.2 every config loads through the
// card and through its files with no warning, their features equal and
// concatenable.
func TestDatasetCardAcrossReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: loads the card with three datasets releases")
	}
	t.Parallel()
	python := interopTool(t, ".deps/py/bin/python", "scripts/fetch-pyenv.sh")
	out := buildSample(t)
	for _, release := range []string{"", ".deps/py-datasets2", ".deps/py-datasets3"} {
		name := "datasets5"
		if release != "" {
			name = filepath.Base(release)
			interopTool(t, release+"/datasets", "make pyenv-"+strings.TrimPrefix(filepath.Base(release), "py-"))
		}
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(python, filepath.Join(repoRoot, "scripts", "card_check.py"), out)
			path := ""
			if release != "" {
				path = filepath.Join(repoRoot, release)
			}
			cmd.Env = append(os.Environ(), "PYTHONPATH="+path, "HF_HOME="+t.TempDir())
			b, err := cmd.CombinedOutput()
			t.Logf("%s", strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("the card fails in %s (%v)", name, err)
			}
		})
	}
}

// TestDemonstrationModelsOnOtherInputsSaySo: the bundled models on inputs
// that are not the bundled sample warn on screen before the build, in the
// summary, in manifest.json and at the top of the card; on the bundled
// sample they do not.
func TestDemonstrationModelsOnOtherInputsSaySo(t *testing.T) {
	t.Parallel()
	in := t.TempDir()
	for _, f := range []string{"scene-000.txt", "scene-000.jpg"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "sample", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name string
		args []string
		warn bool
	}{{"other inputs", []string{"--in", in}, true}, {"the bundled sample", nil, false}} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "ds")
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"build", "--out", out, "--progress", "none"}, c.args...), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			card, _ := os.ReadFile(filepath.Join(out, "README.md"))
			manifest, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
			cardHead := string(card)[strings.Index(string(card), "\n# "):][:600]
			for _, where := range []struct{ name, text string }{{"stderr", stderr.String()}, {"summary", stdout.String()},
				{"manifest.json", string(manifest)}, {"the card's head", cardHead}} {
				if got := strings.Contains(where.text, "demonstration models"); got != c.warn {
					t.Errorf("%s: warning shown %v, want %v:\n%s", where.name, got, c.warn, where.text)
				}
			}
			if c.warn && !strings.Contains(cardHead, "not for training") {
				t.Errorf("the card's warning does not say not for training:\n%s", cardHead)
			}
		})
	}
}
