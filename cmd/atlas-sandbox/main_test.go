package main

import (
	"bufio"
	"bytes"
	"context"
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

// TestFixtures_served: with the example fixtures the command says what it
// serves, writes an env file with the fixtures' key pair, serves the jobs to
// that key, and stops cleanly on an interrupt.
func TestFixtures_served(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	envFile := filepath.Join(t.TempDir(), "sandbox.env")
	cmd := exec.CommandContext(ctx, sandboxBinary, "-fixtures", "../../examples/sandbox-fixtures/fixtures.json", "-env-file", envFile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()

	env := waitForEnvFile(ctx, t, envFile, exited)
	if env["MONGODB_ATLAS_PUBLIC_API_KEY"] != "fixturepub" || env["MONGODB_ATLAS_PRIVATE_API_KEY"] == "" {
		t.Fatalf("env file: %v", env)
	}
	client := &http.Client{Transport: digest.NewTransport(env["MONGODB_ATLAS_PUBLIC_API_KEY"], env["MONGODB_ATLAS_PRIVATE_API_KEY"])}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		env["MONGODB_ATLAS_BASE_URL"]+"/api/atlas/v2/groups/6a0c82ed7379b6c6f1df8400/clusters/orders-sharded/backup/exports/6a7945592c88faeba59d7000", nil)
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
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"replicaSetName":"atlas-q1w2e3-shard-1"`)) {
		t.Errorf("GET the sharded job: %d %s", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-exited
	if waitErr != nil {
		t.Errorf("after an interrupt: %v; stderr %s", waitErr, stderr.String())
	}
	for _, want := range []string{
		"Atlas sandbox listening on " + env["MONGODB_ATLAS_BASE_URL"] + "\n",
		"  project 6a0c82ed7379b6c6f1df8400: clusters ledger (4 jobs; latency 150ms, 429 every 4 requests (Retry-After 1)), " +
			"ledger-reexported (4 jobs), orders-sharded (1 job); 3 export buckets (6a0c82ed7379b6c6f1df84d9 answers 403)\n",
		"  project 6a0c82ed7379b6c6f1df8500: clusters reporting (1 job), reporting-empty (0 jobs); 1 export bucket\n",
		"  API key fixturepub / (as in the fixtures); service account mdb_sa_id_6a0c82ed7379b6c6f1df84aa / (as in the fixtures)\n",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), env["MONGODB_ATLAS_PRIVATE_API_KEY"]) {
		t.Errorf("stdout shows the fixtures' private key:\n%s", stdout.String())
	}
}

// waitForEnvFile waits until the command has written its env file, and
// reads its exports.
func waitForEnvFile(ctx context.Context, t *testing.T, path string, exited <-chan struct{}) map[string]string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if data, err := os.ReadFile(path); err == nil {
			env := map[string]string{}
			scanner := bufio.NewScanner(bytes.NewReader(data))
			for scanner.Scan() {
				name, value, _ := strings.Cut(strings.TrimPrefix(scanner.Text(), "export "), "=")
				env[name] = strings.Trim(value, `"`)
			}
			return env
		}
		select {
		case <-exited:
			t.Fatal("atlas-sandbox exited before writing its env file")
		case <-ctx.Done():
			t.Fatal("atlas-sandbox did not write its env file in time")
		case <-tick.C:
		}
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
