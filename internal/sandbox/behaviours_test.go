package sandbox

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

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
