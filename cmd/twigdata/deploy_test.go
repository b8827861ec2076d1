package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// engine is how a batch engine runs deploy/'s templates: the build's
// command, how many tasks it starts, the variable that gives each task its
// index, and the merge's command.
type engine struct {
	name, indexVar string
	tasks          int
	build, merge   []string
}

// templateInput and templateOutput are the locations the templates name,
// which a user replaces (and the tests too).
const templateInput, templateOutput = "s3://my-bucket/pairs/", "s3://my-bucket/twig/run-1/"

// kubernetesEngine reads deploy/kubernetes' Indexed Job and merge Job.
func kubernetesEngine(t *testing.T) engine {
	t.Helper()
	type job struct {
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int    `yaml:"completions"`
			Template       struct {
				Spec struct {
					Containers []struct {
						Args []string `yaml:"args"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	read := func(name string) job {
		var j job
		b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "kubernetes", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(b, &j); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(j.Spec.Template.Spec.Containers) != 1 {
			t.Fatalf("%s: want one container", name)
		}
		return j
	}
	build, merge := read("build-job.yaml"), read("merge-job.yaml")
	if build.Spec.CompletionMode != "Indexed" {
		t.Errorf("build-job.yaml: completionMode %q: the index comes from an Indexed Job", build.Spec.CompletionMode)
	}
	return engine{name: "Kubernetes Indexed Job", indexVar: "JOB_COMPLETION_INDEX", tasks: build.Spec.Completions,
		build: build.Spec.Template.Spec.Containers[0].Args, merge: merge.Spec.Template.Spec.Containers[0].Args}
}

// batchEngine reads deploy/aws-batch's job definition and submissions, the
// Ref:: parameters filled in as AWS Batch fills them (a submission's
// parameters over the definition's defaults).
func batchEngine(t *testing.T) engine {
	t.Helper()
	var def struct {
		Parameters          map[string]string `json:"parameters"`
		ContainerProperties struct {
			Command []string `json:"command"`
		} `json:"containerProperties"`
	}
	type submission struct {
		Parameters      map[string]string `json:"parameters"`
		ArrayProperties struct {
			Size int `json:"size"`
		} `json:"arrayProperties"`
		DependsOn          []map[string]string `json:"dependsOn"`
		ContainerOverrides struct {
			Command []string `json:"command"`
		} `json:"containerOverrides"`
	}
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "aws-batch", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var build, merge submission
	read("job-definition.json", &def)
	read("submit-build.json", &build)
	read("submit-merge.json", &merge)
	fill := func(command []string, params map[string]string) []string {
		out := make([]string, len(command))
		for i, a := range command {
			out[i] = a
			if name, ok := strings.CutPrefix(a, "Ref::"); ok {
				v, ok := params[name]
				if !ok {
					v, ok = def.Parameters[name]
				}
				if !ok {
					t.Fatalf("the command's %s has no value", a)
				}
				out[i] = v
			}
		}
		return out
	}
	if len(merge.DependsOn) != 1 {
		t.Errorf("submit-merge.json depends on %v: want the build's array job", merge.DependsOn)
	}
	return engine{name: "AWS Batch array job", indexVar: "AWS_BATCH_JOB_ARRAY_INDEX", tasks: build.ArrayProperties.Size,
		build: fill(def.ContainerProperties.Command, build.Parameters), merge: fill(merge.ContainerOverrides.Command, merge.Parameters)}
}

// TestDeployTemplatesAreTwigdataCommands: every template's command parses
// as twigdata's flags; the build is partitioned into as many partitions as
// the engine starts tasks and takes its index from the engine, not a flag;
// the merge is the same command with --merge.
func TestDeployTemplatesAreTwigdataCommands(t *testing.T) {
	for _, e := range []engine{kubernetesEngine(t), batchEngine(t)} {
		t.Run(e.name, func(t *testing.T) {
			for _, cmd := range [][]string{e.build, e.merge} {
				if len(cmd) == 0 || cmd[0] != "build" {
					t.Fatalf("command %q is not twigdata build", cmd)
				}
				b := newBuildFlags(&bytes.Buffer{})
				if err := b.fs.Parse(cmd[1:]); err != nil {
					t.Errorf("%q: %v", cmd, err)
				}
				if b.fs.Lookup("partition-index").Value.String() != "-1" {
					t.Errorf("%q sets --partition-index: the index must come from $%s", cmd, e.indexVar)
				}
				if got := b.fs.Lookup("partition-count").Value.String(); got != strconv.Itoa(e.tasks) {
					t.Errorf("%q: --partition-count %s, but the engine starts %d tasks", cmd, got, e.tasks)
				}
			}
			if want := append(slices.Clone(e.build), "--merge"); !sameFlags(want, e.merge) {
				t.Errorf("the merge %q is not the build %q with --merge", e.merge, e.build)
			}
		})
	}
}

// sameFlags reports whether two commands hold the same arguments, in any
// order of their flags.
func sameFlags(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestDeployTemplatesValidate: deploy/'s Kubernetes manifests validate
// against Kubernetes 1.33's schemas (strict) and its AWS Batch templates
// against botocore's model of the Batch API (scripts/deploy_check.py).
func TestDeployTemplatesValidate(t *testing.T) {
	t.Parallel()
	python := interopTool(t, ".deps/py/bin/python", "scripts/fetch-pyenv.sh")
	interopTool(t, ".deps/py-deploy/kubernetes_validate", "make pyenv-deploy")
	cmd := exec.Command(python, filepath.Join(repoRoot, "scripts", "deploy_check.py"), "1.33")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(repoRoot, ".deps/py-deploy"))
	b, err := cmd.CombinedOutput()
	t.Logf("%s", strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("deploy/ does not validate (%v)", err)
	}
}

// TestBatchEnginesContract runs each engine's templates the way the engine
// runs them, against the S3 test server: every task a separate process
// given only its index in the engine's variable, all at once; one of them
// killed midway and started again, as a retry; the merge run too early
// (refused, naming the unfinished partition), then after the retry. The
// dataset validates and holds every input exactly once.
func TestBatchEnginesContract(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs two partitioned builds as separate processes")
	}
	t.Parallel()
	for _, e := range []engine{kubernetesEngine(t), batchEngine(t)} {
		t.Run(e.name, func(t *testing.T) {
			stamp := time.Now().UnixNano() % 1e9
			in := uploadSample(t, fmt.Sprintf("engine-in-%d", stamp), "pairs", 1) + "/"
			outBucket := fmt.Sprintf("engine-out-%d", stamp)
			if err := s3(t).CreateBucket(context.Background(), outBucket); err != nil {
				t.Fatal(err)
			}
			out := "s3://" + outBucket + "/twig/run-1/"
			place := func(cmd []string) []string {
				c := slices.Clone(cmd)
				for i, a := range c {
					c[i] = strings.NewReplacer(templateInput, in, templateOutput, out).Replace(a)
				}
				return c
			}
			build, merge := place(e.build), place(e.merge)
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			task := func(i int) *exec.Cmd {
				cmd := exec.Command(exe, build...)
				cmd.Env = append(os.Environ(), "TWIGDATA_MAIN=1", fmt.Sprintf("%s=%d", e.indexVar, i))
				return cmd
			}

			// Every task at once; the victim is paused half a second in,
			// mid-build, and killed once the others are done.
			victim := e.tasks / 2
			var wg sync.WaitGroup
			logs := make([]bytes.Buffer, e.tasks)
			codes := make([]int, e.tasks)
			cmds := make([]*exec.Cmd, e.tasks)
			for i := range e.tasks {
				cmds[i] = task(i)
				cmds[i].Stdout, cmds[i].Stderr = &logs[i], &logs[i]
				if err := cmds[i].Start(); err != nil {
					t.Fatal(err)
				}
			}
			time.Sleep(500 * time.Millisecond)
			if err := cmds[victim].Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatalf("partition %d finished within half a second: the test needs it midway (%v)", victim, err)
			}
			for i := range e.tasks {
				if i == victim {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					cmds[i].Wait()
					codes[i] = cmds[i].ProcessState.ExitCode()
				}()
			}
			wg.Wait()
			for i, c := range codes {
				if i != victim && (c != 0 || !strings.Contains(logs[i].String(), "Partition done")) {
					t.Fatalf("partition %d: exit %d\n%s", i, c, logs[i].String())
				}
			}
			cmds[victim].Process.Signal(syscall.SIGKILL)
			cmds[victim].Process.Signal(syscall.SIGCONT)
			cmds[victim].Wait()
			if st := cmds[victim].ProcessState; st.Success() || !strings.Contains(st.String(), "killed") {
				t.Fatalf("partition %d was not killed midway: %s\n%s", victim, st, logs[victim].String())
			}

			// The merge before the retry refuses, naming the partition.
			code, log := runProcess(t, nil, merge...)
			if want := fmt.Sprintf("partitions %d of %d have not finished", victim, e.tasks); code != 1 || !strings.Contains(log, want) {
				t.Fatalf("merge with partition %d killed: exit %d, want 1 and %q\n%s", victim, code, want, log)
			}
			// The retry: the same command and index, in a new process.
			code, log = runProcess(t, []string{fmt.Sprintf("%s=%d", e.indexVar, victim)}, build...)
			if code != 0 || !strings.Contains(log, "Partition done") {
				t.Fatalf("retry of partition %d: exit %d\n%s", victim, code, log)
			}
			if code, log = runProcess(t, nil, merge...); code != 0 {
				t.Fatalf("merge: exit %d\n%s", code, log)
			}
			if code, log := runProcess(t, nil, "validate", out, "--sample", "2"); code != 0 || !strings.Contains(log, "loads cleanly") {
				t.Fatalf("validate: exit %d\n%s", code, log)
			}
			d := readDataset(t, mirror(t, out)) // fails on any key twice
			inputs := 35
			lost := inputs - len(d.samples) - len(d.rejects)
			if lost != 0 {
				t.Errorf("%d inputs lost", lost)
			}
			t.Logf("%s: %d tasks given only $%s, partition %d killed midway and retried: %d inputs, %d accepted, %d rejected, duplicates 0, lost %d; the early merge refused",
				e.name, e.tasks, e.indexVar, victim, inputs, len(d.samples), len(d.rejects), lost)
		})
	}
}
