package atlas

// The types below mirror the Atlas Admin API's DiskBackupExportJob schema
// (shared/atlas-openapi/exports-v2.yaml). Every optional field is a pointer or
// a nil slice so that "Atlas left the field out" stays distinguishable from an
// empty value all the way to Terraform state. Fields the provider does not
// show (links), and fields Atlas adds later, are left out.

// ExportJob is one Cloud Backup snapshot export job.
type ExportJob struct {
	ID             *string       `json:"id"`
	SnapshotID     *string       `json:"snapshotId"`
	ExportBucketID *string       `json:"exportBucketId"`
	State          *string       `json:"state"`
	CreatedAt      *string       `json:"createdAt"`
	FinishedAt     *string       `json:"finishedAt"`
	Prefix         *string       `json:"prefix"`
	Components     []Component   `json:"components"`
	CustomData     []Label       `json:"customData"`
	ExportStatus   *ExportStatus `json:"exportStatus"`
	StateReason    *StateReason  `json:"stateReason"`
}

// Component is the export of one replica set (shard) of a sharded cluster.
type Component struct {
	ExportID       *string `json:"exportId"`
	ReplicaSetName *string `json:"replicaSetName"`
}

// Label is one key-value pair of an export job's custom data.
type Label struct {
	Key   *string `json:"key"`
	Value *string `json:"value"`
}

// ExportStatus counts the collections an export job has written so far.
type ExportStatus struct {
	ExportedCollections *int64 `json:"exportedCollections"`
	TotalCollections    *int64 `json:"totalCollections"`
}

// StateReason says why a job is in its state; Atlas sets it when a job fails.
type StateReason struct {
	ErrorCode *string `json:"errorCode"`
	Message   *string `json:"message"`
}

// Known export job states, as the API's enum lists them. Atlas may add more;
// the client passes any state through unchanged.
const (
	StateQueued     = "Queued"
	StateInProgress = "InProgress"
	StateSuccessful = "Successful"
	StateFailed     = "Failed"
	StateCancelled  = "Cancelled"
)

// KnownStates lists the states of the API's enum.
var KnownStates = []string{StateQueued, StateInProgress, StateSuccessful, StateFailed, StateCancelled}

// exportJobPage is one page of the list operation
// (PaginatedApiAtlasDiskBackupExportJobView).
type exportJobPage struct {
	// Results is a pointer so that a body without the required "results" key
	// is told apart from an empty page.
	Results    *[]ExportJob `json:"results"`
	TotalCount *int         `json:"totalCount"`
}

// ExportJobList is the complete, de-duplicated list of a cluster's export jobs.
type ExportJobList struct {
	// Jobs is sorted newest first: CreatedAt descending, ties by ID descending.
	Jobs []ExportJob
	// TotalCount is the totalCount Atlas reported on the first page of the
	// walk that was kept (an estimate by the API's own words), or -1 when Atlas
	// did not report one.
	TotalCount int
	// Pages is the number of pages read by the walk that was kept.
	Pages int
	// Walks is the number of complete walks over the pages: more than one when
	// jobs were created or removed while paging.
	Walks int
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
