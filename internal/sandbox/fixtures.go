package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agext/levenshtein"
)

// This file loads a fixtures file (`atlas-sandbox -fixtures FILE`): the
// projects, clusters, export jobs and export buckets a sandbox serves, the
// credentials it accepts, and behaviours of Atlas to test against. Jobs and
// buckets are Atlas's own JSON, served as written; every other key belongs to
// the format and is decoded with DisallowUnknownFields, so that a typo is an
// error rather than a fixture silently ignored. The format is documented in
// examples/sandbox-fixtures/README.md.

// Fixtures is a checked fixtures file.
type Fixtures struct {
	// APIKeys and ServiceAccounts are the credentials the sandbox accepts.
	// Nil (the key absent) accepts the built-in ones (PublicKey/PrivateKey,
	// ClientID/ClientSecret); empty accepts none of that kind.
	APIKeys         []APIKey
	ServiceAccounts []ServiceAccount
	// Projects are sorted by id.
	Projects []FixtureProject
}

// APIKey is a programmatic API key pair (HTTP Digest).
type APIKey struct {
	PublicKey, PrivateKey string
}

// ServiceAccount is a service account (OAuth 2.0 client credentials).
type ServiceAccount struct {
	ClientID, ClientSecret string
}

// FixtureProject is one project: its export buckets in the file's order
// and its clusters sorted by name.
type FixtureProject struct {
	ID            string
	ExportBuckets []FixtureBucket
	Clusters      []FixtureCluster
}

// FixtureBucket is an export bucket as Atlas's JSON has it, and how the
// sandbox answers GETs of it.
type FixtureBucket struct {
	// Bucket is the bucket's JSON without the format's "behaviour" key;
	// numbers are json.Number, so they are served as written.
	Bucket    ExportBucket
	Behaviour BucketBehaviour
}

// FixtureCluster is one cluster and its export jobs, in the file's order
// (the sandbox serves them newest first).
type FixtureCluster struct {
	Name      string
	Jobs      []Job
	Behaviour ClusterBehaviour
	// Snapshots, in the file's order, and how the export jobs the sandbox
	// creates run (nil: the sandbox's default).
	Snapshots       []Snapshot
	ExportLifecycle *ExportLifecycle
}

// ClusterBehaviour is how the sandbox answers the export job requests of a
// cluster (list and get). The zero value answers normally.
type ClusterBehaviour struct {
	// Latency delays every answer.
	Latency time.Duration
	// RateLimitEvery answers every RateLimitEvery-th request with 429
	// RATE_LIMITED and a Retry-After of RetryAfterSeconds.
	RateLimitEvery    int
	RetryAfterSeconds int
	// Status answers every request with this error status in Atlas's error
	// envelope, with ErrorCode (by default the status's usual code).
	Status    int
	ErrorCode string
}

// BucketBehaviour is how the sandbox answers GETs of an export bucket. The
// zero value answers normally.
type BucketBehaviour struct {
	// Status answers every GET of the bucket with this error status, with
	// ErrorCode.
	Status    int
	ErrorCode string
}

// FixtureProblem is one thing wrong in a fixtures file.
type FixtureProblem struct {
	// Line and Column (1-based, in characters) are where the value or key
	// at fault starts.
	Line, Column int
	// Path is the JSON path of the value at fault, such as
	// projects.64b7e2f0c1d2a3b4c5d6e7f8.clusters.ledger.exports[1].id; empty
	// for the document as a whole.
	Path    string
	Message string
}

func (p FixtureProblem) String() string {
	if p.Path == "" {
		return fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message)
	}
	return fmt.Sprintf("%d:%d: %s: %s", p.Line, p.Column, p.Path, p.Message)
}

// FixturesError lists the problems of a fixtures file, in the file's order.
type FixturesError struct {
	Problems []FixtureProblem
}

func (e *FixturesError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	if len(lines) == 1 {
		return "fixtures: " + lines[0]
	}
	return fmt.Sprintf("fixtures: %d problems:\n  %s", len(lines), strings.Join(lines, "\n  "))
}

