package atlas

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"
)

// Defaults of the wait for an export job to end (Config.Poll*): an export
// takes minutes to hours, so polls start every 5 seconds and slow down to one
// a minute, which bounds how late the end is learnt; a report goes out at
// least every 3 minutes while nothing changes.
const (
	DefaultPollInterval    = 5 * time.Second
	DefaultMaxPollInterval = time.Minute
	DefaultProgressEvery   = 3 * time.Minute
)

// maxPollFailures is how many polls in a row may fail (each after its own
// retries) before the wait gives up: an hour-long wait should outlast a
// minute-long outage.
const maxPollFailures = 3

// Ended reports whether a job's state is final: Successful, Failed or
// Cancelled.
func Ended(job *ExportJob) bool {
	switch str(job.State) {
	case StateSuccessful, StateFailed, StateCancelled:
		return true
	}
	return false
}

// WaitReport is what WaitForExportJob tells its caller after a poll.
type WaitReport struct {
	Job *ExportJob
	// Changed is true when the state or the collection counts differ from
	// the previous report's (always on the first); false for a report sent
	// because ProgressEvery passed without a change.
	Changed bool
	// Waited is the time since the wait began.
	Waited time.Duration
}

// WaitForExportJob polls an export job until it ends (Successful, Failed or
// Cancelled) and returns its last answer; whether it succeeded is the
// caller's to judge. It waits PollInterval between polls, half as long again
// after each poll that shows no change, up to MaxPollInterval, and from
// PollInterval again after a change. report, if not nil, is called after the
// first poll, after every change of state or collection counts, and when
// ProgressEvery has passed since the last call. The wait ends with ctx; then
// the error wraps ctx's and the last job read, if any, is returned with it.
func (c *Client) WaitForExportJob(ctx context.Context, projectID, clusterName, exportID string, report func(WaitReport)) (*ExportJob, error) {
	start := time.Now()
	interval := c.pollInterval
	var last *ExportJob
	var lastReport time.Time
	failures := 0
	for {
		job, err := c.GetExportJob(ctx, projectID, clusterName, exportID)
		switch {
		case err != nil && ctx.Err() != nil:
			return last, err
		case err != nil && transientPollError(err) && failures+1 < maxPollFailures:
			failures++
			c.warn(ctx, "polling the export job failed; polling again", map[string]any{"export_id": exportID, "error": err.Error(), "failures": failures})
			interval = c.maxPollInterval
		case err != nil:
			return last, err
		default:
			failures = 0
			changed := last == nil || progressChanged(last, job)
			if report != nil && (changed || time.Since(lastReport) >= c.progressEvery) {
				report(WaitReport{Job: job, Changed: changed, Waited: time.Since(start)})
				lastReport = time.Now()
			}
			last = job
			if Ended(job) {
				return job, nil
			}
			interval = c.nextPollInterval(interval, changed)
		}
		c.debug(ctx, "waiting before polling the export job again", map[string]any{"export_id": exportID, "state": str(last.stateOrNil()), "wait": interval.String()})
		timer := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			timer.Stop()
			return last, ctx.Err()
		case <-timer.C:
		}
	}
}

// nextPollInterval is the wait after a poll that waited cur before it:
// PollInterval again after a change, otherwise half as long again as cur,
// up to MaxPollInterval.
func (c *Client) nextPollInterval(cur time.Duration, changed bool) time.Duration {
	if changed {
		return c.pollInterval
	}
	return min(cur*3/2, c.maxPollInterval)
}

func (j *ExportJob) stateOrNil() *string {
	if j == nil {
		return nil
	}
	return j.State
}

// progressChanged reports whether b differs from a in what a user follows:
// the state and the collection counts.
func progressChanged(a, b *ExportJob) bool {
	if str(a.State) != str(b.State) {
		return true
	}
	exported := func(j *ExportJob) (int64, int64) {
		if j.ExportStatus == nil {
			return -1, -1
		}
		return deref(j.ExportStatus.ExportedCollections), deref(j.ExportStatus.TotalCollections)
	}
	ae, at := exported(a)
	be, bt := exported(b)
	return ae != be || at != bt
}

func deref(n *int64) int64 {
	if n == nil {
		return -1
	}
	return *n
}

// transientPollError reports whether a failed poll may succeed later:
// Atlas's or a proxy's failure, rate limiting or the network; not a refusal
// or a missing job.
func transientPollError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	status := StatusCode(err)
	if _, tokenErr := errors.AsType[*TokenError](err); tokenErr {
		return false
	}
	return status == 0 || status == http.StatusTooManyRequests || status >= 500
}

// setPolling takes the wait's pace from cfg, defaults for zero values.
func (c *Client) setPolling(cfg Config) {
	c.pollInterval = cmp.Or(cfg.PollInterval, DefaultPollInterval)
	c.maxPollInterval = max(cmp.Or(cfg.MaxPollInterval, DefaultMaxPollInterval), c.pollInterval)
	c.progressEvery = cmp.Or(cfg.ProgressEvery, DefaultProgressEvery)
}
