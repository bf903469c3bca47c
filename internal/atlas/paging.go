package atlas

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
)

// The API's own patterns for path parameters (exports-v2.yaml). The provider
// validates with the same expressions at plan time; the client checks again so
// that no caller can build a request path out of arbitrary text.
var (
	ProjectIDPattern   = regexp.MustCompile(`^[a-f0-9]{24}$`)
	ExportIDPattern    = ProjectIDPattern
	ClusterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
)

// MaxClusterNameLength is the longest cluster name Atlas accepts.
const MaxClusterNameLength = 64

// maxWalks bounds how often a list is read again when jobs change while it
// is being paged.
const maxWalks = 3

// maxListJobs bounds the jobs one list may hold. totalCount sizes nothing
// beyond it, and a walk that would have to read past it fails rather than
// growing without end: a server (or a proxy) that answers every page with
// new jobs would otherwise keep a read going until its time limit, and its
// memory growing with it. Export jobs are kept per snapshot export and a
// cluster lists thousands at most; the bound leaves two orders of magnitude
// of room while keeping a runaway list to a few hundred megabytes.
const maxListJobs = 200_000

// Errors of ListExportJobs, for errors.Is; the provider adds advice to each.
var (
	// ErrInconsistentList is returned when every walk over the pages saw jobs
	// being created or removed, so no consistent list could be read.
	ErrInconsistentList = errors.New("the export jobs kept changing while they were being read")
	// ErrPageNumIgnored is returned when two walks each got, for a later
	// pageNum, exactly the jobs of an earlier page: something between the
	// provider and Atlas (a caching proxy, most likely) answers without
	// looking at the query string.
	ErrPageNumIgnored = errors.New("the server answered different pageNum values with the same page")
	// ErrListTooLong is returned when the pages keep coming back full past
	// the largest list the client reads.
	ErrListTooLong = errors.New("the list of export jobs does not end")
)

func validatePath(projectID, clusterName string) error {
	if !ProjectIDPattern.MatchString(projectID) {
		return fmt.Errorf("project ID %q is not 24 lowercase hexadecimal characters", projectID)
	}
	if len(clusterName) > MaxClusterNameLength || !ClusterNamePattern.MatchString(clusterName) {
		return fmt.Errorf("cluster name %q must be 1 to %d letters, digits and hyphens, starting with a letter or digit",
			clusterName, MaxClusterNameLength)
	}
	return nil
}

// ListExportJobs reads every export job of a cluster: every page, newest
// first, each job once. Pages are read concurrently as far as Atlas's
// totalCount estimate reaches, then one by one while they come back full; a
// short or empty page ends the list. The estimate only schedules requests:
// the ids are the evidence. A walk that sees a job twice (or jobs after the
// page that ended the list) is discarded and the list read again, so the
// result is always one consistent list.
func (c *Client) ListExportJobs(ctx context.Context, projectID, clusterName string) (*ExportJobList, error) {
	if err := validatePath(projectID, clusterName); err != nil {
		return nil, err
	}
	fail := func(err error) (*ExportJobList, error) {
		return nil, fmt.Errorf("listing export jobs of cluster %q in project %s: %w", clusterName, projectID, err)
	}
	repeatedBefore := false
	for walk := 1; walk <= maxWalks; walk++ {
		w, err := c.walk(ctx, projectID, clusterName)
		if err != nil {
			return fail(err)
		}
		switch {
		case w.repeat > 0 && repeatedBefore:
			// Once could be jobs created exactly a page's worth at a time
			// between two requests; twice in a row is a server (or proxy)
			// that does not page.
			return fail(fmt.Errorf("%w: Atlas answered pageNum %d with the jobs of page 1, in two reads of the list: "+
				"a proxy or cache between the provider and Atlas may be ignoring the query string", ErrPageNumIgnored, w.repeat))
		case w.repeat > 0:
			repeatedBefore = true
			c.warn(ctx, "a page came back with exactly the jobs of page 1; reading the list again",
				map[string]any{"walk": walk, "page": w.repeat})
		case w.drift != "":
			c.warn(ctx, "export jobs changed while they were being paged; reading them again",
				map[string]any{"walk": walk, "reason": w.drift})
		default:
			SortNewestFirst(w.jobs)
			return &ExportJobList{Jobs: w.jobs, TotalCount: w.totalCount, Pages: w.pages, Walks: walk}, nil
		}
	}
	return fail(fmt.Errorf("%w (%d attempts); try again", ErrInconsistentList, maxWalks))
}

type walkResult struct {
	jobs       []ExportJob
	totalCount int // the first page's estimate, -1 when it had none
	pages      int
	firstPage  int // the jobs of page 1, first in jobs
	// Why the walk is not a consistent list: a change it saw, or the page
	// that came back with exactly page 1's jobs; empty and 0 when it is.
	drift  string
	repeat int
}

