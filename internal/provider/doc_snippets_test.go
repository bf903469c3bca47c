package provider

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The pages whose Terraform snippets must work: the README, the contributor
// guide, the templates of the Registry pages and the pages generated from
// them (make docs-check keeps docs/ what the templates give).
var snippetPages = []string{"README.md", "CONTRIBUTING.md", "docs", "templates"}

// fragmentMarker is the line that, right before a block, says that the block
// is part of a configuration on purpose (it calls a module of the reader's,
// or continues the block before it) and is only checked for formatting. An
// HTML comment: tfplugindocs copies it into docs/ as written, and the
// Registry and GitHub do not show it.
var fragmentMarker = regexp.MustCompile(`^<!--\s*fragment:\s*(.*?)\s*-->$`)

// snippet is one ```terraform, ```hcl or ```tf block of a page.
type snippet struct {
	page string // relative to the repository, with forward slashes
	line int    // of the opening fence, from 1
	text string // the block's lines, without the fences and their indentation
	// fragment is the reason given by a fragment marker, "" for a block
	// that must validate on its own.
	fragment string
}

func (s snippet) where() string { return fmt.Sprintf("%s:%d", s.page, s.line) }

var fence = regexp.MustCompile("^( *)(`{3,}|~{3,})\\s*([^`\\s]*)")

// parseSnippets returns the Terraform blocks of one Markdown page. A
// fragment marker that is not right before such a block (only blank lines
// between them), a marker without a reason and a block left open are errors:
// each would leave a snippet unchecked without anyone deciding it.
func parseSnippets(page string, content []byte) ([]snippet, error) {
	var (
		snippets   []snippet
		errs       []string
		marker     string // the reason of a marker waiting for its block
		markerLine int
	)
	scanner := bufio.NewScanner(bytes.NewReader(content))
	scanner.Buffer(nil, 1<<20)
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Text()
		trimmed := strings.TrimSpace(line)
		if m := fragmentMarker.FindStringSubmatch(trimmed); m != nil {
			if m[1] == "" {
				errs = append(errs, fmt.Sprintf("%s:%d: a fragment marker says why: <!-- fragment: the reason -->", page, n))
			}
			marker, markerLine = m[1], n
			continue
		}
		open := fence.FindStringSubmatch(line)
		if open == nil {
			if trimmed != "" && markerLine != 0 {
				errs = append(errs, fmt.Sprintf("%s:%d: a fragment marker must be right before a terraform or hcl block", page, markerLine))
				markerLine = 0
			}
			continue
		}
		indent, delimiter, info := len(open[1]), open[2], strings.ToLower(open[3])
		start := n
		var body []string
		closed := false
		for scanner.Scan() {
			n++
			inner := scanner.Text()
			if t := strings.TrimSpace(inner); strings.HasPrefix(t, delimiter[:3]) && strings.Trim(t, delimiter[:1]) == "" && len(t) >= len(delimiter) {
				closed = true
				break
			}
			// Inside a list item the block is indented like its fence.
			body = append(body, strings.TrimPrefix(inner, strings.Repeat(" ", min(indent, len(inner)-len(strings.TrimLeft(inner, " "))))))
		}
		if !closed {
			errs = append(errs, fmt.Sprintf("%s:%d: a code block is not closed", page, start))
			break
		}
		isHCL := info == "terraform" || info == "hcl" || info == "tf"
		if markerLine != 0 && !isHCL {
			errs = append(errs, fmt.Sprintf("%s:%d: a fragment marker must be right before a terraform or hcl block", page, markerLine))
		}
		if isHCL {
			reason := ""
			if markerLine != 0 {
				reason = marker
			}
			snippets = append(snippets, snippet{page: page, line: start, text: strings.Join(body, "\n") + "\n", fragment: reason})
		}
		markerLine = 0
	}
	if err := scanner.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", page, err)
	}
	if markerLine != 0 {
		errs = append(errs, fmt.Sprintf("%s:%d: a fragment marker must be right before a terraform or hcl block", page, markerLine))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return snippets, nil
}

