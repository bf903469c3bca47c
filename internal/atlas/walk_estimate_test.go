package atlas

// The walk against servers whose totalCount estimate is off and moves, that
// ignore pageNum, or that never end their list: totalCount schedules
// requests, the ids decide.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// sandboxOrder is the ids of jobs in the order the sandbox serves them:
// createdAt descending, ties by ID descending.
func sandboxOrder(jobs []sandbox.Job) []string {
	sorted := slices.Clone(jobs)
	slices.SortStableFunc(sorted, func(a, b sandbox.Job) int {
		if c := strings.Compare(b.CreatedAt, a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	ids := make([]string, len(sorted))
	for i, j := range sorted {
		ids[i] = j.ID
	}
	return ids
}

func listedIDs(list *ExportJobList) []string {
	ids := make([]string, len(list.Jobs))
	for i, j := range list.Jobs {
		ids[i] = str(j.ID)
	}
	return ids
}

// TestListExportJobs_estimateIsOnlyAHint: over a list that does not change,
// an estimate that is too low, too high, absurd, missing or moving between
// pages reads every job exactly once, in one walk, asking for each page
// once and for no more than the pages in flight after the short one, or the
// one page after it that settles an estimate saying there is more.
func TestListExportJobs_estimateIsOnlyAHint(t *testing.T) {
	const jobs, perPage = 1234, 100 // 12 full pages, then 34 jobs on page 13
	estimates := map[string]func(pageNum, actual int) int{
		"jittered by 5":           sandbox.JitteredEstimate(5),
		"jittered by 300":         sandbox.JitteredEstimate(300),
		"too low, moving":         func(p, n int) int { return n - 3 - p%3 },
		"too high, moving":        func(p, n int) int { return n + 7 + p },
		"shrinking below actual":  func(p, n int) int { return n + 300 - 40*p },
		"growing from one page":   func(p, n int) int { return min(100*p, n) },
		"absurd, then right":      func(p, n int) int { return map[bool]int{true: 2_000_000_000, false: n}[p == 1] },
		"missing on even pages":   func(p, n int) int { return map[bool]int{true: -1, false: n + 2}[p%2 == 0] },
		"missing on page 1 only":  func(p, n int) int { return map[bool]int{true: -1, false: n}[p == 1] },
		"zero, then exactly full": func(p, n int) int { return map[bool]int{true: 0, false: 1300}[p == 1] },
	}
	for name, estimate := range estimates {
		for _, concurrency := range []int{1, 8} {
			t.Run(fmt.Sprintf("%s, %d in flight", name, concurrency), func(t *testing.T) {
				generated := sandbox.GenerateJobs(testCluster, jobs, 21)
				sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.EstimateTotalCount = estimate })
				client := newTestClient(t, srv.URL, withPaging(perPage, concurrency))

				list := listTestCluster(t, client)

				assertJobsOnceInOrder(t, list.Jobs, generated)
				if got, want := listedIDs(list), sandboxOrder(generated); !reflect.DeepEqual(got, want) {
					t.Errorf("the ids differ from the sandbox's list (%d against %d ids)", len(got), len(want))
				}
				if list.Walks != 1 {
					t.Errorf("Walks = %d, want 1: the jobs did not change", list.Walks)
				}
				got := pagesRequested(t, sbx)
				last := max(14, 13+concurrency-1)
				if len(got) < 13 || !reflect.DeepEqual(got[:13], oneToN(13)) || hasDuplicates(got) || got[len(got)-1] > last {
					t.Errorf("pages requested %v, want 1..13 once each and none after page %d", got, last)
				}
			})
		}
	}
}

// TestListExportJobs_insertsWithMovingEstimate: jobs created between pages
// are caught by their ids, not by the estimate: the list is read again and
// every job, old and new, comes back once.
func TestListExportJobs_insertsWithMovingEstimate(t *testing.T) {
	for _, concurrency := range []int{1, 8} {
		t.Run(fmt.Sprintf("%d in flight", concurrency), func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, 1234, 8)
			sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.EstimateTotalCount = sandbox.JitteredEstimate(50) })
			created := newerJobs(t, 3, 77)
			sbx.InsertAfterPage(testProject, testCluster, 2, created...)
			client := newTestClient(t, srv.URL, withPaging(100, concurrency))

			list := listTestCluster(t, client)

			all := append(slices.Clone(generated), created...)
			assertJobsOnceInOrder(t, list.Jobs, all)
			if got, want := listedIDs(list), sandboxOrder(all); !reflect.DeepEqual(got, want) {
				t.Errorf("the ids differ from the sandbox's list (%d against %d ids)", len(got), len(want))
			}
			if list.Walks != 2 {
				t.Errorf("Walks = %d, want 2: the jobs created after page 2 shift the later pages", list.Walks)
			}
		})
	}
}

