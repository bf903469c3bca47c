package atlas

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
)

// The API's patterns for path parameters (exports-v2.yaml), checked at plan
// time and again here: no request path out of arbitrary text.
var (
	ProjectIDPattern   = regexp.MustCompile(`^[a-f0-9]{24}$`)
	ExportIDPattern    = ProjectIDPattern
	ClusterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
)

// MaxClusterNameLength is the longest cluster name Atlas accepts.
const MaxClusterNameLength = 64

// maxWalks bounds how often a list is read again when jobs change while it
// is being paged; maxListJobs the jobs of one list, so that a server that
// answers every page with new jobs cannot grow a read (a cluster lists
// thousands of export jobs at most).
const maxWalks, maxListJobs = 3, 200_000

// Errors of ListExportJobs, for errors.Is; the provider adds advice to each.
var (
	// ErrInconsistentList: every walk saw jobs being created or removed.
	ErrInconsistentList = errors.New("the export jobs kept changing while they were being read")
	// ErrPageNumIgnored: two walks each got page 1's jobs for a later
	// pageNum (a cache that ignores the query string, most likely).
	ErrPageNumIgnored = errors.New("the server answered different pageNum values with the same page")
	// ErrListTooLong: the pages keep coming back full past maxListJobs.
	ErrListTooLong = errors.New("the list of export jobs does not end")
	// ErrShortPages: page 1 stayed short of its totalCount at the page size
	// it had shown.
	ErrShortPages = errors.New("the server answers fewer jobs a page than the list needs")
)

func validatePath(projectID, clusterName string) error {
	if err := validateID("project ID", projectID); err != nil {
		return err
	}
	if len(clusterName) > MaxClusterNameLength || !ClusterNamePattern.MatchString(clusterName) {
		return fmt.Errorf("cluster name %q must be 1 to %d letters, digits and hyphens, starting with a letter or digit",
			clusterName, MaxClusterNameLength)
	}
	return nil
}

// ListExportJobs reads every export job of a cluster, each once, newest
// first. Pages are read concurrently as far as Atlas's totalCount estimate
// reaches, then while they come back full. A short page ends the list unless
// the estimate says there is more: then the page after it settles it, and a
// short first page may be a server that caps its pages, whose size the list
// is read again at. The estimate only schedules requests: the ids are the
// evidence. A walk that sees a job twice (or jobs after the page that ended
// the list) is discarded and the list read again. The list data source's page
// (templates/data-sources/snapshot_exports.md.tmpl, "What the list holds")
// says what this guarantees.
func (c *Client) ListExportJobs(ctx context.Context, projectID, clusterName string) (*ExportJobList, error) {
	if err := validatePath(projectID, clusterName); err != nil {
		return nil, err
	}
	fail := func(err error) (*ExportJobList, error) {
		return nil, fmt.Errorf("listing export jobs of cluster %q in project %s: %w", clusterName, projectID, err)
	}
	repeatedBefore, size, drift := false, c.itemsPerPage, ""
	for walk := 1; walk <= maxWalks; walk++ {
		w, err := c.walk(ctx, projectID, clusterName, size)
		if err != nil {
			return fail(err)
		}
		switch {
		case w.serverSize > 0 && size != c.itemsPerPage:
			// Read once at the size the server showed, and short again.
			return fail(fmt.Errorf("%w: asked %d jobs a page, got %d on page 1, and its totalCount is %d",
				ErrShortPages, size, w.serverSize, w.totalCount))
		case w.serverSize > 0:
			// Not a walk of its own: the server told its page size.
			c.warn(ctx, "the server answers fewer jobs a page than asked for; reading the list at its page size",
				map[string]any{"asked": size, "got": w.serverSize, "total_count": w.totalCount})
			size = w.serverSize
			walk--
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
			drift = w.drift
			c.warn(ctx, "export jobs changed while they were being paged; reading them again",
				map[string]any{"walk": walk, "reason": w.drift})
		default:
			SortNewestFirst(w.jobs)
			return &ExportJobList{Jobs: w.jobs, TotalCount: w.totalCount, Pages: w.pages, Walks: walk}, nil
		}
	}
	return fail(fmt.Errorf("%w (%d attempts, the last: %s); try again", ErrInconsistentList, maxWalks, drift))
}

type walkResult struct {
	jobs       []ExportJob
	totalCount int // the first page's estimate, -1 when it had none
	pages      int
	firstPage  int // the jobs of page 1, first in jobs
	// Why the walk is not a consistent list: a change it saw, or the page
	// that came back with exactly page 1's jobs.
	drift  string
	repeat int
	// serverSize is a short page 1's length when its totalCount says there
	// is more (the page size of a server that caps pages, perhaps), and
	// shortPage what the short page that ended the walk held then.
	serverSize int
	shortPage  string
}

// fetched is a page read ahead of the walk.
type fetched struct {
	page *exportJobPage
	err  error
}

// walk reads the pages once, in order, with up to c.concurrency in flight
// ahead of the page being looked at as far as the largest estimate seen
// reaches, one at a time past it. It stops at the first page that proves the
// list is not one list, so a discarded walk costs only the pages in flight.
func (c *Client) walk(ctx context.Context, projectID, clusterName string, size int) (*walkResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Pages still in flight when the walk ends are of no use: stop them.
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
			page, err := c.fetchPage(ctx, projectID, clusterName, size, n)
			done <- fetched{page, err}
		})
	}
	receive := func(n int) (*exportJobPage, error) {
		f := <-fetches[n]
		delete(fetches, n)
		return f.page, f.err
	}

	maxPages := c.maxListJobs/size + 1
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
		if got := len(*page.Results); got < size {
			// A short page ends the list unless the estimate says there is
			// more: then a short page 1 may show a server's own page size,
			// and the page after a later one settles it (an estimate that
			// is off leaves it empty).
			if page.TotalCount != nil && *page.TotalCount > len(w.jobs) {
				if n == 1 && got > 0 {
					w.serverSize = got
					return w, nil
				}
				if requested == n {
					requested++
					request(requested)
				}
				w.shortPage = fmt.Sprintf(" (asked %d jobs a page, got %d, totalCount %d)", size, got, *page.TotalCount)
			}
			return w, w.checkPastEnd(n, requested, receive)
		}
		if n == maxPages {
			return nil, fmt.Errorf("%w: page %d still came back full (%d jobs a page), and the provider reads at most "+
				"%d jobs of one cluster; a server or proxy that answers every page with new jobs does this too",
				ErrListTooLong, n, size, c.maxListJobs)
		}
		// Each page's estimate may reach further than the first's (one that
		// falls short stops nothing). The page after the last the estimate
		// fills is asked for with the others, to see the end a round trip
		// sooner.
		if page.TotalCount != nil && *page.TotalCount > 0 {
			predicted = max(predicted, *page.TotalCount/size+1)
		}
	}
}

// checkPastEnd looks at the pages that were in flight when page end came back
// short. Jobs on them say the list was longer at another moment of the walk:
// harmless if it grew after page end was read, but if it was longer before
// and shrank, jobs moved across pages already read where no id shows it.
// The two cannot be told apart, so any job past the end makes the walk
// drift, and a page that could not be read ends the read with its error.
func (w *walkResult) checkPastEnd(end, requested int, receive func(int) (*exportJobPage, error)) error {
	for n := end + 1; n <= requested; n++ {
		page, err := receive(n)
		if err != nil {
			return err
		}
		w.pages++
		if len(*page.Results) > 0 && w.drift == "" {
			w.drift = fmt.Sprintf("page %d has jobs after the short page %d%s", n, end, w.shortPage)
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