// fetched is a page read ahead of the walk.
type fetched struct {
	page *exportJobPage
	err  error
}

// walk reads the pages once, in order. Up to c.concurrency pages are in
// flight at a time, ahead of the page being looked at, as far as the largest
// estimate seen so far reaches; past it, one at a time. The walk stops at
// the first page that proves the list is not one list (or not paged at all),
// so that a discarded walk costs no more than the pages in flight.
func (c *Client) walk(ctx context.Context, projectID, clusterName string) (*walkResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Pages still in flight when the walk ends are of no use: stop them,
	// and leave no goroutine behind.
	defer func() {
		cancel()
		wg.Wait()
	}()
	fetches := map[int]chan fetched{}
	requested := 0
	request := func(n int) {
		done := make(chan fetched, 1)
		fetches[n] = done
		wg.Go(func() {
			page, err := c.fetchPage(ctx, projectID, clusterName, n)
			done <- fetched{page, err}
		})
	}
	receive := func(n int) (*exportJobPage, error) {
		f := <-fetches[n]
		delete(fetches, n)
		return f.page, f.err
	}

	maxPages := c.maxListJobs/c.itemsPerPage + 1
	w := &walkResult{totalCount: -1}
	seen := map[string]struct{}{}
	predicted := 1 // the last page the estimates reach
	for n := 1; ; n++ {
		for requested < n || (requested < min(predicted, maxPages) && requested < n+c.concurrency-1) {
			requested++
			request(requested)
		}
		page, err := receive(n)
		if err != nil {
			return nil, err
		}
		if n == 1 && page.TotalCount != nil {
			w.totalCount = *page.TotalCount
		}
		w.pages++
		if w.add(seen, n, *page.Results); w.drift != "" || w.repeat > 0 {
			return w, nil
		}
		if len(*page.Results) < c.itemsPerPage {
			return w, w.checkPastEnd(n, requested, receive)
		}
		if n == maxPages {
			return nil, fmt.Errorf("%w: page %d still came back full (%d jobs a page), and the provider reads at most "+
				"%d jobs of one cluster; a server or proxy that answers every page with new jobs does this too",
				ErrListTooLong, n, c.itemsPerPage, c.maxListJobs)
		}
		// Each page's estimate may reach further than the first's; one that
		// falls short stops nothing, since only a short page ends the list.
		// An estimate that fills its last page exactly needs the page after
		// it to see the end: asking for it with the others saves a round trip.
		if page.TotalCount != nil && *page.TotalCount > 0 {
			predicted = max(predicted, *page.TotalCount/c.itemsPerPage+1)
		}
	}
}

// checkPastEnd looks at the pages that were in flight when page end came back
// short. A sequential walk would not have asked for them, but they were read
// at moments that cannot be ordered against page end's: jobs on them say the
// list was longer at another moment of this walk than page end says it was.
// A list that grew after page end was read would be harmless, but one that
// was longer before and shrank by then has moved jobs across pages already
// read, where no id shows it. Telling the two apart is not possible from
// here, so any job past the end makes the walk drift, and a page that could
// not be read leaves the question open, so its error ends the read: nothing
// partial is returned as whole.
func (w *walkResult) checkPastEnd(end, requested int, receive func(int) (*exportJobPage, error)) error {
	for n := end + 1; n <= requested; n++ {
		page, err := receive(n)
		if err != nil {
			return err
		}
		w.pages++
		if len(*page.Results) > 0 && w.drift == "" {
			w.drift = fmt.Sprintf("page %d has jobs after the short page %d", n, end)
		}
	}
	return nil
}

// add appends page n's jobs, or notes why the walk cannot be kept: a job
// seen before (jobs created or removed while the pages are read shift them
// across page boundaries), or a later page with exactly page 1's jobs, which
// is what a cache in front of Atlas that ignores the query string answers
// to every pageNum.
func (w *walkResult) add(seen map[string]struct{}, n int, results []ExportJob) {
	repeats := 0
	for i := range results {
		if id := str(results[i].ID); id != "" {
			if _, dup := seen[id]; dup {
				repeats++
			}
			seen[id] = struct{}{}
		}
	}
	switch {
	case repeats == 0:
		if n == 1 {
			w.firstPage = len(results)
		}
		w.jobs = append(w.jobs, results...)
	case repeats == len(results) && len(results) == w.firstPage &&
		slices.EqualFunc(results, w.jobs[:w.firstPage], func(a, b ExportJob) bool { return str(a.ID) == str(b.ID) }):
		w.repeat = n
	default:
		w.drift = fmt.Sprintf("page %d repeats %d jobs", n, repeats)
	}
}
