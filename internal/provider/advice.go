package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds the words a user reads about a failed request, all of
// them: the client returns typed errors (the status, Atlas's errorCode, the
// operation, the kind of credentials), and the advice is chosen here, keyed
// on what Atlas is on record as sending, and otherwise on the status and the
// operation.

// operation is what the advice says of one Atlas operation.
type operation struct {
	// request is the operation as Atlas's documentation writes it.
	request string
	// role is the role the operation needs (its x-rolesRequirements).
	role string
	// without says how to do without the operation, "" when the read
	// cannot.
	without string
}

// operations is the role each operation needs; a new operation adds its
// row.
var operations = map[atlas.Operation]operation{
	atlas.OpListExportJobs: {
		request: "GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports",
		role:    "Project Backup Manager",
	},
	atlas.OpGetExportJob: {
		request: "GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports/{exportId}",
		role:    "Project Backup Manager",
	},
	atlas.OpGetExportBucket: {
		request: "GET /api/atlas/v2/groups/{groupId}/backup/exportBuckets/{exportBucketId}",
		role:    exportBucketRole,
		without: " Or set resolve_export_buckets = false on the data source to read the jobs without their buckets " +
			"(their uri is then null).",
	},
	// The action's operations (atlasexports_export_snapshot).
	atlas.OpListSnapshots: {
		request: "GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots",
		role:    "Project Read Only",
	},
	atlas.OpListShardedSnapshots: {
		request: "GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/snapshots/shardedClusters",
		role:    "Project Read Only",
	},
	atlas.OpCreateExportJob: {
		request: "POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports",
		role:    "Project Backup Export Operator",
	},
}

// exportBucketRole is the role that reads export buckets.
const exportBucketRole = "Project Read Only"

// needs says which role op needs, as the middle of a sentence.
func (op operation) needs() string {
	if op.role == "" {
		return "needs a role on the project that allows it"
	}
	return "needs the " + op.role + " role (or higher) on the project"
}

// addReadError turns a client error into a diagnostic: what failed, what
// Atlas said, and what to do about it. A "not found" error ties to the
// argument Atlas could not find.
func (d *providerData) addReadError(ctx context.Context, diags *diag.Diagnostics, summary string, err error) {
	detail := d.readErrorDetail(ctx, err)
	if attribute := notFoundAttribute(err); attribute != "" {
		diags.AddAttributeError(path.Root(attribute), summary, detail)
		return
	}
	diags.AddError(summary, detail)
}

// notFoundAttribute is the argument a 404 points at: the one Atlas's
// errorCode names (its 404 table), or, for the job GET, export_id.
func notFoundAttribute(err error) string {
	apiErr, ok := errors.AsType[*atlas.APIError](err)
	if _, tokenErr := errors.AsType[*atlas.TokenError](err); !ok || tokenErr || apiErr.StatusCode != http.StatusNotFound {
		return ""
	}
	switch {
	case apiErr.ErrorCode == "GROUP_NOT_FOUND":
		return "project_id"
	case apiErr.ErrorCode == "CLUSTER_NOT_FOUND":
		return "cluster_name"
	case apiErr.Operation == atlas.OpGetExportJob:
		return "export_id"
	}
	return ""
}

// readErrorDetail says what Atlas said about a failed read and what to do
// about it.
func (d *providerData) readErrorDetail(ctx context.Context, err error) string {
	var detail strings.Builder
	// Atlas's detail usually ends a sentence already.
	detail.WriteString(strings.TrimSuffix(err.Error(), ".") + ".")
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		fmt.Fprintf(&detail, "\n\nThe read did not finish within its time limit (%v). Raise it with "+
			"`timeouts = { read = \"...\" }`, or check the network path to Atlas.", ctx.Value(readTimeoutKey{}))
	case errors.Is(err, context.Canceled):
		detail.WriteString("\n\nThe read was cancelled.")
	case errors.Is(err, atlas.ErrInconsistentList):
		detail.WriteString("\n\nExport jobs were being created or deleted while the list was read. Run the " +
			"command again.")
	case errors.Is(err, atlas.ErrPageNumIgnored):
		detail.WriteString("\n\nCheck base_url and any proxy between Terraform and Atlas (HTTPS_PROXY): Atlas " +
			"itself pages by pageNum. A cache that keys answers on the path alone must be bypassed or told to " +
			"keep the query string.")
	case errors.Is(err, atlas.ErrShortPages):
		detail.WriteString("\n\nCheck base_url and any proxy between Terraform and Atlas (HTTPS_PROXY): Atlas " +
			"pages as asked, and something in between answers fewer jobs than its own count. The provider does not " +
			"return part of a list as if it were whole.")
	case errors.Is(err, atlas.ErrListTooLong):
		detail.WriteString("\n\nCheck that base_url points at Atlas, or at a server that pages as Atlas does: " +
			"a cluster with this many export jobs is not what Atlas keeps.")
	default:
		if advice := requestAdvice(err); advice != "" {
			detail.WriteString("\n\n" + advice)
		}
		// Which variable won is easy to lose track of (two spellings of each
		// key variable, attributes over the environment): say it.
		if atlas.StatusCode(err) == http.StatusUnauthorized && d.credentialSource != "" {
			detail.WriteString(" In use: " + d.credentialSource + ".")
		}
	}
	return detail.String()
}

