package spec_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/rolekeeper/rolekeeper/spec"
)

// compiledSchema compiles spec/schema.json with a real JSON Schema
// (draft 2020-12) validator.
func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(spec.JSONSchema()))
	if err != nil {
		t.Fatalf("schema.json is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("schema.json is not a valid JSON Schema: %v", err)
	}
	return sch
}

// schemaVerdict validates a YAML or JSON document against the schema; ok
// is false when the document is not YAML at all.
func schemaVerdict(t *testing.T, sch *jsonschema.Schema, src []byte) (error, bool) {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		return nil, false
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false // keys that are not strings: not a JSON document
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst), true
}

// TestSchemaAcceptsEverySpecTheParserAccepts: the examples, the README's
// spec blocks and generated specs that exercise every documented field
// are valid both for the parser and for spec/schema.json, so an editor
// that validates with the schema never flags a file rolekeeper accepts.
func TestSchemaAcceptsEverySpecTheParserAccepts(t *testing.T) {
	sch := compiledSchema(t)
	docs := map[string][]byte{}
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[f] = b
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1) {
		if _, err := spec.Parse("README", m[1]); err == nil {
			docs[fmt.Sprintf("README block %d", i+1)] = m[1]
		}
	}
	for seed := uint64(1); seed <= 50; seed++ {
		docs[fmt.Sprintf("generated seed %d", seed)] = generatedSpec(seed)
	}
	if len(docs) < 52 {
		t.Fatalf("only %d documents to check", len(docs))
	}
	for name, src := range docs {
		if _, err := spec.Parse(name, src); err != nil {
			t.Errorf("%s: the parser refuses it: %v\n%s", name, err, src)
			continue
		}
		if err, ok := schemaVerdict(t, sch, src); !ok || err != nil {
			t.Errorf("%s: valid for rolekeeper, invalid for schema.json: %v\n%s", name, err, src)
		}
	}
}

// TestSchemaRefusesWhatTheParserRefuses: structural mistakes a schema can
// express are refused by both.
func TestSchemaRefusesWhatTheParserRefuses(t *testing.T) {
	sch := compiledSchema(t)
	bad := map[string]string{
		"unknown top-level field":       "database: app\nrolez: {}\n",
		"unknown role field":            "roles:\n  a: {logn: true}\n",
		"auth outside the enum":         "roles:\n  a: {auth: kerberos}\n",
		"mode outside the enum":         "mode: sometimes\n",
		"login not a boolean":           "roles:\n  a: {login: [true]}\n",
		"a built-in profile redefined":  "profiles:\n  readonly: {tables: [SELECT]}\n",
		"unknown table privilege":       "profiles:\n  p: {tables: [SELEKT]}\n",
		"roles not a mapping":           "roles: [a, b]\n",
		"schema owner not a string":     "schemas:\n  app: {owner: {name: x}}\n",
		"version 2":                     "version: 2\n",
		"connection_limit not a number": "roles:\n  a: {connection_limit: many}\n",
	}
	for name, src := range bad {
		if _, err := spec.Parse(name, []byte(src)); err == nil {
			t.Errorf("%s: the parser accepts it", name)
		}
		if err, ok := schemaVerdict(t, sch, []byte(src)); ok && err == nil {
			t.Errorf("%s: schema.json accepts it:\n%s", name, src)
		}
	}
}

// generatedSpec writes a valid spec from a seed, drawing on every field
// the README documents.
func generatedSpec(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	var b strings.Builder
	b.WriteString("version: 1\ndatabase: app\n")
	if r.IntN(3) == 0 {
		b.WriteString("mode: " + pick("authoritative", "additive") + "\n")
	}
	b.WriteString("profiles:\n  writer: {schema: [USAGE], tables: [SELECT, INSERT, UPDATE], sequences: [USAGE], functions: [EXECUTE]}\n")
	b.WriteString("schemas:\n  app: {owner: migrator")
	if r.IntN(2) == 0 {
		b.WriteString(", default_privileges_for: [etl]")
	}
	b.WriteString("}\n  audit: {}\n")
	b.WriteString("roles:\n  migrator: {auth: iam}\n  etl: {login: false}\n  team: {login: false}\n")
	for i := 0; i < 1+r.IntN(5); i++ {
		fmt.Fprintf(&b, "  user%d:\n", i)
		auth := pick("iam", "password", "none")
		fmt.Fprintf(&b, "    auth: %s\n", auth)
		if auth == "password" {
			fmt.Fprintf(&b, "    password_secret: app/user%d\n", i)
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "    access: {app: %s, audit: %s}\n", pick("readonly", "readwrite", "writer"), pick("readonly", "{tables: [SELECT]}"))
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "    connection_limit: %d\n", r.IntN(100)-1)
		}
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "    settings: {statement_timeout: %s, search_path: [app, public]}\n", strconv.Quote(fmt.Sprint(r.IntN(60), "s")))
		}
		if r.IntN(2) == 0 {
			b.WriteString("    member_of: [team]\n")
		}
		if r.IntN(3) == 0 {
			b.WriteString("    valid_until: \"2030-01-01T00:00:00Z\"\n")
		}
		if r.IntN(3) == 0 {
			b.WriteString("    grants:\n      - {schema: app, tables: [events], privileges: [SELECT]}\n")
		}
		if r.IntN(3) == 0 {
			b.WriteString("    database_privileges: [CONNECT, TEMPORARY]\n")
		}
		for _, attr := range []string{"createdb", "inherit"} {
			if r.IntN(4) == 0 {
				fmt.Fprintf(&b, "    %s: %v\n", attr, r.IntN(2) == 0)
			}
		}
	}
	if r.IntN(2) == 0 {
		b.WriteString("  retired: {state: absent, reassign_owned_to: migrator}\n")
	}
	fmt.Fprintf(&b, "public: {connect: %v, temporary: false, create_in_public_schema: false}\n", r.IntN(2) == 0)
	b.WriteString("database_settings: {search_path: [app], statement_timeout: 60s}\n")
	if r.IntN(2) == 0 {
		b.WriteString("extensions: [pgcrypto]\n")
	} else {
		b.WriteString("extensions:\n  pgcrypto: {schema: public}\n  hstore: {state: absent}\n")
	}
	return []byte(b.String())
}
