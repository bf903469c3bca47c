package sandbox

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
)

// Job is an export job as the sandbox stores and serves it. Its JSON encoding
// follows the real recordings in shared/atlas-recordings: absent optional
// fields are left out, not sent as null, except exportStatus and customData,
// which every recorded job has: a nil ExportStatus is served as 0 of 0
// collections and a nil CustomData as [] (job_json.go).
type Job struct {
	ID             string        `json:"id"`
	SnapshotID     string        `json:"snapshotId,omitempty"`
	ExportBucketID string        `json:"exportBucketId"`
	State          string        `json:"state,omitempty"`
	CreatedAt      string        `json:"createdAt,omitempty"`
	FinishedAt     string        `json:"finishedAt,omitempty"`
	Prefix         string        `json:"prefix,omitempty"`
	Components     []Component   `json:"components,omitempty"`
	CustomData     *[]Label      `json:"customData,omitempty"` // nil: served as []
	ExportStatus   *ExportStatus `json:"exportStatus,omitempty"`
	StateReason    *StateReason  `json:"stateReason,omitempty"`

	// raw, when set, is the job's JSON as decoded (a fixtures file's job,
	// pasted from Atlas): it is served as written, every key kept, and the
	// fields above are what could be read from it (job_json.go).
	raw json.RawMessage
}

// Component is one shard's export of a sharded cluster's export job.
type Component struct {
	ExportID       string `json:"exportId"`
	ReplicaSetName string `json:"replicaSetName"`
}

// Label is one custom data pair.
type Label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ExportStatus counts exported collections.
type ExportStatus struct {
	ExportedCollections int `json:"exportedCollections"`
	TotalCollections    int `json:"totalCollections"`
}

// StateReason says why a job failed.
type StateReason struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// SandboxStateReasonCode is the stateReason errorCode of the sandbox's
// failed jobs. No recording holds a failed job and the contract gives no
// example of one, so the code is made up, and named so that no one takes it
// for Atlas's.
const SandboxStateReasonCode = "SANDBOX_MADE_UP_FAILURE"

func sandboxStateReason() *StateReason {
	return &StateReason{ErrorCode: SandboxStateReasonCode,
		Message: "Made up by the sandbox: Atlas's reasons for a failed export are not on record."}
}

// The seeded project, its clusters and its credentials. They are fixed, so
// that the demo, the tests and a user poking at the sandbox with curl see the
// same data.
const (
	OrgID     = "5e2211c17a3e5a48f5497de3"
	ProjectID = "64b7e2f0c1d2a3b4c5d6e7f8"

	// ClusterReplicaSet holds the replica set example of the Atlas
	// documentation: one InProgress job.
	ClusterReplicaSet = "docs-replica-set"
	// ClusterSharded holds the sharded cluster example: a Queued and a
	// Successful job, each with two components and customData [].
	ClusterSharded = "docs-sharded"
	// ClusterGenerated holds GeneratedJobs jobs in every state.
	ClusterGenerated = "generated"
	// ClusterEmpty exists and has no export jobs.
	ClusterEmpty = "empty"
	// ClusterBucketKinds holds a Successful job for each seeded export
	// bucket (BucketKindsJobs) and one whose bucket has been deleted.
	ClusterBucketKinds = "bucket-kinds"
	// ClusterReexported holds daily exports (ReexportedJobs) where an old
	// snapshot was exported again after newer ones, so that the newest job
	// and the newest data differ, with both forms of the prefix's snapshot
	// date.
	ClusterReexported = "reexported"

	GeneratedJobs = 3000

	PublicKey    = "sbxpubky"
	PrivateKey   = "8d3f0c52-5e1b-4a6c-9f0e-7b2a1c4d6e80"
	ClientID     = "mdb_sa_id_64b7e2f0c1d2a3b4c5d6e7f9"
	ClientSecret = "mdb_sa_sk_sandbox_3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e" //nolint:gosec // the sandbox's published test credential

	bucketID = BucketAWS // the documentation examples' bucket, in tests
)

// generatedBuckets are the export buckets the generated jobs cycle through:
// three distinct buckets, one of each cloud.
var generatedBuckets = [...]string{BucketAWS, BucketGCP, BucketAzure}

// seededJSON holds the seeded data in the fixtures format (jobs and buckets
// as the typed fields hold them): the replica set and sharded cluster
// examples of "Get All Cloud Backup Snapshot Export Jobs" (shared/seed),
// their placeholders filled in and the prefixes without the leading slash,
// as Atlas sends them; ClusterBucketKinds, a Successful export to each
// seeded bucket (the GCP one with the leading slash the documentation's
// examples show) and an old one to BucketDeleted; ClusterReexported, daily
// snapshots at 03:27 each exported a minute later, in the recordings' form of
// prefix (2026-08-10T0327) or the documentation's (2026-08-11T0327+0000, with
// its leading slash; one with a +0200 offset), where on 13 August the
// snapshot of 9 August is exported again, so that it is the newest job but
// not the newest data; that day's own export failed, a snapshot taken later
// that day is still being exported, and the oldest job's prefix names no
// snapshot; and the seeded export buckets.
//
//go:embed seeded.json
var seededJSON []byte

// seeded is seededJSON, read once: a few milliseconds that New would
// otherwise spend on each of its calls. Its jobs are served as the typed
// fields say, as jobs built in Go are.
var seeded = sync.OnceValue(func() FixtureProject {
	f, err := LoadFixtures(bytes.NewReader(seededJSON))
	if err != nil {
		panic(err) // the package's own file: every test that calls New reads it
	}
	for _, c := range f.Projects[0].Clusters {
		for i := range c.Jobs {
			c.Jobs[i].raw = nil
		}
	}
	return f.Projects[0]
})