// The objects of the format, as the decoder reads them. Pointers tell a
// key left out from a zero value; json.RawMessage leaves a level to be
// decoded on its own, so that each object's problem is found and placed.
type (
	fileJSON struct {
		APIKeys         []json.RawMessage          `json:"apiKeys"`
		ServiceAccounts []json.RawMessage          `json:"serviceAccounts"`
		Projects        map[string]json.RawMessage `json:"projects"`
	}
	apiKeyJSON struct {
		PublicKey  *string `json:"publicKey"`
		PrivateKey *string `json:"privateKey"`
	}
	serviceAccountJSON struct {
		ClientID     *string `json:"clientId"`
		ClientSecret *string `json:"clientSecret"`
	}
	projectJSON struct {
		ExportBuckets []json.RawMessage          `json:"exportBuckets"`
		Clusters      map[string]json.RawMessage `json:"clusters"`
	}
	clusterJSON struct {
		Exports   []json.RawMessage `json:"exports"`
		Behaviour json.RawMessage   `json:"behaviour"`
		// fixtures_exports.go
		Snapshots       []json.RawMessage `json:"snapshots"`
		ExportLifecycle json.RawMessage   `json:"exportLifecycle"`
	}
	clusterBehaviourJSON struct {
		Latency           *string  `json:"latency"`
		RateLimitEvery    *float64 `json:"rateLimitEvery"`
		RetryAfterSeconds *float64 `json:"retryAfterSeconds"`
		Status            *float64 `json:"status"`
		ErrorCode         *string  `json:"errorCode"`
	}
	bucketBehaviourJSON struct {
		Status    *float64 `json:"status"`
		ErrorCode *string  `json:"errorCode"`
	}
)

// The keys of each object of the format, in the order the documentation
// lists them, for the messages about unknown keys.
var (
	topLevelKeys         = []string{"apiKeys", "serviceAccounts", "projects"}
	apiKeyKeys           = []string{"publicKey", "privateKey"}
	serviceAccountKeys   = []string{"clientId", "clientSecret"}
	projectKeys          = []string{"exportBuckets", "clusters"}
	clusterKeys          = []string{"exports", "behaviour", "snapshots", "exportLifecycle"}
	clusterBehaviourKeys = []string{"latency", "rateLimitEvery", "retryAfterSeconds", "status", "errorCode"}
	bucketBehaviourKeys  = []string{"status", "errorCode"}
)

// bucketBehaviourKey is the one key of a bucket's entry that is not
// Atlas's: it is taken out before the bucket is served.
const bucketBehaviourKey = "behaviour"

