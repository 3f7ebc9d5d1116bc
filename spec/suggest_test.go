package spec_test

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/spec"
)

func TestClosestFindsTyposOnly(t *testing.T) {
	known := []string{"readonly", "readwrite", "reporting", "app", "apply", "plan", "format"}
	cases := []struct{ got, want string }{
		{"readwirte", "readwrite"}, // swapped letters
		{"readonyl", "readonly"},
		{"ReadOnly", "readonly"}, // case
		{"aply", "apply"},        // a letter dropped
		{"fromat", "format"},
		{"reportng", "reporting"},
		{"readonly", ""},      // itself: nothing to suggest
		{"superuser", ""},     // nothing near
		{"x", ""},             // one letter is near everything short: no
		{"apx", "app"},        // one edit in three letters
		{"zzzzzzzzzzzzz", ""}, // long and far
	}
	for _, c := range cases {
		if got := spec.Closest(c.got, known); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.got, got, c.want)
		}
	}
	if got := spec.DidYouMean("aply", known); got != ` (did you mean "apply"?)` {
		t.Errorf("DidYouMean: %q", got)
	}
}

func TestSpecErrorsSuggestTheNearestName(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"roles:\n  app:\n    logn: true\n", `unknown field "logn" in role (did you mean "login"?)`},
		{"rolse:\n  app: {}\n", `unknown field "rolse" in spec (did you mean "roles"?)`},
		{"roles: {a: {}}\ndatabases:\n  x:\n    schemes: {}\n", `t.yaml:4: unknown field "schemes" in a database (databases.<name>) (did you mean "schemas"?)`},
		{"roles: {a: {}}\ndatabases:\n  x:\n    roles:\n      a: {acces: {}}\n", `t.yaml:5: unknown field "acces" in a role's entry in a database (databases.<name>.roles.<role>) (did you mean "access"?)`},
		{"schemas: {app: {}}\nroles:\n  app:\n    access: {app: readwirte}\n", `unknown profile "readwirte" (did you mean "readwrite"?)`},
		{"schemas: {app: {}}\nroles:\n  app:\n    access: {ap: readonly}\n", `schema "ap" is not declared under schemas (did you mean "app"?)`},
		{"schemas: {app: {}}\nroles:\n  app:\n    grants: [{schema: appp, tables: [t], privileges: [SELECT]}]\n", `schema "appp" is not declared under schemas (did you mean "app"?)`},
		{"schemas: {app: {}}\nroles:\n  migrator: {}\n  reader: {}\ndefault_privileges:\n  migrator: {raeder: readonly}\n", `role "raeder" is not declared under roles (did you mean "reader"?)`},
	}
	for _, c := range cases {
		_, err := spec.Parse("t.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("spec:\n%s\nerror %v\nlacks %s", c.yaml, err, c.want)
		}
	}
	// Far from every name: no suggestion, the plain error.
	_, err := spec.Parse("t.yaml", []byte("roles:\n  app:\n    colour: blue\n"))
	if err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("expected no suggestion, got %v", err)
	}
}
