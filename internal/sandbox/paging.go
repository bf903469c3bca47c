package sandbox

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

// This file serves the list operation: pages, links, and jobs inserted or
// removed between the pages of a walk.

// InsertAfterPage inserts jobs into a cluster right after the sandbox has
// served the given page of it for the first time: the jobs appear between
// two pages of a client's walk.
func (s *Server) InsertAfterPage(projectID, cluster string, page int, jobs ...Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterPage = append(s.afterPage, &pageHook{key: projectID + "/" + cluster, page: page, insert: jobs})
}

// RemoveAfterPage removes the jobs with the given IDs from a cluster right
// after the sandbox has served the given page of it for the first time. The
// contract has no operation that deletes an export job; this shows what a
// client would make of one that disappeared between two pages.
func (s *Server) RemoveAfterPage(projectID, cluster string, page int, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterPage = append(s.afterPage, &pageHook{key: projectID + "/" + cluster, page: page, remove: ids})
}

type pageHook struct {
	key    string
	page   int
	insert []Job
	remove []string
	done   bool
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request, rt route) {
	if !checkV2Accept(w, r, rt) {
		return
	}
	q := r.URL.Query()
	// The list operation declares no 400, and Atlas's answer to a paging
	// parameter out of range is not on record: the contract's 400 example
	// code, with the parameter and its value. Clients check both first.
	pageNum, ok := intParam(q, "pageNum", 1, 1<<30)
	if !ok {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Invalid pageNum %q: it must be an integer of at least 1.", q.Get("pageNum")), "pageNum", q.Get("pageNum"))
		return
	}
	itemsPerPage, ok := intParam(q, "itemsPerPage", 100, 500)
	if !ok {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR",
			fmt.Sprintf("Invalid itemsPerPage %q: it must be an integer from 1 to 500.", q.Get("itemsPerPage")), "itemsPerPage", q.Get("itemsPerPage"))
		return
	}
	if s.IgnorePageNum {
		pageNum = 1
	}
	if s.MaxItemsPerPage > 0 {
		itemsPerPage = min(itemsPerPage, s.MaxItemsPerPage)
	}
	key := rt.projectID + "/" + rt.cluster
	s.mu.Lock()
	jobs, found := s.clusters[key]
	jobs = s.JobOrder.ordered(jobs)
	var page any
	total := len(jobs)
	if found {
		start := min((pageNum-1)*itemsPerPage, total)
		page = servedPage(jobs[start:min(start+itemsPerPage, total)])
		s.runPageHooksLocked(key, pageNum)
	}
	s.mu.Unlock()
	if !found {
		s.notFound(w, rt)
		return
	}
	body := struct {
		Links      []link `json:"links"`
		Results    any    `json:"results"`
		TotalCount *int   `json:"totalCount,omitempty"`
	}{Links: pageLinks(r, pageNum, itemsPerPage, total), Results: page, TotalCount: s.reportedTotal(pageNum, total)}
	writeJSON(w, http.StatusOK, contentType(rt), body)
}

func (s *Server) runPageHooksLocked(key string, pageNum int) {
	for _, h := range s.afterPage {
		if !h.done && h.key == key && h.page == pageNum {
			h.done = true
			s.insertLocked(key, h.insert)
			s.clusters[key] = slices.DeleteFunc(s.clusters[key], func(j Job) bool { return slices.Contains(h.remove, j.ID) })
		}
	}
}

type link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

func pageLinks(r *http.Request, pageNum, itemsPerPage, total int) []link {
	href := func(n int) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		if r.TLS != nil {
			u.Scheme = "https"
		}
		u.RawQuery = fmt.Sprintf("includeCount=true&pageNum=%d&itemsPerPage=%d", n, itemsPerPage)
		return u.String()
	}
	links := []link{}
	if pageNum > 1 {
		links = append(links, link{Href: href(pageNum - 1), Rel: "previous"})
	}
	links = append(links, link{Href: href(pageNum), Rel: "self"})
	if pageNum*itemsPerPage < total {
		links = append(links, link{Href: href(pageNum + 1), Rel: "next"})
	}
	return links
}

// intParam reads a positive integer parameter: def when absent, false
// when not an integer from 1 to hi.
func intParam(q url.Values, name string, def, hi int) (int, bool) {
	raw := q.Get(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > hi {
		return 0, false
	}
	return n, true
}
