package spec

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rolekeeper/rolekeeper/state"
)

func TestExampleSpecsAreValid(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	if len(files) < 2 {
		t.Fatalf("expected the example specs, found %v", files)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Error(err)
		}
	}
}

func TestInvalidSpecsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", "roles:\n  app:\n    logn: true\n", `bad.yaml:3: unknown field "logn" in role`},
		{"wrong type", "roles:\n  app:\n    login: maybe\n", "bad.yaml:3:"},
		{"unknown profile", "schemas: {app: {}}\nroles:\n  app:\n    access:\n      app: readwrit\n", `bad.yaml:5: roles.app.access.app: unknown profile "readwrit" (did you mean "readwrite"?); known profiles: readonly, readwrite`},
		{"undeclared schema", "roles:\n  app:\n    access: {nope: readonly}\n", `roles.app.access.nope: schema "nope" is not declared under schemas`},
		{"duplicate role", "roles:\n  app: {}\n  app: {}\n", `bad.yaml:3: "app" is declared twice (first on line 2)`},
		{"reserved pg_ name", "roles:\n  pg_evil: {}\n", "bad.yaml:2: roles.pg_evil: role names starting with pg_ are reserved"},
		{"reserved rds name", "roles:\n  rdsadmin: {}\n", `"rdsadmin" is reserved`},
		{"long name", "roles:\n  " + strings.Repeat("a", 64) + ": {}\n", "PostgreSQL names are at most 63 bytes"},
		{"bad privilege", "profiles:\n  p: {tables: [SELECT, FLY]}\n", `bad.yaml:2: profiles.p.tables.1: "FLY" is not a privilege here`},
		{"rds_iam listed", "roles:\n  a: {member_of: [rds_iam]}\n", "set auth: iam instead"},
		{"admin role without opt-in", "roles:\n  a: {member_of: [rds_superuser]}\n", "allow_admin_roles: true"},
		{"membership loop", "roles:\n  a: {member_of: [b]}\n  b: {member_of: [a]}\n", "membership loop: a -> b -> a"},
		{"iam without login", "roles:\n  a: {auth: iam, login: false}\n", "auth iam needs login: true"},
		{"bad valid_until", "roles:\n  a: {valid_until: soon}\n", "is not a timestamp"},
		{"absent with fields", "roles:\n  a: {state: absent, login: true}\n", "takes only reassign_owned_to"},
		{"bad mode", "mode: yolo\n", `mode: must be authoritative or additive, not "yolo"`},
		{"bad setting name", "database_settings: {\"x; drop\": 1}\n", "is not a setting name"},
		{"list for scalar setting", "database_settings: {work_mem: [a, b]}\n", "work_mem takes one value"},
		{"not a mapping", "- a\n- b\n", "the spec must be a mapping"},
		{"empty", "", "file is empty"},
		{"syntax error", "roles: {app: [}\n", "bad.yaml: did not find expected node content"},
		{"bad indentation", "roles:\n  a: {}\n b: {}\n", "bad.yaml:2: did not find expected key"},
		{"two documents", "roles: {}\n---\nroles: {}\n", "more than one YAML document"},
		{"NUL byte", "roles: {a\x00: {}}\n", "NUL byte"},
		{"version", "version: 7\n", "unsupported version 7"},
		{"system schema", "schemas: {pg_catalog: {}}\n", "is a system schema"},
		{"absent owner", "schemas: {s: {owner: o}}\nroles: {o: {state: absent}}\n", `owner "o" is declared absent`},
		{"unknown extension field", "extensions: {vector: {version: 1}}\n", `unknown field "version"`},
		{"grant without kind", "schemas: {s: {}}\nroles:\n  a:\n    grants:\n      - {schema: s, privileges: [SELECT]}\n", "bad.yaml:5: roles.a.grants.0: give either tables or sequences"},
		{"grant bad privilege", "schemas: {s: {}}\nroles:\n  a:\n    grants:\n      - {schema: s, sequences: [q], privileges: [DELETE]}\n", `"DELETE" is not a privilege on sequences`},
		{"grant undeclared schema", "roles:\n  a:\n    grants:\n      - {schema: nope, tables: [t], privileges: [SELECT]}\n", `schema "nope" is not declared`},
		{"access_owned_by unknown owner", "schemas: {s: {owner: o}}\nroles:\n  a:\n    access_owned_by: {x: readonly}\n", `bad.yaml:4: roles.a.access_owned_by.x: no schema declared under schemas has owner "x"`},
		{"access_owned_by and access", "schemas: {s: {owner: o}}\nroles:\n  a:\n    access: {s: readonly}\n    access_owned_by: {o: readonly}\n", `schema "s" (owned by o) is also under access`},
		{"access_owned_by bad profile", "schemas: {s: {owner: o}}\nroles:\n  a: {access_owned_by: {o: reader}}\n", `unknown profile "reader"`},
		{"unknown access field", "schemas: {s: {}}\nroles:\n  a:\n    access:\n      s: {tabels: [SELECT]}\n", `unknown field "tabels"`},
	}
	expectInvalid(t, cases)
}

