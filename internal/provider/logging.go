package provider

import (
	"context"
	"regexp"

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

func (tflogLogger) Debug(ctx context.Context, msg string, fields map[string]any) {
	logDebug(ctx, msg, fields)
}

func (tflogLogger) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ownLoggerOptions(ctx), msg, fields)
}

// logDebug and logTrace are how the provider's own code logs under a read's
// context: the client's goroutines (pages, export buckets) log under the
// same context while the read goes on, so every line, theirs and ours, must
// be written under its own copy of the logger options (ownLoggerOptions).
func logDebug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ownLoggerOptions(ctx), msg, fields)
}

func logTrace(ctx context.Context, msg string, fields map[string]any) {
	tflog.Trace(ownLoggerOptions(ctx), msg, fields)
}

// ownLoggerOptions returns ctx with a copy of its logger options for one log
// line. The client logs from the goroutines that read pages in parallel, all
// under one context, and tflog masks a line by rewriting the values of the
// context's own field map in place (logging.OmitOrMask passes the options'
// Fields to LoggerOpts.ApplyMask, which assigns every string field back).
// Lines logged concurrently under one context would write that map at once
// and crash the provider with "concurrent map iteration and map write"; a
// line logged under its own copy writes only the copy. Every tflog function
// that returns a context copies the options first (LoggerOpts.Copy); masking
// no further strings is the one that changes nothing else. The line's own
// fields need no copy: tflog merges them into a new map before masking.
func ownLoggerOptions(ctx context.Context) context.Context {
	return tflog.MaskMessageStrings(ctx)
}
