package atlas

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
)

// exportsURL is the list endpoint of a cluster's export jobs, or one job's
// endpoint when exportID is set, in the configured API version. The v1.0 path
// follows the published contract (no trailing slash); Atlas serves both.
func (c *Client) exportsURL(projectID, clusterName, exportID string) *url.URL {
	elems := []string{"api", "atlas", c.apiVersion, "groups", projectID, "clusters", clusterName, "backup", "exports"}
	if exportID != "" {
		elems = append(elems, exportID)
	}
	return c.baseURL.JoinPath(elems...)
}

// get sends one GET with retries and decodes the 200 answer into target
// within the attempt, so that a body cut short is retried like a reset
// connection, and the per-attempt timeout also bounds reading the body.
// mediaType is the version of the operation's answer.
func (c *Client) get(ctx context.Context, rawURL, mediaType string, target any) error {
	token, fresh, err := c.bearer(ctx)
	if err != nil {
		return err
	}
	err = c.send(ctx, rawURL, mediaType, token, target)
	if apiErr, ok := errors.AsType[*APIError](err); ok && !fresh && apiErr.StatusCode == http.StatusUnauthorized && !apiErr.LacksAccess() {
		// Atlas no longer takes the cached service account token (revoked,
		// or expired before its time): one more try with a new one. A 401
		// to a token fetched for this very request is the answer, and so
		// is a refusal of what the credentials may do, which a new token
		// does not change.
		c.debug(ctx, "Atlas refused the cached service account token; getting a new one", nil)
		if token, _, err = c.serviceAccount.get(ctx, token); err != nil {
			return err
		}
		err = c.send(ctx, rawURL, mediaType, token, target)
	}
	if apiErr, ok := errors.AsType[*APIError](err); ok {
		apiErr.Credentials = c.credentials
	}
	return err
}

func (c *Client) send(ctx context.Context, rawURL, mediaType, bearer string, target any) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", mediaType)
	req.Header.Set("User-Agent", c.userAgent)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	req.SetResponseHandler(func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return apiErrorFromResponse(resp)
		}
		return decodeBody(resp, target)
	})
	// The response handler reads and closes the body.
	_, err = c.api.Do(req)
	return err
}

// decodeBody decodes a JSON body into target and closes it. It checks the
// content type first, since a proxy's HTML page can come with status 200.
// The body is read whole, so that an error can quote its start.
func decodeBody(resp *http.Response, target any) error {
	defer resp.Body.Close()
	contentType := resp.Header.Get("Content-Type")
	fail := func(body []byte, err error) error {
		return &ResponseBodyError{StatusCode: resp.StatusCode, ContentType: contentType, BodySnippet: snippet(body), Err: err}
	}
	if !isJSON(contentType) {
		// Enough bytes for snippetLength characters of any UTF-8; the rest
		// of a proxy's page is not read.
		head := make([]byte, snippetLength*utf8.UTFMax)
		n, _ := io.ReadFull(resp.Body, head)
		return fail(head[:n], fmt.Errorf("content type %q is not JSON", contentType))
	}
	// A body beyond maxBody is far larger than a full page of jobs, whatever
	// sends it, and must not fill the memory of a plan.
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fail(body, err)
	}
	if len(body) > maxBody {
		return fail(body, fmt.Errorf("the body is larger than %d MiB", maxBody>>20))
	}
	if err := json.Unmarshal(body, target); err != nil {
		return fail(body, err)
	}
	return nil
}

// maxBody bounds the body of an answer.
const maxBody = 64 << 20

// transient reports whether the body failed because the connection did (cut
// short, reset or timed out) rather than because its content is wrong.
func (e *ResponseBodyError) transient() bool {
	_, netErr := errors.AsType[net.Error](e.Err)
	return netErr || errors.Is(e.Err, io.ErrUnexpectedEOF)
}

// validateID refuses an ID that is not the API's 24 lowercase hexadecimal
// characters (ProjectIDPattern and ExportIDPattern are the same expression).
func validateID(what, id string) error {
	if !ExportIDPattern.MatchString(id) {
		return fmt.Errorf("%s %q is not 24 lowercase hexadecimal characters", what, id)
	}
	return nil
}

// GetExportJob reads one export job.
func (c *Client) GetExportJob(ctx context.Context, projectID, clusterName, exportID string) (*ExportJob, error) {
	// As for the list: no request path out of arbitrary text (an empty ID
	// would read the list, "../.." another resource).
	if err := cmp.Or(validatePath(projectID, clusterName), validateID("export ID", exportID)); err != nil {
		return nil, err
	}
	var job ExportJob
	if err := c.get(ctx, c.exportsURL(projectID, clusterName, exportID).String(), c.mediaType, &job); err != nil {
		return nil, requestFailed(withOperation(err, OpGetExportJob), "reading export job %s of cluster %q in project %s", exportID, clusterName, projectID)
	}
	return &job, nil
}

// fetchPage reads one page of the list operation.
func (c *Client) fetchPage(ctx context.Context, projectID, clusterName string, size, pageNum int) (*exportJobPage, error) {
	u := c.exportsURL(projectID, clusterName, "")
	u.RawQuery = fmt.Sprintf("itemsPerPage=%d&pageNum=%d", size, pageNum)
	var page exportJobPage
	if err := c.get(ctx, u.String(), c.mediaType, &page); err != nil {
		return nil, requestFailed(withOperation(err, OpListExportJobs), "reading page %d", pageNum)
	}
	if page.Results == nil {
		return nil, fmt.Errorf("reading page %d: %w", pageNum,
			&ResponseBodyError{StatusCode: http.StatusOK, ContentType: c.mediaType, Err: errors.New(`the answer has no "results" array`)})
	}
	c.debug(ctx, "read a page of export jobs", map[string]any{"page": pageNum, "items": len(*page.Results)})
	return &page, nil
}