// expectInvalid parses each case as bad.yaml and requires an error that
// holds want.
func expectInvalid(t *testing.T, cases []struct{ name, yaml, want string }) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n  %v\nlacks\n  %s", err, c.want)
			}
		})
	}
}

func TestJSONIsAccepted(t *testing.T) {
	s, err := Parse("spec.json", []byte(`{"database": "app", "schemas": {"app": {"owner": "migrator"}},
		"roles": {"migrator": {"auth": "iam"}, "app": {"auth": "iam", "access": {"app": "readwrite"}}},
		"extensions": ["pgcrypto"], "database_settings": {"search_path": ["app", "public"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	db := s.Desired("ignored")
	if db.Name != "app" || !db.Roles["app"].Login || db.Extensions["pgcrypto"] == nil {
		t.Fatalf("unexpected desired state: %+v", db)
	}
	if got := db.Settings["search_path"]; strings.Join(got, ",") != "app,public" {
		t.Fatalf("search_path = %q", got)
	}
}

func TestDesiredExpandsProfilesAndDefaults(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
schemas:
  app: {owner: migrator, default_privileges_for: [etl]}
profiles:
  auditor: {schema: [usage], tables: [select, references]}
roles:
  migrator: {login: true}
  etl: {}
  app: {login: true, access: {app: readwrite}}
  audit: {access: {app: auditor}, database_privileges: [temp]}
`))
	if err != nil {
		t.Fatal(err)
	}
	db := s.Desired("app")
	app := db.Schemas["app"]
	if got := app.Objects[state.Tables].Full["app"].Minus(0, state.KindPrivileges[state.Tables]); strings.Join(got, ",") != "SELECT,INSERT,UPDATE,DELETE" {
		t.Errorf("readwrite tables = %v", got)
	}
	if got := app.Objects[state.Tables].Full["audit"].Minus(0, state.KindPrivileges[state.Tables]); strings.Join(got, ",") != "SELECT,REFERENCES" {
		t.Errorf("custom profile tables = %v", got)
	}
	for _, creator := range []string{"migrator", "etl"} {
		if !app.Defaults[creator][state.Tables]["app"].Has("INSERT") {
			t.Errorf("default privileges for %s's tables miss app INSERT", creator)
		}
	}
	if !db.Privileges["app"].Has("CONNECT") || db.Privileges["etl"].Has("CONNECT") {
		t.Errorf("CONNECT goes to login roles only: %v", db.Privileges)
	}
	if !db.Privileges["audit"].Has("TEMPORARY") {
		t.Errorf("database_privileges not expanded: %v", db.Privileges)
	}
	if _, ok := db.Roles["app"].MemberOf[state.IAMRole]; ok {
		t.Errorf("auth none must not add rds_iam")
	}
}

func TestIAMRolesJoinRdsIam(t *testing.T) {
	s, err := Parse("t.yaml", []byte("roles: {a: {auth: iam}}"))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Desired("app").Roles["a"]
	if _, ok := r.MemberOf[state.IAMRole]; !ok || !r.Login {
		t.Fatalf("iam role: %+v", r)
	}
}

func TestSchemaFileIsValidJSONSchemaOfEveryField(t *testing.T) {
	b, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(JSONSchema()) {
		t.Fatal("embedded schema differs from schema.json")
	}
}