var (
	objectIDPattern    = regexp.MustCompile(`^[0-9a-f]{24}$`)
	clusterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*$`)
	errorCodePattern   = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)
)

const (
	maxClusterName = 64
	objectIDRule   = "Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8"
	// createdAtLayout is how Atlas writes times. The sandbox orders jobs by
	// comparing createdAt as text, which is only right in this one layout.
	createdAtLayout = "2006-01-02T15:04:05Z"
)

// loader reads one fixtures file: where each key and value starts (by JSON
// path), and the problems found so far.
type loader struct {
	data            []byte
	keyAt, valueAt  map[string]int
	problems        []FixtureProblem
	credentialOwner map[string]string // "key:" or "account:" + id -> its entry
}

// LoadFixtures reads and checks a fixtures file. Any problem fails the whole
// file: the error is a *FixturesError listing, with its line, column and
// JSON path, the first problem of each object of the format, every problem
// of the values the sandbox relies on, and every duplicate key.
func LoadFixtures(r io.Reader) (*Fixtures, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the fixtures: %w", err)
	}
	l := &loader{data: data, keyAt: map[string]int{}, valueAt: map[string]int{}, credentialOwner: map[string]string{}}
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		at := 0
		if syntax, ok := errors.AsType[*json.SyntaxError](err); ok {
			at = max(int(syntax.Offset)-1, 0)
		}
		return nil, &FixturesError{Problems: []FixtureProblem{l.problemAt(at, "", "invalid JSON: %v", err)}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := l.walk(dec, ""); err != nil {
		return nil, fmt.Errorf("reading the fixtures: %w", err) // the document is valid JSON: not expected
	}
	f := l.fixtures()
	if len(l.problems) > 0 {
		slices.SortStableFunc(l.problems, func(a, b FixtureProblem) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		return nil, &FixturesError{Problems: l.problems}
	}
	return f, nil
}

// walk reads the document token by token to note where each key and value
// starts, which the decoder's errors do not say, and the keys given twice,
// which it does not see.
func (l *loader) walk(dec *json.Decoder, path string) error {
	l.valueAt[path] = l.skipSeparators(int(dec.InputOffset()))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]int{}
		for dec.More() {
			keyAt := l.skipSeparators(int(dec.InputOffset()))
			keyTok, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := keyTok.(string)
			keyPath := joinKey(path, key)
			if first, dup := seen[key]; dup {
				line, _ := l.position(first)
				l.add(keyAt, keyPath, "duplicate key %q (first at line %d): JSON keeps only the last one, so remove or rename one", key, line)
			}
			seen[key], l.keyAt[keyPath] = keyAt, keyAt
			if err := l.walk(dec, keyPath); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := l.walk(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// skipSeparators moves from where the decoder stopped to where the next
// token starts: past white space, commas and colons.
func (l *loader) skipSeparators(at int) int {
	for at < len(l.data) && strings.IndexByte(" \t\r\n,:", l.data[at]) >= 0 {
		at++
	}
	return at
}

// decode decodes the object at path into v, unknown keys refused (where and
// known name the object and its keys in the message). The decoder reports
// the object's first problem only. After an unknown key it has still read
// the others, so decode returns true and they are checked; after a value of
// the wrong type it returns false and the object is left at that.
func (l *loader) decode(path string, raw json.RawMessage, v any, where string, known []string) bool {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return true
	}
	if typeErr, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		at := joinKey(path, typeErr.Field)
		if typeErr.Field == "" {
			at = path
		}
		l.add(l.valueAt[at], at, "must be %s, not %s", kindName(typeErr.Type.Kind().String()), kindName(typeErr.Value))
		return false
	}
	if quoted, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		key, _ := strconv.Unquote(quoted)
		keyPath := joinKey(path, key)
		if guess := closestKey(key, known); guess != "" {
			l.add(l.keyAt[keyPath], keyPath, "unknown key %q (did you mean %q?): %s has only %s", key, guess, where, quoteAll(known))
		} else {
			l.add(l.keyAt[keyPath], keyPath, "unknown key %q: %s has only %s", key, where, quoteAll(known))
		}
		return true
	}
	l.add(l.valueAt[path], path, "%v", err)
	return false
}

// kindName names a JSON kind for messages, from a Go kind, an
// UnmarshalTypeError's Value ("array", "number 2.5") or a value's first
// byte.
func kindName(kind string) string {
	kind, _, _ = strings.Cut(kind, " ")
	switch kind {
	case "struct", "map", "object", "{":
		return "an object"
	case "slice", "array", "[":
		return "an array"
	case "string", `"`:
		return "a string"
	case "bool", "t", "f":
		return "a boolean"
	case "n":
		return "null"
	}
	return "a number"
}

// kindOfRaw names the JSON kind of a value.
func kindOfRaw(raw json.RawMessage) string { return kindName(string(raw[:1])) }

