package provider

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// testProviderFactories serve the provider in-process to the real terraform
// CLI that terraform-plugin-testing drives.
var testProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"atlasexports": providerserver.NewProtocol6WithError(New("test")()),
}

// TestMain refuses to let terraform-plugin-testing download a terraform
// binary: tests never reach the internet, so a missing terraform is an error
// that says what to install.
func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") != "" && os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		path, err := exec.LookPath("terraform")
		if err != nil {
			fmt.Fprintln(os.Stderr, "acceptance tests need the terraform CLI (1.11 or newer) on PATH, or "+
				"TF_ACC_TERRAFORM_PATH set to it; it was not found, and the tests do not download it.")
			os.Exit(1)
		}
		os.Setenv("TF_ACC_TERRAFORM_PATH", path) //nolint:usetesting // TestMain has no *testing.T
	}
	code := m.Run()
	removeCLIProvider()
	os.Exit(code)
}

// startSandbox serves a seeded sandbox for one test. configure runs before
// the server starts: the sandbox's fields are not to be set while it serves.
func startSandbox(t *testing.T, configure ...func(*sandbox.Server)) (*sandbox.Server, string) {
	t.Helper()
	sbx := sandbox.New()
	// Not Atlas's newest first: the contract promises no order, and the
	// data sources' order must be their own. A test may set another.
	sbx.JobOrder = sandbox.Shuffled
	for _, c := range configure {
		c(sbx)
	}
	srv := httptest.NewServer(sbx)
	t.Cleanup(srv.Close)
	return sbx, srv.URL
}

// accTest runs steps through the terraform CLI against the in-process provider.
func accTest(t *testing.T, steps ...resource.TestStep) {
	t.Helper()
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testProviderFactories, Steps: steps})
}

// expectState applies config and runs the state checks.
func expectState(t *testing.T, config string, checks ...statecheck.StateCheck) {
	t.Helper()
	accTest(t, resource.TestStep{Config: config, ConfigStateChecks: checks})
}

// expectError applies config and expects it to fail with an error matching want.
func expectError(t *testing.T, config string, want *regexp.Regexp) {
	t.Helper()
	accTest(t, resource.TestStep{Config: config, ExpectError: want})
}

// expectFailsBeforeAnyRequest applies config, expects an error matching want,
// and checks that the sandbox saw no request: the error came from validation
// or configuration, not from Atlas.
func expectFailsBeforeAnyRequest(t *testing.T, sbx *sandbox.Server, config string, want *regexp.Regexp) {
	t.Helper()
	expectError(t, config, want)
	if n := len(sbx.Requests()); n != 0 {
		t.Errorf("the sandbox saw %d requests; the configuration must fail before any", n)
	}
}

// errorText matches the phrases in order anywhere in terraform's output. A
// space in a phrase matches any run of white space, since terraform wraps
// long diagnostics.
func errorText(phrases ...string) *regexp.Regexp {
	parts := make([]string, len(phrases))
	for i, phrase := range phrases {
		words := strings.Fields(phrase)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		parts[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, `.*`))
}

// attr is one `name = "value"` line of a block.
func attr(name, value string) string {
	return fmt.Sprintf("%s = %q", name, value)
}

