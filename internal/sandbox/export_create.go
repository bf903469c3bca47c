package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"
)

// This file creates export jobs (POST .../clusters/{clusterName}/backup/exports,
// exports-v2.yaml: 200 with the job, Queued, as the Create_job recordings
// show) and runs each created job through Queued and InProgress to an
// outcome, on a clock tests can drive, as Watch_create_job shows a real one
// doing over minutes.

// ExportLifecycle says how the jobs the sandbox creates run.
type ExportLifecycle struct {
	// Queued and InProgress are how long a job spends in each state
	// (defaults 2s and 5s).
	Queued, InProgress time.Duration
	// Outcome is the final state: Successful (default), Failed or Cancelled.
	Outcome string
	// StateReason is set on the job when it ends Failed or Cancelled.
	StateReason *StateReason
	// TotalCollections, when above 0, makes InProgress count exported
	// collections up to it. Real answers keep exportStatus at 0/0, which is
	// the default.
	TotalCollections int
}

// exportState is the sandbox's snapshots and created jobs (a field of
// Server, under its mutex).
type exportState struct {
	snapshots map[string][]Snapshot // projectID/cluster -> snapshots, in serving order
	lifecycle ExportLifecycle
	// clusterLifecycles (by projectID/cluster) win over lifecycle.
	clusterLifecycles map[string]ExportLifecycle
	now               func() time.Time
	running           []runningExport
	created           int
	// loseAnswers makes the next POSTs create their job, then drop the
	// connection without an answer.
	loseAnswers int
	// failCreates makes the next POSTs answer failStatus without creating
	// anything.
	failCreates, failStatus int
}

type runningExport struct {
	key, id   string
	createdAt time.Time
	lifecycle ExportLifecycle
}

// SetExportLifecycle sets how the jobs created from now on run.
func (s *Server) SetExportLifecycle(l ExportLifecycle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports.lifecycle = l
}

// SetClusterExportLifecycle sets how the jobs created from now on for one
// cluster run, whatever SetExportLifecycle says.
func (s *Server) SetClusterExportLifecycle(projectID, cluster string, l ExportLifecycle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exports.clusterLifecycles == nil {
		s.exports.clusterLifecycles = map[string]ExportLifecycle{}
	}
	s.exports.clusterLifecycles[projectID+"/"+cluster] = l
}

// SetClock makes the created jobs' times and states follow now (default
// time.Now); a ManualClock lets a test move them on explicitly.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports.now = now
}

// LoseCreateAnswers makes the next n export requests create their job and
// then drop the connection without answering, as a network failure after
// Atlas processed the request looks to a client.
func (s *Server) LoseCreateAnswers(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports.loseAnswers = n
}

// FailCreateRequests makes the next n export requests answer status (in
// Atlas's error envelope) without creating a job, as Atlas or a proxy
// failing may; a client cannot tell that from a failure after the job was
// created.
func (s *Server) FailCreateRequests(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.exports.failCreates, s.exports.failStatus = n, status
}

// ExportsCreated counts the export jobs created by POST.
func (s *Server) ExportsCreated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exports.created
}

// ManualClock is a clock that moves only when told to.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock stopped at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{t: start} }

// Now is the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (s *Server) nowLocked() time.Time {
	if s.exports.now != nil {
		return s.exports.now()
	}
	return time.Now()
}

// progressExports brings the created jobs to the state they have reached
// by now; the list and get operations then serve them as stored.
func (s *Server) progressExports() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	s.exports.running = slices.DeleteFunc(s.exports.running, func(e runningExport) bool {
		jobs := s.clusters[e.key]
		i := slices.IndexFunc(jobs, func(j Job) bool { return j.ID == e.id })
		if i < 0 {
			return true
		}
		return e.apply(&jobs[i], now)
	})
}

// apply sets job to its state at now and reports whether it has ended.
func (e runningExport) apply(job *Job, now time.Time) bool {
	l := e.lifecycle
	elapsed := now.Sub(e.createdAt)
	switch {
	case elapsed < l.Queued:
		job.State = "Queued"
		return false
	case elapsed < l.Queued+l.InProgress:
		job.State = "InProgress"
		if l.TotalCollections > 0 {
			done := int(int64(l.TotalCollections) * int64(elapsed-l.Queued) / int64(l.InProgress))
			job.ExportStatus = &ExportStatus{ExportedCollections: done, TotalCollections: l.TotalCollections}
		}
		return false
	}
	job.State = l.Outcome
	job.FinishedAt = e.createdAt.Add(l.Queued + l.InProgress).UTC().Format(time.RFC3339)
	if l.TotalCollections > 0 && l.Outcome == "Successful" {
		job.ExportStatus = &ExportStatus{ExportedCollections: l.TotalCollections, TotalCollections: l.TotalCollections}
	}
	if l.Outcome != "Successful" && l.StateReason != nil {
		reason := *l.StateReason
		job.StateReason = &reason
	}
	return true
}

var hexID = regexp.MustCompile(`^[a-f0-9]{24}$`)

