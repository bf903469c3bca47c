package sandbox

import (
	"fmt"
	"net/http"
	"slices"
)

// This file serves a cluster's Cloud Backup snapshots (snapshots-v2.yaml):
// GET .../clusters/{clusterName}/backup/snapshots (replica sets, paged),
// .../backup/snapshots/shardedClusters (sharded clusters, one answer) and
// .../backup/snapshots/{snapshotId}. Their JSON follows the recordings in
// shared/atlas-recordings (List_snapshots, Describe_snapshot).

// Snapshot is a snapshot as the sandbox serves it. Type is "replicaSet" or
// "shardedCluster"; a sharded cluster's snapshot has Members (one per shard
// and the config server) and no ReplicaSetName. CreatedAt is left out while
// empty, as Atlas leaves it out until the snapshot is taken.
type Snapshot struct {
	ID               string           `json:"id"`
	Status           string           `json:"status"`
	CreatedAt        string           `json:"createdAt,omitempty"`
	ExpiresAt        string           `json:"expiresAt,omitempty"`
	Type             string           `json:"type"`
	SnapshotType     string           `json:"snapshotType"`
	FrequencyType    string           `json:"frequencyType"`
	Description      string           `json:"description,omitempty"`
	CloudProvider    string           `json:"cloudProvider,omitempty"`
	MongodVersion    string           `json:"mongodVersion,omitempty"`
	ReplicaSetName   string           `json:"replicaSetName,omitempty"`
	StorageSizeBytes int64            `json:"storageSizeBytes"`
	CopyRegions      []string         `json:"copyRegions,omitempty"`
	PolicyItems      []string         `json:"policyItems"`
	Members          []SnapshotMember `json:"members,omitempty"`
	SnapshotIDs      []string         `json:"snapshotIds,omitempty"`
}

// SnapshotMember is one member of a sharded cluster's snapshot.
type SnapshotMember struct {
	CloudProvider  string `json:"cloudProvider"`
	ID             string `json:"id"`
	ReplicaSetName string `json:"replicaSetName"`
}

// Snapshot types.
const (
	SnapshotReplicaSet     = "replicaSet"
	SnapshotShardedCluster = "shardedCluster"
)

// SetSnapshots gives a cluster its snapshots (replacing any), in the order
// given: the lists serve them in that order, which the contract leaves open.
// The cluster must exist (SetJobs).
func (s *Server) SetSnapshots(projectID, cluster string, snapshots ...Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exports.snapshots == nil {
		s.exports.snapshots = map[string][]Snapshot{}
	}
	s.exports.snapshots[projectID+"/"+cluster] = slices.Clone(snapshots)
}

// snapshotLocked is the snapshot of a cluster with that id, if any.
func (s *Server) snapshotLocked(key, id string) (Snapshot, bool) {
	i := slices.IndexFunc(s.exports.snapshots[key], func(snap Snapshot) bool { return snap.ID == id })
	if i < 0 {
		return Snapshot{}, false
	}
	return s.exports.snapshots[key][i], true
}

// Seeded snapshot IDs. In ClusterReplicaSet, the newest completed snapshot
// is SnapshotNewestCompleted, served between older ones, with a newer one
// still inProgress (it already has its createdAt, as 4 of about 1,000 real
// inProgress snapshots do) and a queued one without createdAt.
const (
	SnapshotOldest          = "6a7944f22c88faeba59d3570"
	SnapshotNewestCompleted = "6a7944f22c88faeba59d3572"
	SnapshotMiddle          = "6a7944f22c88faeba59d3571"
	SnapshotInProgress      = "6a7944f22c88faeba59d3573"
	SnapshotQueued          = "6a7944f22c88faeba59d3574"
	SnapshotFailed          = "6a7944f22c88faeba59d3575"
	// In ClusterSharded: the newest completed sharded snapshot.
	SnapshotShardedNewest = "6a7944f22c88faeba59d3581"
	SnapshotShardedOlder  = "6a7944f22c88faeba59d3580"
)

// SeededReplicaSetSnapshots are ClusterReplicaSet's snapshots.
func SeededReplicaSetSnapshots() []Snapshot {
	rs := func(id, status, createdAt string) Snapshot {
		snap := Snapshot{
			ID: id, Status: status, CreatedAt: createdAt, ExpiresAt: "2031-08-11T03:29:21Z", Type: SnapshotReplicaSet,
			SnapshotType: "onDemand", FrequencyType: "ondemand", Description: "test-snapshot", CloudProvider: "AWS",
			MongodVersion: "8.0.29", ReplicaSetName: ClusterReplicaSet, CopyRegions: []string{}, PolicyItems: []string{},
		}
		if createdAt != "" {
			snap.StorageSizeBytes = 1582854144
		}
		return snap
	}
	return []Snapshot{
		rs(SnapshotMiddle, "completed", "2026-08-09T03:28:08Z"),
		rs(SnapshotNewestCompleted, "completed", "2026-08-10T03:28:08Z"),
		rs(SnapshotInProgress, "inProgress", "2026-08-11T03:28:08Z"),
		rs(SnapshotQueued, "queued", ""),
		rs(SnapshotFailed, "failed", "2026-08-12T03:28:08Z"),
		rs(SnapshotOldest, "completed", "2026-08-08T03:28:08Z"),
	}
}

