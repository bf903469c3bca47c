package provider

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// The credential rules of the official mongodbatlas provider, each through
// terraform: one source (the provider block if it sets any credential, else
// the environment), never merged; within it, an access token over a service
// account over an API key, with a warning naming what is ignored; the kind
// used must be complete.

// credentialCase is one configuration of credentials and what must come of
// it. block and env may name "<token>", replaced by an access token the
// sandbox issued to its service account.
type credentialCase struct {
	block []string // credential lines of the provider block
	env   []string // environment variables, in pairs
	// auth is the scheme every API request must use: "digest" or "bearer".
	auth string
	// tokenRequests is how many token requests the provider must make.
	tokenRequests int
	// warning, when set, are the phrases terraform's output must show, in
	// order; when empty, terraform must show no warning about credentials.
	warning []string
}

const (
	tokenPlaceholder   = "<token>"
	credentialsWarning = "Warning: More than one kind of Atlas credentials"
)

func TestProvider_credentialRules(t *testing.T) {
	for name, c := range map[string]credentialCase{
		"the provider block wins over the environment, which it never reads": {
			block: []string{attr("public_key", sandbox.PublicKey), attr("private_key", sandbox.PrivateKey)},
			env:   []string{EnvClientID, sandbox.ClientID, EnvClientSecret, sandbox.ClientSecret, EnvAccessToken, "not-a-token"},
			auth:  "digest",
		},
		"the environment when the block sets no credentials": {
			env:  []string{EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey},
			auth: "digest",
		},
		"the older MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY": {
			env:  []string{EnvPublicKey, sandbox.PublicKey, EnvPrivateKey, sandbox.PrivateKey},
			auth: "digest",
		},
		"the documented names win over the older ones": {
			env: []string{EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey,
				EnvPublicKey, "older", EnvPrivateKey, "wrong"},
			auth: "digest",
		},
		"a service account from the environment": {
			env:  []string{EnvClientID, sandbox.ClientID, EnvClientSecret, sandbox.ClientSecret},
			auth: "bearer", tokenRequests: 1,
		},
		// A CI job that adds service account variables beside its old key
		// keeps working, on the service account.
		"a service account wins over an API key in the environment, with a warning": {
			env: []string{EnvPublicAPIKey, sandbox.PublicKey, EnvPrivateAPIKey, sandbox.PrivateKey,
				EnvClientID, sandbox.ClientID, EnvClientSecret, sandbox.ClientSecret},
			auth: "bearer", tokenRequests: 1,
			warning: []string{credentialsWarning, "The environment sets a service account",
				EnvClientID, EnvClientSecret, "and an API key", EnvPublicAPIKey, EnvPrivateAPIKey,
				"uses a service account and ignores the rest"},
		},
		"a service account wins over an API key in the block, with a warning": {
			block: []string{attr("public_key", sandbox.PublicKey), attr("private_key", "ignored"),
				attr("client_id", sandbox.ClientID), attr("client_secret", sandbox.ClientSecret)},
			auth: "bearer", tokenRequests: 1,
			warning: []string{credentialsWarning, "The provider block sets a service account (client_id, client_secret) and an API key " +
				"(public_key, private_key)", "uses a service account"},
		},
		"an access token from the environment": {
			env:  []string{EnvAccessToken, tokenPlaceholder},
			auth: "bearer",
		},
		"an access token wins over a service account and an API key in the block, with a warning": {
			block: []string{attr("access_token", tokenPlaceholder), attr("client_id", sandbox.ClientID),
				attr("client_secret", "ignored"), attr("public_key", sandbox.PublicKey), attr("private_key", "ignored")},
			auth: "bearer",
			warning: []string{credentialsWarning, "The provider block sets an access token (access_token) and a service account " +
				"(client_id, client_secret) and an API key (public_key, private_key)", "uses an access token"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			c.run(t)
		})
	}
}

