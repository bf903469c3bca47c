package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// This file routes requests to the export job and export bucket operations
// and answers the export job ones.

// ServeHTTP authenticates, applies scripted faults, then routes to the
// token endpoint, an export job operation or the export bucket GET.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	leaveKey, overKeyLimit := s.enterKey(r)
	defer leaveKey()
	rec := &Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Accept: r.Header.Get("Accept"),
		UserAgent: r.Header.Get("User-Agent"), Auth: claimedAuth(r)}
	entry := s.logArrival(*rec)
	if s.OnArrival != nil {
		s.OnArrival(*rec)
	}
	sw := &statusWriter{ResponseWriter: w}
	// The log entry is completed as the answer starts, before a byte of it
	// leaves, so that a client holding its answer finds its status in
	// Requests(), and again when the handler returns (an answer never
	// started keeps status 0).
	updateLog := func() { s.updateLog(entry, *rec) }
	// A request stops counting against its key as its answer starts, for
	// the reason above: the client may be done with it before the handler
	// returns.
	sw.onStatus = func() {
		leaveKey()
		rec.Status = sw.status
		updateLog()
	}
	defer updateLog()

	// Until a handler has read the body, net/http does not watch the
	// connection, and no wait below (Latency, a Hang) would end when the
	// client gives up: the token request's form is read before any of them.
	var formErr error
	if r.URL.Path == tokenPath {
		formErr = r.ParseForm()
	}
	if s.Latency > 0 {
		select {
		case <-time.After(s.Latency):
		case <-r.Context().Done():
			return
		}
	}

	if r.URL.Path == tokenPath {
		s.serveToken(sw, r, formErr)
		return
	}
	route, ok := parseRoute(r.URL.Path)
	snapshotRt, isSnapshotRt := parseSnapshotRoute(r.Method, r.URL.Path)
	if isSnapshotRt {
		route = snapshotRt.route
	}
	if (!ok || r.Method != http.MethodGet) && !isSnapshotRt {
		writeError(sw, http.StatusNotFound, "RESOURCE_NOT_FOUND", fmt.Sprintf("Cannot find resource %s.", r.URL.Path))
		return
	}
	if !s.authenticate(sw, r, rec) {
		return
	}
	updateLog() // the credentials are known before any fault holds the answer
	if overKeyLimit {
		s.answerRateLimited(sw)
		return
	}
	if s.applyFault(sw, r, route) {
		return
	}
	s.progressExports()
	if isSnapshotRt {
		s.serveSnapshotRoute(sw, r, snapshotRt)
		return
	}
	if route.bucketID != "" {
		s.serveBucket(sw, r, route)
		return
	}
	if route.version == "v2" && !acceptsV2(r.Header.Get("Accept")) {
		writeError(sw, http.StatusNotAcceptable, "INVALID_ACCEPT_HEADER",
			"Invalid accept header or version date. Use application/vnd.atlas.2023-01-01+json.")
		return
	}
	if route.exportID != "" {
		s.serveJob(sw, route)
		return
	}
	s.serveList(sw, r, route)
}

type route struct {
	version, projectID, cluster, exportID string
	// bucketID is set, and cluster and exportID are not, on the export
	// bucket route.
	bucketID string
}

// parseRoute matches /api/atlas/{v2|v1.0}/groups/{g}/clusters/{c}/backup/exports[/{id}], with or
// without the trailing slash the v1.0 documentation uses, and
// /api/atlas/v2/groups/{g}/backup/exportBuckets/{id}.
func parseRoute(path string) (route, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 8 && parts[0] == "api" && parts[1] == "atlas" && parts[2] == "v2" && parts[3] == "groups" &&
		parts[5] == "backup" && parts[6] == "exportBuckets" && parts[7] != "" {
		return route{version: parts[2], projectID: parts[4], bucketID: parts[7]}, true
	}
	if len(parts) < 9 || parts[0] != "api" || parts[1] != "atlas" || (parts[2] != "v2" && parts[2] != "v1.0") ||
		parts[3] != "groups" || parts[5] != "clusters" || parts[7] != "backup" || parts[8] != "exports" || len(parts) > 10 {
		return route{}, false
	}
	rt := route{version: parts[2], projectID: parts[4], cluster: parts[6]}
	if len(parts) == 10 {
		rt.exportID = parts[9]
	}
	return rt, true
}

func acceptsV2(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mediaType, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if mediaType == acceptV2 {
			return true
		}
	}
	return false
}

func (s *Server) serveJob(w http.ResponseWriter, rt route) {
	s.mu.Lock()
	jobs, found := s.clusters[rt.projectID+"/"+rt.cluster]
	var job *Job
	for i := range jobs {
		if jobs[i].ID == rt.exportID {
			j := jobs[i]
			job = &j
		}
	}
	s.mu.Unlock()
	switch {
	case !found:
		s.notFound(w, rt)
	case job == nil:
		writeError(w, http.StatusNotFound, "EXPORT_JOB_NOT_FOUND",
			fmt.Sprintf("No export job with ID %s exists for cluster %s.", rt.exportID, rt.cluster))
	default:
		writeJSON(w, http.StatusOK, contentType(rt), job)
	}
}

func (s *Server) projectHasClusters(projectID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.clusters {
		if strings.HasPrefix(key, projectID+"/") {
			return true
		}
	}
	return false
}

func (s *Server) notFound(w http.ResponseWriter, rt route) {
	if !s.projectHasClusters(rt.projectID) {
		writeError(w, http.StatusNotFound, "GROUP_NOT_FOUND", fmt.Sprintf("No group with ID %s exists.", rt.projectID))
		return
	}
	writeError(w, http.StatusNotFound, "CLUSTER_NOT_FOUND",
		fmt.Sprintf("No cluster named %s exists in group %s.", rt.cluster, rt.projectID))
}

func contentType(rt route) string {
	if rt.version == "v1.0" {
		return contentTypeV1
	}
	return contentTypeV2
}
