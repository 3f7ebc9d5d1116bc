package spec

import (
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/state"
)

func TestDefaultPrivilegesAreValidated(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"undeclared grantee", "default_privileges:\n  migrator:\n    app: readonly\n", `bad.yaml:3: default_privileges.migrator.app: role "app" is not declared under roles`},
		{"unknown profile", "roles: {app: {}}\ndefault_privileges:\n  migrator:\n    app: readwirte\n", `bad.yaml:4: default_privileges.migrator.app: unknown profile "readwirte"`},
		{"bad privilege", "roles: {app: {}}\ndefault_privileges:\n  migrator:\n    app: {tables: [FLY]}\n", `default_privileges.migrator.app.tables.0: "FLY" is not a privilege here`},
		{"schema privileges", "roles: {app: {}}\ndefault_privileges:\n  migrator:\n    app: {schema: [USAGE]}\n", "schema privileges belong under roles.app.access"},
		{"empty creator", "roles: {app: {}}\ndefault_privileges:\n  migrator: {}\n", "give the roles that get privileges"},
		{"creator is grantee", "roles: {app: {}}\ndefault_privileges:\n  app:\n    app: readonly\n", "always has every privilege on what it creates"},
		{"absent grantee", "roles: {app: {state: absent}}\ndefault_privileges:\n  m:\n    app: readonly\n", `role "app" is declared absent`},
		{"unknown field", "roles: {app: {}}\ndefault_privileges:\n  m:\n    app: {tabels: [SELECT]}\n", `unknown field "tabels"`},
	}
	expectInvalid(t, cases)
}

func TestDefaultPrivilegesExpand(t *testing.T) {
	s, err := Parse("ok.yaml", []byte("roles: {app: {}, ro: {}}\ndefault_privileges:\n  migrator:\n    app: readwrite\n    ro: {tables: [select]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	db := s.Desired("app")
	got := db.GlobalDefaults["migrator"]
	if strings.Join(got[state.Tables]["app"].Minus(0, state.KindPrivileges[state.Tables]), ",") != "SELECT,INSERT,UPDATE,DELETE" ||
		strings.Join(got[state.Functions]["app"].Minus(0, state.KindPrivileges[state.Functions]), ",") != "EXECUTE" ||
		strings.Join(got[state.Tables]["ro"].Minus(0, state.KindPrivileges[state.Tables]), ",") != "SELECT" ||
		got[state.Sequences]["ro"] != 0 {
		t.Fatalf("default_privileges expanded to %v", got)
	}
}
