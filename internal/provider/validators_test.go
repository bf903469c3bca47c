package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestExportStateValidator: documented states pass; a documented state in
// another case and text that cannot be a state name are errors; a
// well-formed state Atlas does not document is a warning, with a suggestion
// when it is a likely typo; null and unknown wait for a value.
func TestExportStateValidator(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		value    types.String
		severity diag.Severity // 0: no diagnostic
		summary  string
		detail   []string // phrases the detail holds, in order
		notIn    string   // a phrase the detail must not hold
	}{
		"Queued":      {value: types.StringValue("Queued")},
		"InProgress":  {value: types.StringValue("InProgress")},
		"Successful":  {value: types.StringValue("Successful")},
		"Failed":      {value: types.StringValue("Failed")},
		"Cancelled":   {value: types.StringValue("Cancelled")},
		"null":        {value: types.StringNull()},
		"unknown":     {value: types.StringUnknown()},
		"lower case":  {value: types.StringValue("successful"), severity: diag.SeverityError, summary: "Invalid export job state", detail: []string{`"successful" is not a state: states are case-sensitive. Did you mean "Successful"?`}},
		"upper case":  {value: types.StringValue("INPROGRESS"), severity: diag.SeverityError, summary: "Invalid export job state", detail: []string{`Did you mean "InProgress"?`}},
		"empty":       {value: types.StringValue(""), severity: diag.SeverityError, summary: "Invalid export job state", detail: []string{`"" is not a state name`}},
		"with spaces": {value: types.StringValue("In Progress"), severity: diag.SeverityError, summary: "Invalid export job state", detail: []string{`"In Progress" is not a state name`, "letters only"}},
		"a digit":     {value: types.StringValue("Queued2"), severity: diag.SeverityError, summary: "Invalid export job state", detail: []string{`"Queued2" is not a state name`}},
		"a typo": {value: types.StringValue("Succesful"), severity: diag.SeverityWarning, summary: "Unknown export job state", //nolint:misspell // the typo under test
			detail: []string{`Atlas documents no export job state "Succesful"`, "filter keeps the jobs in exactly this state", `Did you mean "Successful"?`}}, //nolint:misspell // the typo under test
		// The suggestion threshold: two edits away is a typo, three is not.
		"two edits away": {value: types.StringValue("Fald"), severity: diag.SeverityWarning, summary: "Unknown export job state",
			detail: []string{`Did you mean "Failed"?`}},
		"three edits away": {value: types.StringValue("Faxxd"), severity: diag.SeverityWarning, summary: "Unknown export job state",
			detail: []string{`Atlas documents no export job state "Faxxd"`}, notIn: "Did you mean"},
		"three edits from Queued": {value: types.StringValue("Quxxxd"), severity: diag.SeverityWarning, summary: "Unknown export job state",
			detail: []string{`Atlas documents no export job state "Quxxxd"`}, notIn: "Did you mean"},
		"a state Atlas may add": {value: types.StringValue("Archived"), severity: diag.SeverityWarning, summary: "Unknown export job state",
			detail: []string{`Atlas documents no export job state "Archived"`, "Queued, InProgress, Successful, Failed, Cancelled"}, notIn: "Did you mean"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			statePath := path.Root("states").AtSetValue(c.value)
			var resp validator.StringResponse
			exportStateValidator{}.ValidateString(context.Background(), validator.StringRequest{Path: statePath, ConfigValue: c.value}, &resp)
			if c.severity == 0 {
				if len(resp.Diagnostics) != 0 {
					t.Fatalf("diagnostics %v; want none", resp.Diagnostics)
				}
				return
			}
			if len(resp.Diagnostics) != 1 {
				t.Fatalf("diagnostics %v; want one", resp.Diagnostics)
			}
			d := resp.Diagnostics[0]
			if d.Severity() != c.severity || d.Summary() != c.summary {
				t.Errorf("%s %q; want %s %q", d.Severity(), d.Summary(), c.severity, c.summary)
			}
			rest := d.Detail()
			for _, phrase := range c.detail {
				i := strings.Index(rest, phrase)
				if i < 0 {
					t.Errorf("the detail %q lacks %q (or has it out of order)", d.Detail(), phrase)
					break
				}
				rest = rest[i+len(phrase):]
			}
			if c.notIn != "" && strings.Contains(d.Detail(), c.notIn) {
				t.Errorf("the detail %q holds %q", d.Detail(), c.notIn)
			}
			if withPath, ok := d.(diag.DiagnosticWithPath); !ok || !withPath.Path().Equal(statePath) {
				t.Errorf("the diagnostic is not tied to %s", statePath)
			}
		})
	}
}
