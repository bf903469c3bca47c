package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// The advice for each typed error of the client: keyed on the codes Atlas is
// on record as sending, otherwise on the status and the operation; never on
// a code of our own.
func TestRequestAdvice(t *testing.T) {
	t.Parallel()
	answer := func(status int, code string, op atlas.Operation, creds atlas.Credentials) error {
		return fmt.Errorf("reading: %w", &atlas.APIError{StatusCode: status, ErrorCode: code, Operation: op, Credentials: creds})
	}
	list, job, bucket := atlas.OpListExportJobs, atlas.OpGetExportJob, atlas.OpGetExportBucket
	key, token := atlas.CredentialsKeyPair, atlas.CredentialsAccessToken
	for name, c := range map[string]struct {
		err       error
		want, not []string
	}{
		"401 missing role, list": {answer(401, "USER_UNAUTHORIZED", list, key),
			[]string{"needs the Project Backup Manager role", "/backup/exports)", "belongs to the organization of this project"},
			[]string{"resolve_export_buckets"}},
		"401 not in group, job": {answer(401, "NOT_IN_GROUP", job, key),
			[]string{"needs the Project Backup Manager role", "/backup/exports/{exportId}"}, nil},
		"401 cannot access group, bucket": {answer(401, "USER_CANNOT_ACCESS_GROUP", bucket, key),
			[]string{"needs the Project Read Only role", "resolve_export_buckets = false"}, []string{"Backup Manager"}},
		"401 missing role, access token": {answer(401, "USER_UNAUTHORIZED", list, token),
			[]string{"needs the Project Backup Manager role"}, []string{"last one hour"}},
		"401 unauthenticated": {answer(401, "", list, key),
			[]string{"did not accept the credentials", "never a mix"}, []string{"role"}},
		"401 unauthenticated, access token": {answer(401, "", list, token), []string{"last one hour"}, []string{"role"}},
		"403 access list": {answer(403, "IP_ADDRESS_NOT_ON_ACCESS_LIST", bucket, key),
			[]string{"Add it to the API access list"}, []string{"role"}},
		"403 other, bucket": {answer(403, "", bucket, key),
			[]string{"needs the Project Read Only role", "resolve_export_buckets = false"}, nil},
		"403 other, list": {answer(403, "", list, key), []string{"needs the Project Backup Manager role"}, nil},
		"403 of an operation without a row": {answer(403, "", "createSomething", key),
			[]string{"needs a role on the project that allows it"}, nil},
		"404 list":       {answer(404, "CLUSTER_NOT_FOUND", list, key), []string{"Check project_id and cluster_name"}, nil},
		"404 job":        {answer(404, "", job, key), []string{"Check export_id"}, nil},
		"404 bucket":     {answer(404, "RESOURCE_NOT_FOUND", bucket, key), []string{"EXPORT_BUCKET_NOT_FOUND", "base_url"}, nil},
		"429":            {answer(429, "RATE_LIMITED", list, key), []string{"rate-limiting", "max_concurrent_requests"}, nil},
		"400":            {answer(400, "", list, key), []string{"provider bug"}, nil},
		"502":            {answer(502, "", list, key), []string{"Retry later"}, nil},
		"token refused":  {&atlas.TokenError{Err: &atlas.APIError{StatusCode: 401, ErrorCode: "invalid_client"}}, []string{"Check client_id and client_secret", "50 token requests a minute"}, nil},
		"token 429":      {&atlas.TokenError{Err: &atlas.APIError{StatusCode: 429}}, []string{"rate-limits token requests"}, nil},
		"token timeout":  {&atlas.TokenError{Err: &atlas.TimeoutError{Timeout: time.Second}}, []string{"The token endpoint gave no token"}, nil},
		"timeout":        {fmt.Errorf("x: %w", &atlas.TimeoutError{Timeout: time.Second}), []string{"raise request_timeout"}, []string{"request slot"}},
		"challenge":      {&atlas.ChallengeError{Challenge: "Basic"}, []string{"base_url", "HTTPS_PROXY"}, nil},
		"body":           {&atlas.ResponseBodyError{StatusCode: 200, Err: errors.New("x")}, []string{"captive portal"}, nil},
		"something else": {errors.New("connection refused"), nil, nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := requestAdvice(c.err)
			if c.want == nil && got != "" {
				t.Errorf("advice %q, want none", got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("advice %q lacks %q", got, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("advice %q says %q", got, n)
				}
			}
		})
	}
}
