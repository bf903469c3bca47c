package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// This file routes requests to the operations the sandbox serves and
// answers the export job ones. Each operation is a Go 1.22 ServeMux pattern
// with the role its x-rolesRequirements names; handle wraps it in what every
// operation does first (credentials, role, rate limit, scripted faults).

// routes registers the operations. Other files add theirs with handle.
func (s *Server) routes() {
	const exports = "/api/atlas/{version}/groups/{groupId}/clusters/{clusterName}/backup/exports"
	s.handle("GET "+exports, RoleProjectBackupManager, s.serveList)
	// The v1.0 documentation writes the list's path with a trailing slash.
	s.handle("GET "+exports+"/{$}", RoleProjectBackupManager, s.serveList)
	s.handle("GET "+exports+"/{exportId}", RoleProjectBackupManager, s.serveJob)
	s.handle("GET /api/atlas/{version}/groups/{groupId}/backup/exportBuckets/{exportBucketId}", RoleProjectReadOnly, s.serveBucket)
	s.snapshotRoutes() // snapshots.go, export_create.go
}

// route is what an operation's path names.
type route struct {
	version, projectID, cluster, exportID string
	// bucketID is set, and cluster and exportID are not, on the export
	// bucket route.
	bucketID string
}

func routeOf(r *http.Request) route {
	return route{version: r.PathValue("version"), projectID: r.PathValue("groupId"), cluster: r.PathValue("clusterName"),
		exportID: r.PathValue("exportId"), bucketID: r.PathValue("exportBucketId")}
}

// versions are the API versions each route family answers: export jobs on
// v2 and v1.0, everything else on v2 only.
func (rt route) knownVersion() bool {
	return rt.version == "v2" || (rt.version == "v1.0" && rt.cluster != "" && rt.bucketID == "")
}

// call is what ServeHTTP hands the operation's handler: the request's log
// entry and whether it is over its key's limit.
type call struct {
	rec          *Request
	updateLog    func()
	overKeyLimit bool
}

type callKey struct{}

// handle registers an operation that needs role.
func (s *Server) handle(pattern, role string, serve func(http.ResponseWriter, *http.Request, route)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(callKey{}).(*call)
		rt := routeOf(r)
		if !rt.knownVersion() {
			notFoundResource(w, r)
			return
		}
		identity, ok := s.authenticate(w, r, c.rec)
		if !ok {
			return
		}
		c.updateLog() // the credentials are known before any fault holds the answer
		if c.overKeyLimit {
			s.answerRateLimited(w)
			return
		}
		if !s.hasRole(identity, role) {
			// As Atlas refuses a valid key that lacks the role (issue 19: the
			// wording users of the official provider quote for read-only keys).
			writeError(w, http.StatusUnauthorized, "USER_UNAUTHORIZED", "Current user is not authorized to perform this action.")
			return
		}
		if s.applyFault(w, r, rt) {
			return
		}
		s.progressExports() // export_create.go: created jobs move on with the clock
		serve(w, r, rt)
	})
}

// notFoundResource is Atlas's answer to a path it does not serve (the
// contract's 404 example).
func notFoundResource(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", fmt.Sprintf("Cannot find resource %s.", r.URL.Path), r.URL.Path)
}

// ServeHTTP logs and counts the request, waits Latency, then serves the
// token endpoint or an operation.
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
	// A path or method no operation serves is a 404 in Atlas's envelope
	// before any credentials are asked for, not ServeMux's text answers.
	if _, pattern := s.mux.Handler(r); pattern == "" {
		notFoundResource(sw, r)
		return
	}
	ctx := context.WithValue(r.Context(), callKey{}, &call{rec: rec, updateLog: updateLog, overKeyLimit: overKeyLimit})
	s.mux.ServeHTTP(sw, r.WithContext(ctx))
}

// acceptsVersion reports whether an Accept header lists mediaType.
func acceptsVersion(accept, mediaType string) bool {
	for _, part := range strings.Split(accept, ",") {
		if mt, _, _ := strings.Cut(strings.TrimSpace(part), ";"); mt == mediaType {
			return true
		}
	}
	return false
}

// invalidVersion is Atlas's 406 for an Accept header without a version the
// operation has. The code and status are on record (see the brief's list of
// codes seen); the detail's wording is the sandbox's.
func invalidVersion(w http.ResponseWriter, r *http.Request, supported string) {
	accept := r.Header.Get("Accept")
	writeError(w, http.StatusNotAcceptable, "INVALID_VERSION_DATE",
		fmt.Sprintf("Invalid version date in the Accept header %q. Use %s.", accept, supported), accept)
}

// checkV2Accept answers 406 to a v2 request that does not accept the
// export jobs' only version, and reports whether it did.
func checkV2Accept(w http.ResponseWriter, r *http.Request, rt route) bool {
	if rt.version == "v2" && !acceptsVersion(r.Header.Get("Accept"), acceptV2) {
		invalidVersion(w, r, acceptV2)
		return false
	}
	return true
}

func (s *Server) serveJob(w http.ResponseWriter, r *http.Request, rt route) {
	if !checkV2Accept(w, r, rt) {
		return
	}
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
		// Atlas's code for an export id it does not know is not on record,
		// and its error table lists none for export jobs: the contract's
		// 404 example (RESOURCE_NOT_FOUND) is the one code a client may see
		// here without our having made it up.
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", fmt.Sprintf("Cannot find resource %s.", rt.exportID), rt.exportID)
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
		groupNotFound(w, rt.projectID)
		return
	}
	writeError(w, http.StatusNotFound, "CLUSTER_NOT_FOUND",
		fmt.Sprintf("No cluster named %s exists in group %s.", rt.cluster, rt.projectID), rt.cluster, rt.projectID)
}

func groupNotFound(w http.ResponseWriter, projectID string) {
	writeError(w, http.StatusNotFound, "GROUP_NOT_FOUND", fmt.Sprintf("No group with ID %s exists.", projectID), projectID)
}

func contentType(rt route) string {
	if rt.version == "v1.0" {
		return contentTypeV1
	}
	return contentTypeV2
}
