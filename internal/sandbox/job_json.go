package sandbox

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// This file encodes and decodes a Job with its Extra keys, so that a job
// pasted from an Atlas answer is served with every key it had, each value as
// it was written.

// jobFields is Job without its methods: the typed fields' own encoding.
type jobFields Job

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
	typed, err := encodeUnescaped(jobFields(j))
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
	encoded, err := encodeUnescaped(typed)
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
