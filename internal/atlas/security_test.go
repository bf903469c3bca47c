package atlas

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// redirectTo serves the sandbox, except that requests matching redirect are
// answered 302 to the same path on target; it counts those. The sandbox has
// no redirects to script, hence this wrapper.
func redirectTo(sbx *sandbox.Server, target string, redirect func(*http.Request) bool) (http.Handler, *atomic.Int32) {
	var redirected atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if redirect(r) {
			redirected.Add(1)
			http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusFound)
			return
		}
		sbx.ServeHTTP(w, r)
	}), &redirected
}

// TestClient_refusesRedirectToAnotherHost: a redirect to another host is not
// followed, so neither the digest answer, nor a bearer token, nor the
// service account's secret reaches it; the error says why, and the refusal
// is not retried.
func TestClient_refusesRedirectToAnotherHost(t *testing.T) {
	authenticatedAPI := func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/atlas/") && r.Header.Get("Authorization") != ""
	}
	tokenRequest := func(r *http.Request) bool { return r.URL.Path == "/api/oauth/token" }
	cases := map[string]struct {
		redirect       func(*http.Request) bool
		serviceAccount bool
	}{
		"digest answer":        {redirect: authenticatedAPI},
		"bearer token":         {redirect: authenticatedAPI, serviceAccount: true},
		"token request secret": {redirect: tokenRequest, serviceAccount: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// The other host is a sandbox too: it would challenge a
			// digest client and record any credentials it is sent.
			other := sandbox.NewEmpty()
			otherSrv := serve(t, other)
			sbx := sandbox.NewEmpty()
			sbx.AddKey(sandbox.PublicKey, sandbox.PrivateKey)
			sbx.AddServiceAccount(sandbox.ClientID, sandbox.ClientSecret)
			sbx.SetJobs(testProject, testCluster, sandbox.GenerateJobs(testCluster, 3, 1))
			handler, redirected := redirectTo(sbx, otherSrv.URL, tc.redirect)
			srv := serve(t, handler)
			client := newTestClient(t, srv.URL, withMaxRetries(3), func(cfg *Config) {
				if tc.serviceAccount {
					withServiceAccount(cfg)
				}
			})

			_, err := client.ListExportJobs(context.Background(), testProject, testCluster)

			if err == nil || !strings.Contains(err.Error(), "refusing to follow a redirect") {
				t.Fatalf("got %v, want an error about the refused redirect", err)
			}
			for _, secret := range []string{sandbox.PrivateKey, sandbox.ClientSecret} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error %q carries a secret", err)
				}
			}
			srv.Close()
			otherSrv.Close()
			if got := other.Requests(); len(got) != 0 {
				t.Errorf("the other host received %d requests, want none: %+v", len(got), got)
			}
			if got := redirected.Load(); got != 1 {
				t.Errorf("%d requests were redirected, want 1: a refused redirect is permanent, not worth a retry", got)
			}
		})
	}
}

