package atlas

import (
	"strings"
	"testing"
)

func bucket(cloud, name, serviceURL string) *ExportBucket {
	b := &ExportBucket{ID: ptr("32b6e34b3d91647abb20e7b8"), CloudProvider: &cloud, BucketName: &name}
	if serviceURL != "" {
		b.ServiceURL = &serviceURL
	}
	return b
}

// TestExportLocation: each cloud's address; Azure from both forms of
// serviceUrl; anything unexpected is an error that names what is wrong, not
// an address.
func TestExportLocation(t *testing.T) {
	cases := map[string]struct {
		bucket  *ExportBucket
		want    string
		wantErr string
	}{
		"AWS":                                  {bucket: bucket("AWS", "export-bucket", ""), want: "s3://export-bucket"},
		"GCP":                                  {bucket: bucket("GCP", "export-bucket", ""), want: "gs://export-bucket"},
		"Azure, serviceUrl with the container": {bucket: bucket("AZURE", "examplecontainer", "https://examplestorageaccount.blob.core.windows.net/examplecontainer"), want: "https://examplestorageaccount.blob.core.windows.net/examplecontainer"},
		"Azure, account only":                  {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net"), want: "https://acct01.blob.core.windows.net/nightly"},
		"Azure, account and a slash":           {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net/"), want: "https://acct01.blob.core.windows.net/nightly"},
		"Azure, container and a slash":         {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net/nightly/"), want: "https://acct01.blob.core.windows.net/nightly"},
		"Azure, host in capitals":              {bucket: bucket("AZURE", "nightly", "https://ACCT01.Blob.Core.Windows.Net/nightly"), want: "https://acct01.blob.core.windows.net/nightly"},
		"Azure, http":                          {bucket: bucket("AZURE", "nightly", "http://acct01.blob.core.windows.net/nightly"), wantErr: "not an https URL"},
		"Azure, another endpoint":              {bucket: bucket("AZURE", "nightly", "https://acct01.dfs.core.windows.net/nightly"), wantErr: "host"},
		"Azure, a sovereign cloud":             {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.chinacloudapi.cn/nightly"), wantErr: "host"},
		"Azure, a look-alike host":             {bucket: bucket("AZURE", "nightly", "https://blob.core.windows.net.evil.example/nightly"), wantErr: "host"},
		"Azure, no account":                    {bucket: bucket("AZURE", "nightly", "https://.blob.core.windows.net/nightly"), wantErr: "host"},
		"Azure, a sub-domain":                  {bucket: bucket("AZURE", "nightly", "https://a.acct01.blob.core.windows.net/nightly"), wantErr: "host"},
		"Azure, another container":             {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net/weekly"), wantErr: "path"},
		"Azure, a deeper path":                 {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net/nightly/sub"), wantErr: "path"},
		"Azure, a query":                       {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net/nightly?sv=2020"), wantErr: "query"},
		"Azure, a port":                        {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net:8443/nightly"), wantErr: "port"},
		"Azure, user info":                     {bucket: bucket("AZURE", "nightly", "https://u:p@acct01.blob.core.windows.net/nightly"), wantErr: "user info"},
		"Azure, no serviceUrl":                 {bucket: bucket("AZURE", "nightly", ""), wantErr: "empty"},
		"Azure, not a URL":                     {bucket: bucket("AZURE", "nightly", "https://acct01.blob.core.windows.net/%zz"), wantErr: "does not parse"},
		"no bucketName":                        {bucket: bucket("AWS", "", ""), wantErr: "bucketName"},
		"a bucketName with a slash":            {bucket: bucket("GCP", "a/b", ""), wantErr: "bucketName"},
		"a bucketName with a space":            {bucket: bucket("AWS", "a b", ""), wantErr: "bucketName"},
		"an unknown cloud":                     {bucket: bucket("OCI", "export-bucket", ""), wantErr: `cloudProvider "OCI"`},
		"no cloud":                             {bucket: &ExportBucket{ID: ptr("32b6e34b3d91647abb20e7b8"), BucketName: ptr("b")}, wantErr: "cloudProvider"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ExportLocation(tc.bucket)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("error %v, want %q", err, tc.want)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %q, %v; want an error about %q", got, err, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), "32b6e34b3d91647abb20e7b8"):
				t.Errorf("error %q does not name the bucket", err)
			case got != tc.want:
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestExportURI: exactly one slash between the location and the prefix.
func TestExportURI(t *testing.T) {
	const want = "s3://b/exported_snapshots/o/p/c/2026-01-19T0313/1768792491"
	for name, prefix := range map[string]string{
		"as Atlas sends it":        "exported_snapshots/o/p/c/2026-01-19T0313/1768792491",
		"with a leading slash":     "/exported_snapshots/o/p/c/2026-01-19T0313/1768792491",
		"with two leading slashes": "//exported_snapshots/o/p/c/2026-01-19T0313/1768792491",
	} {
		t.Run(name, func(t *testing.T) {
			if got := ExportURI("s3://b", prefix); got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