// TestListExportJobs_pageNumIgnored: a server (or caching proxy) that serves
// page 1 whatever pageNum says fails fast, with an error that says what is
// wrong and what may cause it, after two short walks: not three walks over
// the estimate's pages, and not as a list that kept changing.
func TestListExportJobs_pageNumIgnored(t *testing.T) {
	cases := map[string]struct {
		jobs, concurrency int
		estimate          func(pageNum, actual int) int
	}{
		"1234 jobs, 8 in flight":              {jobs: 1234, concurrency: 8},
		"1234 jobs, sequential":               {jobs: 1234, concurrency: 1},
		"exactly one full page, 8 in flight":  {jobs: 100, concurrency: 8},
		"absurd estimate, 8 in flight":        {jobs: 1234, concurrency: 8, estimate: func(int, int) int { return 2_000_000_000 }},
		"estimate missing, 4 in flight":       {jobs: 1234, concurrency: 4, estimate: func(int, int) int { return -1 }},
		"jittered estimate, 8 in flight":      {jobs: 5000, concurrency: 8, estimate: sandbox.JitteredEstimate(30)},
		"five full pages, 8 in flight, exact": {jobs: 500, concurrency: 8},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, tc.jobs, 2), func(s *sandbox.Server) {
				s.IgnorePageNum = true
				s.EstimateTotalCount = tc.estimate
			})
			client := newTestClient(t, srv.URL, withPaging(100, tc.concurrency))

			list, err := client.ListExportJobs(context.Background(), testProject, testCluster)

			if !errors.Is(err, ErrPageNumIgnored) || errors.Is(err, ErrInconsistentList) {
				t.Fatalf("got %v, %v; want ErrPageNumIgnored", list, err)
			}
			for _, want := range []string{"pageNum 2", "page 1", "proxy or cache", "query string", testCluster} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			// Two walks, each page 1 and the pages in flight with page 2.
			if got, bound := len(attempts(sbx)), 2*(1+tc.concurrency); got > bound {
				t.Errorf("%d requests, want at most %d: two walks of page 1 and the pages in flight", got, bound)
			}
		})
	}
}

// TestListExportJobs_shortListBehindIgnoredPageNum: a list shorter than a
// page reads the same through a proxy that ignores pageNum: page 1 is all
// there is, and nothing else is asked for.
func TestListExportJobs_shortListBehindIgnoredPageNum(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 99, 2)
	sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.IgnorePageNum = true })

	list := listTestCluster(t, newTestClient(t, srv.URL, withPaging(100, 8)))

	assertJobsOnceInOrder(t, list.Jobs, generated)
	if got := pagesRequested(t, sbx); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("pages requested %v, want [1]", got)
	}
}

// endlessPages answers every pageNum with a full page of jobs never seen
// before, and a totalCount of one page: a server whose list never ends.
func endlessPages(perPage int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("pageNum"))
		var b strings.Builder
		b.WriteString(`{"totalCount":` + strconv.Itoa(perPage) + `,"results":[`)
		for i := range perPage {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"%012x%012x","createdAt":"2026-01-01T00:00:00Z"}`, page, i)
		}
		b.WriteString(`]}`)
		w.Header().Set("Content-Type", v2ContentType)
		_, _ = w.Write([]byte(b.String()))
	})
}

// TestListExportJobs_endlessListIsBounded: pages that keep coming back full
// of new jobs end the read with ErrListTooLong once the walk would pass the
// largest list the client reads, not at the read's time limit.
func TestListExportJobs_endlessListIsBounded(t *testing.T) {
	for _, concurrency := range []int{1, 8} {
		t.Run(fmt.Sprintf("%d in flight", concurrency), func(t *testing.T) {
			var requests atomic.Int64
			endless := endlessPages(100)
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				endless.ServeHTTP(w, r)
			}))
			client := newTestClient(t, srv.URL, withPaging(100, concurrency))
			client.maxListJobs = 2000 // 21 pages; the default bound is 200,000 jobs
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			list, err := client.ListExportJobs(ctx, testProject, testCluster)

			if !errors.Is(err, ErrListTooLong) {
				t.Fatalf("got %v, %v; want ErrListTooLong", list, err)
			}
			for _, want := range []string{"page 21", "2000 jobs"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if got := int(requests.Load()); got < 21 || got > 21+concurrency {
				t.Errorf("%d requests, want 21 to %d", got, 21+concurrency)
			}
		})
	}
}
