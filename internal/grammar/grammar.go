// Package grammar holds plan sentences to an English grammar the composer
// was not written against: Link Grammar (CMU's parser, installed into
// .deps/link-grammar by scripts/fetch-link-grammar.sh). A sentence it cannot
// link without leaving a word out — a verb that does not agree, "a apple", a
// dangling clause — is rejected.
package grammar

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twigdata/twigdata/internal/testutil"
	"golang.org/x/sync/errgroup"
)

// sentenceEnd splits a plan after a full stop followed by a capital letter.
var sentenceEnd = regexp.MustCompile(`\.\s+([A-Z])`)

// Split splits one text into its sentences, in order.
func Split(text string) []string {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\n", " "))
	if text == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(sentenceEnd.ReplaceAllString(text, ".\n$1"), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Sentences splits texts into their sentences, each once, in sorted order.
func Sentences(texts ...string) []string {
	seen := map[string]bool{}
	for _, t := range texts {
		for _, s := range Split(t) {
			seen[s] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Parser is the path of scripts/link-parser under the repository root
// root, once scripts/fetch-link-grammar.sh has installed Link Grammar;
// testutil.Dep says what happens when it has not.
func Parser(t testing.TB, root string) string {
	t.Helper()
	testutil.Dep(t, root, ".deps/link-grammar/usr/bin/link-parser", "scripts/fetch-link-grammar.sh")
	p, err := filepath.Abs(filepath.Join(root, "scripts", "link-parser"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Rejected parses each sentence (one per line; none may hold a newline) with
// the parser at path and returns those it cannot link. The parser links
// one sentence at a time, so the sentences are split among one parser per
// CPU; the result is the same.
func Rejected(parser string, sentences []string) ([]string, error) {
	for _, s := range sentences {
		if strings.Contains(s, "\n") || strings.HasPrefix(s, "!") || strings.HasPrefix(s, "*") {
			return nil, fmt.Errorf("grammar: %q holds a newline or starts with a parser command character", s)
		}
	}
	n := max(1, min(runtime.NumCPU(), len(sentences)/64))
	per := (len(sentences) + n - 1) / n
	bad := make([][]string, n)
	var g errgroup.Group
	for i := 0; i < n; i++ {
		part := sentences[min(i*per, len(sentences)):min((i+1)*per, len(sentences))]
		g.Go(func() (err error) {
			bad[i], err = rejected(parser, part)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.Concat(bad...), nil
}

// rejected runs one parser over sentences.
func rejected(parser string, sentences []string) ([]string, error) {
	var in bytes.Buffer
	for _, s := range sentences {
		in.WriteString(s)
		in.WriteByte('\n')
	}
	// A parser that hangs fails the test rather than the whole run's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, parser)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("grammar: %s: %v: %s", parser, err, stderr.String())
	}
	// The parser echoes each sentence and prints "+++++ error N" after one
	// it cannot link.
	var bad []string
	next, last := 0, -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case next < len(sentences) && line == sentences[next]:
			last = next
			next++
		case strings.HasPrefix(line, "+++++ error") && last >= 0:
			bad = append(bad, sentences[last])
		}
	}
	if next != len(sentences) {
		return nil, fmt.Errorf("grammar: the parser echoed %d of %d sentences", next, len(sentences))
	}
	return bad, nil
}

// Check parses the sentences of texts with Link Grammar in a subtest named
// "english" (skipped on its own where the parser is not installed) and fails
// it on each sentence the parser rejects. root is the repository root.
func Check(t *testing.T, root string, texts ...string) {
	t.Helper()
	t.Run("english", func(t *testing.T) {
		parser := Parser(t, root)
		sentences := Sentences(texts...)
		bad, err := Rejected(parser, sentences)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("Link Grammar rejects %d of %d distinct sentences", len(bad), len(sentences))
		for _, s := range bad {
			t.Errorf("not English by Link Grammar: %q", s)
		}
	})
}

// NamedTwice is a noun phrase a fix clause of text names twice ("the cone
// and the cone must trade places", "a cone and a cone must also appear"),
// or "": the phrases before a clause's "must", split at its list joints
// (", ", and "and" before a determiner: "a light purple and blue vase" is
// one phrase).
func NamedTwice(text string) string {
	for _, sentence := range Split(text) {
		for _, clause := range strings.Split(strings.TrimRight(sentence, "."), "; ") {
			subject, _, ok := strings.Cut(strings.ToLower(clause), " must ")
			if !ok {
				continue
			}
			seen := map[string]bool{}
			for _, part := range listJoints.Split(subject, -1) {
				np := strings.TrimSpace(determiner.ReplaceAllString(part, ""))
				if np == "" {
					continue
				}
				if seen[np] {
					return np
				}
				seen[np] = true
			}
		}
	}
	return ""
}

// listJoints are where a list of noun phrases splits; determiner starts a
// noun phrase.
var (
	listJoints = regexp.MustCompile(`, (?:and )?| and (?:the|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|some) `)
	determiner = regexp.MustCompile(`^(?:the|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|some) `)
)
