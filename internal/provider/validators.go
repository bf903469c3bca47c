package provider

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/atlas"
)

// baseURLValidator rejects, at plan time, a base_url that is not an http(s)
// URL or that sends credentials in clear text off this machine.
type baseURLValidator struct{}

func (baseURLValidator) Description(_ context.Context) string {
	return "must be an absolute https URL, or http towards a loopback host"
}

func (v baseURLValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (baseURLValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := atlas.ParseBaseURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Atlas base URL", strings.TrimSuffix(err.Error(), ".")+".")
	}
}

// durationValidator accepts positive Go durations such as "30s" or "2m".
type durationValidator struct{}

func (durationValidator) Description(_ context.Context) string {
	return `must be a positive Go duration such as "30s" or "2m"`
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q is not a positive duration. Use a number with a unit, such as \"30s\", \"90s\" or \"2m\".",
				req.ConfigValue.ValueString()))
	}
}

// positiveReadTimeout rejects, at plan time, a timeouts.read that is not a
// positive duration: the timeouts package checks only that it parses, and
// "0s" would fail every read. Terraform underlines the whole data source for
// an error inside an object attribute, so the message names the attribute.
type positiveReadTimeout struct{}

func (positiveReadTimeout) Description(_ context.Context) string {
	return "timeouts.read must be a positive Go duration"
}

func (v positiveReadTimeout) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (positiveReadTimeout) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	readPath := path.Root("timeouts").AtName("read")
	var read types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, readPath, &read)...)
	if resp.Diagnostics.HasError() || read.IsNull() || read.IsUnknown() {
		return
	}
	if d, err := time.ParseDuration(read.ValueString()); err != nil || d <= 0 {
		resp.Diagnostics.AddAttributeError(readPath, "Invalid read timeout",
			fmt.Sprintf("timeouts.read: %q is not a positive duration. Use a number with a unit, such as \"90s\" or \"5m\".",
				read.ValueString()))
	}
}

// durationText writes a default duration as a user would type it, "60s" or
// "20m", not Go's "1m0s" or "20m0s".
func durationText(d time.Duration) string {
	if d >= 10*time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}

// exportStateValidator checks one element of the states filter. A known
// state in the wrong case ("successful") and text that cannot be a state
// name are errors. A well-formed state Atlas does not document is only a
// warning and is filtered on as given: the results pass such a state
// through, so the filter must be able to select it.
type exportStateValidator struct{}

// stateNamePattern is the form of Atlas's state names: letters only, the
// first a capital (Queued, InProgress).
var stateNamePattern = regexp.MustCompile(`^[A-Z][A-Za-z]*$`)

func (exportStateValidator) Description(_ context.Context) string {
	return "must be an export job state such as " + strings.Join(atlas.KnownStates, ", ") + " (case-sensitive)"
}

func (v exportStateValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (exportStateValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	state := req.ConfigValue.ValueString()
	known := strings.Join(atlas.KnownStates, ", ")
	if slices.Contains(atlas.KnownStates, state) {
		return
	}
	for _, k := range atlas.KnownStates {
		if strings.EqualFold(state, k) {
			resp.Diagnostics.AddAttributeError(req.Path, "Invalid export job state",
				fmt.Sprintf("%q is not a state: states are case-sensitive. Did you mean %q?", state, k))
			return
		}
	}
	if !stateNamePattern.MatchString(state) {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid export job state",
			fmt.Sprintf("%q is not a state name: Atlas's states are letters only, starting with a capital, such as "+
				"%s.", state, known))
		return
	}
	detail := fmt.Sprintf("Atlas documents no export job state %q (the documented ones are %s). The filter keeps "+
		"the jobs in exactly this state, which only matters if Atlas has added it since.", state, known)
	if near := nearestState(state); near != "" {
		detail += fmt.Sprintf(" Did you mean %q?", near)
	}
	resp.Diagnostics.AddAttributeWarning(req.Path, "Unknown export job state", detail)
}

// nearestState is the known state within two edits of state (a likely
// typo), or "".
func nearestState(state string) string {
	best, bestDistance := "", 3
	for _, k := range atlas.KnownStates {
		if d := levenshtein.Distance(strings.ToLower(state), strings.ToLower(k), nil); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	return best
}
