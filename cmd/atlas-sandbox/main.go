// Command atlas-sandbox serves the local Atlas sandbox (internal/sandbox) on
// a loopback address, for `make demo`, for trying the provider by hand and
// for testing Terraform modules against fixtures of their own (-fixtures).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free one)")
	envFile := flag.String("env-file", "", "once listening, write shell exports of the base URL and a key pair (or service account) it accepts to this file")
	fixtures := flag.String("fixtures", "", "serve the projects, clusters, export jobs and export buckets of this JSON file instead of the built-in data\n"+
		"(format: https://github.com/atlasexports/terraform-provider-atlasexports/tree/main/examples/sandbox-fixtures)")
	latency := flag.Duration("latency", 0, "delay every answer by this much, to model the round trip to Atlas")
	generate := flag.Int("generate", 0, "also seed a cluster named generated-N with N generated jobs (benchmarks; built-in data only)")
	order := flag.String("order", "newest", "the order in which every cluster's jobs are listed: newest (the default; the contract promises no order), oldest or shuffled")
	maxItemsPerPage := flag.Int("max-items-per-page", 0, "serve at most this many jobs a list page, whatever itemsPerPage asks, as a server or proxy that caps pages may (0: no cap)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("atlas-sandbox: ")

	host, _, err := net.SplitHostPort(*listen)
	if err != nil || !atlas.IsLoopback(host) {
		log.Fatalf("-listen %q must be a loopback address such as 127.0.0.1:8080", *listen)
	}
	// Everything that can be wrong is found before the port is taken, so
	// that a script waiting for the sandbox never talks to a half-set one.
	srv, served, err := newSandbox(*fixtures, *generate)
	if err != nil {
		log.Fatal(err)
	}
	srv.Latency = *latency
	if srv.JobOrder, err = sandbox.ParseJobOrder(*order); err != nil {
		log.Fatalf("-order: %v", err)
	}
	if *maxItemsPerPage < 0 {
		log.Fatalf("-max-items-per-page %d must be 0 (no cap) or more", *maxItemsPerPage)
	}
	if srv.MaxItemsPerPage = *maxItemsPerPage; *maxItemsPerPage > 0 {
		served.lines = append(served.lines, fmt.Sprintf("at most %d jobs a page, whatever itemsPerPage asks", *maxItemsPerPage))
	}
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	baseURL := "http://" + listener.Addr().String()
	server := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}

	if *envFile != "" {
		if err := writeEnvFile(*envFile, baseURL, served.credentials); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("Atlas sandbox listening on %s\n", baseURL)
	for _, line := range served.lines {
		fmt.Println("  " + line)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}()
	if err := server.Serve(listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// served is what the sandbox serves: summary lines for its start-up
// message, and the credentials the env file exports.
type served struct {
	lines       []string
	credentials credentials
}

type credentials struct {
	keys     []sandbox.APIKey
	accounts []sandbox.ServiceAccount
}

var builtInKey, builtInAccount = sandbox.APIKey{PublicKey: sandbox.PublicKey, PrivateKey: sandbox.PrivateKey},
	sandbox.ServiceAccount{ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret}

func newSandbox(fixturesPath string, generate int) (*sandbox.Server, served, error) {
	if fixturesPath == "" {
		return builtInSandbox(generate)
	}
	if generate > 0 {
		return nil, served{}, errors.New("-generate adds to the built-in data: it does not work with -fixtures (give the jobs in the fixtures file instead)")
	}
	f, err := loadFixtures(fixturesPath)
	if err != nil {
		return nil, served{}, err
	}
	s := served{lines: []string{"fixtures " + fixturesPath}}
	for _, p := range f.Projects {
		s.lines = append(s.lines, describeProject(p))
	}
	keys, accounts := f.AcceptedCredentials()
	s.credentials = credentials{keys: keys, accounts: accounts}
	s.lines = append(s.lines, describeCredentials(s.credentials))
	return sandbox.NewFromFixtures(f), s, nil
}

func builtInSandbox(generate int) (*sandbox.Server, served, error) {
	srv := sandbox.New()
	s := served{lines: []string{fmt.Sprintf("project %s, clusters %s, %s, %s (%d jobs), %s, %s (a job per kind of export bucket), "+
		"%s (an old snapshot exported after newer ones)",
		sandbox.ProjectID, sandbox.ClusterReplicaSet, sandbox.ClusterSharded, sandbox.ClusterGenerated, sandbox.GeneratedJobs,
		sandbox.ClusterEmpty, sandbox.ClusterBucketKinds, sandbox.ClusterReexported)}}
	if generate > 0 {
		extraCluster := fmt.Sprintf("generated-%d", generate)
		srv.SetJobs(sandbox.ProjectID, extraCluster, sandbox.GenerateJobs(extraCluster, generate, 1))
		s.lines = append(s.lines, fmt.Sprintf("cluster %s (%d jobs)", extraCluster, generate))
	}
	s.credentials = credentials{keys: []sandbox.APIKey{builtInKey}, accounts: []sandbox.ServiceAccount{builtInAccount}}
	s.lines = append(s.lines, describeCredentials(s.credentials))
	return srv, s, nil
}

// loadFixtures reads a fixtures file; its problems come one a line, each
// as FILE:LINE:COLUMN: PATH: MESSAGE, which editors can jump to.
func loadFixtures(path string) (*sandbox.Fixtures, error) {
	file, err := os.Open(path) //nolint:gosec // the file the user named
	if err != nil {
		return nil, fmt.Errorf("-fixtures: %w", err)
	}
	defer file.Close()
	f, err := sandbox.LoadFixtures(file)
	var problems *sandbox.FixturesError
	if !errors.As(err, &problems) {
		return f, err
	}
	lines := make([]string, len(problems.Problems))
	for i, p := range problems.Problems {
		lines[i] = path + ":" + p.String()
	}
	if len(lines) == 1 {
		return nil, fmt.Errorf("%s (nothing served)", lines[0])
	}
	return nil, fmt.Errorf("%s: %d problems, nothing served:\n  %s", path, len(lines), strings.Join(lines, "\n  "))
}

func describeProject(p sandbox.FixtureProject) string {
	var clusters []string
	for _, c := range p.Clusters {
		text := fmt.Sprintf("%s (%s", c.Name, plural(len(c.Jobs), "job"))
		if b := c.Behaviour.String(); b != "" {
			text += "; " + b
		}
		clusters = append(clusters, text+")")
	}
	var forbidden []string
	for _, b := range p.ExportBuckets {
		if b.Behaviour.Status > 0 {
			forbidden = append(forbidden, fmt.Sprintf("%s answers %d", b.Bucket.ID(), b.Behaviour.Status))
		}
	}
	buckets := plural(len(p.ExportBuckets), "export bucket")
	if len(forbidden) > 0 {
		buckets += " (" + strings.Join(forbidden, ", ") + ")"
	}
	if len(clusters) == 0 {
		clusters = []string{"none"}
	}
	return fmt.Sprintf("project %s: clusters %s; %s", p.ID, strings.Join(clusters, ", "), buckets)
}

// describeCredentials names the accepted credentials. The built-in secrets
// are published, so they are shown; secrets from a fixtures file are not,
// since start-up messages end up in CI logs.
func describeCredentials(c credentials) string {
	const hidden = "(as in the fixtures)" //nolint:gosec // G101: a placeholder shown instead of a secret
	var parts []string
	for _, k := range c.keys {
		shown := hidden
		if k == builtInKey {
			shown = k.PrivateKey
		}
		parts = append(parts, fmt.Sprintf("API key %s / %s", k.PublicKey, shown))
	}
	for _, a := range c.accounts {
		shown := hidden
		if a == builtInAccount {
			shown = a.ClientSecret
		}
		parts = append(parts, fmt.Sprintf("service account %s / %s", a.ClientID, shown))
	}
	if len(parts) == 0 {
		return "no credentials: every request answers 401"
	}
	return strings.Join(parts, "; ")
}

// writeEnvFile writes shell exports of the base URL and the first key pair,
// or else the first service account.
func writeEnvFile(path, baseURL string, c credentials) error {
	var env strings.Builder
	fmt.Fprintf(&env, "export MONGODB_ATLAS_BASE_URL=%q\n", baseURL)
	switch {
	case len(c.keys) > 0:
		fmt.Fprintf(&env, "export MONGODB_ATLAS_PUBLIC_API_KEY=%q\nexport MONGODB_ATLAS_PRIVATE_API_KEY=%q\n", c.keys[0].PublicKey, c.keys[0].PrivateKey)
	case len(c.accounts) > 0:
		fmt.Fprintf(&env, "export MONGODB_ATLAS_CLIENT_ID=%q\nexport MONGODB_ATLAS_CLIENT_SECRET=%q\n",
			c.accounts[0].ClientID, c.accounts[0].ClientSecret)
	}
	// Written whole under a temporary name, so a reader never sees half of it.
	if err := os.WriteFile(path+".tmp", []byte(env.String()), 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