// serveCreateExport answers POST .../backup/exports: Atlas's checks, in the
// order a request meets them, then the job, Queued.
func (s *Server) serveCreateExport(w http.ResponseWriter, r *http.Request, rt route) {
	if !checkV2Accept(w, r, rt) {
		return
	}
	s.mu.Lock()
	fail := s.exports.failCreates > 0
	if fail {
		s.exports.failCreates--
	}
	status := s.exports.failStatus
	s.mu.Unlock()
	if fail {
		writeError(w, status, "UNEXPECTED_ERROR", "Unexpected error.")
		return
	}
	var body struct {
		SnapshotID     string  `json:"snapshotId"`
		ExportBucketID string  `json:"exportBucketId"`
		CustomData     []Label `json:"customData"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(data, &body) != nil {
		writeError(w, http.StatusBadRequest, "INVALID_JSON", "The request body is not valid JSON.")
		return
	}
	for name, id := range map[string]string{"snapshotId": body.SnapshotID, "exportBucketId": body.ExportBucketID} {
		if !hexID.MatchString(id) {
			writeError(w, http.StatusBadRequest, "INVALID_ATTRIBUTE", fmt.Sprintf("Invalid attribute %s specified.", name))
			return
		}
	}
	key := rt.projectID + "/" + rt.cluster
	s.mu.Lock()
	_, clusterFound := s.clusters[key]
	snap, snapFound := s.snapshotLocked(key, body.SnapshotID)
	_, bucketFound := s.buckets[rt.projectID][body.ExportBucketID]
	s.mu.Unlock()
	switch {
	case !clusterFound:
		s.notFound(w, rt)
		return
	case !snapFound:
		writeError(w, http.StatusNotFound, "SNAPSHOT_NOT_FOUND",
			fmt.Sprintf("No snapshot with ID %s exists for cluster %s.", body.SnapshotID, rt.cluster))
		return
	case snap.Status != "completed":
		writeError(w, http.StatusBadRequest, "SNAPSHOT_NOT_COMPLETE",
			fmt.Sprintf("Snapshot %s is %s; only a completed snapshot can be exported.", snap.ID, snap.Status))
		return
	case !bucketFound:
		writeError(w, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND",
			fmt.Sprintf("Export bucket %s not found.", body.ExportBucketID))
		return
	}
	job := s.createExport(rt, key, snap, body.ExportBucketID, body.CustomData)
	s.mu.Lock()
	lose := s.exports.loseAnswers > 0
	if lose {
		s.exports.loseAnswers--
	}
	s.mu.Unlock()
	if lose {
		panic(http.ErrAbortHandler) // the connection drops without an answer
	}
	writeJSON(w, http.StatusOK, contentType(rt), job)
}

// StartExport creates an export job of a cluster's snapshot to an export
// bucket, as a POST would without its checks, and runs it as the lifecycle
// says: a job another tool started, for a test to read or wait on.
func (s *Server) StartExport(projectID, cluster, snapshotID, bucketID string) Job {
	s.mu.Lock()
	snap, _ := s.snapshotLocked(projectID+"/"+cluster, snapshotID)
	s.mu.Unlock()
	snap.ID = snapshotID
	return s.createExport(route{projectID: projectID, cluster: cluster}, projectID+"/"+cluster, snap, bucketID, nil)
}

func (s *Server) createExport(rt route, key string, snap Snapshot, bucketID string, customData []Label) Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked().UTC()
	s.exports.created++
	l, ok := s.exports.clusterLifecycles[key]
	if !ok {
		l = s.exports.lifecycle
	}
	if l.Queued == 0 && l.InProgress == 0 {
		l.Queued, l.InProgress = 2*time.Second, 5*time.Second
	}
	if l.Outcome == "" {
		l.Outcome = "Successful"
	}
	if customData == nil {
		customData = []Label{}
	}
	snapshotAt, _ := time.Parse(time.RFC3339, snap.CreatedAt)
	job := Job{
		ID:             fmt.Sprintf("%08x%016x", now.Unix(), 0xe0000000+s.exports.created),
		SnapshotID:     snap.ID,
		ExportBucketID: bucketID,
		State:          "Queued",
		CreatedAt:      now.Format(time.RFC3339),
		Prefix: fmt.Sprintf("exported_snapshots/%s/%s/%s/%s/%d", OrgID, rt.projectID, rt.cluster,
			snapshotAt.UTC().Format("2006-01-02T1504"), now.Unix()),
		CustomData:   &customData,
		ExportStatus: &ExportStatus{},
	}
	for i, m := range snap.Members {
		job.Components = append(job.Components, Component{
			ExportID: fmt.Sprintf("%08x%016x", now.Unix(), 0xf0000000+s.exports.created*16+i), ReplicaSetName: m.ReplicaSetName,
		})
	}
	s.insertLocked(key, []Job{job})
	s.exports.running = append(s.exports.running, runningExport{key: key, id: job.ID, createdAt: now, lifecycle: l})
	return job
}