// readSnippets reads the snippets of every page under root, in a stable
// order. Pages that do not exist (CONTRIBUTING.md before it is written) are
// skipped.
func readSnippets(root string) ([]snippet, error) {
	var pages []string
	for _, p := range snippetPages {
		err := filepath.WalkDir(filepath.Join(root, p), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) {
					return nil
				}
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(path, ".md") || strings.HasSuffix(path, ".md.tmpl")) {
				pages = append(pages, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var all []snippet
	var errs []string
	for _, path := range pages {
		content, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return nil, err
		}
		s, err := parseSnippets(filepath.ToSlash(rel), content)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		all = append(all, s...)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return all, nil
}

// exampleTexts maps the trimmed text of each file under examples/ that a
// page may include (tfplugindocs' tffile) to its path: those are validated
// in their own folder by TestExamples_validate, with the files beside them.
func exampleTexts(root string) (map[string]string, error) {
	texts := map[string]string{}
	err := filepath.WalkDir(filepath.Join(root, "examples"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (!strings.HasSuffix(path, ".tf") && !strings.HasSuffix(path, ".hcl")) {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		texts[strings.TrimSpace(string(content))] = filepath.ToSlash(rel)
		return nil
	})
	return texts, err
}

// undeclaredVariables are the variables a snippet uses (var.NAME) and does
// not declare, in order of first use.
func undeclaredVariables(text string) []string {
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*variable\s+"([^"]+)"`).FindAllStringSubmatch(text, -1) {
		declared[m[1]] = true
	}
	var names []string
	for _, m := range regexp.MustCompile(`\bvar\.([A-Za-z_][A-Za-z0-9_-]*)`).FindAllStringSubmatch(text, -1) {
		if !declared[m[1]] && !slices.Contains(names, m[1]) {
			names = append(names, m[1])
		}
	}
	return names
}

