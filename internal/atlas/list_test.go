package atlas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// TestListExportJobs_walks reads lists around the page boundaries: every job
// comes back once, newest first, and exactly the pages 1..n are asked for,
// where n is the number of full pages plus the short (or empty) page that
// ends the walk.
func TestListExportJobs_walks(t *testing.T) {
	type paging struct{ itemsPerPage, concurrency int }
	pagings := map[string]paging{
		"500 per page, sequential":  {MaxItemsPerPage, 1},
		"500 per page, 8 in flight": {MaxItemsPerPage, 8},
		"100 per page, sequential":  {100, 1},
		"100 per page, 8 in flight": {100, 8},
	}
	for _, jobs := range []int{0, 1, 499, 500, 501, 1234} {
		for name, p := range pagings {
			t.Run(fmt.Sprintf("%d jobs, %s", jobs, name), func(t *testing.T) {
				generated := sandbox.GenerateJobs(testCluster, jobs, 7)
				sbx, srv := startSandbox(t, generated)
				client := newTestClient(t, srv.URL, withPaging(p.itemsPerPage, p.concurrency))

				list := listTestCluster(t, client)

				assertJobsOnceInOrder(t, list.Jobs, generated)
				wantPages := jobs/p.itemsPerPage + 1
				if got := pagesRequested(t, sbx); !reflect.DeepEqual(got, oneToN(wantPages)) {
					t.Errorf("pages requested %v, want 1..%d once each", got, wantPages)
				}
				if list.Pages != wantPages || list.Walks != 1 || list.TotalCount != jobs {
					t.Errorf("Pages, Walks, TotalCount = %d, %d, %d; want %d, 1, %d", list.Pages, list.Walks, list.TotalCount, wantPages, jobs)
				}
				if jobs >= 500 && sameSecondPairs(list.Jobs) == 0 {
					t.Errorf("no two jobs share a createdAt: the tie-break by ID was not exercised")
				}
			})
		}
	}
}

