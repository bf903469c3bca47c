package atlas

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

// Snapshot statuses (snapshots-v2.yaml). Real answers hold only queued,
// inProgress and completed.
const (
	SnapshotQueued     = "queued"
	SnapshotInProgress = "inProgress"
	SnapshotCompleted  = "completed"
	SnapshotFailed     = "failed"
)

// Snapshot is one Cloud Backup snapshot of a replica set
// (DiskBackupReplicaSet) or of a sharded cluster
// (DiskBackupShardedClusterSnapshot). Every field is optional in the
// contract. The enums are plain strings: real on-demand snapshots carry
// frequencyType "ondemand", which the contract's enum lacks.
type Snapshot struct {
	ID     *string `json:"id"`
	Status *string `json:"status"`
	// CreatedAt is absent until Atlas has taken the snapshot, and can be set
	// while the status is still inProgress.
	CreatedAt      *string          `json:"createdAt"`
	Type           *string          `json:"type"`
	SnapshotType   *string          `json:"snapshotType"`
	FrequencyType  *string          `json:"frequencyType"`
	ReplicaSetName *string          `json:"replicaSetName"`
	Members        []SnapshotMember `json:"members"`
}

// SnapshotMember is one shard (or the config server) of a sharded cluster's
// snapshot.
type SnapshotMember struct {
	ID             *string `json:"id"`
	ReplicaSetName *string `json:"replicaSetName"`
	CloudProvider  *string `json:"cloudProvider"`
}

// SnapshotList is every snapshot of a cluster.
type SnapshotList struct {
	Snapshots []Snapshot
	// Sharded is true when the snapshots come from the sharded cluster list.
	Sharded bool
}

// snapshotPage is one answer of either snapshot list
// (PaginatedCloudBackupReplicaSetView, PaginatedCloudBackupShardedClusterSnapshotView).
type snapshotPage struct {
	Results *[]Snapshot `json:"results"`
	Links   []struct {
		Rel string `json:"rel"`
	} `json:"links"`
}

// The snapshot list operations.
const (
	OpListSnapshots        Operation = "listGroupClusterBackupSnapshots"
	OpListShardedSnapshots Operation = "listGroupClusterBackupSnapshotShardedClusters"
)

func (c *Client) snapshotsURL(projectID, clusterName string, elems ...string) string {
	// Snapshots have only the v2 API; the media type is the one v2 version.
	base := []string{"api", "atlas", APIVersionV2, "groups", projectID, "clusters", clusterName, "backup", "snapshots"}
	return c.baseURL.JoinPath(append(base, elems...)...).String()
}

// ListSnapshots reads every snapshot of a cluster: the replica set list
// (paged) and the sharded cluster list, both at once. A sharded cluster's
// snapshots are in the latter; when it has any, they are the cluster's
// snapshots, otherwise the replica set list's are. Neither list's order is
// assumed.
func (c *Client) ListSnapshots(ctx context.Context, projectID, clusterName string) (*SnapshotList, error) {
	if err := validatePath(projectID, clusterName); err != nil {
		return nil, err
	}
	var replicaSet, sharded []Snapshot
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		replicaSet, err = c.listReplicaSetSnapshots(gctx, projectID, clusterName)
		return err
	})
	g.Go(func() (err error) {
		sharded, err = c.listShardedSnapshots(gctx, projectID, clusterName)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("listing snapshots of cluster %q in project %s: %w", clusterName, projectID, err)
	}
	if len(sharded) > 0 {
		return &SnapshotList{Snapshots: sharded, Sharded: true}, nil
	}
	return &SnapshotList{Snapshots: replicaSet}, nil
}