// TestDocSnippets_parse covers the rules of the snippet check itself: which
// blocks it finds, where a fragment marker applies, and the mistakes it
// refuses rather than leaving a block unchecked.
func TestDocSnippets_parse(t *testing.T) {
	t.Parallel()
	type want struct {
		texts     []string
		fragments []string
		lines     []int
		err       string
	}
	tests := map[string]struct {
		page string
		want want
	}{
		"terraform, hcl and tf blocks; others ignored": {
			page: "x\n```terraform\na = 1\n```\n```sh\nls\n```\n```hcl\nb = 2\n```\n~~~tf\nc = 3\n~~~\n```json\n{}\n```\n",
			want: want{texts: []string{"a = 1\n", "b = 2\n", "c = 3\n"}, fragments: []string{"", "", ""}, lines: []int{2, 8, 11}},
		},
		"a marker applies to the next block only, across blank lines": {
			page: "<!-- fragment: continues the block above -->\n\n```terraform\na = 1\n```\n```terraform\nb = 2\n```\n",
			want: want{texts: []string{"a = 1\n", "b = 2\n"}, fragments: []string{"continues the block above", ""}, lines: []int{3, 6}},
		},
		"a block in a list item loses its indentation": {
			page: "- item:\n\n  ```terraform\n  a = {\n    b = 1\n  }\n  ```\n",
			want: want{texts: []string{"a = {\n  b = 1\n}\n"}, fragments: []string{""}, lines: []int{3}},
		},
		"a longer fence holds a shorter one": {
			page: "````terraform\na = 1\n```\n````\n",
			want: want{texts: []string{"a = 1\n```\n"}, fragments: []string{""}, lines: []int{1}},
		},
		"a marker before prose is an error": {
			page: "<!-- fragment: why -->\nsome text\n```terraform\na = 1\n```\n",
			want: want{err: "p.md:1: a fragment marker must be right before a terraform or hcl block"},
		},
		"a marker before a shell block is an error": {
			page: "<!-- fragment: why -->\n```sh\nls\n```\n",
			want: want{err: "p.md:1: a fragment marker must be right before a terraform or hcl block"},
		},
		"a marker at the end is an error": {
			page: "```terraform\na = 1\n```\n<!-- fragment: why -->\n",
			want: want{err: "p.md:4: a fragment marker must be right before a terraform or hcl block"},
		},
		"a marker without a reason is an error": {
			page: "<!-- fragment: -->\n```terraform\na = 1\n```\n",
			want: want{err: "p.md:1: a fragment marker says why"},
		},
		"a block left open is an error": {
			page: "```terraform\na = 1\n",
			want: want{err: "p.md:1: a code block is not closed"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := parseSnippets("p.md", []byte(tt.page))
			if tt.want.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want.err) {
					t.Fatalf("error %v, want one with %q", err, tt.want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var texts, fragments []string
			var lines []int
			for _, s := range got {
				texts, fragments, lines = append(texts, s.text), append(fragments, s.fragment), append(lines, s.line)
			}
			if !slices.Equal(texts, tt.want.texts) || !slices.Equal(fragments, tt.want.fragments) || !slices.Equal(lines, tt.want.lines) {
				t.Errorf("got texts %q fragments %q lines %v\nwant texts %q fragments %q lines %v",
					texts, fragments, lines, tt.want.texts, tt.want.fragments, tt.want.lines)
			}
		})
	}
}

func TestDocSnippets_undeclaredVariables(t *testing.T) {
	t.Parallel()
	text := "variable \"declared\" {}\nx = var.project_id\ny = var.declared\nz = \"${var.cluster_names}\" # var.project_id again\n"
	if got, want := undeclaredVariables(text), []string{"project_id", "cluster_names"}; !slices.Equal(got, want) {
		t.Errorf("undeclaredVariables = %q, want %q", got, want)
	}
}

// TestDocSnippets_validate checks every Terraform block of the pages
// (README.md, CONTRIBUTING.md, templates/ and the docs/ generated from them)
// with the CLI under test: `fmt -check`, then `validate` with the provider
// built from this module. A block validates on its own, with this provider's
// required_providers added when it has none, and the variables it uses
// without declaring them declared for it; a block marked
// `<!-- fragment: why -->` on the line before is only checked for formatting.
// A block that is a file of examples/ (tfplugindocs' tffile) is validated in
// its folder by TestExamples_validate; a block of a template with template
// actions in it is checked as docs/ renders it.
func TestDocSnippets_validate(t *testing.T) {
	t.Parallel()
	cli := newTerraformCLI(t)
	root := filepath.Join("..", "..")
	snippets, err := readSnippets(root)
	if err != nil {
		t.Fatalf("reading the pages' snippets:\n%v", err)
	}
	examples, err := exampleTexts(root)
	if err != nil {
		t.Fatal(err)
	}
	// One check per distinct block: a template's block is also in docs/.
	var unique []snippet
	seen := map[string][]string{}
	for _, s := range snippets {
		key := s.text + "\x00" + s.fragment
		if seen[key] == nil {
			unique = append(unique, s)
		}
		seen[key] = append(seen[key], s.where())
	}
	if len(unique) == 0 {
		t.Fatal("found no terraform or hcl block in the pages: has the page layout changed?")
	}
	for _, s := range unique {
		where := strings.Join(seen[s.text+"\x00"+s.fragment], ", ")
		t.Run(s.where(), func(t *testing.T) {
			t.Parallel()
			if path, ok := examples[strings.TrimSpace(s.text)]; ok {
				t.Skipf("%s is %s, which TestExamples_validate checks in its folder", where, path)
			}
			if strings.HasPrefix(s.page, "templates/") && strings.Contains(s.text, "{{") {
				t.Skipf("%s holds template actions: checked as docs/ renders it", where)
			}
			cli := *cli
			cli.dir = t.TempDir()
			// Terraform before 1.14 and OpenTofu refuse an action block.
			if ok, why := cli.hasActions(t); !ok && actionBlock.MatchString(s.text) {
				t.Skipf("skipped: %s declares an action, and %s", where, why)
			}
			write := func(name, content string) {
				t.Helper()
				if err := os.WriteFile(filepath.Join(cli.dir, name), []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("main.tf", s.text)
			run := func(args ...string) bool {
				t.Helper()
				out, err := cli.command(args...).CombinedOutput()
				if err != nil {
					t.Errorf("%s: %s %s failed: %v\n%s\nFix the block; or, if it is part of a configuration on purpose, "+
						"put <!-- fragment: why --> on the line before it (CONTRIBUTING.md, \"Snippets in the docs\").",
						where, filepath.Base(cli.binary), strings.Join(args, " "), err, out)
					return false
				}
				return true
			}
			if !run("fmt", "-check", "-diff", "-no-color", "main.tf") || s.fragment != "" {
				return
			}
			if !strings.Contains(s.text, "required_providers") {
				write("required_providers.tf", requiredProviders)
			}
			var variables strings.Builder
			for _, name := range undeclaredVariables(s.text) {
				fmt.Fprintf(&variables, "variable %q {}\n", name)
			}
			write("variables.tf", variables.String())
			run("validate", "-no-color")
		})
	}
}
