package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mongodb-forks/digest"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// sandboxBinary is the command, built once for the tests of this file.
var sandboxBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "atlas-sandbox-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sandboxBinary = filepath.Join(dir, "atlas-sandbox")
	if out, err := exec.Command("go", "build", "-o", sandboxBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building atlas-sandbox: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// runToExit runs the command, which must exit by itself within a minute.
func runToExit(t *testing.T, args ...string) (exitCode int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, sandboxBinary, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errOut.String()
	}
	t.Fatalf("running atlas-sandbox %q: %v", args, err)
	return 0, "", ""
}

// TestBadFixtures_failBeforeListening: a bad fixtures file stops the command
// with exit status 1 and its problems, each with file, line, column and JSON
// path, before it takes its port. The test holds that port: had the command
// tried to listen first, it would have failed on the port instead.
func TestBadFixtures_failBeforeListening(t *testing.T) {
	const project = "6a0c82ed7379b6c6f1df8400"
	cases := map[string]struct {
		file, want string
	}{
		"bad id": {
			file: `{"projects": {"` + project + `": {"clusters": {"ledger": {"exports": [
  {"id": "6a7945592c88faeba59d5e8e"},
  {"id": "6a7945592c88faeba59d5e8"}]}}}}}`,
			want: `atlas-sandbox: FILE:3:10: projects.` + project + `.clusters.ledger.exports[1].id: "6a7945592c88faeba59d5e8" is not an ` +
				"Atlas id: Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8 (nothing served)\n",
		},
		"not JSON": {
			file: "{\"projects\": {\n  \"" + project + "\": {\"clusters\": {}},\n}}",
			want: "atlas-sandbox: FILE:3:1: invalid JSON: invalid character '}' looking for beginning of object key string (nothing served)\n",
		},
		"two problems": {
			file: `{"project": {}, "projects": {"` + project + `": {"clusters": {"ledger": {"behaviour": {"latency": "1 second"}}}}}}`,
			want: "atlas-sandbox: FILE: 2 problems, nothing served:\n" +
				`  FILE:1:2: project: unknown key "project" (did you mean "projects"?): the fixtures file has only "apiKeys", "serviceAccounts", "projects"` + "\n" +
				`  FILE:1:108: projects.` + project + `.clusters.ledger.behaviour.latency: "1 second" is not a duration: write one as Go does, ` +
				`such as "200ms" or "1.5s"` + "\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			held, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			dir := t.TempDir()
			file := filepath.Join(dir, "fixtures.json")
			if err := os.WriteFile(file, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			envFile := filepath.Join(dir, "sandbox.env")
			code, stdout, stderr := runToExit(t, "-listen", held.Addr().String(), "-fixtures", file, "-env-file", envFile)
			if want := strings.ReplaceAll(tc.want, "FILE", file); code != 1 || stderr != want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1, stderr:\n%s", code, stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout: %s", stdout)
			}
			if _, err := os.Stat(envFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("env file written: %v", err)
			}
		})
	}
}

// TestListen_loopbackOnly: the sandbox has published credentials, so it
// refuses to listen anywhere but loopback.
func TestListen_loopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0", "192.0.2.1:8080", "example.com:8080", "127.0.0.1"} {
		t.Run(addr, func(t *testing.T) {
			code, stdout, stderr := runToExit(t, "-listen", addr)
			want := fmt.Sprintf("atlas-sandbox: -listen %q must be a loopback address such as 127.0.0.1:8080\n", addr)
			if code != 1 || stderr != want || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, stderr %q", code, stdout, stderr, want)
			}
		})
	}
}

func TestOrder_unknownRefused(t *testing.T) {
	code, stdout, stderr := runToExit(t, "-order", "random")
	if code != 1 || stdout != "" || stderr != "atlas-sandbox: -order: job order \"random\" is not one of newest, oldest, shuffled\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestGenerateWithFixtures_refused(t *testing.T) {
	code, _, stderr := runToExit(t, "-fixtures", "../../examples/sandbox-fixtures/fixtures.json", "-generate", "10")
	if code != 1 || !strings.Contains(stderr, "-generate adds to the built-in data: it does not work with -fixtures") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// command is a running atlas-sandbox.
type command struct {
	cmd            *exec.Cmd
	env            map[string]string // of its env file
	stdout, stderr bytes.Buffer
	copied         chan struct{} // closed once all of stdout is read
}

// start runs the command with an env file and returns once it listens: it
// prints "Atlas sandbox listening on" after writing the env file, so the
// test reads its output instead of polling for the file. The command is
// killed when the test ends, if stop has not ended it.
func start(t *testing.T, args ...string) *command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	envFile := filepath.Join(t.TempDir(), "sandbox.env")
	c := &command{cmd: exec.CommandContext(ctx, sandboxBinary, append(args, "-env-file", envFile)...), copied: make(chan struct{})}
	c.cmd.Stderr = &c.stderr
	pipe, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); <-c.copied; _ = c.cmd.Wait() })
	lines := bufio.NewReader(pipe)
	for {
		line, err := lines.ReadString('\n')
		c.stdout.WriteString(line)
		if err != nil {
			close(c.copied)
			waitErr := c.cmd.Wait() // before reading stderr, which the command writes until it ends
			t.Fatalf("atlas-sandbox ended before listening (%v, %v); stderr %s", err, waitErr, c.stderr.String())
		}
		if strings.HasPrefix(line, "Atlas sandbox listening on ") {
			break
		}
	}
	go func() {
		_, _ = io.Copy(&c.stdout, lines)
		close(c.copied)
	}()
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatalf("the env file, once listening: %v", err)
	}
	c.env = map[string]string{}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		name, value, _ := strings.Cut(strings.TrimPrefix(scanner.Text(), "export "), "=")
		c.env[name] = strings.Trim(value, `"`)
	}
	return c
}