func (c credentialCase) run(t *testing.T) {
	t.Helper()
	clearAtlasEnv(t)
	sbx, url := startSandbox(t)
	token := issueAccessToken(t, url)
	sbx.ResetRequests()
	withToken := func(s string) string { return strings.ReplaceAll(s, tokenPlaceholder, token) }
	for i := 0; i+1 < len(c.env); i += 2 {
		t.Setenv(c.env[i], withToken(c.env[i+1]))
	}
	lines := []string{attr("base_url", url)}
	for _, l := range c.block {
		lines = append(lines, withToken(l))
	}
	cli := newTerraformCLI(t)
	out := cli.run(t, providerConfig(lines...)+exportsBlock(sandbox.ClusterSharded)+
		`output "total" { value = data.atlasexports_snapshot_exports.this.total_count }`,
		"plan", "-input=false", "-no-color")
	if !strings.Contains(out, "total = 2") {
		t.Errorf("the plan does not show the sharded cluster's 2 jobs:\n%s", out)
	}
	if len(c.warning) == 0 && strings.Contains(out, credentialsWarning) {
		t.Errorf("terraform shows a warning:\n%s", out)
	}
	if len(c.warning) > 0 && !errorText(c.warning...).MatchString(out) {
		t.Errorf("terraform's output lacks the warning %q:\n%s", c.warning, out)
	}
	expectAuth(t, sbx, c.auth)
	if got := strings.Count(requestSummary(sbx), "token"); got != c.tokenRequests {
		t.Errorf("%d token requests, want %d: %s", got, c.tokenRequests, requestSummary(sbx))
	}
}

// issueAccessToken gets an access token for the sandbox's service account,
// as a user would with curl before setting MONGODB_ATLAS_ACCESS_TOKEN.
func issueAccessToken(t *testing.T, baseURL string) string {
	t.Helper()
	cc := clientcredentials.Config{
		ClientID: sandbox.ClientID, ClientSecret: sandbox.ClientSecret,
		TokenURL: baseURL + "/api/oauth/token", AuthStyle: oauth2.AuthStyleInHeader,
	}
	token, err := cc.Token(context.Background())
	if err != nil {
		t.Fatalf("issuing an access token: %v", err)
	}
	return token.AccessToken
}

// Credentials that cannot work fail the plan before any request, with an
// error that says what is missing and where it was looked for.
func TestProvider_credentialErrors(t *testing.T) {
	for name, c := range map[string]struct {
		block []string
		env   []string
		want  *regexp.Regexp
	}{
		"none": {
			want: errorText("No Atlas credentials", "client_id and client_secret", EnvClientID, EnvClientSecret,
				"access_token", EnvAccessToken, "public_key and private_key", EnvPublicAPIKey, EnvPrivateAPIKey),
		},
		// One source: the environment does not complete the block.
		"half a key pair in the block, the other half in the environment": {
			block: []string{attr("public_key", sandbox.PublicKey)},
			env:   []string{EnvPrivateAPIKey, sandbox.PrivateKey},
			want: errorText("Incomplete Atlas credentials", "The provider block sets an API key (public_key) but not "+
				"private_key", "never combined"),
		},
		"half a service account in the block, the other half in the environment": {
			block: []string{attr("client_id", sandbox.ClientID)},
			env:   []string{EnvClientSecret, sandbox.ClientSecret},
			want: errorText("Incomplete Atlas credentials", "The provider block sets a service account (client_id) "+
				"but not client_secret"),
		},
		"half a key pair in the environment names the documented variable": {
			env:  []string{EnvPublicKey, sandbox.PublicKey},
			want: errorText("The environment sets an API key (" + EnvPublicKey + ") but not " + EnvPrivateAPIKey),
		},
		// The kind of highest precedence is the one used, complete or not.
		"half a service account beside a whole key pair": {
			env: []string{EnvClientID, sandbox.ClientID, EnvPublicAPIKey, sandbox.PublicKey,
				EnvPrivateAPIKey, sandbox.PrivateKey},
			want: errorText("The environment sets a service account (" + EnvClientID + ") but not " + EnvClientSecret),
		},
		"an empty value": {
			block: []string{attr("client_id", sandbox.ClientID), attr("client_secret", "")},
			want:  errorText(`client_secret = ""`, "string length must be at least 1"),
		},
	} {
		t.Run(name, func(t *testing.T) {
			clearAtlasEnv(t)
			setEnv(t, c.env...)
			sbx, url := startSandbox(t)
			expectFailsBeforeAnyRequest(t, sbx,
				providerConfig(append([]string{attr("base_url", url)}, c.block...)...)+exportsBlock(sandbox.ClusterSharded),
				c.want)
		})
	}
}
