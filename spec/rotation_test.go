package spec

import (
	"testing"

	"github.com/rolekeeper/rolekeeper/state"
)

func TestRotationStrategyIsValidated(t *testing.T) {
	expectInvalid(t, []struct{ name, yaml, want string }{
		{"unknown strategy", "roles:\n  a: {auth: password, rotation: daily}\n", `bad.yaml:2: roles.a.rotation: must be single or alternating, not "daily"`},
		{"alternating without password", "roles:\n  a: {auth: iam, rotation: alternating}\n", "alternating needs auth: password"},
		{"clone already declared", "roles:\n  a: {auth: password, rotation: alternating}\n  a_clone: {}\n", `adds the role "a_clone", which the spec already declares`},
	})
}

// An alternating role brings its clone: a login member of the role with
// its settings and limits, sharing its secret; the two name each other.
func TestAlternatingRotationAddsTheCloneRole(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
schemas: {app: {}}
roles:
  web:
    auth: password
    rotation: alternating
    connection_limit: 5
    settings: {statement_timeout: 30s}
    access: {app: readonly}
  solo: {auth: password}
`))
	if err != nil {
		t.Fatal(err)
	}
	db := s.Desired("app")
	web, clone := db.Roles["web"], db.Roles["web_clone"]
	if clone == nil {
		t.Fatal("no web_clone in the desired state")
	}
	if _, member := clone.MemberOf["web"]; !member || !clone.Login || clone.Auth != state.AuthPassword ||
		clone.PasswordSecret != web.PasswordSecret || clone.ConnectionLimit != 5 || clone.Settings["statement_timeout"][0] != "30s" {
		t.Fatalf("clone: %+v", clone)
	}
	if web.Alternate != "web_clone" || clone.Alternate != "web" || db.Roles["solo"].Alternate != "" || db.Roles["solo_clone"] != nil {
		t.Fatalf("pairs: web %q, clone %q", web.Alternate, clone.Alternate)
	}
	if !db.Privileges["web_clone"].Has("CONNECT") {
		t.Fatal("the clone may not connect")
	}
}
