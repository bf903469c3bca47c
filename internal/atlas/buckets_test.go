package atlas

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atlasexports/terraform-provider-atlasexports/internal/sandbox"
)

// seededBuckets serves the sandbox's seeded export buckets in testProject.
func seededBuckets(sbx *sandbox.Server) {
	sbx.SetExportBuckets(testProject, sandbox.SeededExportBuckets()...)
}

// bucketGETs are the authenticated GETs of one export bucket, in the order
// the sandbox answered them.
func bucketGETs(sbx *sandbox.Server, bucketID string) []sandbox.Request {
	var out []sandbox.Request
	for _, r := range attempts(sbx) {
		if strings.HasSuffix(r.Path, "/backup/exportBuckets/"+bucketID) {
			out = append(out, r)
		}
	}
	return out
}

// TestGetExportBucket_eachCloud: each cloud's bucket decodes with its own
// fields, read from v2 with the 2024-05-30 media type, also when the client
// speaks v1.0 for the export jobs.
func TestGetExportBucket_eachCloud(t *testing.T) {
	cases := map[string]struct {
		id   string
		want ExportBucket
	}{
		"AWS": {sandbox.BucketAWS, ExportBucket{
			ID: ptr(sandbox.BucketAWS), BucketName: ptr("atlas-exports-docs"), CloudProvider: ptr(CloudAWS),
			IAMRoleID: ptr("64b7e31bc1d2a3b4c5d6e900"), Region: ptr("us-east-1"), RequirePrivateNetworking: ptr(false),
		}},
		"GCP": {sandbox.BucketGCP, ExportBucket{
			ID: ptr(sandbox.BucketGCP), BucketName: ptr("atlas-exports-gcs"), CloudProvider: ptr(CloudGCP), RoleID: ptr("64b7e31bc1d2a3b4c5d6e901"),
		}},
		"Azure": {sandbox.BucketAzure, ExportBucket{
			ID: ptr(sandbox.BucketAzure), BucketName: ptr("exportcontainer"), CloudProvider: ptr(CloudAzure),
			RoleID: ptr("64b7e31bc1d2a3b4c5d6e902"), TenantID: ptr("4297fc77-1592-4de8-a6d5-a8c32401df87"),
			ServiceURL: ptr("https://atlasexportsdocs.blob.core.windows.net/exportcontainer"),
		}},
	}
	for _, apiVersion := range []string{APIVersionV2, APIVersionV1} {
		for name, tc := range cases {
			t.Run(apiVersion+"/"+name, func(t *testing.T) {
				sbx, srv := startSandbox(t, nil, seededBuckets)
				client := newTestClient(t, srv.URL, func(cfg *Config) { cfg.APIVersion = apiVersion })
				got, err := client.GetExportBucket(context.Background(), testProject, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				if jsonText(got) != jsonText(tc.want) {
					t.Errorf("decoded as %s, want %s", jsonText(got), jsonText(tc.want))
				}
				gets := bucketGETs(sbx, tc.id)
				if len(gets) != 1 || gets[0].Accept != MediaTypeBuckets || !strings.HasPrefix(gets[0].Path, "/api/atlas/v2/") {
					t.Errorf("requests %+v, want one v2 GET with Accept %s", gets, MediaTypeBuckets)
				}
			})
		}
	}
}

// TestGetExportBucket_cache: a bucket is read once per client, however many
// callers ask at once or later; a bucket Atlas does not know is remembered
// too.
func TestGetExportBucket_cache(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets, func(s *sandbox.Server) { s.Latency = 30 * time.Millisecond })
	client := newTestClient(t, srv.URL)
	ctx := context.Background()
	for _, id := range []string{sandbox.BucketGCP, sandbox.BucketDeleted} {
		var wg sync.WaitGroup
		errs := make([]error, 10)
		for i := range errs {
			wg.Go(func() { _, errs[i] = client.GetExportBucket(ctx, testProject, id) })
		}
		wg.Wait()
		_, later := client.GetExportBucket(ctx, testProject, id)
		for i, err := range append(slices.Clip(errs), later) {
			if (id == sandbox.BucketDeleted) != errors.Is(err, ErrExportBucketNotFound) {
				t.Errorf("bucket %s, call %d: %v", id, i, err)
			}
		}
		if gets := bucketGETs(sbx, id); len(gets) != 1 {
			t.Errorf("bucket %s: %d GETs for 11 reads, want 1", id, len(gets))
		}
	}
	// Another client (another provider process) reads for itself.
	if _, err := newTestClient(t, srv.URL).GetExportBucket(ctx, testProject, sandbox.BucketGCP); err != nil || len(bucketGETs(sbx, sandbox.BucketGCP)) != 2 {
		t.Errorf("a second client: %v, %d GETs", err, len(bucketGETs(sbx, sandbox.BucketGCP)))
	}
}

