package provider

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// Every wait is bounded by the settings the user gave: a request that gets
// no answer ends after max_retries + 1 attempts of request_timeout each, with
// an error that names the request, well inside the read's own time limit.

// planFailure runs terraform plan on config, which must fail, and returns
// its output with every run of white space made one space (terraform wraps
// its diagnostics).
func planFailure(t *testing.T, config string) string {
	t.Helper()
	cli := newTerraformCLI(t)
	if err := os.WriteFile(filepath.Join(cli.dir, "main.tf"), []byte(requiredProviders+config), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := cli.command("plan", "-input=false", "-no-color").CombinedOutput()
	if err == nil {
		t.Fatalf("terraform plan succeeded; it must fail:\n%s", out)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// assertSays checks that output holds every phrase and none of the
// unwanted ones.
func assertSays(t *testing.T, output string, want []string, unwanted ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(output, w) {
			t.Errorf("terraform's output does not say %q:\n%s", w, output)
		}
	}
	for _, u := range unwanted {
		if strings.Contains(output, u) {
			t.Errorf("terraform's output says %q:\n%s", u, output)
		}
	}
}

// The case: max_retries = 1, request_timeout = "200ms", a read time
// limit of 5s, and an export bucket GET that never answers. The read fails
// with the bucket's error after 2 GETs of it, not at its time limit with a
// bare "context deadline exceeded".
func TestBoundedWaits_hangingExportBucket(t *testing.T) {
	t.Parallel()
	sbx, url := startSandbox(t)
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketGCP, Hang: 10 * time.Minute})

	out := planFailure(t, providerBlock(url, "max_retries = 1", attr("request_timeout", "200ms"))+
		exportsBlock(sandbox.ClusterBucketKinds, `timeouts { read = "5s" }`))

	assertSays(t, out, []string{
		"Unable to read export buckets",
		"reading export bucket " + sandbox.BucketGCP + " of project " + sandbox.ProjectID +
			": gave up after 2 attempts: no answer within request_timeout (200ms)",
		"raise request_timeout",
	}, "context deadline exceeded", "did not finish within its time limit")
	gets := sbx.CountRequests(func(r sandbox.Request) bool {
		return strings.HasSuffix(r.Path, "/exportBuckets/"+sandbox.BucketGCP) && r.Auth == "digest"
	})
	if gets != 2 {
		t.Errorf("%d GETs of the hanging bucket; max_retries = 1 means 2", gets)
	}
}

// A service account token that cannot be had fails the read with an error
// that names the token request, its attempts, the last status and Atlas's
// errorCode, and what to check; the token endpoint sees exactly
// max_retries + 1 requests, and no API request is sent.
func TestBoundedWaits_serviceAccountTokenFailures(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		fault sandbox.Fault
		want  []string
	}{
		"hangs": {
			fault: sandbox.Fault{TokenEndpoint: true, Hang: 10 * time.Minute},
			want:  []string{"gave up after 2 attempts: no answer within request_timeout (200ms)"},
		},
		"429": {
			fault: sandbox.Fault{TokenEndpoint: true, Status: http.StatusTooManyRequests},
			want: []string{"HTTP 429 Too Many Requests (errorCode RATE_LIMITED)",
				"limited to 50 requests every 1 minutes", "(after 2 attempts)"},
		},
		"500": {
			fault: sandbox.Fault{TokenEndpoint: true, Status: http.StatusInternalServerError},
			want:  []string{"HTTP 500 Internal Server Error (errorCode UNEXPECTED_ERROR)", "(after 2 attempts)"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sbx, url := startSandbox(t)
			sbx.AddFault(c.fault)

			out := planFailure(t, serviceAccountBlock(url, "max_retries = 1", attr("request_timeout", "200ms"))+
				exportsBlock(sandbox.ClusterSharded, `timeouts { read = "30s" }`))

			want := append([]string{"Unable to list snapshot export jobs", "getting the service account token (POST /api/oauth/token):"},
				c.want...)
			assertSays(t, out, append(want, "client_id and client_secret", "access list", "50 token requests a minute"),
				"reading page", "did not finish within its time limit")
			if got := sbx.CountRequests(sandbox.IsTokenRequest); got != 2 {
				t.Errorf("%d token requests; max_retries = 1 means 2", got)
			}
			if got := sbx.CountRequests(func(r sandbox.Request) bool { return r.Auth == "bearer" }); got != 0 {
				t.Errorf("%d API requests were sent without a token", got)
			}
		})
	}
}
