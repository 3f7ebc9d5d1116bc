package plan

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClusterWideChanges(t *testing.T) {
	cases := []struct {
		c    Change
		want bool
	}{
		{Change{Action: ActionCreate, Object: ObjectRole, Summary: `create role "a"`}, true},
		{Change{Action: ActionAlter, Object: ObjectRole}, true},
		{Change{Action: ActionDrop, Object: ObjectRole}, false}, // each database clears it
		{Change{Action: ActionSet, Object: ObjectPassword}, true},
		{Change{Action: ActionGrant, Object: ObjectMembership}, true},
		{Change{Action: ActionTemporary, Object: ObjectMembership}, false},
		{Change{Action: ActionSet, Object: ObjectRoleSetting, Summary: `set work_mem for role "a" in all databases`}, true},
		{Change{Action: ActionReset, Object: ObjectRoleSetting, Summary: `reset work_mem for role "a" in all databases (not in the spec)`}, true},
		{Change{Action: ActionSet, Object: ObjectRoleSetting, Summary: `set work_mem for role "a" in database "in all databases"`}, false},
		{Change{Action: ActionGrant, Object: ObjectDatabase}, false},
		{Change{Action: ActionCreate, Object: ObjectSchema}, false},
	}
	for _, c := range cases {
		if got := c.c.ClusterWide(); got != c.want {
			t.Errorf("%s %s %q: cluster-wide %v, want %v", c.c.Action, c.c.Object, c.c.Summary, got, c.want)
		}
	}
}

func multiFixture() *Multi {
	role := Change{Action: ActionCreate, Object: ObjectRole, Name: "a", Summary: `create role "a"`, SQL: []string{`CREATE ROLE "a"`}}
	schema := func(n string) Change {
		return Change{Action: ActionCreate, Object: ObjectSchema, Name: n, Summary: "create schema " + n, SQL: []string{"CREATE SCHEMA " + n}}
	}
	p := func(db string, cs ...Change) *Plan {
		return &Plan{Database: db, Server: "16.4", User: "postgres", Mode: "authoritative", Changes: cs, Problems: []string{"shared"}}
	}
	return &Multi{Databases: []DatabasePlan{
		{Database: "a", Plan: p("a", role, schema("s1"))},
		{Database: "b", Plan: p("b", role, schema("s2"))},
		{Database: "c", Plan: p("c", role)},
	}}
}

func TestMultiSectionsShowClusterChangesOnce(t *testing.T) {
	m := multiFixture()
	cluster, dbs := m.Sections()
	if len(cluster.Changes) != 1 || len(dbs) != 3 || len(dbs[0].Changes) != 1 || len(dbs[1].Changes) != 1 || len(dbs[2].Changes) != 0 {
		t.Fatalf("cluster %v, databases %v", cluster.Changes, dbs)
	}
	if len(cluster.Problems) != 1 || len(dbs[0].Problems)+len(dbs[1].Problems) != 0 {
		t.Fatalf("a problem of every database is the cluster's: %v %v", cluster.Problems, dbs)
	}
	var a, b strings.Builder
	m.WriteText(&a, "Plan")
	m.WriteText(&b, "Plan")
	if a.String() != b.String() || !strings.Contains(a.String(), "in 3 databases: cluster 1, \"a\" 1, \"b\" 1, \"c\" 0.") {
		t.Fatalf("text:\n%s", a.String())
	}
	var md strings.Builder
	m.WriteMarkdown(&md, "Plan")
	if strings.Count(md.String(), "#### ") != 4 {
		t.Fatalf("markdown sections:\n%s", md.String())
	}
}

func TestMultiVerdictSaysWhatStaysCommitted(t *testing.T) {
	m := multiFixture()
	m.Applied = true
	m.Databases[0].Outcome, m.Databases[0].Statements = OutcomeApplied, 2
	m.Databases[1].Outcome, m.Databases[1].Error = OutcomeFailed, "boom"
	m.Databases[2].Outcome, m.Databases[2].Plan = OutcomeNotAttempted, nil
	want := `Apply did not finish: "a" committed and stays so; "b" failed and was rolled back; "c" was not attempted. Fix the cause and run apply again`
	if !strings.HasPrefix(m.Verdict(), want) {
		t.Fatalf("verdict: %s", m.Verdict())
	}
	var text strings.Builder
	m.WriteText(&text, "Applied")
	for _, s := range []string{"Apply (stopped) for 3 databases", `== Database "b": FAILED, rolled back: nothing was changed in it ==` + "\n! error: boom", `== Database "c": not attempted: an earlier database failed ==` + "\nNot attempted."} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
	// A pull-request comment says it too, not "applied".
	var md strings.Builder
	m.WriteMarkdown(&md, "Applied")
	if !strings.HasPrefix(md.String(), "### rolekeeper: apply (stopped) for 3 databases") {
		t.Errorf("markdown heading of a stopped apply:\n%s", md.String())
	}
	var doc MultiDocument
	var js strings.Builder
	m.WriteJSON(&js)
	if err := json.Unmarshal([]byte(js.String()), &doc); err != nil {
		t.Fatal(err)
	}
	if *doc.Applied || doc.DatabasePlans[2].Outcome != OutcomeNotAttempted || *doc.DatabasePlans[0].Statements != 2 || doc.Outcome != m.Verdict() {
		t.Fatalf("JSON: %s", js.String())
	}
}

// TestMultiVerdictOfAnUnchangedDatabase: a database before the failure
// that had nothing to do is not said to have committed anything.
func TestMultiVerdictOfAnUnchangedDatabase(t *testing.T) {
	m := multiFixture()
	m.Applied = true
	m.Databases[0].Outcome = OutcomeNoChanges
	m.Databases[1].Outcome, m.Databases[1].Error = OutcomeFailed, "boom"
	m.Databases[2].Outcome, m.Databases[2].Plan = OutcomeNotAttempted, nil
	want := `Apply did not finish: nothing was committed; "a" already matched the spec; "b" failed and was rolled back; "c" was not attempted.`
	if !strings.HasPrefix(m.Verdict(), want) {
		t.Fatalf("verdict: %s\nwant:    %s", m.Verdict(), want)
	}
	m.Databases = append([]DatabasePlan{{Database: "0", Outcome: OutcomeApplied, Plan: m.Databases[0].Plan}}, m.Databases...)
	want = `Apply did not finish: "0" committed and stays so; "a" already matched the spec; "b" failed`
	if !strings.HasPrefix(m.Verdict(), want) {
		t.Fatalf("verdict: %s\nwant:    %s", m.Verdict(), want)
	}
}