// TestSchemaCoversEveryField keeps schema.json and the Go types in step:
// every yaml key of each struct is a property of its schema definition,
// and the definitions name no field the parser would reject.
func TestSchemaCoversEveryField(t *testing.T) {
	var doc struct {
		Properties map[string]any `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(JSONSchema(), &doc); err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	check := func(def string, props map[string]any, typ reflect.Type) {
		want := map[string]bool{}
		for i := 0; i < typ.NumField(); i++ {
			if tag := strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]; tag != "" {
				want[tag] = true
			}
		}
		for k := range want {
			if _, ok := props[k]; !ok {
				t.Errorf("schema %s lacks field %q", def, k)
			}
		}
		for k := range props {
			if !want[k] {
				t.Errorf("schema %s has field %q that the parser rejects", def, k)
			}
		}
	}
	check("(root)", doc.Properties, reflect.TypeOf(Spec{}))
	check("role", doc.Defs["role"].Properties, reflect.TypeOf(Role{}))
	check("schema", doc.Defs["schema"].Properties, reflect.TypeOf(Schema{}))
	check("privileges", doc.Defs["privileges"].Properties, reflect.TypeOf(Privileges{}))
	check("public", doc.Defs["public"].Properties, reflect.TypeOf(Public{}))
	check("extension", doc.Defs["extension"].Properties, reflect.TypeOf(Extension{}))
	check("grant", doc.Defs["grant"].Properties, reflect.TypeOf(Grant{}))
	check("database", doc.Defs["database"].Properties, reflect.TypeOf(DatabaseSpec{}))
	check("databaseRole", doc.Defs["databaseRole"].Properties, reflect.TypeOf(DatabaseRole{}))
}

func TestSizeLimitAndAliasesAreBounded(t *testing.T) {
	big := append([]byte("roles:\n"), strings.Repeat("#", MaxFileSize)...)
	if _, err := Parse("big.yaml", big); err == nil || !strings.Contains(err.Error(), "larger than 10485760 bytes (10 MiB)") {
		t.Fatalf("over-size spec: %v", err)
	}
	if _, err := Parse("ok.yaml", manyRolesSpec(1000)); err != nil {
		t.Fatal(err)
	}
	// A billion-laughs document: each level merges the previous one twice.
	var b strings.Builder
	b.WriteString("roles:\n  r0: &r0 {login: true}\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "  r%d: &r%d {<<: [*r%d, *r%d]}\n", i, i, i-1, i-1)
	}
	if _, err := Parse("laughs.yaml", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Fatalf("alias bomb: %v", err)
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	s, err := Parse("merge.yaml", []byte(`schemas: {app: {}}
roles:
  base: &base {login: true, access: {app: readonly}, connection_limit: 3}
  a: {<<: *base, connection_limit: 5}
  b:
    <<: [*base]
    member_of: [base]
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Roles["a"], s.Roles["b"]
	if *a.ConnectionLimit != 5 || a.Login == nil || !*a.Login || a.Access["app"].Profile != "readonly" {
		t.Fatalf("a = %+v", a)
	}
	if *b.ConnectionLimit != 3 || len(b.MemberOf) != 1 {
		t.Fatalf("b = %+v", b)
	}
	if _, err := Parse("dup.yaml", []byte("roles:\n  a: {login: true, login: false}\n")); err == nil || !strings.Contains(err.Error(), `dup.yaml:2: "login" is declared twice`) {
		t.Fatalf("duplicate field: %v", err)
	}
}

func TestAccessOwnedByIsAccessOnEachOwnedSchema(t *testing.T) {
	grouped, err := Parse("g.yaml", []byte("schemas: {a: {owner: o}, b: {owner: o}, c: {owner: p}, d: {}}\nroles:\n  o: {}\n  r: {access: {c: readwrite}, access_owned_by: {o: readonly}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	explicit, err := Parse("e.yaml", []byte("schemas: {a: {owner: o}, b: {owner: o}, c: {owner: p}, d: {}}\nroles:\n  o: {}\n  r: {access: {a: readonly, b: readonly, c: readwrite}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	g, e := grouped.Desired("app"), explicit.Desired("app")
	if !reflect.DeepEqual(g, e) {
		t.Fatalf("access_owned_by differs from access on each schema:\n%+v\n%+v", g.Schemas, e.Schemas)
	}
	if g.Schemas["d"].Privileges["r"] != 0 || g.Schemas["a"].Privileges["r"] == 0 {
		t.Fatalf("unexpected schema privileges: %+v", g.Schemas)
	}
}
