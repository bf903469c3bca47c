package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

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

// durationText writes a default duration as a user would type it, "60s" or
// "20m", not Go's "1m0s" or "20m0s".
func durationText(d time.Duration) string {
	if d >= 10*time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
