package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"
)

// MediaTypeBuckets is the export bucket version the client reads: the one
// that knows every cloud. The 2023-01-01 version knows only AWS buckets and
// is sunset on 2027-07-01; the v1.0 API knows only AWS and is deprecated. So
// buckets are read from v2 with this media type whatever api_version says.
const MediaTypeBuckets = "application/vnd.atlas.2024-05-30+json"

// ExportBucketRole is the role the export bucket GET requires
// (x-rolesRequirements of getGroupBackupExportBucket).
const ExportBucketRole = "Project Read Only"

// Cloud providers of export buckets, as cloudProvider names them.
const (
	CloudAWS   = "AWS"
	CloudAzure = "AZURE"
	CloudGCP   = "GCP"
)

// ErrExportBucketNotFound marks the 404 of an export bucket: it was deleted
// (old jobs keep naming it) or was never visible to the credentials.
var ErrExportBucketNotFound = errors.New("the export bucket does not exist")

// ExportBucket is an export bucket as the 2024-05-30 version returns it
// (DiskBackupSnapshotExportBucketResponse, discriminated by cloudProvider).
// Fields of other clouds stay nil.
type ExportBucket struct {
	ID            *string `json:"_id"`
	BucketName    *string `json:"bucketName"`
	CloudProvider *string `json:"cloudProvider"`
	Links         []Link  `json:"links"`
	// AWS.
	IAMRoleID                *string `json:"iamRoleId"`
	Region                   *string `json:"region"`
	RequirePrivateNetworking *bool   `json:"requirePrivateNetworking"`
	// Azure and GCP.
	RoleID *string `json:"roleId"`
	// Azure.
	ServiceURL *string `json:"serviceUrl"`
	TenantID   *string `json:"tenantId"`
}

// exportBucketURL is the export bucket GET, always in v2 (MediaTypeBuckets).
func (c *Client) exportBucketURL(projectID, bucketID string) string {
	return c.baseURL.JoinPath("api", "atlas", APIVersionV2, "groups", projectID, "backup", "exportBuckets", bucketID).String()
}

// bucketCache holds the export buckets the client has read, and the ones
// Atlas said do not exist, for the client's lifetime: a bucket's fields do
// not change once it exports, and jobs by the thousand share a few buckets.
// Failures that may pass (cancellations, timeouts, 5xx, 401, 403) are not
// kept. Concurrent reads of one bucket share one request.
type bucketCache struct {
	mu     sync.Mutex
	known  map[string]bucketAnswer
	flight singleflight.Group
}

type bucketAnswer struct {
	bucket *ExportBucket
	err    error // wraps ErrExportBucketNotFound; nil with a bucket
}

func (bc *bucketCache) lookup(key string) (bucketAnswer, bool) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	a, ok := bc.known[key]
	return a, ok
}

func (bc *bucketCache) store(key string, a bucketAnswer) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if bc.known == nil {
		bc.known = map[string]bucketAnswer{}
	}
	bc.known[key] = a
}

// GetExportBucket reads one export bucket, at most once per client: later
// calls, and calls while the first is in flight, share its answer. A bucket
// that does not exist is an error wrapping ErrExportBucketNotFound. The
// bucket returned is shared: callers must not modify it.
func (c *Client) GetExportBucket(ctx context.Context, projectID, bucketID string) (*ExportBucket, error) {
	if !ProjectIDPattern.MatchString(projectID) {
		return nil, fmt.Errorf("project ID %q is not 24 lowercase hexadecimal characters", projectID)
	}
	if !ExportIDPattern.MatchString(bucketID) {
		return nil, fmt.Errorf("export bucket ID %q is not 24 lowercase hexadecimal characters", bucketID)
	}
	key := projectID + "/" + bucketID
	for {
		if a, ok := c.buckets.lookup(key); ok {
			return a.bucket, a.err
		}
		// The request runs under the context of the caller that started
		// it; the others wait under their own.
		answers := c.buckets.flight.DoChan(key, func() (any, error) {
			if a, ok := c.buckets.lookup(key); ok { // stored while this call was being set up
				return a.bucket, a.err
			}
			bucket, err := c.fetchExportBucket(ctx, projectID, bucketID)
			if err == nil || errors.Is(err, ErrExportBucketNotFound) {
				c.buckets.store(key, bucketAnswer{bucket: bucket, err: err})
			}
			return bucket, err
		})
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reading export bucket %s of project %s: %w", bucketID, projectID, ctx.Err())
		case r := <-answers:
			// The caller that started the request gave up (its read was
			// cancelled or timed out): this caller, still waiting, asks again.
			if r.Err != nil && ctx.Err() == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue
			}
			bucket, _ := r.Val.(*ExportBucket)
			return bucket, r.Err
		}
	}
}