// TestGetExportBucket_failuresAreNotCached: a cancelled or timed-out read,
// a transient failure and a refusal are asked again by the next read.
func TestGetExportBucket_failuresAreNotCached(t *testing.T) {
	hang := sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Hang: time.Minute, Times: 1}
	// cancelOnArrival is a context cancelled when the bucket GET arrives.
	cancelOnArrival := func(s *sandbox.Server) context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		s.OnArrival = func(r sandbox.Request) {
			if strings.HasSuffix(r.Path, sandbox.BucketAWS) && r.Auth == "digest" {
				cancel()
			}
		}
		return ctx
	}
	cases := map[string]struct {
		fault sandbox.Fault
		// ctx is the first read's context; nil for a background one.
		ctx    func(*sandbox.Server) context.Context
		wantIs error
		// firstGETs is the attempts of the first read.
		firstGETs int
	}{
		// The deadline comes long after the GET (a millisecond away), and
		// long before its request_timeout (a minute).
		"read deadline": {
			fault: hang,
			ctx: func(*sandbox.Server) context.Context {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				t.Cleanup(cancel)
				return ctx
			},
			wantIs: context.DeadlineExceeded, firstGETs: 1,
		},
		"cancelled": {fault: hang, ctx: cancelOnArrival, wantIs: context.Canceled, firstGETs: 1},
		"no answer within request_timeout": {
			fault: sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Hang: time.Minute, Times: 4}, firstGETs: 4,
		},
		"503 after the retries": {
			fault: sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Status: http.StatusServiceUnavailable, Times: 4}, firstGETs: 4,
		},
		"403": {fault: sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Status: http.StatusForbidden, Times: 1}, firstGETs: 1},
		// A 404 is a deleted bucket only when Atlas says so of the bucket.
		"404 of the project": {
			fault:     sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Status: http.StatusNotFound, ErrorCode: "GROUP_NOT_FOUND", Times: 1},
			firstGETs: 1,
		},
		// A server without the bucket route answers Atlas's generic code.
		"404 of another resource": {
			fault:     sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Status: http.StatusNotFound, ErrorCode: "RESOURCE_NOT_FOUND", Times: 1},
			firstGETs: 1,
		},
		"404 without Atlas's envelope": {
			fault:     sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Status: http.StatusNotFound, HTML: true, Times: 1},
			firstGETs: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			sbx, srv := startSandbox(t, nil, seededBuckets, func(s *sandbox.Server) {
				if tc.ctx != nil {
					ctx = tc.ctx(s)
				}
			})
			sbx.AddFault(tc.fault)
			client := newTestClient(t, srv.URL, func(cfg *Config) {
				if tc.ctx == nil {
					cfg.RequestTimeout = 500 * time.Millisecond
				}
			})
			_, err := client.GetExportBucket(ctx, testProject, sandbox.BucketAWS)
			if err == nil || errors.Is(err, ErrExportBucketNotFound) || (tc.wantIs != nil && !errors.Is(err, tc.wantIs)) ||
				!strings.Contains(err.Error(), "reading export bucket "+sandbox.BucketAWS) {
				t.Fatalf("first read: %v, want a failure (%v) that names the bucket request", err, tc.wantIs)
			}
			bucket, err := client.GetExportBucket(context.Background(), testProject, sandbox.BucketAWS)
			if err != nil || str(bucket.BucketName) != "atlas-exports-docs" {
				t.Fatalf("second read: %v, %v", bucket, err)
			}
			if got := len(bucketGETs(sbx, sandbox.BucketAWS)); got != tc.firstGETs+1 {
				t.Errorf("%d GETs, want %d of the first read and 1 of the second", got, tc.firstGETs)
			}
		})
	}
}

// TestGetExportBucket_hangIsBoundedByTheSettings: a bucket GET that never
// answers ends after max_retries + 1 attempts of request_timeout each, with
// an error that names the bucket, the attempts and the timeout, and that is
// not taken for the caller's deadline.
func TestGetExportBucket_hangIsBoundedByTheSettings(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketGCP, Hang: time.Minute})
	client := newTestClient(t, srv.URL, withMaxRetries(1), func(cfg *Config) { cfg.RequestTimeout = 500 * time.Millisecond })

	_, err := client.GetExportBuckets(context.Background(), testProject, []string{sandbox.BucketAWS, sandbox.BucketGCP})

	want := "reading export bucket " + sandbox.BucketGCP + " of project " + testProject +
		": gave up after 2 attempts: no answer within request_timeout (500ms)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if _, ok := errors.AsType[*TimeoutError](err); errors.Is(err, context.DeadlineExceeded) || !ok {
		t.Errorf("the error passes for the caller's deadline, or is not a TimeoutError: %v", err)
	}
	if got := len(bucketGETs(sbx, sandbox.BucketGCP)); got != 2 {
		t.Errorf("%d GETs of the hanging bucket, want 2", got)
	}
}

