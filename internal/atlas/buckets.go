package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
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
// Reads of one bucket at the same moment (the data sources of one plan)
// share one request. Failures that may pass (timeouts, 5xx, 401, 403) are
// not kept: the reads waiting for one get it, later reads ask again.
type bucketCache struct {
	mu    sync.Mutex
	reads map[string]*bucketRead
}

// bucketRead is one read of a bucket: in flight until done is closed, then
// its answer.
type bucketRead struct {
	done   chan struct{}
	bucket *ExportBucket
	err    error // wraps ErrExportBucketNotFound for a bucket that does not exist
	// abandoned is set when the read failed because its caller gave up
	// (its context ended), which says nothing of the bucket: the callers
	// waiting for it ask again.
	abandoned bool
}

// join returns the read of key in flight or done, or starts one that the
// caller must do (leader true).
func (bc *bucketCache) join(key string) (read *bucketRead, leader bool) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if read, ok := bc.reads[key]; ok {
		return read, false
	}
	if bc.reads == nil {
		bc.reads = map[string]*bucketRead{}
	}
	read = &bucketRead{done: make(chan struct{})}
	bc.reads[key] = read
	return read, true
}

// finish publishes a read's answer, keeping it only if it will not change.
func (bc *bucketCache) finish(key string, read *bucketRead) {
	bc.mu.Lock()
	if read.err != nil && !errors.Is(read.err, ErrExportBucketNotFound) {
		delete(bc.reads, key)
	}
	bc.mu.Unlock()
	close(read.done)
}

// GetExportBucket reads one export bucket, or takes it from the client's
// cache. A bucket that does not exist is an error wrapping
// ErrExportBucketNotFound. The bucket returned is shared: callers must not
// modify it.
func (c *Client) GetExportBucket(ctx context.Context, projectID, bucketID string) (*ExportBucket, error) {
	if !ProjectIDPattern.MatchString(projectID) {
		return nil, fmt.Errorf("project ID %q is not 24 lowercase hexadecimal characters", projectID)
	}
	if !ExportIDPattern.MatchString(bucketID) {
		return nil, fmt.Errorf("export bucket ID %q is not 24 lowercase hexadecimal characters", bucketID)
	}
	key := projectID + "/" + bucketID
	for {
		read, leader := c.buckets.join(key)
		if leader {
			// The request runs under this caller's context alone, within its
			// own retries: another caller's deadline never ends it.
			read.bucket, read.err = c.fetchExportBucket(ctx, projectID, bucketID)
			read.abandoned = read.err != nil && ctx.Err() != nil
			c.buckets.finish(key, read)
			return read.bucket, read.err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reading export bucket %s of project %s: %w", bucketID, projectID, ctx.Err())
		case <-read.done:
		}
		if !read.abandoned {
			return read.bucket, read.err
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

// ExportBuckets are the export buckets of a list of jobs.
type ExportBuckets struct {
	// Found maps bucket IDs to buckets.
	Found map[string]*ExportBucket
	// NotFound lists, sorted, the IDs of buckets that no longer exist.
	NotFound []string
}

// GetExportBuckets reads the export buckets of bucketIDs, each distinct ID
// once, at most max_concurrent_requests at a time (the client's request
// budget, shared with every other read, bounds them too). A bucket that no
// longer exists is listed in NotFound; any other failure stops the reads
// still in flight and is returned: nothing partial is returned as whole.
func (c *Client) GetExportBuckets(ctx context.Context, projectID string, bucketIDs []string) (*ExportBuckets, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(bucketIDs)))
	found := make([]*ExportBucket, len(ids))
	notFound := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.concurrency)
	for i, id := range ids {
		g.Go(func() error {
			bucket, err := c.GetExportBucket(gctx, projectID, id)
			switch {
			case errors.Is(err, ErrExportBucketNotFound):
				notFound[i] = true
			case err != nil:
				return err
			}
			found[i] = bucket
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	result := &ExportBuckets{Found: make(map[string]*ExportBucket, len(ids))}
	for i, id := range ids {
		if notFound[i] {
			result.NotFound = append(result.NotFound, id)
		} else {
			result.Found[id] = found[i]
		}
	}
	return result, nil
}
