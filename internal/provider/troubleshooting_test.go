package provider

import (
	"bufio"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// troubleshootingGuide is the page whose quoted messages must be the
// provider's own.
var troubleshootingGuide = filepath.Join("..", "..", "templates", "guides", "troubleshooting.md.tmpl")

// quoteMarker names the scenario of the ```text block right after it.
var quoteMarker = regexp.MustCompile(`^<!--\s*message:\s*([a-z0-9-]+)\s*-->$`)

// The project and cluster the guide's messages name, as a reader's would be.
const (
	guideProject = "32b6e34b3d91647abb20e7b8"
	guideCluster = "orders"
	// guideDeletedBucket is an export bucket the guide's jobs name and
	// Atlas no longer has.
	guideDeletedBucket = "6a4b207157ab93bba9582d98"
)

// troubleshootingScenario is what makes terraform print one message.
type troubleshootingScenario struct {
	fault *sandbox.Fault
	env   []string // environment variables, in pairs
	// provider lines besides base_url; nil for the sandbox's key pair.
	provider []string
	// data is the data source block; "" for the list of guideCluster.
	data string
	// proxy, when set, answers every request instead of the sandbox, as
	// something between Terraform and Atlas may.
	proxy http.HandlerFunc
	// baseURL, when set, is the provider's base_url instead of the
	// sandbox's.
	baseURL string
	// setup changes the guide's sandbox before the plan.
	setup func(*sandbox.Server)
	// action, when set, is the config of an atlasexports_export_snapshot
	// action on cluster of the sandbox's seeded project, invoked with
	// terraform apply -invoke instead of planning data: Terraform 1.14 or
	// later.
	action  []string
	cluster string
}

func guideList(extra ...string) string {
	return block(`data "atlasexports_snapshot_exports" "orders"`,
		append([]string{attr("project_id", guideProject), attr("cluster_name", guideCluster)}, extra...)...)
}

// rateLimited is a 429 as Atlas words it; the number in its detail varies
// with the endpoint.
const rateLimited = `{"detail":"Resource /api/atlas/v2/groups/` + guideProject + `/clusters/` + guideCluster +
	`/backup/exports is limited to 100 requests every 1 minutes.","error":429,"errorCode":"RATE_LIMITED",` +
	`"parameters":["/api/atlas/v2/groups/` + guideProject + `/clusters/` + guideCluster + `/backup/exports",100,1],` +
	`"reason":"Too Many Requests"}`

// notOnAccessList is Atlas's 403 for an address the credentials' access list
// does not allow.
const notOnAccessList = `{"detail":"IP address 203.0.113.7 is not allowed to access this resource.","error":403,` +
	`"errorCode":"IP_ADDRESS_NOT_ON_ACCESS_LIST","parameters":["203.0.113.7"],"reason":"Forbidden"}`

// missingRole is Atlas's 401 for a valid key that lacks the operation's
// role, in the words users of the mongodbatlas provider quote (issues 659
// and 1371 of mongodb/terraform-provider-mongodbatlas); no recording holds
// one.
const missingRole = `{"detail":"Current user is not authorized to perform this action.","error":401,` +
	`"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}`

var troubleshootingScenarios = map[string]troubleshootingScenario{
	"missing-role": {
		fault: &sandbox.Fault{Status: 401, Body: missingRole, ContentType: "application/json"},
	},
	"several-kinds": {
		env: []string{EnvClientID, sandbox.ClientID, EnvClientSecret, sandbox.ClientSecret,
			EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey},
		provider: []string{},
	},
	"incomplete": {
		provider: []string{attr("public_key", sandbox.PublicKey)},
		env:      []string{EnvPrivateAPIKey, sandbox.PrivateKey},
	},
	"unauthorized": {
		provider: []string{attr("public_key", sandbox.PublicKey), attr("private_key", "e2f4a6c8-0000-0000-0000-000000000000")},
	},
	"access-list": {
		fault: &sandbox.Fault{Status: 403, Body: notOnAccessList, ContentType: "application/json"},
	},
	"not-found": {
		data: block(`data "atlasexports_snapshot_exports" "orders"`, attr("project_id", guideProject), attr("cluster_name", "ordres")),
	},
	"rate-limited": {
		fault:    &sandbox.Fault{Status: 429, RetryAfter: "1", Body: rateLimited, ContentType: "application/json"},
		provider: []string{attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey), "max_retries = 2"},
	},
	"token-rate-limited": {
		fault: &sandbox.Fault{TokenEndpoint: true, Status: 429, RetryAfter: "1"},
		provider: []string{attr("client_id", sandbox.ClientID), attr("client_secret", sandbox.ClientSecret),
			"max_retries = 1"},
	},
	"access-token-refused": {
		env:      []string{EnvAccessToken, "eyJhbGciOiJSUzI1NiJ9.expired"},
		provider: []string{},
	},
	"token-refused": {
		provider: []string{attr("client_id", sandbox.ClientID), attr("client_secret", "mdb_sa_sk_revoked")},
	},
	"deleted-bucket": {},
	"no-answer": {
		fault: &sandbox.Fault{Hang: time.Minute},
		provider: []string{attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey),
			`request_timeout = "2s"`, "max_retries = 1"},
	},
	"read-timeout": {
		fault: &sandbox.Fault{Hang: time.Minute},
		data:  guideList(`timeouts = { read = "3s" }`),
	},
	"proxy-challenge": {
		proxy: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("WWW-Authenticate", `Basic realm="corporate proxy"`)
			w.WriteHeader(http.StatusUnauthorized)
		},
	},
	"no-credentials": {
		provider: []string{},
	},
	"unknown-provider-value": {
		provider: []string{`public_key = terraform_data.key.output`, attr("private_key", sandbox.PrivateKey)},
		data:     guideList() + block(`resource "terraform_data" "key"`, attr("input", sandbox.PublicKey)),
	},
	"http-base-url": {
		baseURL: "http://cloud.mongodb.com",
	},
	"base-url-env": {
		env:     []string{EnvBaseURL, "cloud.mongodb.com"},
		baseURL: "-",
	},
	"max-retries-env": {
		env: []string{EnvMaxRetries, "five"},
	},
	"invalid-duration": {
		provider: []string{attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey),
			`request_timeout = "60"`},
	},
	"invalid-read-timeout": {
		data: guideList(`timeouts = { read = "20" }`),
	},
	"state-case": {
		data: guideList(`states = ["successful"]`),
	},
	"state-name": {
		data: guideList(`states = ["In Progress"]`),
	},
	"unknown-state": {
		data: guideList(`states = ["Succesful"]`), //nolint:misspell // the typo the warning is about
	},
	"export-id-and-most-recent": {
		data: block(`data "atlasexports_snapshot_export" "orders"`, attr("project_id", guideProject),
			attr("cluster_name", guideCluster), attr("export_id", guideDeletedBucket), "most_recent = true"),
	},
	"no-job-selected": {
		data: block(`data "atlasexports_snapshot_export" "orders"`, attr("project_id", guideProject),
			attr("cluster_name", guideCluster)),
	},
	"only-with-most-recent": {
		data: block(`data "atlasexports_snapshot_export" "orders"`, attr("project_id", guideProject),
			attr("cluster_name", guideCluster), attr("export_id", guideDeletedBucket), `states = ["Successful"]`),
	},
	"server-error": {
		fault:    &sandbox.Fault{Status: 503},
		provider: []string{attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey), "max_retries = 1"},
	},
	"bucket-refused": {
		fault: &sandbox.Fault{ExportBucketID: guideDeletedBucket, Status: 401, Body: missingRole, ContentType: "application/json"},
	},
	"azure-address": {
		setup: func(s *sandbox.Server) {
			s.SetExportBuckets(guideProject, sandbox.ExportBucket{"_id": guideDeletedBucket, "bucketName": "exports",
				"cloudProvider": "AZURE", "serviceUrl": "https://exports.blob.core.usgovcloudapi.net/exports",
				"roleId": "64b7e31bc1d2a3b4c5d6e902", "tenantId": "4297fc77-1592-4de8-a6d5-a8c32401df87"})
		},
	},
	"action-no-completed-snapshot": {
		cluster: sandbox.ClusterEmpty,
		action:  []string{attr("export_bucket_id", sandbox.BucketAWS)},
	},
	"action-snapshot-not-found": {
		action: []string{attr("export_bucket_id", sandbox.BucketAWS), attr("snapshot_id", sandbox.SnapshotShardedNewest)},
	},
	"action-snapshot-not-completed": {
		action: []string{attr("export_bucket_id", sandbox.BucketAWS), attr("snapshot_id", sandbox.SnapshotInProgress)},
	},
	"action-bucket-not-found": {
		action: []string{attr("export_bucket_id", sandbox.BucketDeleted)},
	},
	"action-invalid-timeout": {
		action: []string{attr("export_bucket_id", sandbox.BucketAWS), `timeouts = { invoke = "0s" }`},
	},

	"no-successful-export": {
		data: block(`data "atlasexports_snapshot_export" "orders"`, attr("project_id", guideProject),
			attr("cluster_name", "orders-staging"), "most_recent = true"),
	},
}