// block renders a configuration block with one line per argument.
func block(header string, lines ...string) string {
	var b strings.Builder
	b.WriteString("\n" + header + " {\n")
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// providerConfig is a provider block with exactly the given lines.
func providerConfig(lines ...string) string {
	return block(`provider "atlasexports"`, lines...)
}

// providerBlock configures the provider against a sandbox with its key
// pair; extra lines go inside the block.
func providerBlock(baseURL string, extra ...string) string {
	return providerConfig(append([]string{attr("base_url", baseURL), attr("public_key", sandbox.PublicKey),
		attr("private_key", sandbox.PrivateKey)}, extra...)...)
}

// serviceAccountBlock configures the provider against a sandbox with its
// service account; extra lines go inside the block.
func serviceAccountBlock(baseURL string, extra ...string) string {
	return providerConfig(append([]string{attr("base_url", baseURL), attr("client_id", sandbox.ClientID),
		attr("client_secret", sandbox.ClientSecret)}, extra...)...)
}

// exportsBlock is a snapshot_exports data source named "this".
func exportsBlock(cluster string, extra ...string) string {
	return namedExportsBlock("this", cluster, extra...)
}

// namedExportsBlock is a snapshot_exports data source of the sandbox project.
func namedExportsBlock(name, cluster string, extra ...string) string {
	return block(`data "atlasexports_snapshot_exports" "`+name+`"`,
		append([]string{attr("project_id", sandbox.ProjectID), attr("cluster_name", cluster)}, extra...)...)
}

// atlasEnv lists every environment variable the provider reads.
var atlasEnv = []string{EnvAccessToken, EnvPublicKey, EnvPublicAPIKey, EnvPrivateKey, EnvPrivateAPIKey, EnvClientID,
	EnvClientSecret, EnvBaseURL, EnvMaxRetries}

// clearAtlasEnv empties the provider's environment for one test, so that a
// developer's own Atlas credentials cannot change its outcome. Tests that
// call it cannot run in parallel.
func clearAtlasEnv(t *testing.T) {
	t.Helper()
	for _, name := range atlasEnv {
		t.Setenv(name, "")
	}
}

// setEnv sets environment variables in pairs (name, value) for one test.
func setEnv(t *testing.T, pairs ...string) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		t.Setenv(pairs[i], pairs[i+1])
	}
}

// requestSummary is the sandbox's view of the requests so far, one word per
// request in order: "token", "page<N>" for a list page, "job" for a single
// job, "bucket" for an export bucket, "other" otherwise.
func requestSummary(sbx *sandbox.Server) string {
	var words []string
	for _, r := range sbx.Requests() {
		q, _ := url.ParseQuery(r.RawQuery)
		switch {
		case r.Path == "/api/oauth/token":
			words = append(words, "token")
		case strings.HasSuffix(strings.TrimSuffix(r.Path, "/"), "/backup/exports"):
			words = append(words, "page"+q.Get("pageNum"))
		case strings.Contains(r.Path, "/backup/exports/"):
			words = append(words, "job")
		case strings.Contains(r.Path, "/backup/exportBuckets/"):
			words = append(words, "bucket")
		default:
			words = append(words, "other")
		}
	}
	return strings.Join(words, " ")
}

// expectAuth checks that every API request the sandbox authenticated used
// the given scheme ("digest" or "bearer"), and that there was at least one.
func expectAuth(t *testing.T, sbx *sandbox.Server, scheme string) {
	t.Helper()
	authenticated := 0
	for _, r := range sbx.Requests() {
		if !r.Authenticated {
			continue
		}
		authenticated++
		if r.Auth != scheme {
			t.Errorf("request %s %s authenticated with %q, want %q", r.Method, r.Path, r.Auth, scheme)
		}
	}
	if authenticated == 0 {
		t.Errorf("the sandbox authenticated no request; want %s requests", scheme)
	}
}

// shardedTotal is the check of a read of the docs-sharded cluster.
func shardedTotal() statecheck.StateCheck {
	return statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("total_count"), knownvalue.Int64Exact(2))
}

// The base URL comes from the environment when the provider block leaves it
// out. (The credential rules are in credentials_test.go.)
func TestProvider_baseURLFromEnvironment(t *testing.T) {
	clearAtlasEnv(t)
	setEnv(t, EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey)
	sbx, url := startSandbox(t)
	t.Setenv(EnvBaseURL, url)
	expectState(t, providerConfig()+exportsBlock(sandbox.ClusterSharded), shardedTotal())
	expectAuth(t, sbx, "digest")
}