// listReplicaSetSnapshots walks the pages of the replica set list until a
// short one. A snapshot seen twice means the list moved under the walk:
// an error rather than a list that may miss one.
func (c *Client) listReplicaSetSnapshots(ctx context.Context, projectID, clusterName string) ([]Snapshot, error) {
	var all []Snapshot
	seen := map[string]bool{}
	for pageNum := 1; ; pageNum++ {
		u := c.snapshotsURL(projectID, clusterName) + fmt.Sprintf("?itemsPerPage=%d&pageNum=%d", c.itemsPerPage, pageNum)
		var page snapshotPage
		if err := c.getSnapshots(ctx, u, &page, OpListSnapshots, "GET .../backup/snapshots page %d", pageNum); err != nil {
			return nil, err
		}
		for _, s := range *page.Results {
			if id := str(s.ID); seen[id] {
				return nil, fmt.Errorf("page %d of GET .../backup/snapshots repeats snapshot %s: snapshots were "+
					"taken or deleted while the list was read; run again", pageNum, id)
			} else {
				seen[id] = true
			}
			all = append(all, s)
		}
		if len(*page.Results) < c.itemsPerPage {
			return all, nil
		}
		if len(all) > maxListJobs {
			return nil, errors.New("the list of snapshots does not end")
		}
	}
}

// listShardedSnapshots reads the sharded cluster list, which takes no paging
// parameters: an answer that links to a next page is an error, never a list
// returned in part.
func (c *Client) listShardedSnapshots(ctx context.Context, projectID, clusterName string) ([]Snapshot, error) {
	var page snapshotPage
	if err := c.getSnapshots(ctx, c.snapshotsURL(projectID, clusterName, "shardedClusters"), &page,
		OpListShardedSnapshots, "GET .../backup/snapshots/shardedClusters"); err != nil {
		return nil, err
	}
	for _, l := range page.Links {
		if l.Rel == "next" {
			return nil, fmt.Errorf("GET .../backup/snapshots/shardedClusters links to a next page, which the " +
				"operation has no parameter to read")
		}
	}
	return *page.Results, nil
}

func (c *Client) getSnapshots(ctx context.Context, rawURL string, page *snapshotPage, op Operation, format string, args ...any) error {
	if err := c.get(ctx, rawURL, MediaTypeV2, page); err != nil {
		return requestFailed(withOperation(err, op), format, args...)
	}
	if page.Results == nil {
		return fmt.Errorf(format+": %w", append(args, &ResponseBodyError{StatusCode: http.StatusOK,
			ContentType: MediaTypeV2, Err: errors.New(`the answer has no "results" array`)})...)
	}
	return nil
}

// NewestCompleted is the snapshot with the latest createdAt among those
// whose status is completed, or nil. Neither list promises an order, and a
// snapshot can have a createdAt while still in progress, so status decides
// and createdAt orders; ties go to the larger id.
func NewestCompleted(snapshots []Snapshot) *Snapshot {
	var best *Snapshot
	var bestAt time.Time
	for i := range snapshots {
		s := &snapshots[i]
		at, ok := parseRFC3339(s.CreatedAt)
		if str(s.Status) != SnapshotCompleted || !ok {
			continue
		}
		if best == nil || at.After(bestAt) || (at.Equal(bestAt) && str(s.ID) > str(best.ID)) {
			best, bestAt = s, at
		}
	}
	return best
}

// FindSnapshot is the snapshot of id among snapshots, or nil.
func FindSnapshot(snapshots []Snapshot, id string) *Snapshot {
	i := slices.IndexFunc(snapshots, func(s Snapshot) bool { return str(s.ID) == id })
	if i < 0 {
		return nil
	}
	return &snapshots[i]
}

// StatusSummary says how many snapshots are in each status, such as
// "2 inProgress, 1 failed", or "none" for an empty list.
func StatusSummary(snapshots []Snapshot) string {
	counts := map[string]int{}
	var order []string
	for _, s := range snapshots {
		status := str(s.Status)
		if status == "" {
			status = "without a status"
		}
		if counts[status] == 0 {
			order = append(order, status)
		}
		counts[status]++
	}
	if len(order) == 0 {
		return "none"
	}
	slices.Sort(order)
	parts := make([]string, len(order))
	for i, status := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[status], status)
	}
	return strings.Join(parts, ", ")
}
