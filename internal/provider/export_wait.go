package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds the wait for an export job to end, which the
// atlasexports_export_snapshot action and the atlasexports_snapshot_export
// data source (wait_for_completion) share: the client polls (internal/atlas
// wait.go); here are the words a user reads.

// testPollInterval, when a Go duration, replaces the wait's pace (first
// poll interval; at most 4 times that between polls; a report at least every
// 20 times that). Only tests set it: in-process in TestMain, and through
// -ldflags "-X" in the provider they build for the terraform CLI. A release
// build leaves it empty.
var testPollInterval string

// pollConfig sets the wait's pace in a client configuration.
func pollConfig(cfg *atlas.Config) {
	if d, err := time.ParseDuration(testPollInterval); err == nil && d > 0 {
		cfg.PollInterval, cfg.MaxPollInterval, cfg.ProgressEvery = d, 4*d, 20*d
	}
}

// jobProgress says where an export job is, for a progress message: its
// state, and its collection counts when Atlas gives non-zero ones.
func jobProgress(job *atlas.ExportJob) string {
	state := "in an unknown state"
	if job.State != nil {
		state = *job.State
	}
	if s := job.ExportStatus; s != nil && s.TotalCollections != nil && *s.TotalCollections > 0 {
		exported := int64(0)
		if s.ExportedCollections != nil {
			exported = *s.ExportedCollections
		}
		state += fmt.Sprintf(", %d of %d collections exported", exported, *s.TotalCollections)
	}
	return state
}

// waitForExport waits for an export job to end, calling say with a message
// after the first poll, on every change, and at least every few minutes
// while nothing changes (say may be nil). It returns the job as it ended.
// A job that did not end (the time limit, a cancellation, a failed poll) is
// an error diagnostic that names the job, its last state, and says that it
// keeps running in Atlas; limit names the setting that bounded the wait.
func (d *providerData) waitForExport(ctx context.Context, projectID, cluster, exportID, limit string,
	say func(string)) (*atlas.ExportJob, diag.Diagnostics) {
	var diags diag.Diagnostics
	job, err := d.client.WaitForExportJob(ctx, projectID, cluster, exportID, func(r atlas.WaitReport) {
		msg := fmt.Sprintf("Export job %s: %s (waited %s).", exportID, jobProgress(r.Job), r.Waited.Round(time.Second))
		logDebug(ctx, "export job progress", map[string]any{"export_id": exportID, "state": jobProgress(r.Job)})
		if say != nil {
			say(msg)
		}
	})
	if err == nil {
		return job, diags
	}
	last := "not read yet"
	if job != nil {
		last = jobProgress(job)
	}
	keepsRunning := fmt.Sprintf("Export job %s of cluster %q was last %s. The job keeps running in Atlas: "+
		"read it later with the atlasexports_snapshot_export data source (export_id = %q).", exportID, cluster, last, exportID)
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
		diags.AddError("Export job did not end in time",
			fmt.Sprintf("The wait reached its time limit (%s) before the job ended. %s Raise the limit for a "+
				"longer export.", limit, keepsRunning))
	case errors.Is(err, context.Canceled):
		diags.AddError("Wait for the export job cancelled", keepsRunning)
	default:
		diags.AddError("Unable to read the export job while waiting for it",
			strings.TrimSuffix(d.readErrorDetail(ctx, err), ".")+".\n\n"+keepsRunning)
	}
	return job, diags
}

// endedDiags is the outcome of an ended job: nothing for Successful, an
// error with Atlas's stateReason and the job's id otherwise.
func endedDiags(job *atlas.ExportJob) diag.Diagnostics {
	var diags diag.Diagnostics
	state := ""
	if job.State != nil {
		state = *job.State
	}
	if state == atlas.StateSuccessful {
		return diags
	}
	reason := "Atlas gave no reason (stateReason is absent)."
	if r := job.StateReason; r != nil {
		reason = fmt.Sprintf("Atlas's reason: %s (errorCode %s).", strings.TrimSuffix(str(r.Message), "."), str(r.ErrorCode))
	}
	diags.AddError("Export job "+state,
		fmt.Sprintf("Export job %s of snapshot %s ended %s. %s What it wrote under its prefix %s may be incomplete.",
			str(job.ID), str(job.SnapshotID), state, reason, str(job.Prefix)))
	return diags
}
