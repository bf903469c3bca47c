package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// Fault scripts a failure. A fault matches requests by cluster and page, or
// by export bucket (the zero values match any) after they have
// authenticated, or token requests when TokenEndpoint is set, and fires Times
// times (0: for ever).
type Fault struct {
	// Cluster and Page match export job requests only.
	Cluster string
	Page    int
	// ExportBucketID matches only GETs of that export bucket.
	ExportBucketID string
	// TokenEndpoint matches the service account token requests (POST
	// /api/oauth/token) instead. A Status of 429 there answers as Atlas
	// does past its token rate limit; Body and ContentType can give
	// OAuth's own error shape, such as {"error":"invalid_client"}.
	TokenEndpoint bool
	Times         int

	// Hang holds the answer this long, or until the client gives up. With
	// nothing else set, the normal answer follows.
	Hang time.Duration
	// Status answers with this status: Atlas's error envelope (ErrorCode,
	// defaulted from the status), or Body with ContentType when set, or a
	// proxy's HTML page when HTML is set.
	Status      int
	ErrorCode   string
	RetryAfter  string
	HTML        bool
	Body        string
	ContentType string
	// Truncate sends the normal 200 answer's headers and only half of its
	// body, then drops the connection.
	Truncate bool
	// ProjectID, when set, narrows the fault to that project's requests.
	ProjectID string
	// Every makes the fault fire on every Every-th request it matches only
	// (1 or 0: on each), as a rate limit that lets the others through does.
	Every int

	fired   int
	matched int
}

// AddFault scripts a fault; faults are tried in the order they were added.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every scripted fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// FaultsFired counts how often scripted faults have fired.
func (s *Server) FaultsFired() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.faults {
		n += f.fired
	}
	return n
}

func (s *Server) nextFault(r *http.Request, rt route) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	tokenRequest := r.URL.Path == tokenPath
	for _, f := range s.faults {
		if f.TokenEndpoint != tokenRequest || (f.Times > 0 && f.fired >= f.Times) {
			continue
		}
		if f.Cluster != "" && f.Cluster != rt.cluster { // a bucket route has no cluster
			continue
		}
		if f.ExportBucketID != "" && f.ExportBucketID != rt.bucketID {
			continue
		}
		if f.Page != 0 {
			page, _ := intParam(r.URL.Query(), "pageNum", 1, 1<<30)
			if page != f.Page || rt.exportID != "" || rt.bucketID != "" {
				continue
			}
		}
		if f.ProjectID != "" && f.ProjectID != rt.projectID {
			continue
		}
		if f.Every > 1 {
			f.matched++
			if f.matched%f.Every != 0 {
				continue
			}
		}
		f.fired++
		copied := *f
		return &copied
	}
	return nil
}

// applyFault answers with the next matching fault and reports whether it
// did; false lets the normal answer go out.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, rt route) bool {
	f := s.nextFault(r, rt)
	if f == nil {
		return false
	}
	if f.Hang > 0 {
		select {
		case <-time.After(f.Hang):
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.Truncate:
		s.serveTruncated(w, r, rt)
		return true
	case f.Status == 0:
		return false
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case f.HTML:
		writeRaw(w, f.Status, "text/html; charset=utf-8", proxyPage(f.Status))
	case f.Body != "":
		writeRaw(w, f.Status, f.ContentType, f.Body)
	case r.URL.Path == tokenPath && f.Status == http.StatusTooManyRequests && f.ErrorCode == "":
		// The answer Atlas gives past its token rate limit.
		writeJSON(w, f.Status, contentTypeError, map[string]any{
			"detail": "Resource " + tokenPath + " is limited to 50 requests every 1 minutes.", "error": f.Status,
			"errorCode": "RATE_LIMITED", "parameters": []any{tokenPath, 50, 1}, "reason": http.StatusText(f.Status),
		})
	default:
		code := f.ErrorCode
		if code == "" {
			code = defaultErrorCode(f.Status)
		}
		writeError(w, f.Status, code, "Scripted by the sandbox: "+http.StatusText(f.Status)+".")
	}
	return true
}

// serveTruncated renders the normal answer, then sends its full
// Content-Length but only half its bytes: the server closes the connection
// when the handler returns short, and the client sees the body cut off.
func (s *Server) serveTruncated(w http.ResponseWriter, r *http.Request, rt route) {
	rec := httptest.NewRecorder()
	switch {
	case rt.bucketID != "":
		s.serveBucket(rec, r, rt)
	case rt.exportID != "":
		s.serveJob(rec, r, rt)
	default:
		s.serveList(rec, r, rt)
	}
	body := rec.Body.Bytes()
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body[:len(body)/2])
	if flusher, ok := w.(http.Flusher); ok {
		flusher.Flush()
	}
}

func writeRaw(w http.ResponseWriter, status int, contentType, body string) {
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func proxyPage(status int) string {
	text := strconv.Itoa(status) + " " + http.StatusText(status)
	return "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// defaultErrorCode is the errorCode of a scripted status when the fault
// names none: only codes on record (the recordings, the codes Atlas was seen
// to send) or in the contract's examples. Atlas's codes for 502, 503 and 504
// are not on record (a proxy usually answers those: set HTML), so they get
// the contract's 500 example, as any other status does.
func defaultErrorCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "USER_UNAUTHORIZED"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	case http.StatusForbidden:
		return "IP_ADDRESS_NOT_ON_ACCESS_LIST"
	case http.StatusNotFound:
		return "RESOURCE_NOT_FOUND"
	case http.StatusBadRequest:
		return "VALIDATION_ERROR"
	}
	return "UNEXPECTED_ERROR"
}