// SeededShardedSnapshots are ClusterSharded's snapshots.
func SeededShardedSnapshots() []Snapshot {
	sh := func(id, status, createdAt string, n byte) Snapshot {
		return Snapshot{
			ID: id, Status: status, CreatedAt: createdAt, ExpiresAt: "2031-08-11T03:29:21Z", Type: SnapshotShardedCluster,
			SnapshotType: "scheduled", FrequencyType: "daily", MongodVersion: "8.0.29", StorageSizeBytes: 3165708288,
			PolicyItems: []string{"6a7944f22c88faeba59d35ff"},
			Members: []SnapshotMember{
				{CloudProvider: "AWS", ID: fmt.Sprintf("6a7944f22c88faeba59d36%c0", n), ReplicaSetName: "atlas-xxxxxx-shard-0"},
				{CloudProvider: "AWS", ID: fmt.Sprintf("6a7944f22c88faeba59d36%c1", n), ReplicaSetName: "atlas-wnvwfd-shard-1"},
				{CloudProvider: "AWS", ID: fmt.Sprintf("6a7944f22c88faeba59d36%c2", n), ReplicaSetName: "atlas-xxxxxx-config-0"},
			},
			SnapshotIDs: []string{fmt.Sprintf("6a7944f22c88faeba59d36%c0", n), fmt.Sprintf("6a7944f22c88faeba59d36%c1", n)},
		}
	}
	return []Snapshot{
		sh(SnapshotShardedNewest, "completed", "2026-08-10T03:28:08Z", 'b'),
		sh(SnapshotShardedOlder, "completed", "2026-08-09T03:28:08Z", 'a'),
	}
}

// serveSnapshots answers the snapshot operations of one cluster: sharded
// selects the sharded cluster list, snapshotID one snapshot.
func (s *Server) serveSnapshots(w http.ResponseWriter, r *http.Request, rt route, sharded bool, snapshotID string) {
	key := rt.projectID + "/" + rt.cluster
	s.mu.Lock()
	_, found := s.clusters[key]
	var kept []Snapshot
	for _, snap := range s.exports.snapshots[key] {
		if (snap.Type == SnapshotShardedCluster) == sharded || snapshotID != "" {
			kept = append(kept, snap)
		}
	}
	s.mu.Unlock()
	switch {
	case !found:
		s.notFound(w, rt)
		return
	case snapshotID != "":
		i := slices.IndexFunc(kept, func(snap Snapshot) bool { return snap.ID == snapshotID })
		if i < 0 {
			writeError(w, http.StatusNotFound, "SNAPSHOT_NOT_FOUND",
				fmt.Sprintf("No snapshot with ID %s exists for cluster %s.", snapshotID, rt.cluster))
			return
		}
		writeJSON(w, http.StatusOK, contentTypeV2, kept[i])
		return
	}
	if kept == nil {
		kept = []Snapshot{}
	}
	pageNum, itemsPerPage, total := 1, max(len(kept), 1), len(kept)
	if !sharded { // the sharded list takes no paging parameters
		var ok1, ok2 bool
		pageNum, ok1 = intParam(r.URL.Query(), "pageNum", 1, 1<<30)
		itemsPerPage, ok2 = intParam(r.URL.Query(), "itemsPerPage", 100, 500)
		if !ok1 || !ok2 {
			writeError(w, http.StatusBadRequest, "INVALID_PARAMETER", "Invalid pageNum or itemsPerPage.")
			return
		}
		start := min((pageNum-1)*itemsPerPage, total)
		kept = kept[start:min(start+itemsPerPage, total)]
	}
	writeJSON(w, http.StatusOK, contentTypeV2, struct {
		Links      []link     `json:"links"`
		Results    []Snapshot `json:"results"`
		TotalCount int        `json:"totalCount"`
	}{Links: pageLinks(r, pageNum, itemsPerPage, total), Results: kept, TotalCount: total})
}

// snapshotRoutes registers the snapshot operations and the export POST
// (export_create.go). The sharded list's literal path wins over the
// snapshot ID pattern, as the contract's 24-hex IDs keep them apart.
func (s *Server) snapshotRoutes() {
	const snapshots = "/api/atlas/{version}/groups/{groupId}/clusters/{clusterName}/backup/snapshots"
	s.handle("GET "+snapshots, RoleProjectReadOnly, s.serveSnapshotList)
	s.handle("GET "+snapshots+"/shardedClusters", RoleProjectReadOnly, s.serveShardedSnapshotList)
	s.handle("GET "+snapshots+"/{snapshotId}", RoleProjectReadOnly, s.serveSnapshot)
	s.handle("POST /api/atlas/{version}/groups/{groupId}/clusters/{clusterName}/backup/exports",
		RoleProjectBackupExportOperator, s.serveCreateExport)
}

// snapshotVersion answers a snapshot request that is not v2 with a 404
// (snapshots have no v1.0 operations in the contract here) or without the
// v2 media type with a 406, and reports whether it did.
func snapshotVersion(w http.ResponseWriter, r *http.Request, rt route) bool {
	if rt.version != "v2" {
		notFoundResource(w, r)
		return false
	}
	return checkV2Accept(w, r, rt)
}

func (s *Server) serveSnapshotList(w http.ResponseWriter, r *http.Request, rt route) {
	if snapshotVersion(w, r, rt) {
		s.serveSnapshots(w, r, rt, false, "")
	}
}

func (s *Server) serveShardedSnapshotList(w http.ResponseWriter, r *http.Request, rt route) {
	if snapshotVersion(w, r, rt) {
		s.serveSnapshots(w, r, rt, true, "")
	}
}

func (s *Server) serveSnapshot(w http.ResponseWriter, r *http.Request, rt route) {
	if snapshotVersion(w, r, rt) {
		s.serveSnapshots(w, r, rt, false, r.PathValue("snapshotId"))
	}
}
