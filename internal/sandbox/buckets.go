package sandbox

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
)

// This file serves the export bucket of a project:
// GET /api/atlas/v2/groups/{groupId}/backup/exportBuckets/{exportBucketId}.

// ExportBucket is an export bucket exactly as Atlas's API JSON has it (the
// application/vnd.atlas.2024-05-30+json form: "_id", "bucketName",
// "cloudProvider", and each cloud's fields); unknown keys pass through.
type ExportBucket map[string]any

// ID is the bucket's "_id", or "" when it has none that is a string.
func (b ExportBucket) ID() string {
	id, _ := b["_id"].(string)
	return id
}

// Media types of the export bucket GET. The 2023-01-01 version knows only AWS
// buckets (and is sunset on 2027-07-01); 2024-05-30 knows every cloud.
const (
	acceptBuckets2024      = "application/vnd.atlas.2024-05-30+json"
	acceptBuckets2023      = acceptV2
	contentTypeBuckets2024 = acceptBuckets2024 + ";charset=utf-8"
)

// SetExportBuckets adds export buckets to a project, or replaces those with
// the same "_id".
func (s *Server) SetExportBuckets(projectID string, buckets ...ExportBucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	project := s.buckets[projectID]
	if project == nil {
		project = map[string]ExportBucket{}
		s.buckets[projectID] = project
	}
	for _, b := range buckets {
		project[b.ID()] = maps.Clone(b)
	}
}

// DeleteExportBucket deletes an export bucket: later GETs of it answer 404,
// as Atlas does for the bucket of an old job that has since been deleted.
func (s *Server) DeleteExportBucket(projectID, bucketID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.buckets[projectID], bucketID)
}

// bucketMediaType picks the version a bucket GET asked for, the newer one
// when the Accept header lists both; "" when it lists neither.
func bucketMediaType(accept string) string {
	found := ""
	for _, part := range strings.Split(accept, ",") {
		mediaType, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch mediaType {
		case acceptBuckets2024:
			return acceptBuckets2024
		case acceptBuckets2023:
			found = acceptBuckets2023
		}
	}
	return found
}

func (s *Server) serveBucket(w http.ResponseWriter, r *http.Request, rt route) {
	mediaType := bucketMediaType(r.Header.Get("Accept"))
	if mediaType == "" {
		invalidVersion(w, r, acceptBuckets2024)
		return
	}
	s.mu.Lock()
	bucket, found := s.buckets[rt.projectID][rt.bucketID]
	bucket = maps.Clone(bucket)
	_, projectKnown := s.buckets[rt.projectID]
	s.mu.Unlock()
	if !projectKnown && !s.projectHasClusters(rt.projectID) {
		groupNotFound(w, rt.projectID)
		return
	}
	// The 2023-01-01 answer's schema is AWS only, and that operation has no
	// status for "exists in a newer version": a strict server's 2023-01-01
	// view of a project holds its AWS buckets and nothing else.
	if !found || (mediaType == acceptBuckets2023 && bucket["cloudProvider"] != "AWS") {
		writeError(w, http.StatusNotFound, "EXPORT_BUCKET_NOT_FOUND",
			fmt.Sprintf("No export Bucket with ID %s does not exist.", rt.bucketID), rt.bucketID)
		return
	}
	contentType := contentTypeBuckets2024
	if mediaType == acceptBuckets2023 {
		contentType = contentTypeV2
	}
	writeJSON(w, http.StatusOK, contentType, bucket)
}

// The seeded export buckets of ProjectID: one of each cloud, the Azure one
// twice (its serviceUrl with and without the container, both of which Atlas
// accepts), and the id of a deleted bucket that old jobs still name.
const (
	BucketAWS              = "64b7e30ac1d2a3b4c5d6e800"
	BucketGCP              = "64b7e30ac1d2a3b4c5d6e801"
	BucketAzure            = "64b7e30ac1d2a3b4c5d6e802"
	BucketAzureAccountOnly = "64b7e30ac1d2a3b4c5d6e803"
	BucketDeleted          = "64b7e30ac1d2a3b4c5d6e8ff"
)