func (c *Client) fetchExportBucket(ctx context.Context, projectID, bucketID string) (*ExportBucket, error) {
	var bucket ExportBucket
	err := c.getAs(ctx, c.exportBucketURL(projectID, bucketID), MediaTypeBuckets, &bucket)
	if err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			apiErr.forbidden = "Reading export buckets needs the " + ExportBucketRole + " role (or higher) on the " +
				"project, and the caller's IP address may be missing from the key's API access list."
			// Only Atlas's own word that the bucket is gone makes a
			// deleted bucket (a warning, and null for its jobs): a missing
			// project, or a 404 without Atlas's envelope (a gateway, a
			// wrong base_url), is an error like any other.
			if apiErr.StatusCode == http.StatusNotFound && apiErr.ErrorCode != "" && apiErr.ErrorCode != "GROUP_NOT_FOUND" {
				err = fmt.Errorf("%w: %w", ErrExportBucketNotFound, err)
			}
		}
		return nil, fmt.Errorf("reading export bucket %s of project %s: %w", bucketID, projectID, err)
	}
	c.debug(ctx, "read an export bucket", map[string]any{"export_bucket_id": bucketID, "cloud_provider": str(bucket.CloudProvider)})
	return &bucket, nil
}

// ExportBucketReads reads the export buckets that one read's jobs name: each
// distinct bucket once, started as soon as a bucket is named (Start) so that
// bucket requests overlap the pages still to come. The client's request
// budget bounds what is in flight; sem bounds what one read queues for it,
// so that a page naming a thousand buckets does not put a thousand bucket
// requests ahead of the pages still to come in the budget's queue.
type ExportBucketReads struct {
	c         *Client
	ctx       context.Context
	projectID string
	sem       *semaphore.Weighted
	mu        sync.Mutex
	calls     map[string]*bucketCall
}

type bucketCall struct {
	done   chan struct{}
	bucket *ExportBucket
	err    error
}

// ExportBuckets are the export buckets of a list of jobs.
type ExportBuckets struct {
	// Found maps bucket IDs to buckets.
	Found map[string]*ExportBucket
	// NotFound lists, sorted, the IDs of buckets that no longer exist.
	NotFound []string
}

// NewExportBucketReads prepares the bucket reads of one read of a project's
// jobs; ctx bounds every request they make.
func (c *Client) NewExportBucketReads(ctx context.Context, projectID string) *ExportBucketReads {
	return &ExportBucketReads{c: c, ctx: ctx, projectID: projectID, sem: semaphore.NewWeighted(int64(c.concurrency)),
		calls: map[string]*bucketCall{}}
}

// Start begins reading each bucket not asked for yet; it does not wait. It
// is safe for concurrent use, so a page observer may call it.
func (r *ExportBucketReads) Start(bucketIDs ...string) {
	for _, id := range bucketIDs {
		r.start(id)
	}
}

func (r *ExportBucketReads) start(id string) *bucketCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	if call, ok := r.calls[id]; ok {
		return call
	}
	call := &bucketCall{done: make(chan struct{})}
	r.calls[id] = call
	go func() {
		defer close(call.done)
		if err := r.sem.Acquire(r.ctx, 1); err != nil {
			call.err = fmt.Errorf("reading export bucket %s of project %s: %w", id, r.projectID, err)
			return
		}
		defer r.sem.Release(1)
		call.bucket, call.err = r.c.GetExportBucket(r.ctx, r.projectID, id)
	}()
	return call
}

// Wait reads the buckets of bucketIDs, distinct IDs (starting those not started yet) and
// returns them. A bucket that no longer exists is listed in NotFound; any
// other failure is returned as the error, the first in bucketIDs order.
func (r *ExportBucketReads) Wait(ctx context.Context, bucketIDs []string) (*ExportBuckets, error) {
	calls := make([]*bucketCall, len(bucketIDs))
	for i, id := range bucketIDs {
		calls[i] = r.start(id)
	}
	result := &ExportBuckets{Found: make(map[string]*ExportBucket, len(bucketIDs))}
	for i, call := range calls {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reading the export buckets of project %s: %w", r.projectID, ctx.Err())
		case <-call.done:
		}
		switch {
		case call.err == nil:
			result.Found[bucketIDs[i]] = call.bucket
		case errors.Is(call.err, ErrExportBucketNotFound):
			result.NotFound = append(result.NotFound, bucketIDs[i])
		default:
			return nil, call.err
		}
	}
	slices.Sort(result.NotFound)
	return result, nil
}
