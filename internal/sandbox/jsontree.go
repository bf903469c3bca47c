package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// This file reads a JSON document into a tree that remembers where each
// value and key starts, so that a fixtures problem can name its line, column
// and JSON path, in the order the file has them.

type jsonKind int

const (
	jsonObject jsonKind = iota
	jsonArray
	jsonString
	jsonNumber
	jsonBool
	jsonNull
)

func (k jsonKind) String() string {
	return [...]string{"an object", "an array", "a string", "a number", "a boolean", "null"}[k]
}

// jsonNode is one value of the document. Objects keep their members in the
// order written.
type jsonNode struct {
	kind       jsonKind
	start, end int // the value's bytes: doc[start:end]
	members    []jsonMember
	elements   []*jsonNode
	str        string
	num        json.Number
}

type jsonMember struct {
	key      string
	keyStart int
	value    *jsonNode
}

// jsonDoc is a parsed document and the problems found while parsing it.
type jsonDoc struct {
	data     []byte
	root     *jsonNode
	problems []FixtureProblem
}

// parseJSONDoc parses data; a syntax error ends it with a single problem.
func parseJSONDoc(data []byte) (*jsonDoc, error) {
	doc := &jsonDoc{data: data}
	// Unmarshal finds syntax errors, with their offset, before the tree is
	// built, and bounds the nesting depth the tree's recursion sees.
	var whole json.RawMessage
	if err := json.Unmarshal(data, &whole); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			at := max(int(syntax.Offset)-1, 0)
			return nil, &FixturesError{Problems: []FixtureProblem{doc.problemAt(at, "", "invalid JSON: %v", err)}}
		}
		return nil, &FixturesError{Problems: []FixtureProblem{doc.problemAt(0, "", "invalid JSON: %v", err)}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	root, err := doc.read(dec, "")
	if err != nil {
		return nil, err
	}
	doc.root = root
	return doc, nil
}

func (d *jsonDoc) read(dec *json.Decoder, path string) (*jsonNode, error) {
	n := &jsonNode{start: d.skipSeparators(int(dec.InputOffset()))}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n.kind = jsonObject
			err = d.readMembers(dec, n, path)
		} else {
			n.kind = jsonArray
			err = d.readElements(dec, n, path)
		}
		if err != nil {
			return nil, err
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = jsonString, t
	case json.Number:
		n.kind, n.num = jsonNumber, t
	case bool:
		n.kind = jsonBool
	default:
		n.kind = jsonNull
	}
	n.end = int(dec.InputOffset())
	return n, nil
}

func (d *jsonDoc) readMembers(dec *json.Decoder, n *jsonNode, path string) error {
	seen := map[string]int{}
	for dec.More() {
		keyStart := d.skipSeparators(int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		memberPath := joinKey(path, key)
		if first, dup := seen[key]; dup {
			line, _ := d.position(first)
			d.problems = append(d.problems, d.problemAt(keyStart, memberPath,
				"duplicate key %q (first at line %d): JSON keeps only the last one, so remove or rename one", key, line))
		}
		seen[key] = keyStart
		value, err := d.read(dec, memberPath)
		if err != nil {
			return err
		}
		n.members = append(n.members, jsonMember{key: key, keyStart: keyStart, value: value})
	}
	return nil
}

func (d *jsonDoc) readElements(dec *json.Decoder, n *jsonNode, path string) error {
	for dec.More() {
		element, err := d.read(dec, fmt.Sprintf("%s[%d]", path, len(n.elements)))
		if err != nil {
			return err
		}
		n.elements = append(n.elements, element)
	}
	return nil
}

// skipSeparators moves from where the decoder stopped to where the next
// token starts: past white space, commas and colons.
func (d *jsonDoc) skipSeparators(at int) int {
	for at < len(d.data) {
		switch d.data[at] {
		case ' ', '\t', '\r', '\n', ',', ':':
			at++
		default:
			return at
		}
	}
	return at
}

// position is the 1-based line and column (in characters) of a byte offset.
func (d *jsonDoc) position(at int) (line, column int) {
	at = min(at, len(d.data))
	before := d.data[:at]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[lineStart:]) + 1
}

func (d *jsonDoc) problemAt(at int, path, format string, args ...any) FixtureProblem {
	line, column := d.position(at)
	return FixtureProblem{Line: line, Column: column, Path: path, Message: fmt.Sprintf(format, args...)}
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
