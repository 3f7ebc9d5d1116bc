package spec

import (
	"strings"
	"testing"
)

const twoDatabases = `roles:
  migrator: {auth: iam}
  app: {auth: iam}
  analyst: {auth: password}
databases:
  b:
    schemas: {marts: {owner: migrator}}
    roles:
      analyst: {access: {marts: readonly}, settings: {work_mem: 64MB}}
  a:
    schemas: {app: {owner: migrator}}
    roles:
      app: {access: {app: readwrite}}
      analyst: {access: {app: readonly}}
`

func TestSeveralDatabasesExpandPerDatabase(t *testing.T) {
	s, err := Parse("multi.yaml", []byte(twoDatabases))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.DatabaseNames(), ","); got != "a,b" {
		t.Fatalf("order %q, want a,b (sorted by name)", got)
	}
	a, b := s.Desired("a"), s.Desired("b")
	if a.Name != "a" || b.Name != "b" {
		t.Fatalf("names %q %q", a.Name, b.Name)
	}
	if _, ok := a.Schemas["marts"]; ok || a.Schemas["app"] == nil || b.Schemas["marts"] == nil {
		t.Fatalf("schemas leaked between databases: a %v b %v", a.Schemas, b.Schemas)
	}
	if !a.Schemas["app"].Privileges["app"].Has("USAGE") || b.Schemas["marts"].Privileges["app"] != 0 {
		t.Fatalf("access of app: a %v, b %v", a.Schemas["app"].Privileges, b.Schemas["marts"].Privileges)
	}
	if len(a.Roles["analyst"].Settings) != 0 || b.Roles["analyst"].Settings["work_mem"] == nil {
		t.Fatalf("per-database settings: a %v b %v", a.Roles["analyst"].Settings, b.Roles["analyst"].Settings)
	}
	// One password for the cluster: the same secret in every database.
	if a.Roles["analyst"].PasswordSecret != "rolekeeper/a/analyst" || b.Roles["analyst"].PasswordSecret != a.Roles["analyst"].PasswordSecret {
		t.Fatalf("secrets %q %q, want rolekeeper/a/analyst in both", a.Roles["analyst"].PasswordSecret, b.Roles["analyst"].PasswordSecret)
	}
	// Roles are cluster-wide: every database's state declares all of them.
	for _, db := range []string{"a", "b"} {
		if d := s.Desired(db); len(d.Roles) != 3 {
			t.Fatalf("%s: roles %v", db, d.Roles)
		}
	}
}

