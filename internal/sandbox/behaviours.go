package sandbox

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
)

// This file holds behaviours of stricter or odder servers than the sandbox's
// default, all within what the contract allows: jobs listed in another order
// than Atlas's, a totalCount estimate that is off and moves between pages, a
// cache in front of Atlas that ignores the query string, and a per-key limit
// on requests in flight.

// Behaviours of the list operation and of rate limiting. Like the Server's
// other fields, they are set before the server starts serving.
type Behaviours struct {
	// JobOrder is the order in which the list operation serves the jobs of
	// every cluster (default NewestFirst, as Atlas does).
	JobOrder JobOrder
	// EstimateTotalCount, when set, reports totalCount as
	// EstimateTotalCount(pageNum, actual) on each list page instead of the
	// actual count (the API calls it an estimate); a negative result leaves
	// totalCount out of the page. It must be deterministic per page.
	EstimateTotalCount func(pageNum, actual int) int
	// MaxItemsPerPage, when positive, serves at most this many jobs a page
	// whatever itemsPerPage asks, as a server or proxy that caps pages
	// may: pages are cut at the size served, totalCount stays the whole
	// count, and the links carry the size served.
	MaxItemsPerPage int
	// IgnorePageNum serves page 1 whatever pageNum asks for, as a caching
	// proxy that ignores the query string would.
	IgnorePageNum bool
	// MaxInFlightPerKey, when positive, answers 429 (errorCode RATE_LIMITED,
	// with Retry-After) to a request that would make more than this many
	// requests of one API key or service account in flight at once. Digest
	// challenges (requests without credentials) are not counted.
	MaxInFlightPerKey int
	// RateLimitRetryAfter is the Retry-After of those 429s, "1" when empty.
	RateLimitRetryAfter string
}

// JobOrder is an order of a cluster's jobs in the list operation. The
// contract promises none, so the client sorts the list itself; the sandbox
// can serve every order a client must cope with.
type JobOrder int

// The orders the sandbox serves.
const (
	// NewestFirst is Atlas's order: createdAt descending, ties by ID
	// descending. A job created while a client pages lands on page 1.
	NewestFirst JobOrder = iota
	// OldestFirst is createdAt ascending, ties by ID ascending: a job
	// created while a client pages lands on the last page.
	OldestFirst
	// Shuffled is a fixed pseudo-random order (by a hash of each ID): the
	// same on every page and every run, and a job created while a client
	// pages lands anywhere in it.
	Shuffled
)

// jobOrderNames are the names ParseJobOrder takes, by order.
var jobOrderNames = map[JobOrder]string{NewestFirst: "newest", OldestFirst: "oldest", Shuffled: "shuffled"}

// ParseJobOrder reads the name of an order: newest, oldest or shuffled.
func ParseJobOrder(name string) (JobOrder, error) {
	for order, n := range jobOrderNames {
		if n == name {
			return order, nil
		}
	}
	return 0, fmt.Errorf("job order %q is not one of newest, oldest, shuffled", name)
}

func (o JobOrder) String() string { return jobOrderNames[o] }

// ordered returns a cluster's jobs, stored newest first, in the order o.
func (o JobOrder) ordered(newestFirst []Job) []Job {
	switch o {
	case OldestFirst:
		jobs := slices.Clone(newestFirst)
		slices.Reverse(jobs)
		return jobs
	case Shuffled:
		jobs := slices.Clone(newestFirst)
		slices.SortFunc(jobs, func(a, b Job) int {
			return cmp.Or(cmp.Compare(idHash(a.ID), idHash(b.ID)), strings.Compare(a.ID, b.ID))
		})
		return jobs
	}
	return newestFirst
}

func idHash(id string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return h.Sum64()
}

// JitteredEstimate is an EstimateTotalCount that is off by up to spread
// either way, differently on each page: too high on some, too low on
// others, shrinking and growing between pages over a list that does not
// change.
func JitteredEstimate(spread int) func(pageNum, actual int) int {
	return func(pageNum, actual int) int {
		// A fixed permutation of offsets, so that neighbouring pages differ.
		offset := (pageNum*7919)%(2*spread+1) - spread
		return max(actual+offset, 0)
	}
}

// reportedTotal is the totalCount to put on a list page, nil to leave it out.
func (s *Server) reportedTotal(pageNum, actual int) *int {
	if s.EstimateTotalCount == nil {
		return &actual
	}
	if reported := s.EstimateTotalCount(pageNum, actual); reported >= 0 {
		return &reported
	}
	return nil
}

// RateLimited counts the 429s MaxInFlightPerKey has answered.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rateLimited
}

// MaxInFlightOfAKey is the largest number of requests of one key or service
// account the sandbox has had in flight at once (counted until their answers
// start, as MaxInFlightPerKey counts them).
func (s *Server) MaxInFlightOfAKey() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxKeyInFlight
}

// enterKey counts a request of the key it claims (before the credentials are
// verified: a request is in flight from its arrival, its latency included)
// and reports whether it is over MaxInFlightPerKey. leave ends the count;
// it may be called more than once.
func (s *Server) enterKey(r *http.Request) (leave func(), over bool) {
	key := s.claimedKey(r.Header.Get("Authorization"))
	if key == "" {
		return func() {}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keyInFlight[key]++
	n := s.keyInFlight[key]
	s.maxKeyInFlight = max(s.maxKeyInFlight, n)
	left := false
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if !left {
			left = true
			s.keyInFlight[key]--
		}
	}, s.MaxInFlightPerKey > 0 && n > s.MaxInFlightPerKey
}

// claimedKey is the identity an Authorization header claims: the digest
// user name, or the service account a bearer token was issued to.
func (s *Server) claimedKey(header string) string {
	switch {
	case strings.HasPrefix(header, "Digest "):
		if user := parseDigestParams(strings.TrimPrefix(header, "Digest "))["username"]; user != "" {
			return "key:" + user
		}
	case strings.HasPrefix(header, "Bearer "):
		s.mu.Lock()
		defer s.mu.Unlock()
		if issued := s.tokens[strings.TrimPrefix(header, "Bearer ")]; issued.clientID != "" {
			return "service account:" + issued.clientID
		}
	}
	return ""
}

// answerRateLimited answers 429 as Atlas does.
func (s *Server) answerRateLimited(w http.ResponseWriter) {
	s.mu.Lock()
	s.rateLimited++
	s.mu.Unlock()
	retryAfter := s.RateLimitRetryAfter
	if retryAfter == "" {
		retryAfter = "1"
	}
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusTooManyRequests, "RATE_LIMITED",
		fmt.Sprintf("More than %d requests of this API key are in flight at once. Retry later.", s.MaxInFlightPerKey))
}
