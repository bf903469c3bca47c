package atlas

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
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

// Bounds on what the server's totalCount may make the client allocate or
// schedule up front: a million jobs, at 500 a page.
const (
	maxPresizedJobs        = 1_000_000
	maxConcurrentWalkPages = maxPresizedJobs / MaxItemsPerPage
)

// ErrInconsistentList is returned when every walk over the pages saw jobs
// being created or removed, so no consistent list could be read.
var ErrInconsistentList = errors.New("the export jobs kept changing while they were being read")

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
// first, each job once. The first page gives Atlas's totalCount estimate; the
// pages it predicts are read concurrently, then further pages one by one for
// as long as they come back full. A walk that sees the list change (a changed
// totalCount, a job on two pages, a job after a short page) is discarded and
// the list read again, so the result is always one consistent list.
func (c *Client) ListExportJobs(ctx context.Context, projectID, clusterName string) (*ExportJobList, error) {
	if err := validatePath(projectID, clusterName); err != nil {
		return nil, err
	}
	for walk := 1; walk <= maxWalks; walk++ {
		w, err := c.walk(ctx, projectID, clusterName)
		if err != nil {
			return nil, fmt.Errorf("listing export jobs of cluster %q in project %s: %w", clusterName, projectID, err)
		}
		if w.drift == "" {
			sortNewestFirst(w.jobs)
			return &ExportJobList{Jobs: w.jobs, TotalCount: w.totalCount, Pages: w.pages, Walks: walk}, nil
		}
		c.warn(ctx, "export jobs changed while they were being paged; reading them again",
			map[string]any{"walk": walk, "reason": w.drift})
	}
	return nil, fmt.Errorf("listing export jobs of cluster %q in project %s: %w (%d attempts); try again",
		clusterName, projectID, ErrInconsistentList, maxWalks)
}

type walkResult struct {
	jobs       []ExportJob
	totalCount int
	pages      int
	drift      string // why the walk is not a consistent list; "" when it is
}

func (c *Client) walk(ctx context.Context, projectID, clusterName string) (*walkResult, error) {
	first, err := c.fetchPage(ctx, projectID, clusterName, 1)
	if err != nil {
		return nil, err
	}
	w := &walkResult{totalCount: -1, pages: 1}
	if first.TotalCount != nil {
		w.totalCount = *first.TotalCount
	}
	// totalCount comes from the server: it sizes nothing beyond a bound.
	seen := make(map[string]struct{}, min(max(w.totalCount, 0), maxPresizedJobs))
	full := w.add(seen, first, c.itemsPerPage)
	if !full || w.drift != "" {
		return w, nil
	}

	// The pages the estimate predicts, concurrently, reassembled in page order.
	estimate := 1
	if w.totalCount > 0 {
		estimate = (w.totalCount + c.itemsPerPage - 1) / c.itemsPerPage
	}
	// When the estimate fills its last page exactly, the page after it is
	// needed to see the end; asking for it with the others saves a round trip.
	last := estimate
	if w.totalCount > 0 && w.totalCount%c.itemsPerPage == 0 {
		last++
	}
	// Past this many pages the walk goes on one page at a time, as it does
	// past any estimate.
	last = min(last, maxConcurrentWalkPages)
	if last > 1 {
		pages, err := c.fetchPages(ctx, projectID, clusterName, 2, last)
		if err != nil {
			return nil, err
		}
		// One allocation for the list: growing it by append allocated four
		// times its size on the way (BENCHMARKS.md).
		n := 0
		for _, page := range pages {
			n += len(*page.Results)
		}
		w.jobs = slices.Grow(w.jobs, n)
		for i, page := range pages {
			pages[i] = nil // its jobs are copied; let the page go
			w.pages++
			if !full && len(*page.Results) > 0 {
				w.drift = fmt.Sprintf("page %d has jobs after a short page", w.pages)
			}
			full = w.add(seen, page, c.itemsPerPage) && full
			if w.drift != "" {
				return w, nil
			}
		}
	}

	// totalCount is an estimate: go on while pages come back full.
	for next := last + 1; full; next++ {
		page, err := c.fetchPage(ctx, projectID, clusterName, next)
		if err != nil {
			return nil, err
		}
		w.pages++
		full = w.add(seen, page, c.itemsPerPage)
		if w.drift != "" {
			return w, nil
		}
	}
	return w, nil
}

// add appends a page's jobs, notes drift, and reports whether the page was
// full (so that another may follow).
func (w *walkResult) add(seen map[string]struct{}, page *exportJobPage, itemsPerPage int) bool {
	if page.TotalCount != nil && w.totalCount >= 0 && *page.TotalCount != w.totalCount {
		w.drift = fmt.Sprintf("totalCount changed from %d to %d", w.totalCount, *page.TotalCount)
	}
	results := *page.Results
	for i := range results {
		id := str(results[i].ID)
		if id != "" {
			if _, dup := seen[id]; dup {
				w.drift = fmt.Sprintf("job %s appeared on two pages", id)
				continue
			}
			seen[id] = struct{}{}
		}
		w.jobs = append(w.jobs, results[i])
	}
	return len(results) >= itemsPerPage
}

