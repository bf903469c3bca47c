package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// serve starts s for one test.
func serve(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

// TestServer_estimateAndIgnoredPageNum: EstimateTotalCount replaces (or
// removes) totalCount page by page, and IgnorePageNum serves page 1 for
// every pageNum.
func TestServer_estimateAndIgnoredPageNum(t *testing.T) {
	s, srv := startSeeded(t, func(s *Server) {
		s.EstimateTotalCount = func(pageNum, actual int) int {
			if pageNum == 3 {
				return -1
			}
			return actual + pageNum
		}
	})
	client := digestClient()
	list := srv.URL + exportsPath("v2", ProjectID, ClusterGenerated) + "?itemsPerPage=100&pageNum="
	for page, want := range map[string]any{"1": float64(GeneratedJobs + 1), "2": float64(GeneratedJobs + 2), "3": nil} {
		_, body := get(t, client, list+page)
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
		if got := raw["totalCount"]; got != want {
			t.Errorf("page %s: totalCount %v, want %v", page, got, want)
		}
	}

	s.IgnorePageNum = true // no request is in flight
	_, first := get(t, client, list+"1")
	_, fifth := get(t, client, list+"5")
	if p1, p5 := decodePage(t, first), decodePage(t, fifth); len(p5.Results) != 100 || p5.Results[0].ID != p1.Results[0].ID {
		t.Errorf("with IgnorePageNum, page 5 starts with %q, page 1 with %q; want page 1 twice", p5.Results[0].ID, p1.Results[0].ID)
	}
}

// TestJitteredEstimate: the estimate moves between pages, both ways, within
// its spread.
func TestJitteredEstimate(t *testing.T) {
	estimate := JitteredEstimate(5)
	low, high := false, false
	for page := 1; page <= 20; page++ {
		got := estimate(page, 1000)
		if got < 995 || got > 1005 {
			t.Errorf("page %d: %d is not within 5 of 1000", page, got)
		}
		low, high = low || got < 1000, high || got > 1000
		if page > 1 && got == estimate(page-1, 1000) {
			t.Errorf("pages %d and %d have the same estimate %d", page-1, page, got)
		}
	}
	if !low || !high {
		t.Errorf("the estimate was never below (%v) or never above (%v) the count", low, high)
	}
}

// TestServer_maxInFlightPerKey: requests of one key beyond the limit get
// Atlas's 429 with Retry-After, and are counted.
func TestServer_maxInFlightPerKey(t *testing.T) {
	s, srv := startSeeded(t, func(s *Server) {
		s.Latency = 200 * time.Millisecond
		s.MaxInFlightPerKey = 2
	})
	client := digestClient() // its own challenge each time: every answer is authenticated
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			resp, body := get(t, client, srv.URL+exportsPath("v2", ProjectID, ClusterEmpty))
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests && (errorCode(t, body) != "RATE_LIMITED" || resp.Header.Get("Retry-After") != "1") {
				t.Errorf("429 with errorCode %q and Retry-After %q; want RATE_LIMITED and 1", errorCode(t, body), resp.Header.Get("Retry-After"))
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] < 2 || statuses[http.StatusTooManyRequests] == 0 || statuses[http.StatusOK]+statuses[http.StatusTooManyRequests] != 5 {
		t.Errorf("statuses %v; want at least 2 answered 200 and the others 429", statuses)
	}
	if s.RateLimited() != statuses[http.StatusTooManyRequests] {
		t.Errorf("RateLimited() = %d, want %d", s.RateLimited(), statuses[http.StatusTooManyRequests])
	}
	if got := s.MaxInFlightOfAKey(); got < 3 {
		t.Errorf("MaxInFlightOfAKey() = %d; five requests at once were in flight", got)
	}
}

// listAll reads every page of ClusterGenerated, 100 jobs a page, and
// returns the ids in the order served.
func listAll(t *testing.T, srv *httptest.Server) []string {
	t.Helper()
	client := digestClient()
	var ids []string
	for page := 1; ; page++ {
		_, body := get(t, client, fmt.Sprintf("%s%s?itemsPerPage=100&pageNum=%d", srv.URL, exportsPath("v2", ProjectID, ClusterGenerated), page))
		results := decodePage(t, body).Results
		for _, j := range results {
			ids = append(ids, j.ID)
		}
		if len(results) < 100 {
			return ids
		}
	}
}

// TestServer_jobOrder: every order serves each job once across the pages;
// newest first is Atlas's order, oldest first its reverse, and shuffled a
// fixed order that is neither and is the same on every read.
func TestServer_jobOrder(t *testing.T) {
	newest := func(s *Server) []string { return listAll(t, serve(t, s)) }
	atlasOrder := newest(New())
	if len(atlasOrder) != GeneratedJobs {
		t.Fatalf("%d jobs listed, want %d", len(atlasOrder), GeneratedJobs)
	}
	for i := 1; i < len(atlasOrder); i++ {
		// Generated ids start with their createdAt in seconds.
		if atlasOrder[i-1] < atlasOrder[i] {
			t.Fatalf("newest first: %s before %s", atlasOrder[i-1], atlasOrder[i])
		}
	}
	for name, tc := range map[string]struct {
		order JobOrder
		want  func(newestFirst []string) bool
	}{
		"oldest": {OldestFirst, func(ids []string) bool {
			reversed := slices.Clone(atlasOrder)
			slices.Reverse(reversed)
			return slices.Equal(ids, reversed)
		}},
		"shuffled": {Shuffled, func(ids []string) bool {
			reversed := slices.Clone(atlasOrder)
			slices.Reverse(reversed)
			return !slices.Equal(ids, atlasOrder) && !slices.Equal(ids, reversed) &&
				slices.Equal(slices.Sorted(slices.Values(ids)), slices.Sorted(slices.Values(atlasOrder)))
		}},
	} {
		t.Run(name, func(t *testing.T) {
			order, err := ParseJobOrder(name)
			if err != nil || order != tc.order || order.String() != name {
				t.Fatalf("ParseJobOrder(%q) = %v, %v", name, order, err)
			}
			s := New()
			s.JobOrder = tc.order
			srv := serve(t, s)
			first := listAll(t, srv)
			if !tc.want(first) {
				t.Errorf("served %d ids in an order that is not %s", len(first), name)
			}
			if again := listAll(t, srv); !slices.Equal(first, again) {
				t.Errorf("a second read served another order")
			}
		})
	}
	if order, err := ParseJobOrder("newest"); err != nil || order != NewestFirst {
		t.Errorf("ParseJobOrder(newest) = %v, %v", order, err)
	}
	if _, err := ParseJobOrder("random"); err == nil || !strings.Contains(err.Error(), "newest, oldest, shuffled") {
		t.Errorf("ParseJobOrder(random): %v", err)
	}
}

// TestServer_removeAfterPage: a job removed after page 1 is gone from every
// later page, which all move up by one.
func TestServer_removeAfterPage(t *testing.T) {
	s := New()
	srv := serve(t, s)
	before := listAll(t, srv)
	s.RemoveAfterPage(ProjectID, ClusterGenerated, 1, before[5])
	after := listAll(t, srv) // page 1 is served before the removal
	want := append(slices.Clone(before[:100]), before[101:]...)
	if !slices.Equal(after, want) {
		t.Errorf("after the removal: %d ids, want page 1 as it was and every later job one place up", len(after))
	}
	if again := listAll(t, srv); slices.Contains(again, before[5]) || len(again) != len(before)-1 {
		t.Errorf("the removed job is still listed, or another one went with it")
	}
}

// TestServer_logsRequestsAsTheyArrive: a request is in the log, and
// OnArrival has been called with it, while it is still waiting for its
// answer; its status is filled in when the answer starts.
func TestServer_logsRequestsAsTheyArrive(t *testing.T) {
	arrived := make(chan Request, 1)
	s, srv := startSeeded(t, func(s *Server) { s.OnArrival = func(r Request) { arrived <- r } })
	s.AddFault(Fault{ExportBucketID: BucketAWS, Hang: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/atlas/v2/groups/"+ProjectID+"/backup/exportBuckets/"+BucketAWS, nil)
		if err != nil {
			done <- err
			return
		}
		resp, err := digestClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if challenge, answer := <-arrived, <-arrived; challenge.Auth != "none" || answer.Auth != "digest" {
		t.Errorf("arrived with credentials %q, then %q; want none (the challenge), then digest (the answer, which hangs)", challenge.Auth, answer.Auth)
	}
	log := s.Requests()
	if len(log) != 2 || log[0].Status != http.StatusUnauthorized || log[1].Status != 0 {
		t.Errorf("while the answer hangs, the log holds %+v; want the challenge (401) and the hanging GET (status 0)", log)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the abandoned GET: %v", err)
	}
}

// TestServer_tokenEndpointFaults: a 429 of the token endpoint is Atlas's
// token rate limit envelope; a Body gives another shape, such as OAuth's.
func TestServer_tokenEndpointFaults(t *testing.T) {
	for name, tc := range map[string]struct {
		fault Fault
		want  map[string]any
	}{
		"429": {Fault{TokenEndpoint: true, Status: http.StatusTooManyRequests}, map[string]any{
			"detail": "Resource /api/oauth/token is limited to 50 requests every 1 minutes.", "error": float64(429),
			"errorCode": "RATE_LIMITED", "parameters": []any{"/api/oauth/token", float64(50), float64(1)}, "reason": "Too Many Requests",
		}},
		"OAuth's shape": {Fault{TokenEndpoint: true, Status: http.StatusUnauthorized, Body: `{"error":"invalid_client"}`, ContentType: "application/json"},
			map[string]any{"error": "invalid_client"}},
	} {
		t.Run(name, func(t *testing.T) {
			s, srv := startSeeded(t)
			s.AddFault(tc.fault)
			resp, err := http.PostForm(srv.URL+"/api/oauth/token", map[string][]string{"grant_type": {"client_credentials"}})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != tc.fault.Status || !reflect.DeepEqual(body, tc.want) {
				t.Errorf("%d %v (%v), want %d %v", resp.StatusCode, body, err, tc.fault.Status, tc.want)
			}
		})
	}
}