// guideSandbox serves guideProject: the cluster orders, whose jobs export to
// a bucket that has since been deleted, and orders-staging, whose only job
// failed.
func guideSandbox(t *testing.T, fault *sandbox.Fault, setup func(*sandbox.Server)) string {
	t.Helper()
	_, url := startSandbox(t, func(s *sandbox.Server) {
		jobs := sandbox.GenerateJobs(guideCluster, 3, 1)
		for i := range jobs {
			jobs[i].ExportBucketID = guideDeletedBucket
		}
		s.SetJobs(guideProject, guideCluster, jobs)
		staging := sandbox.GenerateJobs("orders-staging", 1, 2)
		staging[0].State = "Failed"
		s.SetJobs(guideProject, "orders-staging", staging)
		if fault != nil {
			s.AddFault(*fault)
		}
		if setup != nil {
			setup(s)
		}
	})
	return url
}

// The troubleshooting guide quotes the provider's messages as terraform
// prints them: each ```text block after a `<!-- message: NAME -->` line
// must be, white space aside, what terraform prints for scenario NAME, one
// paragraph after another (terraform puts the place in the configuration
// between a message's summary and its detail). Every scenario is quoted.
func TestTroubleshootingGuide_quotesRealMessages(t *testing.T) {
	quotes := guideQuotes(t)
	for name := range troubleshootingScenarios {
		if _, ok := quotes[name]; !ok {
			t.Errorf("the guide quotes no message for scenario %q", name)
		}
	}
	for name, quote := range quotes {
		t.Run(name, func(t *testing.T) {
			c, ok := troubleshootingScenarios[name]
			if !ok {
				t.Fatalf("the guide quotes a message for %q, which has no scenario here", name)
			}
			var out string
			if c.action != nil {
				out = invokeGuideAction(t, c)
			} else {
				out = planGuide(t, c)
			}
			got := strings.Join(strings.Fields(out), " ")
			at := 0
			for _, paragraph := range strings.Split(quote, "\n\n") {
				want := strings.Join(strings.Fields(paragraph), " ")
				i := strings.Index(got[at:], want)
				if i < 0 {
					t.Fatalf("terraform does not print, after what came before in the quote:\n%s\n\nIt printed:\n%s", paragraph, out)
				}
				at += i + len(want)
			}
		})
	}
}