func (l *loader) fixtures() *Fixtures {
	var file fileJSON
	if !l.decode("", l.data, &file, "the fixtures file", topLevelKeys) {
		return nil
	}
	f := &Fixtures{}
	if file.APIKeys != nil {
		f.APIKeys = []APIKey{}
		for i, raw := range file.APIKeys {
			path := fmt.Sprintf("apiKeys[%d]", i)
			var k apiKeyJSON
			if l.decode(path, raw, &k, "an entry of apiKeys", apiKeyKeys) {
				id, secret := l.credential(path, "publicKey", k.PublicKey, "privateKey", k.PrivateKey)
				f.APIKeys = append(f.APIKeys, APIKey{id, secret})
			}
		}
	}
	if file.ServiceAccounts != nil {
		f.ServiceAccounts = []ServiceAccount{}
		for i, raw := range file.ServiceAccounts {
			path := fmt.Sprintf("serviceAccounts[%d]", i)
			var a serviceAccountJSON
			if l.decode(path, raw, &a, "an entry of serviceAccounts", serviceAccountKeys) {
				id, secret := l.credential(path, "clientId", a.ClientID, "clientSecret", a.ClientSecret)
				f.ServiceAccounts = append(f.ServiceAccounts, ServiceAccount{id, secret})
			}
		}
	}
	switch {
	case file.Projects == nil:
		l.add(0, "", `no "projects": a fixtures file serves at least one project, as {"projects": {"<project id>": {"clusters": {...}}}}`)
	case len(file.Projects) == 0:
		l.add(l.valueAt["projects"], "projects", `is empty: give at least one project, as {"<project id>": {"clusters": {...}}}`)
	}
	for _, id := range slices.Sorted(maps.Keys(file.Projects)) {
		if p, ok := l.project(id, file.Projects[id]); ok {
			f.Projects = append(f.Projects, p)
		}
	}
	return f
}

// credential checks an entry of apiKeys or serviceAccounts: an identifier
// (idKey) and a secret, neither empty, each identifier once.
func (l *loader) credential(path, idKey string, id *string, secretKey string, secret *string) (string, string) {
	for i, value := range []*string{id, secret} {
		key := []string{idKey, secretKey}[i]
		switch {
		case value == nil:
			l.add(l.valueAt[path], joinKey(path, key), "is missing: each entry needs it")
		case *value == "":
			l.add(l.valueAt[joinKey(path, key)], joinKey(path, key), "is empty")
		}
	}
	if id == nil || secret == nil {
		return "", ""
	}
	owner := idKey + ":" + *id
	if first, dup := l.credentialOwner[owner]; dup && *id != "" {
		l.add(l.valueAt[joinKey(path, idKey)], joinKey(path, idKey), "%q is also in %s: give each one once", *id, first)
	}
	l.credentialOwner[owner] = path
	return *id, *secret
}

func (l *loader) project(id string, raw json.RawMessage) (FixtureProject, bool) {
	path := joinKey("projects", id)
	if !objectIDPattern.MatchString(id) {
		l.add(l.keyAt[path], path, "%q is not a project id: %s", id, objectIDRule)
	}
	var pj projectJSON
	if !l.decode(path, raw, &pj, "a project", projectKeys) {
		return FixtureProject{}, false
	}
	p := FixtureProject{ID: id}
	seen := map[string]string{}
	for i, raw := range pj.ExportBuckets {
		if b, ok := l.bucket(fmt.Sprintf("%s[%d]", joinKey(path, "exportBuckets"), i), raw, seen); ok {
			p.ExportBuckets = append(p.ExportBuckets, b)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(pj.Clusters)) {
		if c, ok := l.cluster(joinKey(joinKey(path, "clusters"), name), name, pj.Clusters[name]); ok {
			p.Clusters = append(p.Clusters, c)
		}
	}
	return p, true
}

// object decodes an entry of a list of Atlas's objects (jobs, buckets),
// whose keys are Atlas's and not checked.
func (l *loader) object(path string, raw json.RawMessage) (map[string]json.RawMessage, bool) {
	var members map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &members) != nil {
		l.add(l.valueAt[path], path, "must be an object, not %s", kindOfRaw(raw))
		return nil, false
	}
	return members, true
}

func (l *loader) bucket(path string, raw json.RawMessage, seen map[string]string) (FixtureBucket, bool) {
	members, ok := l.object(path, raw)
	if !ok {
		return FixtureBucket{}, false
	}
	var b FixtureBucket
	if behaviour, ok := members[bucketBehaviourKey]; ok {
		behaviourPath := joinKey(path, bucketBehaviourKey)
		var bj bucketBehaviourJSON
		if l.decode(behaviourPath, behaviour, &bj, "a bucket's behaviour", bucketBehaviourKeys) {
			b.Behaviour.Status, b.Behaviour.ErrorCode = l.errorAnswer(behaviourPath, bj.Status, bj.ErrorCode)
		}
	}
	l.uniqueID(path, members, "_id", seen, "bucket", "give each bucket once")
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()           // served as written
	_ = dec.Decode(&b.Bucket) // an object: object said so
	delete(b.Bucket, bucketBehaviourKey)
	return b, true
}

