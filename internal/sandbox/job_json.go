package sandbox

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// This file encodes and decodes a Job with its Extra keys, so that a job
// pasted from an Atlas answer is served with every key it had, each value as
// it was written.

// jobFields is Job without its methods: the typed fields' own encoding.
type jobFields Job

// AsServed is the job as the sandbox serves it: with exportStatus and
// customData, which every recorded job body has (0 of 0 collections and []
// in every state), when it has none of its own.
func (j Job) AsServed() Job { return Job(j.served()) }

func (j Job) served() jobFields {
	if j.ExportStatus == nil {
		j.ExportStatus = &ExportStatus{}
	}
	if j.CustomData == nil {
		j.CustomData = &[]Label{}
	}
	return jobFields(j)
}

// jobFieldIndex maps each JSON key of a typed field to its field index.
var jobFieldIndex = func() map[string]int {
	index := map[string]int{}
	t := reflect.TypeFor[jobFields]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			index[name] = i
		}
	}
	return index
}()

// MarshalJSON encodes the typed fields, then lays Extra over them. Without
// Extra the keys come in field order; with it, sorted (as Atlas sends them).
func (j Job) MarshalJSON() ([]byte, error) {
	typed, err := encodeUnescaped(j.served())
	if err != nil || len(j.Extra) == 0 {
		return typed, err
	}
	merged := map[string]json.RawMessage{}
	if err := json.Unmarshal(typed, &merged); err != nil {
		return nil, err
	}
	for key, value := range j.Extra {
		if value == nil {
			delete(merged, key)
		} else {
			merged[key] = value
		}
	}
	return encodeUnescaped(merged)
}

// UnmarshalJSON decodes every key into its typed field, and into Extra the
// keys the typed fields would not encode back as written: unknown keys,
// values a field cannot hold (the field then stays zero) or holds only in
// part, and keys a field would add (a nil Extra value leaves them out).
func (j *Job) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	var typed jobFields
	fields := reflect.ValueOf(&typed).Elem()
	for key, value := range raw {
		if i, known := jobFieldIndex[key]; known {
			if err := json.Unmarshal(value, fields.Field(i).Addr().Interface()); err != nil {
				fields.Field(i).SetZero()
			}
		}
	}
	encoded, err := encodeUnescaped(Job(typed).served())
	if err != nil {
		return err
	}
	var back map[string]json.RawMessage
	if err := json.Unmarshal(encoded, &back); err != nil {
		return err
	}
	extra := map[string]json.RawMessage{}
	for key, value := range raw {
		if !sameJSON(back[key], value) {
			extra[key] = value
		}
	}
	for key := range back {
		if _, written := raw[key]; !written {
			extra[key] = nil
		}
	}
	if len(extra) > 0 {
		typed.Extra = extra
	}
	*j = Job(typed)
	return nil
}

// sameJSON reports whether two JSON texts are the same but for white space.
func sameJSON(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ca, cb bytes.Buffer
	return json.Compact(&ca, a) == nil && json.Compact(&cb, b) == nil && bytes.Equal(ca.Bytes(), cb.Bytes())
}

// servedPage copies a page of jobs for serveList. Without Extra they are
// plain structs, which encoding/json encodes directly; a MarshalJSON call
// per job would encode each job twice and allocate for it, work that the
// benchmarks (client and sandbox in one process) would measure too.
func servedPage(jobs []Job) any {
	plain := make([]jobFields, len(jobs))
	for i, j := range jobs {
		if len(j.Extra) > 0 {
			return slices.Clone(jobs)
		}
		plain[i] = j.served()
	}
	return plain
}
