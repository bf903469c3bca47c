package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

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
func (c *Client) get(ctx context.Context, u *url.URL, target any) error {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("building request: %w", err)
	}
	req.Header.Set("Accept", c.mediaType)
	req.Header.Set("User-Agent", c.userAgent)
	req.SetResponseHandler(func(resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			return apiErrorFromResponse(resp)
		}
		return decodeBody(resp, target)
	})
	resp, err := c.api.Do(req)
	if err != nil {
		return err
	}
	// The response handler has read and closed the body.
	_ = resp
	return nil
}

// decodeBody streams a JSON body into target and closes it. It checks the
// content type first, since a proxy's HTML page can come with status 200.
func decodeBody(resp *http.Response, target any) error {
	defer resp.Body.Close()
	contentType := resp.Header.Get("Content-Type")
	head := &headCapture{r: resp.Body}
	fail := func(err error) error {
		return &ResponseBodyError{StatusCode: resp.StatusCode, ContentType: contentType, BodySnippet: snippet(head.head), Err: err}
	}
	if !isJSON(contentType) {
		_, _ = io.ReadFull(head, make([]byte, snippetLength))
		return fail(fmt.Errorf("content type %q is not JSON", contentType))
	}
	dec := json.NewDecoder(head)
	if err := dec.Decode(target); err != nil {
		return fail(err)
	}
	// Trailing garbage after the document means the body is not what Atlas
	// sends; trailing whitespace is fine.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("unexpected data after the JSON document")
		}
		return fail(err)
	}
	return nil
}

// transient reports whether the body failed because the connection did (cut
// short, reset or timed out) rather than because its content is wrong.
func (e *ResponseBodyError) transient() bool {
	if errors.Is(e.Err, io.ErrUnexpectedEOF) {
		return true
	}
	var netErr net.Error
	if errors.As(e.Err, &netErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(e.Err, &opErr)
}

// GetExportJob reads one export job.
func (c *Client) GetExportJob(ctx context.Context, projectID, clusterName, exportID string) (*ExportJob, error) {
	var job ExportJob
	if err := c.get(ctx, c.exportsURL(projectID, clusterName, exportID), &job); err != nil {
		return nil, fmt.Errorf("reading export job %s of cluster %q in project %s: %w", exportID, clusterName, projectID, err)
	}
	return &job, nil
}

// fetchPage reads one page of the list operation.
func (c *Client) fetchPage(ctx context.Context, projectID, clusterName string, pageNum int) (*exportJobPage, error) {
	u := c.exportsURL(projectID, clusterName, "")
	q := url.Values{}
	q.Set("pageNum", strconv.Itoa(pageNum))
	q.Set("itemsPerPage", strconv.Itoa(c.itemsPerPage))
	u.RawQuery = q.Encode()
	var page exportJobPage
	if err := c.get(ctx, u, &page); err != nil {
		return nil, fmt.Errorf("reading page %d: %w", pageNum, err)
	}
	if page.Results == nil {
		return nil, fmt.Errorf("reading page %d: %w", pageNum,
			&ResponseBodyError{StatusCode: http.StatusOK, ContentType: c.mediaType, Err: errors.New(`the answer has no "results" array`)})
	}
	c.debug(ctx, "read a page of export jobs", map[string]any{"page": pageNum, "items": len(*page.Results)})
	return &page, nil
}
