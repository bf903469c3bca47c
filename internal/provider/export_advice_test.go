package provider

import (
	"strings"
	"testing"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// The advice for the action's operations names each one's role; a POST
// whose outcome is unknown is never advised to be sent again.
func TestRequestAdvice_exportOperations(t *testing.T) {
	t.Parallel()
	answer := func(status int, code string, op atlas.Operation) *atlas.APIError {
		return &atlas.APIError{StatusCode: status, ErrorCode: code, Operation: op, Credentials: atlas.CredentialsKeyPair}
	}
	for name, c := range map[string]struct {
		err       error
		want, not []string
	}{
		"401 missing role, create": {answer(401, "USER_UNAUTHORIZED", atlas.OpCreateExportJob),
			[]string{"(POST /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/exports)", "needs the Project Backup Export Operator role"}, nil},
		"403, snapshots": {answer(403, "", atlas.OpListSnapshots),
			[]string{"/backup/snapshots)", "needs the Project Read Only role"}, nil},
		"401 missing role, sharded snapshots": {answer(401, "USER_UNAUTHORIZED", atlas.OpListShardedSnapshots),
			[]string{"/backup/snapshots/shardedClusters)", "needs the Project Read Only role"}, nil},
		"503 to the POST": {&atlas.AmbiguousCreateError{Err: answer(503, "", atlas.OpCreateExportJob)},
			[]string{"Atlas may still create the job", "waits on it instead of starting another"}, []string{"Retry later"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := requestAdvice(c.err)
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("advice %q lacks %q", got, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(got, n) {
					t.Errorf("advice %q says %q", got, n)
				}
			}
		})
	}
}