// signalLogger sends on waiting each time the client logs that a read waits
// for another read's request: message names which.
type signalLogger struct {
	message string
	waiting chan struct{}
}

func (l signalLogger) Debug(_ context.Context, msg string, _ map[string]any) {
	if msg == l.message {
		l.waiting <- struct{}{}
	}
}
func (signalLogger) Warn(context.Context, string, map[string]any) {}

// TestGetExportBucket_waiterOutlivesTheReadItWaitedFor: a read of a bucket
// whose request is in flight for another read waits for it; when that read's
// caller gives up, the waiting read asks again under its own context instead
// of failing.
func TestGetExportBucket_waiterOutlivesTheReadItWaitedFor(t *testing.T) {
	// The first read's GET is held in OnArrival until the test ends: a Fault
	// would hold whichever GET reached it first, and under load the waiting
	// read's own GET can overtake the first one on its way to the fault.
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	var gets atomic.Int32
	sbx, srv := startSandbox(t, nil, seededBuckets, func(s *sandbox.Server) {
		s.OnArrival = func(r sandbox.Request) {
			if strings.HasSuffix(r.Path, sandbox.BucketGCP) && r.Auth == "digest" {
				arrived <- struct{}{}
				if gets.Add(1) == 1 {
					<-release
				}
			}
		}
	})
	t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
	logger := signalLogger{message: "waiting for the read of an export bucket in flight", waiting: make(chan struct{}, 4)}
	client := newTestClient(t, srv.URL, func(cfg *Config) { cfg.Logger = logger })
	first, cancelFirst := context.WithCancel(context.Background())
	defer cancelFirst()
	firstDone := make(chan error, 1)
	go func() {
		_, err := client.GetExportBucket(first, testProject, sandbox.BucketGCP)
		firstDone <- err
	}()
	<-arrived // the first read's GET, which hangs
	secondDone := make(chan error, 1)
	go func() {
		_, err := client.GetExportBucket(context.Background(), testProject, sandbox.BucketGCP)
		secondDone <- err
	}()
	<-logger.waiting // the second read waits for the first's request
	cancelFirst()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled read: %v", err)
	}
	if err := <-secondDone; err != nil {
		t.Errorf("the read that waited: %v", err)
	}
	if got := len(bucketGETs(sbx, sandbox.BucketGCP)); got != 2 {
		t.Errorf("%d GETs, want 2: the abandoned one, and the waiting read's own", got)
	}
}

// cancelLogger cancels a context when the client logs message.
type cancelLogger struct {
	message string
	cancel  context.CancelFunc
}

func (l cancelLogger) Debug(_ context.Context, msg string, _ map[string]any) {
	if msg == l.message {
		l.cancel()
	}
}
func (cancelLogger) Warn(context.Context, string, map[string]any) {}

// TestGetExportBucket_deletedBucketKeptWhenItsReaderGivesUpJustAfter: Atlas's
// word that a bucket is gone is kept even when its reader's context ends
// right after the answer (another bucket of the same plan failed, say): the
// next read takes it from the cache, with no request and no wait.
func TestGetExportBucket_deletedBucketKeptWhenItsReaderGivesUpJustAfter(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	first, cancel := context.WithCancel(t.Context())
	defer cancel()
	client := newTestClient(t, srv.URL, func(cfg *Config) {
		cfg.Logger = cancelLogger{message: "Atlas says the export bucket does not exist", cancel: cancel}
	})
	// The first reader may see its own context end before the answer.
	if _, err := client.GetExportBucket(first, testProject, sandbox.BucketDeleted); !errors.Is(err, ErrExportBucketNotFound) && !errors.Is(err, context.Canceled) {
		t.Fatalf("first read: %v, want the deleted bucket, or its reader giving up", err)
	}
	if first.Err() == nil {
		t.Fatal("the first reader's context did not end after the answer")
	}
	ctx, stop := context.WithTimeout(t.Context(), 30*time.Second)
	defer stop()
	if _, err := client.GetExportBucket(ctx, testProject, sandbox.BucketDeleted); !errors.Is(err, ErrExportBucketNotFound) {
		t.Errorf("second read: %v, want the deleted bucket", err)
	}
	if got := len(bucketGETs(sbx, sandbox.BucketDeleted)); got != 1 {
		t.Errorf("%d GETs, want 1: the answer is kept", got)
	}
}