// TestParseBaseURL: https anywhere; plain http only to a loopback host;
// anything that is not an absolute http(s) URL, or that carries credentials,
// a query or a fragment, refused.
func TestParseBaseURL(t *testing.T) {
	cases := map[string]struct {
		raw     string
		want    string // the parsed URL; "" when refused
		wantErr string
	}{
		"empty is the default":              {raw: "", want: DefaultBaseURL},
		"https Atlas":                       {raw: "https://cloud.mongodb.com", want: "https://cloud.mongodb.com"},
		"https trailing slash":              {raw: "https://cloud.mongodb.com/", want: "https://cloud.mongodb.com"},
		"https any host and path":           {raw: "https://proxy.example.com:8443/atlas/", want: "https://proxy.example.com:8443/atlas"},
		"https private address":             {raw: "https://10.0.0.1", want: "https://10.0.0.1"},
		"http 127.0.0.1":                    {raw: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		"http 127.1.2.3":                    {raw: "http://127.1.2.3", want: "http://127.1.2.3"},
		"http [::1]":                        {raw: "http://[::1]:8080", want: "http://[::1]:8080"},
		"http localhost":                    {raw: "http://localhost:8080", want: "http://localhost:8080"},
		"http LOCALHOST":                    {raw: "http://LOCALHOST", want: "http://LOCALHOST"},
		"http Atlas":                        {raw: "http://cloud.mongodb.com", wantErr: "not loopback"},
		"http private address":              {raw: "http://10.0.0.1", wantErr: "not loopback"},
		"http any address":                  {raw: "http://0.0.0.0:8080", wantErr: "not loopback"},
		"http localhost lookalike":          {raw: "http://localhost.example.com", wantErr: "not loopback"},
		"http loopback-named host":          {raw: "http://127.0.0.1.nip.io", wantErr: "not loopback"},
		"ftp":                               {raw: "ftp://cloud.mongodb.com", wantErr: "not an absolute http(s) URL"},
		"no scheme":                         {raw: "cloud.mongodb.com", wantErr: "not an absolute http(s) URL"},
		"relative path":                     {raw: "/api/atlas", wantErr: "not an absolute http(s) URL"},
		"scheme-relative":                   {raw: "//cloud.mongodb.com", wantErr: "not an absolute http(s) URL"},
		"no host":                           {raw: "https://", wantErr: "not an absolute http(s) URL"},
		"garbage":                           {raw: "::not a url::", wantErr: "does not parse"},
		"control character":                 {raw: "https://cloud.mongodb.com/\x7f", wantErr: "does not parse"},
		"user and password":                 {raw: "https://user:secret@cloud.mongodb.com", wantErr: "must not carry credentials"},
		"user only":                         {raw: "https://user@cloud.mongodb.com", wantErr: "must not carry credentials"},
		"user on loopback":                  {raw: "http://user:secret@127.0.0.1", wantErr: "must not carry credentials"},
		"user on ftp":                       {raw: "ftp://user:secret@cloud.mongodb.com", wantErr: "must not carry credentials"},
		"user in a URL that does not parse": {raw: "https://user:secret@cloud.mongodb.com/\x7f", wantErr: "does not parse"},
		"query":                             {raw: "https://cloud.mongodb.com?x=1", wantErr: "query or fragment"},
		"fragment":                          {raw: "https://cloud.mongodb.com#x", wantErr: "query or fragment"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u, err := ParseBaseURL(tc.raw)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("ParseBaseURL(%q) = %v, %v; want an error containing %q", tc.raw, u, err, tc.wantErr)
				}
				if err != nil && strings.Contains(err.Error(), "secret") {
					t.Errorf("the error %q repeats the password", err)
				}
			case err != nil:
				t.Errorf("ParseBaseURL(%q): %v", tc.raw, err)
			case u.String() != tc.want:
				t.Errorf("ParseBaseURL(%q) = %q, want %q", tc.raw, u, tc.want)
			}
		})
	}
}

// TestNew_refusesBadConfig: New checks its config before any request.
func TestNew_refusesBadConfig(t *testing.T) {
	cases := map[string]struct {
		cfg  Config
		want string
	}{
		"no credentials":         {Config{BaseURL: "http://127.0.0.1:1"}, "no Atlas credentials"},
		"half a key pair":        {Config{BaseURL: "http://127.0.0.1:1", PublicKey: "p"}, "no Atlas credentials"},
		"half a service account": {Config{BaseURL: "http://127.0.0.1:1", ClientID: "id"}, "no Atlas credentials"},
		"a key pair and a service account": {Config{BaseURL: "http://127.0.0.1:1", PublicKey: "p", PrivateKey: "k",
			ClientID: "id", ClientSecret: "s"}, "more than one kind of Atlas credentials"},
		"an access token and a key pair": {Config{BaseURL: "http://127.0.0.1:1", PublicKey: "p", PrivateKey: "k",
			AccessToken: "t"}, "more than one kind of Atlas credentials"},
		"unknown API version": {Config{BaseURL: "http://127.0.0.1:1", PublicKey: "p", PrivateKey: "k", APIVersion: "v3"}, "unsupported API version"},
		"plain http to Atlas": {Config{BaseURL: "http://cloud.mongodb.com", PublicKey: "p", PrivateKey: "k"}, "not loopback"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