// requestAdvice says what a user can do about a failed request, or "" when
// there is nothing specific to say.
func requestAdvice(err error) string {
	// Before the answer's own advice: a 5xx to a POST is no reason to send
	// it again.
	if _, ok := errors.AsType[*atlas.AmbiguousCreateError](err); ok {
		return "Atlas may still create the job. Check the cluster's export jobs before invoking the action again; " +
			"an invocation finds an export of the same snapshot to the same bucket that is Queued or InProgress and " +
			"waits on it instead of starting another."
	}
	if tokenErr, ok := errors.AsType[*atlas.TokenError](err); ok {
		return tokenAdvice(tokenErr)
	}
	if apiErr, ok := errors.AsType[*atlas.APIError](err); ok {
		return answerAdvice(apiErr)
	}
	if _, ok := errors.AsType[*atlas.ChallengeError](err); ok {
		return "Something other than Atlas answered: a proxy between Terraform and Atlas, or another server at " +
			"base_url, asked for credentials an Atlas API key cannot give. Check base_url and the network path " +
			"(HTTPS_PROXY)."
	}
	if _, ok := errors.AsType[*atlas.ResponseBodyError](err); ok {
		return "Something between Terraform and Atlas (a proxy, a firewall or a captive portal) may be answering " +
			"instead of Atlas; check base_url and the network path. If it persists, raise max_retries or report it."
	}
	if _, ok := errors.AsType[*atlas.TimeoutError](err); ok {
		return "Atlas, or something between Terraform and Atlas, did not answer in time. Check the network path " +
			"(base_url, a proxy, a firewall); on a slow network, raise request_timeout."
	}
	return ""
}

// credentialChecks is what to check of credentials Atlas refused.
const credentialChecks = "Check that the API key or service account exists, has not been deleted or expired, and " +
	"belongs to the organization of this project, and that the provider reads the credentials you mean: the " +
	"provider block when it sets any credential attribute, otherwise the MONGODB_ATLAS_* environment variables, " +
	"never a mix."

// answerAdvice is the advice for an answer of Atlas to an API request.
func answerAdvice(e *atlas.APIError) string {
	op := operations[e.Operation]
	switch e.StatusCode {
	case http.StatusUnauthorized:
		switch {
		case e.LacksAccess():
			return "Atlas knows the credentials but does not let them make this request (" + op.request + "), " +
				"which " + op.needs() + ". Grant the role to the API key or service account in use, or use " +
				"credentials that have it. " + credentialChecks + op.without
		case e.Credentials == atlas.CredentialsAccessToken:
			return "Atlas refused the access token (access_token, or MONGODB_ATLAS_ACCESS_TOKEN): it may have " +
				"expired, since Atlas access tokens last one hour. Get a new one, or use a service account, whose " +
				"tokens the provider renews itself."
		}
		return "Atlas did not accept the credentials. " + credentialChecks
	case http.StatusForbidden:
		if e.ErrorCode == "IP_ADDRESS_NOT_ON_ACCESS_LIST" {
			// No role helps until the address is allowed.
			return "Atlas refused the address this request came from (Atlas's detail above names it). Add it to " +
				"the API access list of the API key or service account in use (Atlas UI: Organization Access " +
				"Manager, Applications, the key or service account, Access List), or run Terraform from an address " +
				"on the list."
		}
		return "This request (" + op.request + ") " + op.needs() + ", and the caller's IP address may be " +
			"missing from the credentials' API access list." + op.without
	case http.StatusNotFound:
		switch e.Operation {
		case atlas.OpGetExportJob:
			return "The export job, its cluster or its project does not exist, or is not visible to the " +
				"credentials in use. Check export_id (an id from atlasexports_snapshot_exports), cluster_name and " +
				"project_id."
		case atlas.OpGetExportBucket:
			return "Atlas did not say that the export bucket is gone (" + atlas.ErrorCodeExportBucketNotFound +
				"): check that base_url points at Atlas, and that the project exists."
		}
		return "The project or cluster does not exist, or is not visible to the credentials in use. Check " +
			"project_id and cluster_name, and that the API key or service account has access to the project."
	case http.StatusTooManyRequests:
		return "Atlas kept rate-limiting the requests. Retry later, raise max_retries, or lower " +
			"max_concurrent_requests."
	case http.StatusBadRequest:
		return "Atlas rejected the request. This is likely a provider bug; please report it with the detail above."
	}
	if e.StatusCode >= 500 {
		return "Atlas or a proxy in front of it failed. Retry later, or raise max_retries."
	}
	return ""
}

// tokenAdvice says what to check when the service account's token cannot
// be had: first what the token endpoint's last answer points at, then the
// three things a token needs.
func tokenAdvice(e *atlas.TokenError) string {
	var lead string
	switch atlas.StatusCode(e.Err) {
	case http.StatusTooManyRequests:
		lead = "Atlas rate-limits token requests, and this service account is over the limit: many plans at once " +
			"with one service account (CI jobs in parallel, say) exceed it. Retry later, raise max_retries, or give " +
			"parallel pipelines service accounts of their own."
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		lead = "Atlas refused the service account's credentials. Check client_id and client_secret: the service " +
			"account must exist in the project's organization, and its secret must not have expired."
	default:
		lead = "The token endpoint gave no token. Check the network path to base_url (a proxy, a firewall), or " +
			"retry later if Atlas itself failed."
	}
	return lead + " A service account needs a client_id and client_secret that Atlas knows (or " +
		EnvClientID + " and " + EnvClientSecret + "), at most 50 token requests a minute per service " +
		"account and IP address, and, for the requests made with the token, this machine's address on the service " +
		"account's API access list."
}
