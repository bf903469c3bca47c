package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// This file writes answers: JSON bodies, Atlas's error envelope, and the
// status recorder behind Requests.

func writeJSON(w http.ResponseWriter, status int, contentType string, body any) {
	// Atlas does not escape & < > in its JSON (its links carry query strings).
	data, err := encodeUnescaped(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// encodeUnescaped encodes v as Atlas does, without escaping & < >.
func encodeUnescaped(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeError answers in Atlas's error envelope. parameters are the values
// the error is about, as Atlas gives them (the recorded 400 has the cluster
// name); never null.
func writeError(w http.ResponseWriter, status int, code, detail string, parameters ...any) {
	if parameters == nil {
		parameters = []any{}
	}
	writeJSON(w, status, contentTypeError, map[string]any{
		"detail": detail, "error": status, "errorCode": code, "parameters": parameters, "reason": http.StatusText(status),
	})
}

// writeUnauthenticated is the 401 of a request whose credentials are
// missing or wrong. No recording holds one; issue 19 reports that Atlas's
// has no errorCode, so this is the contract's ApiError with error, reason
// and detail only (the detail's wording is not on record).
func writeUnauthenticated(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, contentTypeError, map[string]any{
		"detail": "You are not authorized for this resource.", "error": http.StatusUnauthorized, "reason": http.StatusText(http.StatusUnauthorized),
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	// onStatus runs once the status is known, before it is sent.
	onStatus func()
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
		if w.onStatus != nil {
			w.onStatus()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (to cut it).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