func (l *loader) cluster(path, name string, raw json.RawMessage) (FixtureCluster, bool) {
	if !clusterNamePattern.MatchString(name) || len(name) > maxClusterName {
		l.add(l.keyAt[path], path, "%q is not a cluster name: Atlas cluster names are 1 to %d ASCII letters, digits "+
			"and hyphens, starting with a letter or digit", name, maxClusterName)
	}
	var cj clusterJSON
	if !l.decode(path, raw, &cj, "a cluster", clusterKeys) {
		return FixtureCluster{}, false
	}
	c := FixtureCluster{Name: name, Jobs: []Job{}}
	seen := map[string]string{}
	for i, raw := range cj.Exports {
		if job, ok := l.job(fmt.Sprintf("%s[%d]", joinKey(path, "exports"), i), raw, seen); ok {
			c.Jobs = append(c.Jobs, job)
		}
	}
	if cj.Behaviour != nil {
		c.Behaviour = l.clusterBehaviour(joinKey(path, "behaviour"), cj.Behaviour)
	}
	c.Snapshots = l.snapshots(joinKey(path, "snapshots"), cj.Snapshots)
	if cj.ExportLifecycle != nil {
		c.ExportLifecycle = l.exportLifecycle(joinKey(path, "exportLifecycle"), cj.ExportLifecycle)
	}
	return c, true
}

// job reads an export job: Atlas's JSON, served as written. Only the keys
// the sandbox relies on are checked: id, exportBucketId and createdAt.
func (l *loader) job(path string, raw json.RawMessage, seen map[string]string) (Job, bool) {
	members, ok := l.object(path, raw)
	if !ok {
		return Job{}, false
	}
	l.uniqueID(path, members, "id", seen, "job", "job ids are unique in a cluster")
	if _, present := members["exportBucketId"]; present {
		l.objectID(path, members, "exportBucketId")
	}
	if created, present := members["createdAt"]; present {
		createdPath := joinKey(path, "createdAt")
		var s string
		if json.Unmarshal(created, &s) != nil {
			l.add(l.valueAt[createdPath], createdPath, "must be a string, not %s", kindOfRaw(created))
		} else if t, err := time.Parse(createdAtLayout, s); err != nil || t.Format(createdAtLayout) != s {
			// Parse alone would also take fractional seconds.
			l.add(l.valueAt[createdPath], createdPath, "%q is not a time as Atlas writes it: UTC to the second, such as 2026-08-10T03:28:25Z", s)
		}
	}
	var job Job
	_ = json.Unmarshal(raw, &job) // an object: its values of the wrong type leave fields zero
	return job, true
}

// uniqueID checks that an entry of a list has an Atlas id under key, and
// that no earlier entry has it (seen: id -> the entry that has it); what
// names the entry and rule the fix in the message.
func (l *loader) uniqueID(path string, members map[string]json.RawMessage, key string, seen map[string]string, what, rule string) {
	if _, present := members[key]; !present {
		l.add(l.valueAt[path], joinKey(path, key), "is missing: each entry needs it")
		return
	}
	id, ok := l.objectID(path, members, key)
	if !ok {
		return
	}
	if first, dup := seen[id]; dup {
		l.add(l.valueAt[joinKey(path, key)], joinKey(path, key), "%s %s is also %s: %s", what, id, first, rule)
	}
	seen[id] = path[strings.LastIndexByte(path, '.')+1:]
}