// TestListExportJobs_tieBreakByIDDescending pins the order of jobs created in
// the same second: the larger ID first, whatever order the pages had.
func TestListExportJobs_tieBreakByIDDescending(t *testing.T) {
	same := "2026-01-19T03:14:51Z"
	jobs := []sandbox.Job{
		{ID: "696da1ab3455e32b9c1df801", CreatedAt: same},
		{ID: "696da1ab3455e32b9c1df803", CreatedAt: same},
		{ID: "696da1ab3455e32b9c1df802", CreatedAt: "2026-01-19T03:14:52Z"},
		{ID: "696da1ab3455e32b9c1df804", CreatedAt: "2026-01-19T03:14:50Z"},
	}
	sbx, srv := startSandbox(t, nil)
	// The sandbox sorts what it stores; serve the page in a scrambled order.
	body, err := json.Marshal(map[string]any{"results": jobs, "totalCount": len(jobs)})
	if err != nil {
		t.Fatal(err)
	}
	sbx.AddFault(rawFault(http.StatusOK, v2ContentType, body))

	list := listTestCluster(t, newTestClient(t, srv.URL))

	var got []string
	for _, j := range list.Jobs {
		got = append(got, str(j.ID))
	}
	want := []string{"696da1ab3455e32b9c1df802", "696da1ab3455e32b9c1df803", "696da1ab3455e32b9c1df801", "696da1ab3455e32b9c1df804"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// TestListExportJobs_shortPageEnds: a page with fewer jobs than asked for is
// the last one; nothing after it is requested.
func TestListExportJobs_shortPageEnds(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 250, 3)
	sbx, srv := startSandbox(t, generated)
	client := newTestClient(t, srv.URL, withPaging(100, 1))

	list := listTestCluster(t, client)

	assertJobsOnceInOrder(t, list.Jobs, generated)
	if got := pagesRequested(t, sbx); !reflect.DeepEqual(got, []int{1, 2, 3}) {
		t.Errorf("pages requested %v, want [1 2 3]: page 3 (50 jobs) ends the walk", got)
	}
}

// withTotalCount serves the sandbox but reports totalCount as report(actual)
// on every list page, or leaves it out when report returns a negative
// number. The sandbox always reports the true count, and totalCount is an
// estimate by the API's own words, so this wrapper stands in for Atlas
// getting it wrong.
func withTotalCount(next http.Handler, report func(actual int) int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var page map[string]json.RawMessage
		if rec.Code == http.StatusOK && strings.HasSuffix(r.URL.Path, "/backup/exports") && json.Unmarshal(body, &page) == nil {
			actual, err := strconv.Atoi(string(page["totalCount"]))
			if err != nil {
				http.Error(w, "the sandbox sent no totalCount", http.StatusInternalServerError)
				return
			}
			if reported := report(actual); reported >= 0 {
				page["totalCount"] = json.RawMessage(strconv.Itoa(reported))
			} else {
				delete(page, "totalCount")
			}
			body, _ = json.Marshal(page)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// TestListExportJobs_totalCountIsAnEstimate: the client goes on while pages
// come back full, so an under-reported (or missing) totalCount loses no job,
// and an over-reported one ends cleanly at the empty page after the short
// one.
func TestListExportJobs_totalCountIsAnEstimate(t *testing.T) {
	const jobs, perPage = 1234, 100 // 12 full pages, then 34 jobs on page 13
	cases := map[string]struct {
		report      func(int) int
		concurrency int
		wantTotal   int
		// pagesAtMost bounds the pages asked for: the estimate's pages may
		// be in flight when the short page arrives, no more.
		wantPages []int
		pagesUpTo int
	}{
		"under-reported, sequential":   {report: func(int) int { return 150 }, concurrency: 1, wantTotal: 150, wantPages: oneToN(13)},
		"under-reported, 8 in flight":  {report: func(int) int { return 150 }, concurrency: 8, wantTotal: 150, wantPages: oneToN(13)},
		"zero, 8 in flight":            {report: func(int) int { return 0 }, concurrency: 8, wantTotal: 0, wantPages: oneToN(13)},
		"missing, 8 in flight":         {report: func(int) int { return -1 }, concurrency: 8, wantTotal: -1, wantPages: oneToN(13)},
		"over by a page, sequential":   {report: func(n int) int { return n + 100 }, concurrency: 1, wantTotal: jobs + 100, wantPages: oneToN(14)},
		"over by a page, 8 in flight":  {report: func(n int) int { return n + 100 }, concurrency: 8, wantTotal: jobs + 100, pagesUpTo: 14},
		"over 100 times, sequential":   {report: func(n int) int { return 100 * n }, concurrency: 1, wantTotal: 100 * jobs, wantPages: oneToN(14)},
		"over 100 times, 8 in flight":  {report: func(n int) int { return 100 * n }, concurrency: 8, wantTotal: 100 * jobs, pagesUpTo: 13 + 8},
		"over 100 times, 4 in flight":  {report: func(n int) int { return 100 * n }, concurrency: 4, wantTotal: 100 * jobs, pagesUpTo: 13 + 4},
		"exactly right, 8 in flight":   {report: func(n int) int { return n }, concurrency: 8, wantTotal: jobs, wantPages: oneToN(13)},
		"exactly right, sequential":    {report: func(n int) int { return n }, concurrency: 1, wantTotal: jobs, wantPages: oneToN(13)},
		"estimate of one, 8 in flight": {report: func(int) int { return 1 }, concurrency: 8, wantTotal: 1, wantPages: oneToN(13)},
		// A server's number sizes nothing: two billion jobs allocate and
		// schedule no more than a real list of 1,234 does.
		"absurd, 8 in flight": {report: func(int) int { return 2_000_000_000 }, concurrency: 8, wantTotal: 2_000_000_000, pagesUpTo: 13 + 8},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, jobs, 11)
			sbx, _ := startSandbox(t, generated)
			srv := serve(t, withTotalCount(sbx, tc.report))
			client := newTestClient(t, srv.URL, withPaging(perPage, tc.concurrency))

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, generated)
			if list.TotalCount != tc.wantTotal || list.Walks != 1 {
				t.Errorf("TotalCount, Walks = %d, %d; want %d, 1", list.TotalCount, list.Walks, tc.wantTotal)
			}
			got := pagesRequested(t, sbx)
			switch {
			case tc.wantPages != nil:
				if !reflect.DeepEqual(got, tc.wantPages) {
					t.Errorf("pages requested %v, want %v", got, tc.wantPages)
				}
			default:
				if !reflect.DeepEqual(got[:13], oneToN(13)) || got[len(got)-1] > tc.pagesUpTo || hasDuplicates(got) {
					t.Errorf("pages requested %v, want 1..13 once each and none after page %d", got, tc.pagesUpTo)
				}
			}
		})
	}
}

