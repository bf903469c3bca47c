package atlas

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// azureBlobSuffix is the only Azure endpoint Atlas exports to ("only
// standard endpoints (with blob.core.windows.net) are supported").
const azureBlobSuffix = ".blob.core.windows.net"

// azureAccountPattern is Azure's rule for storage account names: 3 to 24
// lowercase letters and digits.
var azureAccountPattern = regexp.MustCompile(`^[a-z0-9]{3,24}$`)

// ExportLocation is the address of an export bucket without a job's prefix:
// s3://<bucket> on AWS, gs://<bucket> on GCP,
// https://<account>.blob.core.windows.net/<container> on Azure. Azure's
// serviceUrl may or may not end with the container (Atlas accepts both); any
// other form, a missing field or an unknown cloud is an error rather than a
// guess at an address.
func ExportLocation(b *ExportBucket) (string, error) {
	name := str(b.BucketName)
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || strings.ContainsRune(`/\?#%`, r) }) {
		return "", fmt.Errorf("export bucket %s has bucketName %q, which is not a bucket or container name", str(b.ID), name)
	}
	switch cloud := str(b.CloudProvider); cloud {
	case CloudAWS:
		return "s3://" + name, nil
	case CloudGCP:
		return "gs://" + name, nil
	case CloudAzure:
		return azureLocation(b, name)
	default:
		return "", fmt.Errorf("export bucket %s has cloudProvider %q, not one of %s, %s, %s", str(b.ID), cloud, CloudAWS, CloudAzure, CloudGCP)
	}
}

func azureLocation(b *ExportBucket, container string) (string, error) {
	raw := str(b.ServiceURL)
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("export bucket %s has serviceUrl %q, %s; expected https://<account>%s[/%s]",
			str(b.ID), raw, why, azureBlobSuffix, container)
	}
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		return fail("which is empty")
	case err != nil:
		return fail("which does not parse")
	case u.Scheme != "https":
		return fail("which is not an https URL")
	case u.User != nil || u.Port() != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fail("which carries user info, a port, a query or a fragment")
	}
	host := strings.ToLower(u.Hostname())
	account, ok := strings.CutSuffix(host, azureBlobSuffix)
	if !ok || !azureAccountPattern.MatchString(account) {
		return fail("whose host is not a storage account's " + azureBlobSuffix + " endpoint")
	}
	switch path := strings.TrimSuffix(u.EscapedPath(), "/"); path {
	case "", "/" + url.PathEscape(container):
	default:
		return fail("whose path is not the container " + container)
	}
	return "https://" + host + "/" + container, nil
}

// ExportURI joins an export location and a job's prefix with exactly one
// slash, whether or not the prefix starts with one (the documentation's
// examples do; Atlas's answers do not).
func ExportURI(location, prefix string) string {
	return location + "/" + strings.TrimLeft(prefix, "/")
}