// objectID checks that an object's key holds an Atlas id.
func (l *loader) objectID(path string, members map[string]json.RawMessage, key string) (string, bool) {
	keyPath := joinKey(path, key)
	var id string
	if err := json.Unmarshal(members[key], &id); err != nil {
		l.add(l.valueAt[keyPath], keyPath, "must be a string, not %s", kindOfRaw(members[key]))
		return "", false
	}
	if !objectIDPattern.MatchString(id) {
		l.add(l.valueAt[keyPath], keyPath, "%q is not an Atlas id: %s", id, objectIDRule)
		return "", false
	}
	return id, true
}

func (l *loader) clusterBehaviour(path string, raw json.RawMessage) ClusterBehaviour {
	b := ClusterBehaviour{RetryAfterSeconds: 1}
	var bj clusterBehaviourJSON
	if !l.decode(path, raw, &bj, "a cluster's behaviour", clusterBehaviourKeys) {
		return b
	}
	if bj.Latency != nil {
		latencyPath := joinKey(path, "latency")
		v, err := time.ParseDuration(*bj.Latency)
		switch {
		case err != nil:
			l.add(l.valueAt[latencyPath], latencyPath, `%q is not a duration: write one as Go does, such as "200ms" or "1.5s"`, *bj.Latency)
		case v <= 0:
			l.add(l.valueAt[latencyPath], latencyPath, "%q is not a delay: it must be more than 0", *bj.Latency)
		}
		b.Latency = v
	}
	if bj.RateLimitEvery != nil {
		b.RateLimitEvery = l.integer(joinKey(path, "rateLimitEvery"), *bj.RateLimitEvery, 1, 1000000, "answers 429 to every N-th request")
	}
	if bj.RetryAfterSeconds != nil {
		b.RetryAfterSeconds = l.integer(joinKey(path, "retryAfterSeconds"), *bj.RetryAfterSeconds, 0, 3600, "the Retry-After of the 429 answers")
		l.requires(path, "retryAfterSeconds", bj.RateLimitEvery != nil, "rateLimitEvery")
	}
	b.Status, b.ErrorCode = l.errorAnswer(path, bj.Status, bj.ErrorCode)
	if b.Status > 0 && b.RateLimitEvery > 0 {
		l.add(l.valueAt[path], path, `has both "status" and "rateLimitEvery": status answers every request, so keep one`)
	}
	return b
}

// errorAnswer checks the status and errorCode of a behaviour.
func (l *loader) errorAnswer(path string, status *float64, errorCode *string) (int, string) {
	var code int
	if status != nil {
		code = l.integer(joinKey(path, "status"), *status, 400, 599, "an HTTP error status such as 403 or 503")
	}
	if errorCode == nil {
		return code, ""
	}
	l.requires(path, "errorCode", status != nil, "status")
	if !errorCodePattern.MatchString(*errorCode) {
		codePath := joinKey(path, "errorCode")
		l.add(l.valueAt[codePath], codePath, "%q is not an Atlas error code: upper case letters, digits and underscores, such as GROUP_NOT_FOUND", *errorCode)
		return code, ""
	}
	return code, *errorCode
}

// requires reports key without the key it only works with.
func (l *loader) requires(path, key string, present bool, needed string) {
	if !present {
		l.add(l.keyAt[joinKey(path, key)], joinKey(path, key), "works only with %q, which is not set", needed)
	}
}

func (l *loader) integer(path string, v float64, lo, hi int, what string) int {
	if v != float64(int(v)) || int(v) < lo || int(v) > hi {
		l.add(l.valueAt[path], path, "%s is not a whole number from %d to %d (%s)", strconv.FormatFloat(v, 'f', -1, 64), lo, hi, what)
		return 0
	}
	return int(v)
}

// closestKey is the known key a typo most likely meant ("behavior",
// "apiKey"): within two edits, case aside, or "" when none is that close.
func closestKey(key string, known []string) string {
	best, bestDistance := "", 3
	for _, k := range known {
		if d := levenshtein.Distance(strings.ToLower(key), strings.ToLower(k), nil); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	return best
}

func quoteAll(keys []string) string {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = strconv.Quote(k)
	}
	return strings.Join(quoted, ", ")
}

