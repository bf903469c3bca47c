package atlas

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"golang.org/x/sync/errgroup"
)

// MediaTypeBuckets is the export bucket version the client reads: the one
// that knows every cloud. The 2023-01-01 version knows only AWS buckets and
// is sunset on 2027-07-01; the v1.0 API knows only AWS and is deprecated. So
// buckets are read from v2 with this media type whatever api_version says.
const MediaTypeBuckets = "application/vnd.atlas.2024-05-30+json"

// Cloud providers of export buckets, as cloudProvider names them.
const (
	CloudAWS   = "AWS"
	CloudAzure = "AZURE"
	CloudGCP   = "GCP"
)

// ErrorCodeExportBucketNotFound is Atlas's errorCode for an export bucket
// that does not exist (its 404 table).
const ErrorCodeExportBucketNotFound = "EXPORT_BUCKET_NOT_FOUND"

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

// A client keeps each export bucket Atlas has, and each that Atlas says is
// gone, for its lifetime (Client.buckets): a bucket's fields do not change
// once it exports, and jobs by the thousand share a few buckets. Reads of
// one bucket at the same moment (the data sources of one plan) share one
// request (Client.bucketFlight), made under the first reader's context
// alone: another reader giving up never ends it. Failures that may pass
// (timeouts, 5xx, 401, 403) are not kept: the readers that shared one get
// it, later reads ask again; a read abandoned by its own reader is asked
// again by the others.
type bucketAnswer struct {
	bucket *ExportBucket
	err    error // wraps ErrExportBucketNotFound
}

// GetExportBucket reads one export bucket, or takes it from the client's
// cache. A bucket that does not exist is an error wrapping
// ErrExportBucketNotFound. The bucket returned is shared: callers must not
// modify it.
func (c *Client) GetExportBucket(ctx context.Context, projectID, bucketID string) (*ExportBucket, error) {
	if err := cmp.Or(validateID("project ID", projectID), validateID("export bucket ID", bucketID)); err != nil {
		return nil, err
	}
	key := projectID + "/" + bucketID
	for {
		c.bucketsMu.Lock()
		kept, ok := c.buckets[key]
		// Marked before the flight starts, so that a reader that comes
		// while it is in flight says it waits.
		fetching := c.bucketsFetching[key]
		if !ok {
			c.bucketsFetching[key] = true
		}
		c.bucketsMu.Unlock()
		if ok {
			return kept.bucket, kept.err
		}
		if fetching {
			c.debug(ctx, "waiting for the read of an export bucket in flight", map[string]any{"export_bucket_id": bucketID})
		}
		ch := c.bucketFlight.DoChan(key, func() (any, error) {
			defer c.doneFetching(key)
			return c.fetchExportBucket(ctx, projectID, bucketID)
		})
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reading export bucket %s of project %s: %w", bucketID, projectID, ctx.Err())
		case r := <-ch:
			if abandoned, ok := errors.AsType[*abandonedFetch](r.Err); ok {
				if ctx.Err() == nil {
					continue // another reader's request, which it gave up
				}
				return nil, abandoned.err
			}
			bucket, _ := r.Val.(*ExportBucket)
			return bucket, r.Err
		}
	}
}

func (c *Client) fetchExportBucket(ctx context.Context, projectID, bucketID string) (*ExportBucket, error) {
	var bucket ExportBucket
	err := c.get(ctx, c.exportBucketURL(projectID, bucketID), MediaTypeBuckets, &bucket)
	if err != nil {
		if apiErr, ok := apiAnswer(err); ok {
			apiErr.Operation = OpGetExportBucket
			// Only Atlas's own word that the bucket is gone makes a
			// deleted bucket (a warning, and null for its jobs): a missing
			// project, a server without the bucket route
			// (RESOURCE_NOT_FOUND), or a 404 without Atlas's envelope (a
			// gateway, a wrong base_url), is an error like any other.
			if apiErr.StatusCode == http.StatusNotFound && apiErr.ErrorCode == ErrorCodeExportBucketNotFound {
				c.debug(ctx, "Atlas says the export bucket does not exist", map[string]any{"export_bucket_id": bucketID})
				err = fmt.Errorf("%w: %w", ErrExportBucketNotFound, err)
			}
		}
		err = requestFailed(err, "reading export bucket %s of project %s", bucketID, projectID)
		if !errors.Is(err, ErrExportBucketNotFound) {
			if ctx.Err() != nil {
				return nil, &abandonedFetch{err: err} // the reader gave up: nothing of the bucket
			}
			return nil, err
		}
		c.keepBucket(projectID+"/"+bucketID, bucketAnswer{err: err})
		return nil, err
	}
	c.debug(ctx, "read an export bucket", map[string]any{"export_bucket_id": bucketID, "cloud_provider": str(bucket.CloudProvider)})
	c.keepBucket(projectID+"/"+bucketID, bucketAnswer{bucket: &bucket})
	return &bucket, nil
}

func (c *Client) doneFetching(key string) {
	c.bucketsMu.Lock()
	defer c.bucketsMu.Unlock()
	delete(c.bucketsFetching, key)
}

func (c *Client) keepBucket(key string, answer bucketAnswer) {
	c.bucketsMu.Lock()
	defer c.bucketsMu.Unlock()
	c.buckets[key] = answer
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
	buckets := make([]*ExportBucket, len(ids)) // nil for a bucket that no longer exists
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.concurrency)
	for i, id := range ids {
		g.Go(func() (err error) {
			if buckets[i], err = c.GetExportBucket(gctx, projectID, id); errors.Is(err, ErrExportBucketNotFound) {
				return nil
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	result := &ExportBuckets{Found: make(map[string]*ExportBucket, len(ids))}
	for i, id := range ids {
		if buckets[i] == nil {
			result.NotFound = append(result.NotFound, id)
		} else {
			result.Found[id] = buckets[i]
		}
	}
	return result, nil
}