// A bad value from the environment is an error naming the variable, not an
// error on an attribute the configuration never set; the same value in the
// attribute is that attribute's error.
func TestProvider_environmentErrorsNameTheVariable(t *testing.T) {
	for name, c := range map[string]struct {
		env      []string
		attrs    map[string]string
		summary  string
		wantPath path.Path // empty: no attribute
	}{
		"BASE_URL": {
			env: []string{EnvBaseURL, "ftp://example.com"}, summary: "Invalid " + EnvBaseURL, wantPath: path.Empty(),
		},
		"MAX_RETRIES": {
			env: []string{EnvMaxRetries, "many"}, attrs: map[string]string{"base_url": "https://cloud.mongodb.com"},
			summary: "Invalid " + EnvMaxRetries, wantPath: path.Empty(),
		},
		"base_url": {
			env: []string{EnvBaseURL, "https://cloud.mongodb.com"}, attrs: map[string]string{"base_url": "ftp://example.com"},
			summary: "Invalid Atlas base URL", wantPath: path.Root("base_url"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			clearAtlasEnv(t)
			setEnv(t, append([]string{EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey}, c.env...)...)
			diags := configureProvider(t, c.attrs)
			if len(diags) != 1 || diags[0].Summary() != c.summary {
				t.Fatalf("diagnostics %v, want one error %q", diags, c.summary)
			}
			got := path.Empty()
			if withPath, ok := diags[0].(diag.DiagnosticWithPath); ok {
				got = withPath.Path()
			}
			if !got.Equal(c.wantPath) {
				t.Errorf("the error is tied to %q, want %q", got, c.wantPath)
			}
			if c.wantPath.Equal(path.Empty()) && !strings.Contains(diags[0].Detail(), c.env[0]) {
				t.Errorf("the detail %q does not name %s", diags[0].Detail(), c.env[0])
			}
		})
	}
}

// configureProvider runs the provider's Configure on a configuration with
// the given string attributes set and every other one null.
func configureProvider(t *testing.T, attrs map[string]string) diag.Diagnostics {
	t.Helper()
	ctx := context.Background()
	p := New("test")()
	var schemaResp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &schemaResp)
	objectType, ok := schemaResp.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatal("the provider schema is not an object")
	}
	set := map[string]tftypes.Value{}
	for name, v := range attrs {
		set[name] = tftypes.NewValue(tftypes.String, v)
	}
	var resp provider.ConfigureResponse
	p.Configure(ctx, provider.ConfigureRequest{
		Config: tfsdk.Config{Schema: schemaResp.Schema, Raw: configValue(objectType, set)},
	}, &resp)
	return resp.Diagnostics
}

// Through terraform, the same errors fail the plan before any request.
func TestProvider_invalidEnvironmentFailsBeforeAnyRequest(t *testing.T) {
	for name, c := range map[string]struct {
		env  []string
		want *regexp.Regexp
	}{
		"BASE_URL": {
			env:  []string{EnvBaseURL, "http://cloud.mongodb.com"},
			want: errorText("Invalid "+EnvBaseURL, "The URL in the environment variable "+EnvBaseURL, "plain http", "set base_url"),
		},
		"MAX_RETRIES": {
			env:  []string{EnvMaxRetries, "-1"},
			want: errorText("Invalid "+EnvMaxRetries, `The environment variable `+EnvMaxRetries+` is "-1"`, "from 0 to 20"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			clearAtlasEnv(t)
			setEnv(t, c.env...)
			sbx, url := startSandbox(t)
			config := providerConfig(attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey))
			if c.env[0] != EnvBaseURL {
				config = providerBlock(url)
			}
			expectFailsBeforeAnyRequest(t, sbx, config+exportsBlock(sandbox.ClusterSharded), c.want)
		})
	}
}

func TestProvider_invalidAttributesFailAtPlan(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		provider func(url string) string
		want     *regexp.Regexp
	}{
		"base_url not http": {
			provider: func(string) string { return providerBlock("ftp://example.com") },
			want:     errorText("Invalid Atlas base URL", `base_url = "ftp://example.com"`, "not an absolute http(s) URL"),
		},
		"base_url not a URL": {
			provider: func(string) string { return providerBlock("cloud.mongodb.com") },
			want:     errorText("Invalid Atlas base URL", `base_url = "cloud.mongodb.com"`, "not an absolute http(s) URL"),
		},
		"base_url plain http to a public host": {
			provider: func(string) string { return providerBlock("http://cloud.mongodb.com") },
			want:     errorText("Invalid Atlas base URL", `base_url = "http://cloud.mongodb.com"`, "plain http", "use https"),
		},
		"base_url plain http to a private address": {
			provider: func(string) string { return providerBlock("http://10.1.2.3:8080") },
			want:     errorText("Invalid Atlas base URL", `base_url = "http://10.1.2.3:8080"`, "plain http", "use https"),
		},
		"request_timeout not a duration": {
			provider: func(url string) string { return providerBlock(url, attr("request_timeout", "soon")) },
			want:     errorText("Invalid duration", `request_timeout = "soon"`, `"soon" is not a positive duration`),
		},
		"api_version v3": {
			provider: func(url string) string { return providerBlock(url, attr("api_version", "v3")) },
			want:     errorText(`api_version = "v3"`, `value must be one of: ["v2" "v1.0"], got: "v3"`),
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx, c.provider(url)+exportsBlock(sandbox.ClusterSharded), c.want)
		})
	}
}