func hasDuplicates(sorted []int) bool {
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return true
		}
	}
	return false
}

// TestListExportJobs_jobsCreatedWhilePaging: jobs created after page 1 shift
// every later page; the client notices, reads the list again, and returns
// every job once: the original ones and the new ones.
func TestListExportJobs_jobsCreatedWhilePaging(t *testing.T) {
	for _, concurrency := range []int{1, 8} {
		t.Run(fmt.Sprintf("%d in flight", concurrency), func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, 1234, 5)
			sbx, srv := startSandbox(t, generated)
			created := newerJobs(t, 3, 99)
			sbx.InsertAfterPage(testProject, testCluster, 1, created...)
			client := newTestClient(t, srv.URL, withPaging(100, concurrency))

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, append(generated, created...))
			if list.Walks != 2 || list.TotalCount != 1237 {
				t.Errorf("Walks, TotalCount = %d, %d; want 2, 1237", list.Walks, list.TotalCount)
			}
		})
	}
}

// TestListExportJobs_keepsChangingFails: when every walk sees new jobs, the
// client gives up with ErrInconsistentList instead of returning a list that
// may miss or repeat jobs.
func TestListExportJobs_keepsChangingFails(t *testing.T) {
	sbx, srv := startSandbox(t, sandbox.GenerateJobs(testCluster, 250, 5))
	// Hooks fire once, on the first serving of their page. With 100 jobs a
	// page and one page at a time, walk k reads pages 1..2k+1 (the estimate
	// grows by two pages each time): the hook of page 1 changes walk 1, the
	// hook of page 2k changes walk k before its page 2k+1 is read.
	for i, page := range []int{1, 4, 6, 8, 10, 12} {
		sbx.InsertAfterPage(testProject, testCluster, page, newerJobs(t, 200, uint64(100+i))...)
	}
	client := newTestClient(t, srv.URL, withPaging(100, 1))

	list, err := client.ListExportJobs(context.Background(), testProject, testCluster)

	if !errors.Is(err, ErrInconsistentList) {
		t.Fatalf("got %v, %v; want ErrInconsistentList", list, err)
	}
	if !strings.Contains(err.Error(), testCluster) {
		t.Errorf("error %q does not name the cluster", err)
	}
}

// TestListExportJobs_concurrencyBound: pages are read in parallel, never more
// than MaxConcurrentRequests at once; with 1 they are read one by one.
func TestListExportJobs_concurrencyBound(t *testing.T) {
	cases := map[string]struct {
		concurrency     int
		wantMin, wantAt int
	}{
		"1 in flight": {concurrency: 1, wantMin: 1, wantAt: 1},
		"4 in flight": {concurrency: 4, wantMin: 2, wantAt: 4},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, 40, 5)
			sbx, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.Latency = 20 * time.Millisecond })
			// Two jobs a page (about 1.5 kB) keep each answer under the
			// server's 2 KiB response buffer, so that it leaves only once
			// the sandbox has counted the request as finished; a larger
			// page could reach the client, which then starts the next
			// request, a moment before that.
			client := newTestClient(t, srv.URL, withPaging(2, tc.concurrency))

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, generated)
			if got := sbx.MaxInFlight(); got < tc.wantMin || got > tc.wantAt {
				t.Errorf("at most %d requests were in flight; want %d to %d", got, tc.wantMin, tc.wantAt)
			}
		})
	}
}

