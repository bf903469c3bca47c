package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agext/levenshtein"
)

// This file loads a fixtures file (`atlas-sandbox -fixtures FILE`): the
// projects, clusters, export jobs and export buckets a sandbox serves, the
// credentials it accepts, and behaviours of Atlas to test against. Jobs and
// buckets are Atlas's own JSON, so that a real answer's results can be pasted
// in; every other key belongs to the format and is checked, so that a typo is
// an error rather than a fixture silently ignored. The format is documented in
// examples/sandbox-fixtures/README.md.

// Fixtures is a checked fixtures file.
type Fixtures struct {
	// APIKeys and ServiceAccounts are the credentials the sandbox accepts.
	// Nil (the key absent) accepts the built-in ones (PublicKey/PrivateKey,
	// ClientID/ClientSecret); empty accepts none of that kind.
	APIKeys         []APIKey
	ServiceAccounts []ServiceAccount
	// Projects are in the file's order.
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

// FixtureProject is one project: its export buckets and clusters, in the
// file's order.
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
	// Status answers every GET of the bucket with this error status (403:
	// the key may read export jobs but not buckets), with ErrorCode.
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

// FixturesError lists every problem of a fixtures file, in the file's order.
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

// LoadFixtures reads and checks a fixtures file. Any problem fails the whole
// file: the error is a *FixturesError listing each one with its line, column
// and JSON path.
func LoadFixtures(r io.Reader) (*Fixtures, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the fixtures: %w", err)
	}
	doc, err := parseJSONDoc(data)
	if err != nil {
		return nil, err
	}
	f := doc.fixtures()
	if len(doc.problems) > 0 {
		slices.SortStableFunc(doc.problems, func(a, b FixtureProblem) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		return nil, &FixturesError{Problems: doc.problems}
	}
	return f, nil
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

// The keys of the format itself, in the order the documentation lists them.
var (
	topLevelKeys         = []string{"apiKeys", "serviceAccounts", "projects"}
	apiKeyKeys           = []string{"publicKey", "privateKey"}
	serviceAccountKeys   = []string{"clientId", "clientSecret"}
	projectKeys          = []string{"exportBuckets", "clusters"}
	clusterKeys          = []string{"exports", "behaviour"}
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
	// createdAtLayout is how Atlas writes times. The sandbox orders jobs by
	// comparing createdAt as text, which is only right in this one layout.
	createdAtLayout = "2006-01-02T15:04:05Z"
)

func (d *jsonDoc) fixtures() *Fixtures {
	f := &Fixtures{}
	if !d.expect(d.root, "", jsonObject) {
		return f
	}
	sawProjects := false
	for _, m := range d.root.members {
		path := joinKey("", m.key)
		switch m.key {
		case "apiKeys":
			f.APIKeys = []APIKey{}
			d.credentials(m.value, path, apiKeyKeys, func(id, secret string) { f.APIKeys = append(f.APIKeys, APIKey{id, secret}) })
		case "serviceAccounts":
			f.ServiceAccounts = []ServiceAccount{}
			d.credentials(m.value, path, serviceAccountKeys, func(id, secret string) {
				f.ServiceAccounts = append(f.ServiceAccounts, ServiceAccount{id, secret})
			})
		case "projects":
			sawProjects = true
			f.Projects = d.projects(m.value, path)
		default:
			d.unknownKey(m, path, "the fixtures file", topLevelKeys)
		}
	}
	if !sawProjects {
		d.add(d.root.start, "", `no "projects": a fixtures file serves at least one project, as {"projects": {"<project id>": {"clusters": {...}}}}`)
	}
	return f
}

// credentials reads apiKeys or serviceAccounts: an array of objects with
// an identifier and a secret (keys[0] and keys[1]), each identifier once.
func (d *jsonDoc) credentials(n *jsonNode, path string, keys []string, add func(id, secret string)) {
	if !d.expect(n, path, jsonArray) {
		return
	}
	seen := map[string]string{}
	for i, e := range n.elements {
		entryPath := fmt.Sprintf("%s[%d]", path, i)
		if !d.expect(e, entryPath, jsonObject) {
			continue
		}
		values := map[string]string{}
		for _, m := range e.members {
			memberPath := joinKey(entryPath, m.key)
			if m.key != keys[0] && m.key != keys[1] {
				d.unknownKey(m, memberPath, "an entry of "+path, keys)
				continue
			}
			if d.expect(m.value, memberPath, jsonString) {
				if m.value.str == "" {
					d.add(m.value.start, memberPath, "is empty")
				}
				values[m.key] = m.value.str
			}
		}
		for _, k := range keys {
			if _, ok := values[k]; !ok {
				d.add(e.start, joinKey(entryPath, k), "is missing: each entry needs it")
			}
		}
		id := values[keys[0]]
		if first, dup := seen[id]; dup && id != "" {
			d.add(e.member(keys[0]).start, joinKey(entryPath, keys[0]), "%q is also in %s: give each one once", id, first)
		}
		seen[id] = lastSegment(entryPath)
		add(id, values[keys[1]])
	}
}

func (d *jsonDoc) projects(n *jsonNode, path string) []FixtureProject {
	if !d.expect(n, path, jsonObject) {
		return nil
	}
	if len(n.members) == 0 {
		d.add(n.start, path, `is empty: give at least one project, as {"<project id>": {"clusters": {...}}}`)
	}
	var projects []FixtureProject
	for _, m := range n.members {
		projectPath := joinKey(path, m.key)
		if !objectIDPattern.MatchString(m.key) {
			d.add(m.keyStart, projectPath, "%q is not a project id: %s", m.key, objectIDRule)
		}
		if !d.expect(m.value, projectPath, jsonObject) {
			continue
		}
		p := FixtureProject{ID: m.key}
		for _, pm := range m.value.members {
			memberPath := joinKey(projectPath, pm.key)
			switch pm.key {
			case "exportBuckets":
				p.ExportBuckets = d.buckets(pm.value, memberPath)
			case "clusters":
				p.Clusters = d.clusters(pm.value, memberPath)
			default:
				d.unknownKey(pm, memberPath, "a project", projectKeys)
			}
		}
		projects = append(projects, p)
	}
	return projects
}

const objectIDRule = "Atlas ids are 24 lowercase hexadecimal characters, such as 64b7e2f0c1d2a3b4c5d6e7f8"

func (d *jsonDoc) buckets(n *jsonNode, path string) []FixtureBucket {
	if !d.expect(n, path, jsonArray) {
		return nil
	}
	var buckets []FixtureBucket
	seen := map[string]string{}
	for i, e := range n.elements {
		entryPath := fmt.Sprintf("%s[%d]", path, i)
		if !d.expect(e, entryPath, jsonObject) {
			continue
		}
		b := FixtureBucket{Bucket: ExportBucket{}}
		for _, m := range e.members {
			if m.key == bucketBehaviourKey {
				b.Behaviour = d.bucketBehaviour(m.value, joinKey(entryPath, m.key))
				continue
			}
			b.Bucket[m.key] = d.value(m.value)
		}
		d.uniqueID(e, entryPath, "_id", seen, "bucket", "give each bucket once")
		buckets = append(buckets, b)
	}
	return buckets
}

func (d *jsonDoc) clusters(n *jsonNode, path string) []FixtureCluster {
	if !d.expect(n, path, jsonObject) {
		return nil
	}
	var clusters []FixtureCluster
	for _, m := range n.members {
		clusterPath := joinKey(path, m.key)
		if !clusterNamePattern.MatchString(m.key) || len(m.key) > maxClusterName {
			d.add(m.keyStart, clusterPath, "%q is not a cluster name: Atlas cluster names are 1 to %d ASCII letters, digits "+
				"and hyphens, starting with a letter or digit", m.key, maxClusterName)
		}
		if !d.expect(m.value, clusterPath, jsonObject) {
			continue
		}
		c := FixtureCluster{Name: m.key, Jobs: []Job{}}
		for _, cm := range m.value.members {
			memberPath := joinKey(clusterPath, cm.key)
			switch cm.key {
			case "exports":
				c.Jobs = d.jobs(cm.value, memberPath)
			case "behaviour":
				c.Behaviour = d.clusterBehaviour(cm.value, memberPath)
			default:
				d.unknownKey(cm, memberPath, "a cluster", clusterKeys)
			}
		}
		clusters = append(clusters, c)
	}
	return clusters
}

// jobs reads a cluster's export jobs: Atlas's JSON, every key kept. Only the
// keys the sandbox relies on are checked: id, exportBucketId and createdAt.
func (d *jsonDoc) jobs(n *jsonNode, path string) []Job {
	if !d.expect(n, path, jsonArray) {
		return []Job{}
	}
	jobs := []Job{}
	seen := map[string]string{}
	for i, e := range n.elements {
		entryPath := fmt.Sprintf("%s[%d]", path, i)
		if !d.expect(e, entryPath, jsonObject) {
			continue
		}
		d.uniqueID(e, entryPath, "id", seen, "job", "job ids are unique in a cluster")
		d.objectID(e, entryPath, "exportBucketId", false)
		if created := e.member("createdAt"); created != nil {
			createdPath := joinKey(entryPath, "createdAt")
			if d.expect(created, createdPath, jsonString) {
				// Parse alone would also take fractional seconds.
				if t, err := time.Parse(createdAtLayout, created.str); err != nil || t.Format(createdAtLayout) != created.str {
					d.add(created.start, createdPath, "%q is not a time as Atlas writes it: UTC to the second, such as 2026-08-10T03:28:25Z", created.str)
				}
			}
		}
		var job Job
		if err := json.Unmarshal(d.data[e.start:e.end], &job); err != nil {
			d.add(e.start, entryPath, "%v", err)
			continue
		}
		jobs = append(jobs, job)
	}
	return jobs
}

// uniqueID checks that an entry of a list has an Atlas id under key, and
// that no earlier entry has it (seen: id -> the entry that has it); what
// names the entry and rule the fix in the message.
func (d *jsonDoc) uniqueID(e *jsonNode, entryPath, key string, seen map[string]string, what, rule string) {
	id, ok := d.objectID(e, entryPath, key, true)
	if !ok {
		return
	}
	if first, dup := seen[id]; dup {
		d.add(e.member(key).start, joinKey(entryPath, key), "%s %s is also %s: %s", what, id, first, rule)
	}
	seen[id] = lastSegment(entryPath)
}

// objectID checks that an object's key holds an Atlas id.
func (d *jsonDoc) objectID(obj *jsonNode, path, key string, required bool) (string, bool) {
	n := obj.member(key)
	if n == nil {
		if required {
			d.add(obj.start, joinKey(path, key), "is missing: each entry needs it")
		}
		return "", false
	}
	keyPath := joinKey(path, key)
	if !d.expect(n, keyPath, jsonString) {
		return "", false
	}
	if !objectIDPattern.MatchString(n.str) {
		d.add(n.start, keyPath, "%q is not an Atlas id: %s", n.str, objectIDRule)
		return "", false
	}
	return n.str, true
}

func (d *jsonDoc) clusterBehaviour(n *jsonNode, path string) ClusterBehaviour {
	var b ClusterBehaviour
	if !d.expect(n, path, jsonObject) {
		return b
	}
	b.RetryAfterSeconds = 1
	for _, m := range n.members {
		memberPath := joinKey(path, m.key)
		switch m.key {
		case "latency":
			b.Latency = d.duration(m.value, memberPath)
		case "rateLimitEvery":
			b.RateLimitEvery = d.integer(m.value, memberPath, 1, 1000000, "answers 429 to every N-th request")
		case "retryAfterSeconds":
			b.RetryAfterSeconds = d.integer(m.value, memberPath, 0, 3600, "the Retry-After of the 429 answers")
		case "status", "errorCode":
			d.errorAnswer(m, memberPath, &b.Status, &b.ErrorCode)
		default:
			d.unknownKey(m, memberPath, "a cluster's behaviour", clusterBehaviourKeys)
		}
	}
	d.requires(n, path, "retryAfterSeconds", "rateLimitEvery")
	d.requires(n, path, "errorCode", "status")
	if b.Status > 0 && b.RateLimitEvery > 0 {
		d.add(n.start, path, `has both "status" and "rateLimitEvery": status answers every request, so keep one`)
	}
	return b
}

func (d *jsonDoc) bucketBehaviour(n *jsonNode, path string) BucketBehaviour {
	var b BucketBehaviour
	if !d.expect(n, path, jsonObject) {
		return b
	}
	for _, m := range n.members {
		memberPath := joinKey(path, m.key)
		switch m.key {
		case "status", "errorCode":
			d.errorAnswer(m, memberPath, &b.Status, &b.ErrorCode)
		default:
			d.unknownKey(m, memberPath, "a bucket's behaviour", bucketBehaviourKeys)
		}
	}
	d.requires(n, path, "errorCode", "status")
	return b
}

// errorAnswer reads the status or errorCode of a behaviour.
func (d *jsonDoc) errorAnswer(m jsonMember, path string, status *int, errorCode *string) {
	if m.key == "status" {
		*status = d.integer(m.value, path, 400, 599, "an HTTP error status such as 403 or 503")
		return
	}
	if d.expect(m.value, path, jsonString) {
		if !errorCodePattern.MatchString(m.value.str) {
			d.add(m.value.start, path, "%q is not an Atlas error code: upper case letters, digits and underscores, such as GROUP_NOT_FOUND", m.value.str)
			return
		}
		*errorCode = m.value.str
	}
}

// requires reports key without the key it only works with.
func (d *jsonDoc) requires(obj *jsonNode, path, key, needed string) {
	if obj.member(needed) != nil {
		return
	}
	for _, m := range obj.members {
		if m.key == key {
			d.add(m.keyStart, joinKey(path, key), "works only with %q, which is not set", needed)
		}
	}
}

func (d *jsonDoc) duration(n *jsonNode, path string) time.Duration {
	if !d.expect(n, path, jsonString) {
		return 0
	}
	v, err := time.ParseDuration(n.str)
	switch {
	case err != nil:
		d.add(n.start, path, `%q is not a duration: write one as Go does, such as "200ms" or "1.5s"`, n.str)
	case v <= 0:
		d.add(n.start, path, "%q is not a delay: it must be more than 0", n.str)
	}
	return v
}

func (d *jsonDoc) integer(n *jsonNode, path string, lo, hi int, what string) int {
	if !d.expect(n, path, jsonNumber) {
		return 0
	}
	v, err := strconv.Atoi(n.num.String())
	if err != nil || v < lo || v > hi {
		d.add(n.start, path, "%s is not a whole number from %d to %d (%s)", n.num, lo, hi, what)
		return 0
	}
	return v
}

// value decodes an Atlas value of a bucket, numbers as written.
func (d *jsonDoc) value(n *jsonNode) any {
	dec := json.NewDecoder(bytes.NewReader(d.data[n.start:n.end]))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v) // the document is valid JSON: parseJSONDoc checked it
	return v
}

func (d *jsonDoc) expect(n *jsonNode, path string, kind jsonKind) bool {
	if n.kind != kind {
		d.add(n.start, path, "must be %s, not %s", kind, n.kind)
		return false
	}
	return true
}

func (d *jsonDoc) unknownKey(m jsonMember, path, where string, known []string) {
	if guess := closestKey(m.key, known); guess != "" {
		d.add(m.keyStart, path, "unknown key %q (did you mean %q?): %s has only %s", m.key, guess, where, quoteAll(known))
		return
	}
	d.add(m.keyStart, path, "unknown key %q: %s has only %s", m.key, where, quoteAll(known))
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

func (d *jsonDoc) add(at int, path, format string, args ...any) {
	d.problems = append(d.problems, d.problemAt(at, path, format, args...))
}

// lastSegment is the end of a JSON path, such as exports[0], for messages
// that point at a sibling.
func lastSegment(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}

func quoteAll(keys []string) string {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = strconv.Quote(k)
	}
	return strings.Join(quoted, ", ")
}

// member is the value of an object's key, nil when absent.
func (n *jsonNode) member(key string) *jsonNode {
	var found *jsonNode
	for _, m := range n.members {
		if m.key == key {
			found = m.value // the last one, as encoding/json keeps
		}
	}
	return found
}