func TestProvider_serviceAccount(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	expectState(t, serviceAccountBlock(url)+exportsBlock(sandbox.ClusterSharded),
		shardedTotal(),
		statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results").AtSliceIndex(1).AtMapKey("id"),
			knownvalue.StringExact("606758180d97065aabbe5b85")))
	expectAuth(t, sbx, "bearer")
	if sbx.TokensIssued() == 0 {
		t.Error("the sandbox issued no access token")
	}
}

// A wrong secret fails with Atlas's 401 and what to check.
func TestProvider_wrongSecret(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		credentials []string
		want        *regexp.Regexp
	}{
		"private_key": {
			credentials: []string{attr("public_key", sandbox.PublicKey), attr("private_key", "wrong")},
			want: errorText("Unable to list snapshot export jobs", "HTTP 401", "You are not authorized for this resource",
				"did not accept the credentials", "In use: an API key (public_key, private_key) from the provider block"),
		},
		"client_secret": {
			credentials: []string{attr("client_id", sandbox.ClientID), attr("client_secret", "wrong")},
			want: errorText("Unable to list snapshot export jobs", "getting the service account token (POST /api/oauth/token)",
				"HTTP 401", "invalid_client", "refused the service account's credentials", "client_id and client_secret"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, url := startSandbox(t)
			expectError(t, providerConfig(append([]string{attr("base_url", url)}, c.credentials...)...)+
				exportsBlock(sandbox.ClusterSharded), c.want)
		})
	}
}

// A server at base_url that challenges with something an API key cannot
// answer (a proxy asking for its own credentials, or a challenge the digest
// library cannot parse, which used to crash the provider) fails the plan after
// one request, quoting the challenge and pointing at base_url and the proxy.
func TestProvider_challengeNotAtlas(t *testing.T) {
	t.Parallel()
	for name, challenge := range map[string]string{"another scheme": `Basic realm="proxy"`, "malformed Digest": "Digest realm"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				w.Header().Set("WWW-Authenticate", challenge)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer srv.Close()
			expectError(t, providerBlock(srv.URL)+exportsBlock(sandbox.ClusterSharded),
				errorText("Unable to list snapshot export jobs", "HTTP 401", "WWW-Authenticate challenge",
					"not Atlas's HTTP Digest", "Check base_url and the network path"))
			if n := requests.Load(); n != 1 {
				t.Errorf("%d requests, want 1: asking again earns the same challenge", n)
			}
		})
	}
}

// A token that lasts 61 s is stale at once for a client that renews a minute
// early: a page read after a slow one must fetch a new token mid-walk.
func TestProvider_serviceAccountTokenRenewal(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t, func(s *sandbox.Server) { s.TokenLifetime = 61 * time.Second })
	// Three pages of 500, read one at a time; the second is slow.
	const cluster, jobs = "three-pages", 1001
	sbx.SetJobs(sandbox.ProjectID, cluster, sandbox.GenerateJobs(cluster, jobs, 2))
	sbx.AddFault(sandbox.Fault{Cluster: cluster, Page: 2, Hang: 1500 * time.Millisecond, Times: 1})
	// Without bucket reads, which would take their turn between the pages.
	expectState(t, serviceAccountBlock(url, "max_concurrent_requests = 1")+exportsBlock(cluster, "resolve_export_buckets = false"),
		statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("total_count"), knownvalue.Int64Exact(jobs)),
		statecheck.ExpectKnownValue(exportsAddr, tfjsonpath.New("results"), knownvalue.ListSizeExact(jobs)))
	if n := sbx.TokensIssued(); n < 2 {
		t.Errorf("the sandbox issued %d tokens; want more than 1", n)
	}
	if seq := requestSummary(sbx); !strings.Contains(seq, "page2 token page3") {
		t.Errorf("no token was renewed between the slow page 2 and page 3 of one read; requests: %s", seq)
	}
}