// TestListExportJobs_apiVersionsAgree: the deprecated v1.0 API gives the same
// jobs as v2 for every seeded cluster, asked for at /api/atlas/v1.0 with
// Accept: application/json.
func TestListExportJobs_apiVersionsAgree(t *testing.T) {
	sbx := sandbox.New()
	srv := serve(t, sbx)
	v2 := newTestClient(t, srv.URL)
	v1 := newTestClient(t, srv.URL, func(cfg *Config) { cfg.APIVersion = APIVersionV1 })
	ctx := context.Background()
	for _, cluster := range []string{sandbox.ClusterReplicaSet, sandbox.ClusterSharded, sandbox.ClusterGenerated, sandbox.ClusterEmpty} {
		t.Run(cluster, func(t *testing.T) {
			sbx.ResetRequests()
			fromV2, err := v2.ListExportJobs(ctx, sandbox.ProjectID, cluster)
			if err != nil {
				t.Fatalf("v2: %v", err)
			}
			v2Requests := attempts(sbx)
			sbx.ResetRequests()
			fromV1, err := v1.ListExportJobs(ctx, sandbox.ProjectID, cluster)
			if err != nil {
				t.Fatalf("v1.0: %v", err)
			}
			if !reflect.DeepEqual(fromV1, fromV2) {
				t.Errorf("v1.0 and v2 differ:\nv1.0 %s\nv2   %s", jsonText(fromV1), jsonText(fromV2))
			}
			if len(fromV2.Jobs) == 0 && cluster != sandbox.ClusterEmpty {
				t.Errorf("no jobs read from %s", cluster)
			}
			// Every job reads alike on its own too.
			for _, job := range fromV2.Jobs[:min(len(fromV2.Jobs), 3)] {
				one1, err1 := v1.GetExportJob(ctx, sandbox.ProjectID, cluster, str(job.ID))
				if err1 != nil || !reflect.DeepEqual(*one1, job) {
					t.Errorf("v1.0 GetExportJob %s: %s (%v), listed %s", str(job.ID), jsonText(one1), err1, jsonText(job))
				}
			}
			assertRequestsSpeak(t, attempts(sbx), "/api/atlas/v1.0/", MediaTypeV1)
			assertRequestsSpeak(t, v2Requests, "/api/atlas/v2/", MediaTypeV2)
		})
	}
}

func assertRequestsSpeak(t *testing.T, requests []sandbox.Request, pathPrefix, accept string) {
	t.Helper()
	if len(requests) == 0 {
		t.Errorf("no requests to %s", pathPrefix)
	}
	for _, r := range requests {
		if !strings.HasPrefix(r.Path, pathPrefix) || r.Accept != accept || r.Status != http.StatusOK {
			t.Errorf("request %s with Accept %q got %d; want a path under %s with Accept %q answered 200", r.Path, r.Accept, r.Status, pathPrefix, accept)
		}
	}
}

// olderJobs are n jobs created a year before every job GenerateJobs makes,
// so that Atlas's order lists them last.
func olderJobs(t *testing.T, n int, seed uint64) []sandbox.Job {
	t.Helper()
	jobs := sandbox.GenerateJobs(testCluster, n, seed)
	for i := range jobs {
		jobs[i].CreatedAt = parseTime(t, &jobs[i].CreatedAt).Add(-365 * 24 * time.Hour).Format(time.RFC3339)
	}
	return jobs
}

// TestListExportJobs_anyOrder: whatever order the server lists the jobs in
// (the contract promises none), the client returns each job once, newest
// first.
func TestListExportJobs_anyOrder(t *testing.T) {
	for _, order := range []sandbox.JobOrder{sandbox.NewestFirst, sandbox.OldestFirst, sandbox.Shuffled} {
		for _, concurrency := range []int{1, 8} {
			t.Run(fmt.Sprintf("%s, %d in flight", order, concurrency), func(t *testing.T) {
				generated := sandbox.GenerateJobs(testCluster, 1234, 12)
				_, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.JobOrder = order })

				list := listTestCluster(t, newTestClient(t, srv.URL, withPaging(100, concurrency)))

				assertJobsOnceInOrder(t, list.Jobs, generated)
				if list.Walks != 1 {
					t.Errorf("Walks = %d, want 1", list.Walks)
				}
			})
		}
	}
}

// TestListExportJobs_jobsOnAPageReadAheadAfterTheEnd: pages asked for ahead
// of the walk are read after the short page that ends the list; when one of
// them holds jobs, the list was longer at another moment of the walk, and it
// is read again. Here 100 jobs are created, listed after every other job,
// right after page 3 (the short one) is served, and page 4 is served only
// after that.
func TestListExportJobs_jobsOnAPageReadAheadAfterTheEnd(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 250, 13)
	created := olderJobs(t, 100, 14)
	sbx, _ := startSandbox(t, generated, func(s *sandbox.Server) {
		s.EstimateTotalCount = func(int, int) int { return 800 } // pages 1 to 8 are asked for together
	})
	sbx.InsertAfterPage(testProject, testCluster, 3, created...)
	page3Served := make(chan struct{})
	var once sync.Once
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch page := r.URL.Query().Get("pageNum"); {
		case page == "4" && r.Header.Get("Authorization") != "":
			<-page3Served
			sbx.ServeHTTP(w, r)
		case page == "3" && r.Header.Get("Authorization") != "":
			sbx.ServeHTTP(w, r)
			once.Do(func() { close(page3Served) })
		default:
			sbx.ServeHTTP(w, r)
		}
	}))

	list := listTestCluster(t, newTestClient(t, srv.URL, withPaging(100, 8)))

	assertJobsOnceInOrder(t, list.Jobs, append(slices.Clone(generated), created...))
	if list.Walks != 2 {
		t.Errorf("Walks = %d, want 2: page 4 had jobs after the short page 3", list.Walks)
	}
}

