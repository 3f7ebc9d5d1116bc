package lambda

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// eventFields are the event's keys, exactly as written.
var eventFields = func() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeOf(Event{})
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}()

// strictKeys refuses what encoding/json lets through silently: a key
// written twice in any object of the event (the last would win), and an
// event key in another case than its own ({"Action": ...}), which
// encoding/json would match case-insensitively. Spec files are refused the
// same duplicates by the spec parser.
func strictKeys(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	type object struct {
		keys  map[string]bool
		path  string
		isKey bool // the next string token is a key
	}
	var stack []*object
	path := func(key string) string {
		if len(stack) == 0 || stack[len(stack)-1].path == "" {
			return key
		}
		return stack[len(stack)-1].path + "." + key
	}
	var pending string // the key whose value comes next
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // not JSON: the decoder's own error says so
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			if pending == "" && top != nil && top.keys == nil {
				pending = top.path // an element of an array: the array's path
			}
			switch t {
			case '{':
				stack = append(stack, &object{keys: map[string]bool{}, path: pending, isKey: true})
				pending = ""
			case '[':
				stack = append(stack, &object{path: pending})
				pending = ""
			case '}', ']':
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].keys != nil {
					stack[len(stack)-1].isKey = true
				}
			}
			continue
		case string:
			if top != nil && top.keys != nil && top.isKey {
				where := path(t)
				if top.keys[t] {
					return fmt.Errorf("the event has the key %q twice; JSON objects with repeated keys are refused, since only one would count", where)
				}
				if len(stack) == 1 && !eventFields[t] {
					for f := range eventFields {
						if strings.EqualFold(f, t) {
							return fmt.Errorf("the event key %q must be written %q", t, f)
						}
					}
				}
				top.keys[t] = true
				top.isKey = false
				pending = where
				continue
			}
		}
		if top != nil && top.keys != nil {
			top.isKey = true // a scalar value ends the pair
		}
		pending = ""
	}
}