// fetchPages reads pages from..to with at most c.concurrency in flight and
// returns them in page order, up to the first short page and the pages that
// were in flight with it. The first error cancels the rest.
func (c *Client) fetchPages(ctx context.Context, projectID, clusterName string, from, to int) ([]*exportJobPage, error) {
	pages := make([]*exportJobPage, to-from+1)
	limiter := newPageLimiter(c.concurrency)
	group, groupCtx := errgroup.WithContext(withThrottle(ctx, limiter))
	// A short page ends the list, however many pages totalCount (only an
	// estimate) predicted: no page after it is asked for. Pages already in
	// flight finish, and the walk checks them for drift as usual.
	var endMu sync.Mutex
	end := to
	for n := from; n <= to; n++ {
		if err := limiter.acquire(groupCtx); err != nil {
			break // the group's error (or the caller's cancellation) is reported by Wait
		}
		endMu.Lock()
		past := n > end
		endMu.Unlock()
		if past {
			limiter.release()
			break
		}
		group.Go(func() error {
			defer limiter.release()
			page, err := c.fetchPage(groupCtx, projectID, clusterName, n)
			if err != nil {
				return err
			}
			limiter.recover()
			pages[n-from] = page
			if len(*page.Results) < c.itemsPerPage {
				endMu.Lock()
				end = min(end, n)
				endMu.Unlock()
			}
			return nil
		})
	}
	if err := group.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The pages not asked for are the last ones.
	if i := slices.Index(pages, nil); i >= 0 {
		pages = pages[:i]
	}
	return pages, nil
}

// pageLimiter bounds the pages in flight and halves the bound when Atlas
// answers 429, then lets it grow back by one per successful page: Atlas's
// rate limits are token buckets, and hammering an empty bucket with eight
// parallel retries only earns more 429s.
type pageLimiter struct {
	sem *semaphore.Weighted
	mu  sync.Mutex
	max int
	// held is capacity taken out of service; owed is capacity still to take
	// out as soon as a page in flight releases it.
	held, owed int
	// successes counts pages read since the bound last grew.
	successes int
}

func newPageLimiter(n int) *pageLimiter {
	return &pageLimiter{sem: semaphore.NewWeighted(int64(n)), max: n}
}

func (l *pageLimiter) acquire(ctx context.Context) error { return l.sem.Acquire(ctx, 1) }

func (l *pageLimiter) release() {
	l.mu.Lock()
	if l.owed > 0 {
		l.owed--
		l.held++
		l.mu.Unlock()
		return
	}
	l.mu.Unlock()
	l.sem.Release(1)
}

func (l *pageLimiter) throttle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if effective := l.max - l.held - l.owed; effective > 1 {
		l.owed += effective - effective/2
	}
	l.successes = 0
}

// recover notes a successful page. The bound grows back by one after as many
// successes as it currently allows (additive increase, once per "round"), so
// that the successes of pages already in flight do not undo a halving at once.
func (l *pageLimiter) recover() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held+l.owed == 0 {
		return
	}
	l.successes++
	if l.successes < l.max-l.held-l.owed {
		return
	}
	l.successes = 0
	switch {
	case l.owed > 0:
		l.owed--
	case l.held > 0:
		l.held--
		l.sem.Release(1)
	}
}

// limit is the number of pages currently allowed in flight.
func (l *pageLimiter) limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.max - l.held - l.owed
}

type throttleKey struct{}

type throttler interface{ throttle() }

func withThrottle(ctx context.Context, t throttler) context.Context {
	return context.WithValue(ctx, throttleKey{}, t)
}

func throttleFrom(ctx context.Context) throttler {
	t, _ := ctx.Value(throttleKey{}).(throttler)
	return t
}

// sortNewestFirst orders jobs by createdAt descending, ties by ID descending,
// so that jobs[0] is the latest export. Jobs without a parseable createdAt
// sort last. Each job's key is computed once; the keys are sorted, with the
// job's position as the last tie-break (which makes the sort stable), and the
// jobs then moved into place. A list that came newest first (as the sandbox
// serves it) is in order already, and costs one pass over the keys.
func sortNewestFirst(jobs []ExportJob) {
	keys := make([]sortKey, len(jobs))
	for i := range jobs {
		keys[i].id, keys[i].pos = str(jobs[i].ID), i
		if s := jobs[i].CreatedAt; s != nil {
			if t, err := time.Parse(time.RFC3339, *s); err == nil {
				keys[i].sec, keys[i].nsec, keys[i].dated = t.Unix(), t.Nanosecond(), true
			}
		}
	}
	if slices.IsSortedFunc(keys, compareSortKeys) {
		return
	}
	slices.SortFunc(keys, compareSortKeys)
	// keys[i].pos is where the job that belongs at i is now. Follow each
	// cycle of that permutation, marking the places filled.
	for i := range keys {
		if keys[i].pos == i {
			continue
		}
		saved := jobs[i]
		for j := i; ; {
			from := keys[j].pos
			keys[j].pos = j
			if from == i {
				jobs[j] = saved
				break
			}
			jobs[j] = jobs[from]
			j = from
		}
	}
}

type sortKey struct {
	sec   int64
	nsec  int
	dated bool // createdAt parsed
	id    string
	pos   int
}

func compareSortKeys(a, b sortKey) int {
	switch {
	case a.dated && b.dated:
		if c := cmp.Or(cmp.Compare(b.sec, a.sec), cmp.Compare(b.nsec, a.nsec)); c != 0 {
			return c
		}
	case a.dated != b.dated:
		if a.dated {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(b.id, a.id), cmp.Compare(a.pos, b.pos))
}
