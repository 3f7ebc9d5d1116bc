package lambda

import (
	"strings"
	"testing"
)

// TestEventsWithRepeatedKeysAreRefused: encoding/json keeps the last of
// repeated keys and matches keys case-insensitively; the event decoder
// refuses both, at any depth, and accepts the same events written once.
func TestEventsWithRepeatedKeysAreRefused(t *testing.T) {
	for _, c := range []struct{ event, want string }{
		{`{"action": "plan", "action": "apply"}`, `the event has the key "action" twice`},
		{`{"action": "apply", "config": {"roles": {"a": {}}, "roles": {}}}`, `the event has the key "config.roles" twice`},
		{`{"action": "apply", "config": {"roles": {"a": {"login": true, "login": false}}}}`, `the event has the key "config.roles.a.login" twice`},
		{`{"action": "apply", "config": {"extensions": [{"a": 1, "a": 2}]}}`, `the event has the key "config.extensions.a" twice`},
		{`{"action": "plan", "Action": "apply"}`, `the event key "Action" must be written "action"`},
		{`{"ACTION": "apply"}`, `the event key "ACTION" must be written "action"`},
	} {
		_, err := decodeEvent([]byte(c.event))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.event, err, c.want)
		}
	}
	for _, ok := range []string{
		`{"action": "plan"}`,
		`{"action": "apply", "config": {"roles": {"a": {"login": true}, "A": {}}, "extensions": ["x", "y"]}, "roles": ["a"]}`,
		`{"action": "apply", "config": {"x": [[{"a": 1}, {"a": 2}], {"a": [1, {"b": {}}]}], "y": {"a": {"a": 1}}}}`,
	} {
		if err := strictKeys([]byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
