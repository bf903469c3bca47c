package provider

import (
	"context"
	"regexp"
	"sync"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Secrets that could reach a log line only through a bug elsewhere (a
// library logging a header, say) are masked anyway.
var (
	digestResponseRegexp = regexp.MustCompile(`response="[^"]*"`)
	bearerRegexp         = regexp.MustCompile(`Bearer [A-Za-z0-9._~+/=-]+`)
)

// maskSecrets returns a context whose tflog output masks the configured
// secrets, digest answers and bearer tokens, in messages and fields alike.
func (d *providerData) maskSecrets(ctx context.Context) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, "private_key", "client_secret", "authorization", "Authorization")
	ctx = tflog.MaskAllFieldValuesRegexes(ctx, digestResponseRegexp, bearerRegexp)
	ctx = tflog.MaskMessageRegexes(ctx, digestResponseRegexp, bearerRegexp)
	if len(d.secrets) > 0 {
		ctx = tflog.MaskAllFieldValuesStrings(ctx, d.secrets...)
		ctx = tflog.MaskMessageStrings(ctx, d.secrets...)
	}
	return ctx
}

// tflogLogger adapts the client's Logger to tflog; masking comes with the
// context the data source passes down.
type tflogLogger struct{}

// tflogMu serialises the client's log lines. The client logs from the
// goroutines that read pages in parallel, all under one context, and tflog's
// masking rewrites that context's field map in place: concurrent lines crash
// the provider with "concurrent map iteration and map write".
var tflogMu sync.Mutex

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Debug(ctx, msg, fields)
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflogMu.Lock()
	defer tflogMu.Unlock()
	tflog.Warn(ctx, msg, fields)
}
