package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// This file holds how both data sources choose jobs from a cluster's list:
// the states kept, the order (order_by), and how many (limit).

// The values of order_by.
const (
	orderByCreatedAt         = "created_at"
	orderBySnapshotCreatedAt = "snapshot_created_at"
)

func statesAttribute(description string) schema.SetAttribute {
	return schema.SetAttribute{
		ElementType: types.StringType,
		Optional:    true,
		MarkdownDescription: description + " Any of `Queued`, `InProgress`, `Successful`, `Failed`, `Cancelled` " +
			"(case-sensitive). A state Atlas does not document, such as one added after this provider version, is " +
			"a plan-time warning and is filtered on as given; a documented state in the wrong case is an error. A " +
			"job without a state matches no filter.",
		Validators: []validator.Set{
			setvalidator.SizeAtLeast(1),
			setvalidator.NoNullValues(),
			setvalidator.ValueStringsAre(exportStateValidator{}),
		},
	}
}

func orderByAttribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: description + " `" + orderByCreatedAt + "` (the default) orders by when the " +
			"export job was created; `" + orderBySnapshotCreatedAt + "` by when Atlas took the snapshot it exports " +
			"(`snapshot_created_at`), so that the newest data comes first even when an older snapshot was exported " +
			"after newer ones. Both newest first; ties by `created_at`, then by `id`, descending. Jobs whose time " +
			"is unknown come after every job whose time is known.",
		Validators: []validator.String{stringvalidator.OneOf(orderByCreatedAt, orderBySnapshotCreatedAt)},
	}
}

// jobSelection is how a read chooses jobs from a cluster's list.
type jobSelection struct {
	// states are the states kept; nil keeps every state.
	states map[string]bool
	// orderBy is orderByCreatedAt or orderBySnapshotCreatedAt.
	orderBy string
	// limit is the most jobs kept; 0 keeps all.
	limit int
}

// newJobSelection is the selection of a configuration's states, order_by and
// limit (each null when the data source has no such argument or it is
// unset).
func newJobSelection(ctx context.Context, states types.Set, orderBy types.String, limit types.Int64) (jobSelection, diag.Diagnostics) {
	selection := jobSelection{orderBy: orderByCreatedAt, limit: int(limit.ValueInt64())}
	if !orderBy.IsNull() {
		selection.orderBy = orderBy.ValueString()
	}
	if states.IsNull() {
		return selection, nil
	}
	var names []string
	diags := states.ElementsAs(ctx, &names, false)
	selection.states = make(map[string]bool, len(names))
	for _, name := range names {
		selection.states[name] = true
	}
	return selection, diags
}

// keeps reports whether job is in one of the states kept. A job without a
// state matches no filter: nothing says it is in any state asked for.
func (s jobSelection) keeps(job *atlas.ExportJob) bool {
	return s.states == nil || (job.State != nil && s.states[*job.State])
}

// apply returns the jobs kept, newest first in the order chosen, at most
// limit of them. It does not change jobs.
func (s jobSelection) apply(jobs []atlas.ExportJob) []atlas.ExportJob {
	var kept []atlas.ExportJob
	for i := range jobs {
		if s.keeps(&jobs[i]) {
			kept = append(kept, jobs[i])
		}
	}
	// The list comes newest first by createdAt, but the order is this data
	// source's promise, so it is made here whichever the client's.
	if s.orderBy == orderBySnapshotCreatedAt {
		atlas.SortBySnapshotNewestFirst(kept)
	} else {
		atlas.SortNewestFirst(kept)
	}
	if s.limit > 0 && len(kept) > s.limit {
		kept = kept[:s.limit]
	}
	return kept
}

// String describes the states kept, as an error message names the filter.
func (s jobSelection) String() string {
	if s.states == nil {
		return "in any state"
	}
	names := make([]string, 0, len(s.states))
	for name := range s.states {
		names = append(names, fmt.Sprintf("%q", name))
	}
	slices.Sort(names)
	return "in the states [" + strings.Join(names, ", ") + "]"
}
