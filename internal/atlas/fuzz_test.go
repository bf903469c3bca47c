package atlas

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecodePage feeds arbitrary bodies to the page decoder, seeded with
// the answers in testdata/ and, when the reference material is present,
// every recorded Atlas answer and the documentation page's examples. It never
// panics; a body it rejects gives a *ResponseBodyError with a bounded
// snippet; a body it accepts decodes again, once re-encoded, to an equal
// page. `go test` runs the seeds; `make fuzz-test` explores from them.
func FuzzDecodePage(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fx.body(f))
	}
	if sharedPresent() {
		for _, rec := range readRecordings(f) {
			f.Add(rec.body)
		}
		for _, example := range docPageExamples(f) {
			f.Add(example)
		}
	}
	f.Add([]byte(`{"results":[],"totalCount":0}`))
	f.Add([]byte(`{"results":[{"customData":null,"components":[{}],"exportStatus":{}}]}`))
	f.Add([]byte(`{"totalCount":3}`))
	f.Add([]byte(`null`))

	f.Fuzz(func(t *testing.T, body []byte) {
		page, err := decodePage(body)
		if err != nil {
			var bodyErr *ResponseBodyError
			if !errors.As(err, &bodyErr) {
				t.Fatalf("error %v is a %T, want a *ResponseBodyError", err, err)
			}
			if n := utf8.RuneCountInString(bodyErr.BodySnippet); n > snippetLength {
				t.Fatalf("the snippet has %d characters, more than %d", n, snippetLength)
			}
			if !bytes.HasPrefix(body, []byte(bodyErr.BodySnippet)) {
				t.Fatalf("the snippet %q is not the start of the body", bodyErr.BodySnippet)
			}
			_ = err.Error()
			return
		}
		encoded, err := json.Marshal(page)
		if err != nil {
			t.Fatalf("a decoded page does not encode: %v", err)
		}
		again, err := decodePage(encoded)
		if err != nil {
			t.Fatalf("the re-encoded page %s does not decode: %v", encoded, err)
		}
		if !reflect.DeepEqual(page, again) {
			t.Fatalf("decode, encode, decode changed the page:\n%s\nthen\n%s", jsonText(page), jsonText(again))
		}
	})
}

// decodePage runs body through decodeBody as the client does with a 200
// answer of the list operation.
func decodePage(body []byte) (*exportJobPage, error) {
	resp := &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {v2ContentType}},
		Body:       io.NopCloser(bytes.NewReader(body)),
	}
	var page exportJobPage
	if err := decodeBody(resp, &page); err != nil {
		return nil, err
	}
	return &page, nil
}