// TestListExportJobs_jobRemovedWhilePaging shows what the walk makes of a
// job that disappears between two pages (the contract has no operation that
// deletes one): removed from page 1 after page 1 was read, it is listed,
// and the first job of page 2 moves up onto page 1, already read, and is
// missing. No id repeats, so nothing shows the change; the next read lists
// every job that remains.
func TestListExportJobs_jobRemovedWhilePaging(t *testing.T) {
	generated := sandbox.GenerateJobs(testCluster, 250, 15)
	order := sandboxOrder(generated)
	sbx, srv := startSandbox(t, generated)
	sbx.RemoveAfterPage(testProject, testCluster, 1, order[10])
	client := newTestClient(t, srv.URL, withPaging(100, 1))

	list := listTestCluster(t, client)

	want := append(slices.Clone(order[:100]), order[101:]...)
	if got := listedIDs(list); !slices.Equal(got, want) || list.Walks != 1 {
		t.Errorf("listed %d jobs in %d walks; want the removed job listed and job %d (%s) missing, in 1 walk",
			len(got), list.Walks, 100, order[100])
	}
	again := listTestCluster(t, client)
	if got := listedIDs(again); !slices.Equal(got, slices.Delete(slices.Clone(order), 10, 11)) {
		t.Errorf("the next read listed %d jobs, want the %d that remain", len(got), len(order)-1)
	}
}

// TestListExportJobs_serverCapsPages: a server that answers 100 jobs a page
// when asked for 500 says so with page 1's totalCount; the client reads the
// rest at the server's size and returns every job, not the first page.
func TestListExportJobs_serverCapsPages(t *testing.T) {
	for _, concurrency := range []int{1, 8} {
		t.Run(fmt.Sprintf("%d in flight", concurrency), func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, 1234, 5)
			_, srv := startSandbox(t, generated, func(s *sandbox.Server) { s.MaxItemsPerPage = 100 })
			client := newTestClient(t, srv.URL, withPaging(500, concurrency))

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, generated)
		})
	}
}

// TestListExportJobs_overEstimateEndsAtAnEmptyPage: Atlas paging as asked,
// whose totalCount says more than the list holds, ends at the first empty
// page: a short page and an estimate that disagree are settled by the ids.
func TestListExportJobs_overEstimateEndsAtAnEmptyPage(t *testing.T) {
	for name, jobs := range map[string]int{"short page 1": 50, "short page 3": 250} {
		t.Run(name, func(t *testing.T) {
			generated := sandbox.GenerateJobs(testCluster, jobs, 5)
			sbx, _ := startSandbox(t, generated)
			srv := serve(t, withTotalCount(sbx, func(n int) int { return n + 1000 }))
			client := newTestClient(t, srv.URL, withPaging(100, 1))

			list := listTestCluster(t, client)

			assertJobsOnceInOrder(t, list.Jobs, generated)
		})
	}
}

// TestListExportJobs_shortPagesFailSayingWhatWasSeen: a server whose page 1
// stays short of its own totalCount at the size it showed is not returned as
// a list: the error says what was asked, got and counted.
func TestListExportJobs_shortPagesFailSayingWhatWasSeen(t *testing.T) {
	sbx, _ := startSandbox(t, sandbox.GenerateJobs(testCluster, 1234, 5))
	halves := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, _ := strconv.Atoi(q.Get("itemsPerPage"))
		q.Set("itemsPerPage", strconv.Itoa(max(n/2, 1)))
		r.URL.RawQuery = q.Encode()
		sbx.ServeHTTP(w, r)
	})
	client := newTestClient(t, serve(t, halves).URL, withServiceAccount, withPaging(500, 1))

	_, err := client.ListExportJobs(t.Context(), testProject, testCluster)

	want := "asked 250 jobs a page, got 125 on page 1, and its totalCount is 1234"
	if !errors.Is(err, ErrShortPages) || !strings.Contains(fmt.Sprint(err), want) {
		t.Errorf("got %v, want ErrShortPages saying %q", err, want)
	}
}
