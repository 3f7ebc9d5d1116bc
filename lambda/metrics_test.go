package lambda_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rolekeeper/rolekeeper/internal/awstest"
	"github.com/rolekeeper/rolekeeper/internal/pgtest"
)

// emfSchema compiles the JSON schema AWS gives for embedded metric format
// documents (testdata/emf/schema.json says where it comes from). Its $id
// values are draft-07 style.
func emfSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile("testdata/emf/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("emf.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("emf.json")
	if err != nil {
		t.Fatalf("the EMF schema does not compile: %v", err)
	}
	return sch
}

// emfLines returns the log lines that are EMF documents (have "_aws").
func emfLines(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, `"_aws"`) {
			out = append(out, line)
		}
	}
	return out
}

// checkEMF validates one line against the schema and the rules of the
// specification the schema cannot say: the line is one JSON object and
// nothing else; every dimension a DimensionSet names is a root member
// with a string value; every metric is a root member with a number (or
// an array of at most 100 numbers); at most 100 metrics per directive.
// It returns the root object.
func checkEMF(t *testing.T, sch *jsonschema.Schema, line string) map[string]any {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
	if err != nil {
		t.Fatalf("an EMF line is not one JSON value: %v\n%s", err, line)
	}
	if err := sch.Validate(inst); err != nil {
		t.Fatalf("the EMF line does not match AWS's schema: %v\n%s", err, line)
	}
	var root map[string]any
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil || dec.More() {
		t.Fatalf("an EMF line must be one JSON object with nothing before or after it: %s", line)
	}
	for _, d := range root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any) {
		dir := d.(map[string]any)
		for _, set := range dir["Dimensions"].([]any) {
			for _, name := range set.([]any) {
				if _, ok := root[name.(string)].(string); !ok {
					t.Fatalf("dimension %v is not a root member with a string value: %s", name, line)
				}
			}
		}
		metrics := dir["Metrics"].([]any)
		if len(metrics) > 100 {
			t.Fatalf("more than 100 metrics in one directive")
		}
		for _, m := range metrics {
			name := m.(map[string]any)["Name"].(string)
			switch v := root[name].(type) {
			case json.Number:
			case []any:
				if len(v) > 100 {
					t.Fatalf("metric %s has more than 100 values", name)
				}
				for _, x := range v {
					if _, ok := x.(json.Number); !ok {
						t.Fatalf("metric %s has a value that is not a number", name)
					}
				}
			default:
				t.Fatalf("metric %s is not a root member with a numeric value: %s", name, line)
			}
		}
	}
	return root
}

// A scheduled plan ({"action": "plan", "metrics": true}) writes its pending
// changes and problems as CloudWatch metrics in embedded metric format: a
// log line AWS's own schema accepts, whose numbers are the plan's; after
// apply the changes are 0; a plan that cannot run reports PlanFailed;
// a plan without "metrics" writes none.
func TestScheduledPlanWritesDriftMetricsInEmbeddedMetricFormat(t *testing.T) {
	pgtest.Fresh(t)
	aws := awstest.New(t)
	fn := startFunction(t, rdsEnv(t, aws))
	sch := emfSchema(t)
	cfg := exampleJSON(t)
	// The schema is live: a wrong unit and a missing timestamp are refused.
	for _, bad := range []string{
		`{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [[]], "Metrics": [{"Name": "m", "Unit": "Things"}]}]}, "m": 1}`,
		`{"_aws": {"CloudWatchMetrics": [{"Namespace": "n", "Dimensions": [[]], "Metrics": [{"Name": "m"}]}]}, "m": 1}`,
	} {
		inst, _ := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if sch.Validate(inst) == nil {
			t.Fatalf("the EMF schema accepts %s", bad)
		}
	}

	// invoke returns before the emulator has passed on all of the
	// function's output: wait for the invocation's REPORT line.
	invoke := func(event string) (map[string]any, string) {
		t.Helper()
		reports := strings.Count(fn.logs.String(), "REPORT RequestId")
		out, errMsg := fn.invoke(t, event)
		for deadline := time.Now().Add(5 * time.Second); strings.Count(fn.logs.String(), "REPORT RequestId") == reports && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		return out, errMsg
	}
	metricsOf := func(event string) (map[string]any, map[string]any, string) {
		t.Helper()
		before := len(emfLines(fn.logs.String()))
		out, errMsg := invoke(event)
		lines := emfLines(fn.logs.String())
		if len(lines) != before+1 {
			t.Fatalf("want one EMF line for %s, got %d\n%s", event, len(lines)-before, fn.logs.String())
		}
		return checkEMF(t, sch, lines[len(lines)-1]), out, errMsg
	}
	num := func(root map[string]any, k string) string { return root[k].(json.Number).String() }

	root, out, errMsg := metricsOf(`{"action": "plan", "metrics": true, "config": ` + cfg + `}`)
	if errMsg != "" || out["changed"] != true {
		t.Fatalf("plan: %v %v", errMsg, out)
	}
	pending := 0
	for _, c := range out["changes"].([]any) {
		if c.(map[string]any)["action"] != "temporary" {
			pending++
		}
	}
	if num(root, "PendingChanges") == "0" || num(root, "PendingChanges") != strconv.Itoa(pending) ||
		num(root, "Problems") != "0" || num(root, "PlanFailed") != "0" || root["Database"] != "app" {
		t.Fatalf("metrics %v do not match the plan (%d pending changes)", root, pending)
	}
	directive := root["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if directive["Namespace"] != "rolekeeper" {
		t.Fatalf("namespace: %v", directive["Namespace"])
	}

	if _, errMsg := invoke(`{"action": "apply", "config": ` + cfg + `}`); errMsg != "" {
		t.Fatal(errMsg)
	}
	if root, _, _ = metricsOf(`{"action": "plan", "metrics": true, "config": ` + cfg + `}`); num(root, "PendingChanges") != "0" {
		t.Fatalf("after apply: %v", root)
	}
	root, _, errMsg = metricsOf(`{"action": "plan", "metrics": true, "config": {"roles": {"a": {"logn": true}}}}`)
	if errMsg == "" || num(root, "PlanFailed") != "1" {
		t.Fatalf("a failed plan must report PlanFailed 1: %v %q", root, errMsg)
	}
	before := len(emfLines(fn.logs.String()))
	invoke(`{"action": "plan", "config": ` + cfg + `}`)
	if len(emfLines(fn.logs.String())) != before {
		t.Fatal("a plan without metrics: true wrote metrics")
	}
}
