package atlas

import (
	"context"
	"net/http"

	"github.com/hashicorp/go-retryablehttp"
)

// logAttempt and logResponse are retryablehttp's hooks: every attempt and
// answer at debug level, a retry as a warning.
func (c *Client) logAttempt(_ retryablehttp.Logger, req *http.Request, retry int) {
	if c.logger == nil {
		return
	}
	fields := map[string]any{"method": req.Method, "url": req.URL.String(), "attempt": retry + 1}
	if retry > 0 {
		c.logger.Warn(req.Context(), "retrying Atlas request", fields)
		return
	}
	c.logger.Debug(req.Context(), "sending Atlas request", fields)
}

func (c *Client) logResponse(_ retryablehttp.Logger, resp *http.Response) {
	if c.logger == nil || resp == nil || resp.Request == nil {
		return
	}
	fields := map[string]any{
		"method":       resp.Request.Method,
		"url":          resp.Request.URL.String(),
		"status":       resp.StatusCode,
		"content_type": resp.Header.Get("Content-Type"),
	}
	if v := resp.Header.Get("Ratelimit-Remaining"); v != "" {
		fields["ratelimit_remaining"] = v
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		fields["retry_after"] = v
	}
	c.logger.Debug(resp.Request.Context(), "Atlas answered", fields)
}

func (c *Client) debug(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Debug(ctx, msg, fields)
	}
}

func (c *Client) warn(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Warn(ctx, msg, fields)
	}
}