// TestGetExportBucket_forbiddenNamesTheOperation: a 403 of the bucket GET
// says it answered the bucket GET, whose role the advice names.
func TestGetExportBucket_forbiddenNamesTheOperation(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketAWS, Status: http.StatusForbidden, ErrorCode: "USER_NOT_IN_GROUP"})
	_, err := newTestClient(t, srv.URL).GetExportBucket(context.Background(), testProject, sandbox.BucketAWS)
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.StatusCode != http.StatusForbidden || apiErr.Operation != OpGetExportBucket {
		t.Errorf("got %v, want a 403 of %s", err, OpGetExportBucket)
	}
}

// TestGetExportBucket_refusesBadIDs: no request path out of arbitrary text.
func TestGetExportBucket_refusesBadIDs(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	client := newTestClient(t, srv.URL)
	for _, ids := range [][2]string{{testProject, "../../clusters"}, {testProject, ""}, {"nope", sandbox.BucketAWS}} {
		if _, err := client.GetExportBucket(context.Background(), ids[0], ids[1]); err == nil {
			t.Errorf("%q accepted", ids)
		}
	}
	if n := len(sbx.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestGetExportBuckets_eachDistinctOnce: the buckets of a list are read
// after it, each distinct bucket once, with the deleted ones listed apart;
// a second read of the same buckets takes them from the client's cache.
func TestGetExportBuckets_eachDistinctOnce(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	client := newTestClient(t, srv.URL)
	ctx := context.Background()
	ids := []string{sandbox.BucketGCP, sandbox.BucketAWS, sandbox.BucketGCP, sandbox.BucketAzure, sandbox.BucketDeleted, sandbox.BucketAWS}
	for range 2 {
		buckets, err := client.GetExportBuckets(ctx, testProject, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(buckets.Found) != 3 || !slices.Equal(buckets.NotFound, []string{sandbox.BucketDeleted}) {
			t.Fatalf("buckets %v, not found %v", buckets.Found, buckets.NotFound)
		}
		for _, id := range []string{sandbox.BucketAWS, sandbox.BucketGCP, sandbox.BucketAzure} {
			if b := buckets.Found[id]; b == nil || str(b.ID) != id {
				t.Errorf("bucket %s: %+v", id, b)
			}
		}
	}
	for _, id := range []string{sandbox.BucketAWS, sandbox.BucketGCP, sandbox.BucketAzure, sandbox.BucketDeleted} {
		if n := len(bucketGETs(sbx, id)); n != 1 {
			t.Errorf("bucket %s: %d GETs, want 1", id, n)
		}
	}
}

// TestGetExportBuckets_failure: a failure other than a 404 is the error,
// and names the bucket.
func TestGetExportBuckets_failure(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	sbx.AddFault(sandbox.Fault{ExportBucketID: sandbox.BucketGCP, Status: http.StatusUnauthorized, ErrorCode: "USER_UNAUTHORIZED"})
	client := newTestClient(t, srv.URL)
	_, err := client.GetExportBuckets(context.Background(), testProject, []string{sandbox.BucketAWS, sandbox.BucketDeleted, sandbox.BucketGCP})
	if StatusCode(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), sandbox.BucketGCP) {
		t.Errorf("GetExportBuckets: %v", err)
	}
}

// TestGetExportBuckets_tokenFailureIsNotADeletedBucket: a 404 of the service
// account token request, Atlas's envelope and all, is a failure to get a
// token, not Atlas's word that the bucket is gone: the read fails instead of
// listing the bucket as deleted, and nothing is cached.
func TestGetExportBuckets_tokenFailureIsNotADeletedBucket(t *testing.T) {
	sbx, srv := startSandbox(t, nil, seededBuckets)
	sbx.AddFault(sandbox.Fault{TokenEndpoint: true, Status: http.StatusNotFound, ErrorCode: "RESOURCE_NOT_FOUND", Times: 1})
	client := newTestClient(t, srv.URL, withServiceAccount)

	buckets, err := client.GetExportBuckets(context.Background(), testProject, []string{sandbox.BucketAWS})

	if _, ok := errors.AsType[*TokenError](err); !ok || errors.Is(err, ErrExportBucketNotFound) {
		t.Fatalf("got %+v, %v; want the token's failure", buckets, err)
	}
	bucket, err := client.GetExportBucket(context.Background(), testProject, sandbox.BucketAWS)
	if err != nil || str(bucket.BucketName) != "atlas-exports-docs" {
		t.Errorf("the next read: %v, %v", bucket, err)
	}
}
