package atlas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// OpCreateExportJob is the operation that creates an export job.
const OpCreateExportJob Operation = "createGroupClusterBackupExport"

// ExportRequest is what an export job is created from
// (DiskBackupExportJobRequest).
type ExportRequest struct {
	SnapshotID     string
	ExportBucketID string
	// CustomData is sent as Atlas's customData list of key/value pairs,
	// sorted by key.
	CustomData map[string]string
}

// AmbiguousCreateError is a POST whose outcome is unknown (no answer in
// time, a connection reset, a 5xx or an unreadable 200): Atlas may have
// created the job. It is never retried blindly; CreateExportJob looks for
// the job first, and this error means it found none.
type AmbiguousCreateError struct {
	Err error
}

func (e *AmbiguousCreateError) Error() string {
	return fmt.Sprintf("the export request's outcome is unknown (%v), and no job for this snapshot and bucket "+
		"that started since was found in the cluster's list", e.Err)
}

func (e *AmbiguousCreateError) Unwrap() error { return e.Err }

// ActiveExport is the job of the cluster that exports snapshotID to
// bucketID and is Queued or InProgress (the newest, if several), or nil.
// createdSince, when not zero, keeps only jobs created at or after it.
func (c *Client) ActiveExport(ctx context.Context, projectID, clusterName, snapshotID, bucketID string, createdSince time.Time) (*ExportJob, error) {
	list, err := c.ListExportJobs(ctx, projectID, clusterName)
	if err != nil {
		return nil, err
	}
	for i := range list.Jobs { // newest first
		j := &list.Jobs[i]
		if str(j.SnapshotID) != snapshotID || str(j.ExportBucketID) != bucketID ||
			!slices.Contains([]string{StateQueued, StateInProgress}, str(j.State)) {
			continue
		}
		if at, ok := parseRFC3339(j.CreatedAt); !createdSince.IsZero() && (!ok || at.Before(createdSince)) {
			continue
		}
		return j, nil
	}
	return nil, nil
}

// CreateExportJob starts an export of a snapshot to an export bucket. Atlas
// answers 200 with the job, Queued. A 429 Atlas answered before doing
// anything is retried after its Retry-After; an ambiguous failure is not:
// the cluster's jobs are searched for the one the request may have created
// (same snapshot and bucket, Queued or InProgress, created since the
// request was sent, give or take clock skew), which is returned if found.
// Otherwise the error is an *AmbiguousCreateError.
func (c *Client) CreateExportJob(ctx context.Context, projectID, clusterName string, req ExportRequest) (*ExportJob, error) {
	if err := validatePath(projectID, clusterName); err != nil {
		return nil, err
	}
	for name, id := range map[string]string{"snapshot ID": req.SnapshotID, "export bucket ID": req.ExportBucketID} {
		if !ExportIDPattern.MatchString(id) {
			return nil, fmt.Errorf("%s %q is not 24 lowercase hexadecimal characters", name, id)
		}
	}
	body, err := json.Marshal(exportRequestBody(req))
	if err != nil {
		return nil, fmt.Errorf("encoding the export request: %w", err)
	}
	rawURL := c.exportsURL(projectID, clusterName, "").String()
	sent := time.Now()
	var job ExportJob
	err = c.post(ctx, rawURL, c.mediaType, body, &job)
	if ambiguous, ok := errors.AsType[*AmbiguousCreateError](err); ok && ctx.Err() == nil {
		c.warn(ctx, "the export request's outcome is unknown; looking for the job it may have created", map[string]any{"error": ambiguous.Err.Error()})
		found, listErr := c.ActiveExport(ctx, projectID, clusterName, req.SnapshotID, req.ExportBucketID, sent.Add(-clockSkew))
		switch {
		case listErr != nil:
			return nil, fmt.Errorf("creating an export job of cluster %q (POST %s): %w; then, looking for the job it "+
				"may have created: %w", clusterName, exportsPath, err, listErr)
		case found != nil:
			return found, nil
		}
	}
	if err != nil {
		return nil, requestFailed(withOperation(err, OpCreateExportJob), "creating an export job of cluster %q (POST %s)", clusterName, exportsPath)
	}
	return &job, nil
}

