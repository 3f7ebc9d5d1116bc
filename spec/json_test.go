package spec_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/rolekeeper/rolekeeper/spec"
)

// TestJSONFormParsesBackToTheSameSpec: the JSON a spec marshals to (inspect
// --format json, the Lambda's inspect response) is a valid spec that
// describes the same state, profiles and one-value settings included.
func TestJSONFormParsesBackToTheSameSpec(t *testing.T) {
	src := []byte(`
database: app
schemas:
  app: {owner: migrator}
roles:
  migrator: {login: true, auth: iam}
  app:
    login: true
    auth: iam
    access: {app: readwrite}
    settings: {statement_timeout: 30s, search_path: [app, public]}
  reporting:
    login: true
    access:
      app: {tables: [SELECT], sequences: [SELECT]}
    connection_limit: 5
public: {connect: false, create_in_public_schema: false}
database_settings: {search_path: app}
extensions: [vector]
`)
	s, err := spec.Parse("in.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	back, err := spec.Parse("out.json", raw)
	if err != nil {
		t.Fatalf("the JSON form does not parse back: %v\n%s", err, raw)
	}
	if !reflect.DeepEqual(s.Desired("app"), back.Desired("app")) {
		t.Fatalf("the JSON form describes another state:\n%s", raw)
	}
	var doc map[string]any
	json.Unmarshal(raw, &doc)
	app := doc["roles"].(map[string]any)["app"].(map[string]any)
	if got := app["access"].(map[string]any)["app"]; got != "readwrite" {
		t.Fatalf("a profile is written as %v, want the string readwrite", got)
	}
}