// stop interrupts the command and returns how it ended.
func (c *command) stop(t *testing.T) error {
	t.Helper()
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-c.copied
	return c.cmd.Wait()
}

// get sends a GET of path to the command with its env file's key pair.
func (c *command) get(t *testing.T, path string) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Transport: digest.NewTransport(c.env["MONGODB_ATLAS_PUBLIC_API_KEY"], c.env["MONGODB_ATLAS_PRIVATE_API_KEY"])}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.env["MONGODB_ATLAS_BASE_URL"]+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.atlas.2023-01-01+json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, body
}

// TestFixtures_served: with the example fixtures the command says what it
// serves, writes an env file with the fixtures' key pair, serves the jobs to
// that key, and stops cleanly on an interrupt.
func TestFixtures_served(t *testing.T) {
	c := start(t, "-fixtures", "../../examples/sandbox-fixtures/fixtures.json")
	env := c.env
	if env["MONGODB_ATLAS_PUBLIC_API_KEY"] != "fixturepub" || env["MONGODB_ATLAS_PRIVATE_API_KEY"] == "" {
		t.Fatalf("env file: %v", env)
	}
	resp, body := c.get(t, "/api/atlas/v2/groups/6a0c82ed7379b6c6f1df8400/clusters/orders-sharded/backup/exports/6a7945592c88faeba59d7000")
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"replicaSetName":"atlas-q1w2e3-shard-1"`)) {
		t.Errorf("GET the sharded job: %d %s", resp.StatusCode, body)
	}

	if err := c.stop(t); err != nil {
		t.Errorf("after an interrupt: %v; stderr %s", err, c.stderr.String())
	}
	stdout := c.stdout.String()
	for _, want := range []string{
		"Atlas sandbox listening on " + env["MONGODB_ATLAS_BASE_URL"] + "\n",
		"  project 6a0c82ed7379b6c6f1df8400: clusters ledger (4 jobs; latency 150ms, 429 every 4 requests (Retry-After 1)), " +
			"ledger-reexported (4 jobs), orders-sharded (1 job); 3 export buckets (6a0c82ed7379b6c6f1df84d9 answers 401)\n",
		"  project 6a0c82ed7379b6c6f1df8500: clusters reporting (1 job), reporting-empty (0 jobs); 1 export bucket\n",
		"  API key fixturepub / (as in the fixtures); service account mdb_sa_id_6a0c82ed7379b6c6f1df84aa / (as in the fixtures)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, env["MONGODB_ATLAS_PRIVATE_API_KEY"]) {
		t.Errorf("stdout shows the fixtures' private key:\n%s", stdout)
	}
}

// TestMaxItemsPerPage: -max-items-per-page caps every list page at that
// many jobs, with the whole count and links of the size served.
func TestMaxItemsPerPage(t *testing.T) {
	c := start(t, "-max-items-per-page", "7")
	resp, body := c.get(t, "/api/atlas/v2/groups/"+sandbox.ProjectID+"/clusters/"+sandbox.ClusterGenerated+"/backup/exports?pageNum=2&itemsPerPage=500")
	var page struct {
		Links []struct {
			Href, Rel string
		}
		Results    []json.RawMessage
		TotalCount int
	}
	if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s: %v", resp.StatusCode, body, err)
	}
	if len(page.Results) != 7 || page.TotalCount != sandbox.GeneratedJobs || len(page.Links) != 3 ||
		!strings.HasSuffix(page.Links[2].Href, "pageNum=3&itemsPerPage=7") {
		t.Errorf("%d results of %d, links %v; want 7 of %d and a next link of 7", len(page.Results), page.TotalCount, page.Links, sandbox.GeneratedJobs)
	}
	if err := c.stop(t); err != nil {
		t.Errorf("after an interrupt: %v", err)
	}
	if !strings.Contains(c.stdout.String(), "at most 7 jobs a page") {
		t.Errorf("stdout does not say pages are capped:\n%s", c.stdout.String())
	}
}

func TestMaxItemsPerPage_refused(t *testing.T) {
	code, stdout, stderr := runToExit(t, "-max-items-per-page", "-1")
	if code != 1 || stdout != "" || stderr != "atlas-sandbox: -max-items-per-page -1 must be 0 (no cap) or more\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestWriteEnvFile: the env file exports the first key pair, or else the
// first service account, as the provider's environment variables.
func TestWriteEnvFile(t *testing.T) {
	cases := map[string]struct {
		credentials credentials
		want        string
	}{
		"key pair first": {
			credentials: credentials{keys: []sandbox.APIKey{{PublicKey: "p", PrivateKey: "s"}}, accounts: []sandbox.ServiceAccount{builtInAccount}},
			want:        "export MONGODB_ATLAS_BASE_URL=\"http://127.0.0.1:1\"\nexport MONGODB_ATLAS_PUBLIC_API_KEY=\"p\"\nexport MONGODB_ATLAS_PRIVATE_API_KEY=\"s\"\n",
		},
		"service account without key pairs": {
			credentials: credentials{keys: []sandbox.APIKey{}, accounts: []sandbox.ServiceAccount{{ClientID: "c", ClientSecret: "x"}}},
			want:        "export MONGODB_ATLAS_BASE_URL=\"http://127.0.0.1:1\"\nexport MONGODB_ATLAS_CLIENT_ID=\"c\"\nexport MONGODB_ATLAS_CLIENT_SECRET=\"x\"\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sandbox.env")
			if err := writeEnvFile(path, "http://127.0.0.1:1", tc.credentials); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil || string(got) != tc.want {
				t.Errorf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}