func TestSeveralDatabasesErrorsSayWhereInTheFile(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"top-level schemas mixed in", "schemas: {app: {}}\nroles: {a: {}}\ndatabases:\n  x: {}\n",
			"m.yaml:1: schemas: a spec with databases gives schemas per database: move it under databases.<name>.schemas"},
		{"top-level database mixed in", "database: app\ndatabases:\n  x: {}\n",
			"m.yaml:1: database: a spec with databases gives database per database"},
		{"role access at the top", "roles:\n  a:\n    access: {s: readonly}\ndatabases:\n  x: {schemas: {s: {}}}\n",
			"m.yaml:3: roles.a.access: a spec with databases gives a role's access per database: move it under databases.<name>.roles.a.access"},
		{"undeclared role", "roles: {app: {}}\ndatabases:\n  x:\n    roles:\n      ap: {}\n",
			`m.yaml:5: databases.x.roles.ap: role "ap" is not declared under roles; roles are cluster-wide: declare it there, and give it access here (did you mean "app"?)`},
		{"unknown profile in a database", "roles: {app: {}}\ndatabases:\n  x:\n    schemas: {s: {}}\n    roles:\n      app:\n        access: {s: readwrit}\n",
			`m.yaml:7: databases.x.roles.app.access.s: unknown profile "readwrit"`},
		{"undeclared schema in a database", "roles: {app: {}}\ndatabases:\n  x:\n    schemas: {s: {}}\n  y:\n    roles:\n      app:\n        access: {s: readonly}\n",
			`m.yaml:8: databases.y.roles.app.access.s: schema "s" is not declared under schemas`},
		{"database setting", "databases:\n  x:\n    database_settings: {\"bad name\": 1}\n",
			"m.yaml:3: databases.x.database_settings.bad name:"},
		{"empty database name", "databases:\n  \"\": {}\n", "databases.: a name cannot be empty"},
		// An empty databases is no one-database spec of the connection's
		// database: authoritative mode would revoke there what the file
		// meant to give somewhere else.
		{"no database", "roles: {a: {}}\ndatabases: {}\n",
			"m.yaml:2: databases: declares no database: give at least one under databases, or remove databases to describe the connection's database"},
		{"every database commented out", "roles: {a: {}}\ndatabases:\n  # app: {}\n",
			"m.yaml:2: databases: declares no database"},
		{"absent role with access", "roles: {old: {state: absent}}\ndatabases:\n  x:\n    roles: {old: {database_privileges: [CONNECT]}}\n",
			`databases.x.roles.old: role "old" is declared absent`},
	}
	for _, c := range cases {
		_, err := Parse("m.yaml", []byte(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant %s", c.name, err, c.want)
		}
	}
	// An explicit null (a generated JSON spec's "none") is no databases.
	if _, err := Parse("m.json", []byte(`{"roles": {"a": {}}, "databases": null}`)); err != nil {
		t.Errorf("databases: null: %v", err)
	}
	// A role error that holds in every database is said once.
	_, err := Parse("m.yaml", []byte("roles: {a: {auth: kerberos}}\ndatabases: {x: {}, y: {}}\n"))
	if err == nil || strings.Count(err.Error(), "must be iam, password or none") != 1 {
		t.Fatalf("cluster-wide error: %v", err)
	}
}

func TestOneDatabaseSpecIsUnchanged(t *testing.T) {
	s, err := Load("../examples/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if s.MultiDatabase() || s.DatabaseNames() != nil {
		t.Fatal("a spec without databases is a one-database spec")
	}
}

func TestCombineRenamesClashingProfiles(t *testing.T) {
	login := true
	a := &Spec{
		Profiles: map[string]*Privileges{"inspected_1": {Tables: []string{"SELECT"}}},
		Schemas:  map[string]*Schema{"s": {}},
		Roles: map[string]*Role{
			"r":    {Login: &login, hasConnect: true, Access: map[string]*Access{"s": {Profile: "inspected_1"}}},
			"idle": {Login: &login, hasConnect: false},
		},
	}
	b := &Spec{
		Profiles: map[string]*Privileges{"inspected_1": {Tables: []string{"INSERT"}}},
		Schemas:  map[string]*Schema{"t": {}},
		Roles: map[string]*Role{
			"r":    {Login: &login, hasConnect: true, Access: map[string]*Access{"t": {Profile: "inspected_1"}}},
			"idle": {Login: &login, hasConnect: true},
		},
	}
	out, notes := Combine(map[string]*Spec{"a": a, "b": b}, map[string][]string{"a": {noConnectNote("idle"), "something else"}})
	if len(out.Profiles) != 2 || out.Profiles["inspected_1_2"] == nil || out.Databases["b"].Roles["r"].Access["t"].Profile != "inspected_1_2" || out.Databases["a"].Roles["r"].Access["s"].Profile != "inspected_1" {
		t.Fatalf("profiles %v, b's access %v", out.Profiles, out.Databases["b"].Roles["r"].Access["t"])
	}
	if _, listed := out.Databases["a"].Roles["idle"]; listed {
		t.Fatal("a login role without CONNECT in a database is not listed there")
	}
	if _, listed := out.Databases["b"].Roles["idle"]; !listed {
		t.Fatal("a login role with CONNECT in a database is listed there")
	}
	if len(notes) != 1 || notes[0] != `database "a": something else` {
		t.Fatalf("notes %q", notes)
	}
	if out.Roles["r"].Access != nil {
		t.Fatal("per-database fields left at the top level")
	}
	if _, err := Parse("combined", mustMarshal(t, out)); err != nil {
		t.Fatalf("the combined spec does not parse: %v", err)
	}
}

func mustMarshal(t *testing.T, s *Spec) []byte {
	t.Helper()
	b, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