// exportsPath names the create request in errors.
const exportsPath = "/api/atlas/{version}/groups/{groupId}/clusters/{clusterName}/backup/exports"

// clockSkew is how far Atlas's clock (the job's createdAt) may be behind
// this machine's when a job created by an ambiguous POST is looked for.
const clockSkew = 2 * time.Minute

type labelBody struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type exportRequestJSON struct {
	SnapshotID     string      `json:"snapshotId"`
	ExportBucketID string      `json:"exportBucketId"`
	CustomData     []labelBody `json:"customData,omitempty"`
}

func exportRequestBody(req ExportRequest) exportRequestJSON {
	out := exportRequestJSON{SnapshotID: req.SnapshotID, ExportBucketID: req.ExportBucketID}
	for _, k := range slices.Sorted(maps.Keys(req.CustomData)) {
		out.CustomData = append(out.CustomData, labelBody{Key: k, Value: req.CustomData[k]})
	}
	return out
}

// post sends one POST and decodes its 200 answer into target. Unlike get,
// it does not go through the retry policy: a request that may have been
// processed must not be sent again. Only answers that say Atlas did nothing
// are retried: a 429 (after its Retry-After), and a 401 to a cached service
// account token, once with a new token.
func (c *Client) post(ctx context.Context, rawURL, mediaType string, body []byte, target any) error {
	token, fresh, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		resp, err := c.postOnce(ctx, rawURL, mediaType, token, body)
		if err != nil {
			// Even a POST cut short by the caller may have reached Atlas.
			return &AmbiguousCreateError{Err: err}
		}
		switch {
		case resp.StatusCode == http.StatusOK:
			if err := decodeBody(resp, target); err != nil {
				return &AmbiguousCreateError{Err: err}
			}
			return nil
		case resp.StatusCode >= 500:
			return &AmbiguousCreateError{Err: apiErrorFromResponse(resp)}
		case resp.StatusCode == http.StatusUnauthorized && !fresh && c.serviceAccount != nil:
			if apiErr := c.answerError(resp, attempt); apiErr.LacksAccess() {
				return apiErr // a new token does not change what the credentials may do
			}
			c.debug(ctx, "Atlas refused the cached service account token; getting a new one", nil)
			if token, _, err = c.serviceAccount.get(ctx, token); err != nil {
				return err
			}
			fresh = true
			continue
		case resp.StatusCode == http.StatusTooManyRequests && attempt <= c.api.RetryMax:
			wait := c.api.Backoff(c.api.RetryWaitMin, c.api.RetryWaitMax, attempt-1, resp)
			resp.Body.Close()
			c.warn(ctx, "Atlas rate-limited the export request; sending it again", map[string]any{"wait": wait.String(), "attempt": attempt + 1})
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		return c.answerError(resp, attempt)
	}
}

// answerError is an error answer to the POST, read and closed.
func (c *Client) answerError(resp *http.Response, attempts int) *APIError {
	apiErr := apiErrorFromResponse(resp)
	apiErr.Attempts, apiErr.Credentials = attempts, c.credentials
	return apiErr
}

// postOnce sends the POST once; the caller reads and closes the answer.
func (c *Client) postOnce(ctx context.Context, rawURL, mediaType, bearer string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", mediaType)
	req.Header.Set("Content-Type", mediaType)
	req.Header.Set("User-Agent", c.userAgent)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	c.debug(ctx, "sending Atlas request", map[string]any{"method": http.MethodPost, "url": rawURL})
	resp, err := c.api.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	c.debug(ctx, "Atlas answered", map[string]any{"method": http.MethodPost, "url": rawURL, "status": resp.StatusCode})
	return resp, nil
}