func (l *loader) add(at int, path, format string, args ...any) {
	l.problems = append(l.problems, l.problemAt(at, path, format, args...))
}

func (l *loader) problemAt(at int, path, format string, args ...any) FixtureProblem {
	line, column := l.position(at)
	return FixtureProblem{Line: line, Column: column, Path: path, Message: fmt.Sprintf(format, args...)}
}

// position is the 1-based line and column (in characters) of a byte offset.
func (l *loader) position(at int) (line, column int) {
	before := l.data[:min(at, len(l.data))]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[lineStart:]) + 1
}

// plainKey is a key that a JSON path can show after a dot.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinKey extends a JSON path by an object key: projects.<id>.clusters.ledger,
// or ["a key"] for keys a dot would make ambiguous.
func joinKey(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// NewFromFixtures returns a sandbox that serves the fixtures (and nothing
// of the seeded data) and accepts their credentials.
func NewFromFixtures(f *Fixtures) *Server {
	s := NewEmpty()
	keys, accounts := f.AcceptedCredentials()
	for _, k := range keys {
		s.AddKey(k.PublicKey, k.PrivateKey)
	}
	for _, a := range accounts {
		s.AddServiceAccount(a.ClientID, a.ClientSecret)
	}
	for _, p := range f.Projects {
		for _, b := range p.ExportBuckets {
			s.SetExportBuckets(p.ID, b.Bucket)
			if b.Behaviour.Status > 0 {
				s.AddFault(Fault{ProjectID: p.ID, ExportBucketID: b.Bucket.ID(), Status: b.Behaviour.Status, ErrorCode: b.Behaviour.ErrorCode})
			}
		}
		for _, c := range p.Clusters {
			s.SetJobs(p.ID, c.Name, c.Jobs)
			s.SetSnapshots(p.ID, c.Name, c.Snapshots...)
			if c.ExportLifecycle != nil {
				s.SetClusterExportLifecycle(p.ID, c.Name, *c.ExportLifecycle)
			}
			for _, fault := range c.Behaviour.faults(p.ID, c.Name) {
				s.AddFault(fault)
			}
		}
	}
	return s
}

// AcceptedCredentials are the credentials NewFromFixtures accepts: the
// file's, and the built-in ones of a kind the file leaves out.
func (f *Fixtures) AcceptedCredentials() ([]APIKey, []ServiceAccount) {
	keys, accounts := f.APIKeys, f.ServiceAccounts
	if keys == nil {
		keys = []APIKey{{PublicKey: PublicKey, PrivateKey: PrivateKey}}
	}
	if accounts == nil {
		accounts = []ServiceAccount{{ClientID: ClientID, ClientSecret: ClientSecret}}
	}
	return keys, accounts
}

// faults are the scripted faults that make a cluster behave so. The rate
// limit comes first, so that the requests it lets through reach the latency
// or status fault; each carries the latency, so that every answer has it.
func (b ClusterBehaviour) faults(projectID, cluster string) []Fault {
	var faults []Fault
	if b.RateLimitEvery > 0 {
		faults = append(faults, Fault{ProjectID: projectID, Cluster: cluster, Every: b.RateLimitEvery, Hang: b.Latency,
			Status: 429, RetryAfter: strconv.Itoa(b.RetryAfterSeconds)})
	}
	if b.Status > 0 || b.Latency > 0 {
		faults = append(faults, Fault{ProjectID: projectID, Cluster: cluster, Hang: b.Latency, Status: b.Status, ErrorCode: b.ErrorCode})
	}
	return faults
}

// String says what the behaviour does, for the sandbox's start-up summary.
func (b ClusterBehaviour) String() string {
	var parts []string
	if b.Latency > 0 {
		parts = append(parts, "latency "+b.Latency.String())
	}
	if b.RateLimitEvery > 0 {
		parts = append(parts, fmt.Sprintf("429 every %d requests (Retry-After %d)", b.RateLimitEvery, b.RetryAfterSeconds))
	}
	if b.Status > 0 {
		parts = append(parts, fmt.Sprintf("every request answers %d", b.Status))
	}
	return strings.Join(parts, ", ")
}