// api_version v1.0 and v2 read the same jobs: one step per version, compared
// across the steps. (Two aliased providers in one configuration would not do:
// with the provider served in-process, both configure one server, and the
// last configuration wins for both.)
func TestProvider_apiVersionsReadTheSame(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	clusters := map[string]int64{sandbox.ClusterSharded: 2, sandbox.ClusterGenerated: sandbox.GeneratedJobs}
	// One comparison per cluster and attribute, fed by both steps.
	same := map[string]interface {
		AddStateValue(string, tfjsonpath.Path) statecheck.StateCheck
	}{}
	var dataSources string
	for cluster := range clusters {
		dataSources += namedExportsBlock(cluster, cluster)
		same[cluster+".total_count"] = statecheck.CompareValue(compare.ValuesSame())
		same[cluster+".results"] = statecheck.CompareValue(compare.ValuesSame())
	}
	step := func(providerLines ...string) resource.TestStep {
		var checks []statecheck.StateCheck
		for cluster, total := range clusters {
			addr := "data.atlasexports_snapshot_exports." + cluster
			checks = append(checks,
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("total_count"), knownvalue.Int64Exact(total)),
				same[cluster+".total_count"].AddStateValue(addr, tfjsonpath.New("total_count")),
				same[cluster+".results"].AddStateValue(addr, tfjsonpath.New("results")))
		}
		return resource.TestStep{Config: providerBlock(url, providerLines...) + dataSources, ConfigStateChecks: checks}
	}
	accTest(t, step(), step(attr("api_version", "v1.0")))

	seen := map[string]bool{}
	for _, r := range sbx.Requests() {
		if !r.Authenticated {
			continue
		}
		version := strings.Split(r.Path, "/")[3]
		seen[version] = true
		want := map[string]string{"v1.0": atlas.MediaTypeV1, "v2": atlas.MediaTypeV2}[version]
		if strings.Contains(r.Path, "/backup/exportBuckets/") {
			// Buckets are read from v2 whatever api_version says.
			want = map[string]string{"v2": atlas.MediaTypeBuckets}[version]
		}
		if r.Accept != want {
			t.Errorf("%s asked for %q, want %q", r.Path, r.Accept, want)
		}
	}
	if !seen["v1.0"] || !seen["v2"] {
		t.Errorf("the sandbox saw API versions %v; want both /api/atlas/v1.0/ and /api/atlas/v2/", seen)
	}
}

// A TRACE log of a read holds neither secret nor digest answer nor bearer
// token. The secrets come from the environment: the test harness logs the
// whole configuration at TRACE, so secrets in it would be found there.
func TestProvider_traceLogHidesSecrets(t *testing.T) {
	for name, c := range map[string]struct {
		env       []string
		forbidden []string
	}{
		"api key": {
			env:       []string{EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey},
			forbidden: []string{sandbox.PrivateKey, `response="`, "Digest username"},
		},
		"service account": {
			env:       []string{EnvClientID, sandbox.ClientID, EnvClientSecret, sandbox.ClientSecret},
			forbidden: []string{sandbox.ClientSecret, "Bearer ", `"access_token"`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			clearAtlasEnv(t)
			logPath := filepath.Join(t.TempDir(), "tf.log")
			// TF_ACC_LOG_PATH adds terraform's own log to the provider's.
			setEnv(t, "TF_LOG", "TRACE", "TF_LOG_PATH", logPath, "TF_ACC_LOG_PATH", logPath)
			setEnv(t, c.env...)
			_, url := startSandbox(t)
			expectState(t, providerConfig(attr("base_url", url))+exportsBlock(sandbox.ClusterSharded),
				shardedTotal())
			data, err := os.ReadFile(logPath)
			if err != nil {
				t.Fatalf("reading the log: %v", err)
			}
			log := string(data)
			for _, want := range []string{"sending Atlas request", "Atlas answered", "status=200"} {
				if !strings.Contains(log, want) {
					t.Fatalf("the log (%d bytes) lacks %q: the provider's log lines did not reach it", len(log), want)
				}
			}
			for _, secret := range c.forbidden {
				if i := strings.Index(log, secret); i >= 0 {
					t.Errorf("the log shows %q: ...%s...", secret, log[max(0, i-200):min(len(log), i+200)])
				}
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer that several goroutines may write to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
