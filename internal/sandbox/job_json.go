package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
)

// This file encodes and decodes a Job: a job built in Go is served as Atlas
// sends jobs; a job decoded from JSON (pasted from an Atlas answer) is served
// as written, with every key it had.

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

// MarshalJSON gives a decoded job's JSON as written, or the typed fields as
// served.
func (j Job) MarshalJSON() ([]byte, error) {
	if j.raw != nil {
		return j.raw, nil
	}
	return encodeUnescaped(j.served())
}

// UnmarshalJSON keeps the job's JSON to serve, and reads into the typed
// fields what they can hold (a value of another type leaves its field zero).
func (j *Job) UnmarshalJSON(data []byte) error {
	var typed jobFields
	if err := json.Unmarshal(data, &typed); err != nil {
		if _, wrongType := errors.AsType[*json.UnmarshalTypeError](err); !wrongType {
			return err
		}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return err
	}
	*j = Job(typed)
	j.raw = compact.Bytes()
	return nil
}

// servedPage copies a page of jobs for serveList. Jobs built in Go are
// plain structs, which encoding/json encodes directly; a MarshalJSON call
// per job would encode each job twice and allocate for it, work that the
// benchmarks (client and sandbox in one process) would measure too.
func servedPage(jobs []Job) any {
	plain := make([]jobFields, len(jobs))
	for i, j := range jobs {
		if j.raw != nil {
			return append([]Job(nil), jobs...)
		}
		plain[i] = j.served()
	}
	return plain
}
