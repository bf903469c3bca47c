package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// This file reads the fixtures format's keys for the export action: a
// cluster's "snapshots" (Atlas's JSON of each, as List_snapshots shows it)
// and its "exportLifecycle" (how the export jobs the sandbox creates for
// the cluster run). examples/sandbox-fixtures/README.md documents them.

type (
	// snapshotJSON is a Snapshot as Atlas's JSON has it; links is accepted
	// so that a snapshot pasted from Atlas loads, and not served.
	snapshotJSON struct {
		Snapshot
		Links json.RawMessage `json:"links"`
	}
	exportLifecycleJSON struct {
		Queued           *string      `json:"queued"`
		InProgress       *string      `json:"inProgress"`
		Outcome          *string      `json:"outcome"`
		StateReason      *StateReason `json:"stateReason"`
		TotalCollections *float64     `json:"totalCollections"`
	}
)

var (
	snapshotKeys = []string{"id", "status", "createdAt", "expiresAt", "type", "snapshotType", "frequencyType",
		"description", "cloudProvider", "mongodVersion", "replicaSetName", "storageSizeBytes", "copyRegions",
		"policyItems", "members", "snapshotIds", "links"}
	exportLifecycleKeys = []string{"queued", "inProgress", "outcome", "stateReason", "totalCollections"}
	snapshotStatuses    = []string{"queued", "inProgress", "completed", "failed"}
	exportOutcomes      = []string{"Successful", "Failed", "Cancelled"}
)

// snapshots reads a cluster's snapshots: an id each, once, a status of the
// contract's enum and, when set, a createdAt in Atlas's layout. The type
// defaults to replicaSet.
func (l *loader) snapshots(path string, raws []json.RawMessage) []Snapshot {
	out := []Snapshot{}
	seen := map[string]bool{}
	for i, raw := range raws {
		at := fmt.Sprintf("%s[%d]", path, i)
		var sj snapshotJSON
		if !l.decode(at, raw, &sj, "a snapshot", snapshotKeys) {
			continue
		}
		snap := sj.Snapshot
		switch {
		case !objectIDPattern.MatchString(snap.ID):
			l.add(l.valueAt[at], at, `needs an "id": %s`, objectIDRule)
			continue
		case seen[snap.ID]:
			l.add(l.valueAt[joinKey(at, "id")], joinKey(at, "id"), "%s is the id of an earlier snapshot of the cluster", snap.ID)
		case !slices.Contains(snapshotStatuses, snap.Status):
			l.add(l.valueAt[at], at, `needs a "status", one of %s (only a completed snapshot is exported)`, quoteAll(snapshotStatuses))
		case snap.CreatedAt != "" && !validTime(snap.CreatedAt):
			l.add(l.valueAt[joinKey(at, "createdAt")], joinKey(at, "createdAt"), "%q is not a time as Atlas writes it, such as 2026-08-10T03:28:08Z", snap.CreatedAt)
		case snap.Type != "" && snap.Type != SnapshotReplicaSet && snap.Type != SnapshotShardedCluster:
			l.add(l.valueAt[joinKey(at, "type")], joinKey(at, "type"), "%q is not %q or %q", snap.Type, SnapshotReplicaSet, SnapshotShardedCluster)
		}
		seen[snap.ID] = true
		if snap.Type == "" {
			snap.Type = SnapshotReplicaSet
		}
		if snap.PolicyItems == nil {
			snap.PolicyItems = []string{}
		}
		out = append(out, snap)
	}
	return out
}

func validTime(s string) bool {
	_, err := time.Parse(createdAtLayout, s)
	return err == nil
}

// exportLifecycle reads how the cluster's created export jobs run.
func (l *loader) exportLifecycle(path string, raw json.RawMessage) *ExportLifecycle {
	var lj exportLifecycleJSON
	if !l.decode(path, raw, &lj, "an exportLifecycle", exportLifecycleKeys) {
		return nil
	}
	lc := &ExportLifecycle{Queued: 2 * time.Second, InProgress: 5 * time.Second, Outcome: "Successful", StateReason: lj.StateReason}
	for key, target := range map[string]*time.Duration{"queued": &lc.Queued, "inProgress": &lc.InProgress} {
		raw := map[string]*string{"queued": lj.Queued, "inProgress": lj.InProgress}[key]
		if raw == nil {
			continue
		}
		at := joinKey(path, key)
		d, err := time.ParseDuration(*raw)
		if err != nil || d < 0 {
			l.add(l.valueAt[at], at, `%q is not a duration: write one as Go does, such as "2s" or "1m30s"`, *raw)
		}
		*target = d
	}
	if lj.Outcome != nil {
		if !slices.Contains(exportOutcomes, *lj.Outcome) {
			at := joinKey(path, "outcome")
			l.add(l.valueAt[at], at, "%q is not one of %s", *lj.Outcome, quoteAll(exportOutcomes))
		}
		lc.Outcome = *lj.Outcome
	}
	if lj.StateReason != nil && lc.Outcome == "Successful" {
		at := joinKey(path, "stateReason")
		l.add(l.keyAt[at], at, `is only set on a job that ends "Failed" or "Cancelled": set "outcome" too`)
	}
	if lj.TotalCollections != nil {
		lc.TotalCollections = l.integer(joinKey(path, "totalCollections"), *lj.TotalCollections, 0, 1000000, "the collections an export counts")
	}
	return lc
}