// seededJobs are a seeded cluster's jobs, copied so that each caller owns
// what it gets.
func seededJobs(cluster string) []Job {
	var jobs []Job
	for _, c := range seeded().Clusters {
		for _, j := range c.Jobs {
			if c.Name == cluster {
				jobs = append(jobs, j.clone())
			}
		}
	}
	return jobs
}

func (j Job) clone() Job {
	j.Components = slices.Clone(j.Components)
	if j.CustomData != nil {
		labels := slices.Clone(*j.CustomData)
		j.CustomData = &labels
	}
	if j.ExportStatus != nil {
		status := *j.ExportStatus
		j.ExportStatus = &status
	}
	if j.StateReason != nil {
		reason := *j.StateReason
		j.StateReason = &reason
	}
	return j
}

// DocsReplicaSetJobs is the replica set example of the documentation.
func DocsReplicaSetJobs() []Job { return seededJobs(ClusterReplicaSet) }

// DocsShardedJobs is the sharded cluster example of the same page.
func DocsShardedJobs() []Job { return seededJobs(ClusterSharded) }

// BucketKindsJobs are the jobs of ClusterBucketKinds, newest first.
func BucketKindsJobs() []Job { return seededJobs(ClusterBucketKinds) }

// ReexportedJobs are the jobs of ClusterReexported, newest first by
// createdAt.
func ReexportedJobs() []Job { return seededJobs(ClusterReexported) }

// SeededExportBuckets are the export buckets New seeds into ProjectID.
func SeededExportBuckets() []ExportBucket {
	var buckets []ExportBucket
	for _, b := range seeded().ExportBuckets {
		buckets = append(buckets, maps.Clone(b.Bucket))
	}
	return buckets
}

// GenerateJobs makes n realistic jobs of a cluster, deterministic for a
// seed: every state, failures with a stateReason, running jobs with partial
// exportStatus and no finishedAt, some custom data, and a few pairs created
// in the same second (so the ID tie-break matters). Newest is first.
func GenerateJobs(cluster string, n int, seed uint64) []Job {
	rng := rand.New(rand.NewPCG(seed, 0x5eed)) //nolint:gosec // repeatable test data, not secrets
	jobs := make([]Job, 0, n)
	created := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 && rng.IntN(25) != 0 { // one in 25 shares the previous job's second
			created = created.Add(-time.Duration(1+rng.IntN(12*3600)) * time.Second)
		}
		jobs = append(jobs, generatedJob(cluster, created, i, seed, rng))
	}
	return jobs
}

func generatedJob(cluster string, created time.Time, i int, seed uint64, rng *rand.Rand) Job {
	id := objectID(created, seed, uint64(i)) //nolint:gosec // i is a non-negative index
	job := Job{
		ID:             id,
		SnapshotID:     objectID(created.Add(-5*time.Minute), seed^0xabcdef, uint64(i)), //nolint:gosec // i is a non-negative index
		ExportBucketID: generatedBuckets[i%len(generatedBuckets)],
		CreatedAt:      created.Format(time.RFC3339),
		Prefix: strings.Join([]string{"exported_snapshots", OrgID, ProjectID, cluster,
			created.Format("2006-01-02T1504"), fmt.Sprint(created.Unix())}, "/"),
		CustomData: &[]Label{},
	}
	total := 1 + rng.IntN(40)
	switch r := rng.IntN(100); {
	case i < 3 && r < 50: // the newest jobs are the ones still moving
		job.State = "Queued"
	case i < 6:
		job.State = "InProgress"
		job.ExportStatus = &ExportStatus{ExportedCollections: rng.IntN(total), TotalCollections: total}
	case r < 70:
		job.State = "Successful"
	case r < 82:
		job.State = "Failed"
		job.StateReason = sandboxStateReason()
	case r < 90:
		job.State = "Cancelled"
	case r < 95:
		job.State = "Queued"
	default:
		job.State = "InProgress"
		job.ExportStatus = &ExportStatus{ExportedCollections: rng.IntN(total), TotalCollections: total}
	}
	switch job.State {
	case "Successful":
		job.ExportStatus = &ExportStatus{ExportedCollections: total, TotalCollections: total}
		job.FinishedAt = created.Add(time.Duration(5+rng.IntN(60)) * time.Minute).Format(time.RFC3339)
	case "Failed", "Cancelled":
		job.ExportStatus = &ExportStatus{ExportedCollections: rng.IntN(total), TotalCollections: total}
		job.FinishedAt = created.Add(time.Duration(1+rng.IntN(30)) * time.Minute).Format(time.RFC3339)
	}
	if rng.IntN(10) == 0 {
		*job.CustomData = append(*job.CustomData, Label{Key: "team", Value: "data-platform"}, Label{Key: "ticket", Value: fmt.Sprintf("OPS-%d", 1000+i)})
	}
	return job
}

// objectID builds a MongoDB ObjectId-shaped ID: four bytes of time, then a
// counter, as Atlas's IDs are.
func objectID(t time.Time, seed, counter uint64) string {
	return fmt.Sprintf("%08x%08x%08x", uint32(t.Unix()), uint32(seed*2654435761), uint32(counter)) //nolint:gosec // truncation is the point
}