// plan runs terraform plan on config and returns its output, whether the
// plan fails or not.
func (c *terraformCLI) plan(t *testing.T, config string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, "main.tf"), []byte(requiredProviders+config), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := c.command("plan", "-input=false", "-no-color").CombinedOutput()
	return string(out)
}

// guideQuotes returns the guide's quoted messages by scenario name.
func guideQuotes(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(troubleshootingGuide)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	quotes := map[string]string{}
	scanner := bufio.NewScanner(f)
	name := ""
	for scanner.Scan() {
		line := scanner.Text()
		if m := quoteMarker.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			name = m[1]
			continue
		}
		if name == "" || strings.TrimSpace(line) == "" {
			continue
		}
		if strings.TrimSpace(line) != "```text" {
			t.Fatalf("the message marker for %q is not right before a ```text block", name)
		}
		var body []string
		for scanner.Scan() && strings.TrimSpace(scanner.Text()) != "```" {
			body = append(body, scanner.Text())
		}
		if _, dup := quotes[name]; dup {
			t.Fatalf("the guide quotes %q twice", name)
		}
		quotes[name] = strings.TrimSpace(strings.Join(body, "\n"))
		if quotes[name] == "" {
			t.Fatalf("the guide's quote of %q is empty", name)
		}
		name = ""
	}
	if err := scanner.Err(); err != nil {
		t.Fatal(err)
	}
	if len(quotes) == 0 {
		t.Fatal("the guide quotes no message")
	}
	t.Logf("quoted messages: %s", strings.Join(slices.Sorted(maps.Keys(quotes)), ", "))
	return quotes
}

// invokeGuideAction invokes scenario c's action with terraform apply
// -invoke and returns what terraform printed; it skips under a CLI without
// actions.
func invokeGuideAction(t *testing.T, c troubleshootingScenario) string {
	t.Helper()
	cli := actionCLI(t)
	clearAtlasEnv(t)
	sbx, url := exportSandbox(t, normalExport, time.Second)
	// The cluster empty has a snapshot, but none completed to export.
	sbx.SetSnapshots(sandbox.ProjectID, sandbox.ClusterEmpty,
		sandbox.Snapshot{ID: "6a7944f22c88faeba59d3590", Status: "inProgress", CreatedAt: "2026-08-10T03:28:08Z", Type: sandbox.SnapshotReplicaSet})
	cluster := c.cluster
	if cluster == "" {
		cluster = sandbox.ClusterReplicaSet
	}
	config := requiredProviders + providerBlock(url) + exportAction(cluster, c.action...)
	if err := os.WriteFile(filepath.Join(cli.dir, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := cli.command("apply", "-auto-approve", "-no-color", invokeThis).CombinedOutput()
	return string(out)
}

// planGuide plans scenario c's data source against the guide's sandbox and
// returns what terraform printed.
func planGuide(t *testing.T, c troubleshootingScenario) string {
	t.Helper()
	clearAtlasEnv(t)
	setEnv(t, c.env...)
	url := guideSandbox(t, c.fault, c.setup)
	if c.proxy != nil {
		proxy := httptest.NewServer(c.proxy)
		t.Cleanup(proxy.Close)
		url = proxy.URL
	}
	provider := c.provider
	if provider == nil {
		provider = []string{attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey)}
	}
	data := c.data
	if data == "" {
		data = guideList()
	}
	switch c.baseURL {
	case "":
		provider = append([]string{attr("base_url", url)}, provider...)
	case "-": // from the environment
	default:
		provider = append([]string{attr("base_url", c.baseURL)}, provider...)
	}
	return newTerraformCLI(t).plan(t, providerConfig(provider...)+data)
}
