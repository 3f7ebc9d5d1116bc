package catalog

import (
	"strings"
	"testing"
)

func TestParseACL(t *testing.T) {
	got, err := parseACL([]string{
		`owner=arwdDxt/owner`,
		`=r/owner`,
		`"We""ird Ünï"=r*w/owner`,
		`app=a/owner`,
		`app=d/"other grantor"`,
		`"UPPER"=Uc/"x=y"`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		grantee string
		privs   string
	}{
		{"owner", "SELECT,UPDATE,INSERT,DELETE,TRUNCATE,REFERENCES,TRIGGER"},
		{"", "SELECT"},
		{`We"ird Ünï`, "SELECT,UPDATE"},
		{"app", "INSERT,DELETE"},
		{"UPPER", "USAGE,CONNECT"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].grantee != w.grantee || strings.Join(got[i].privs.Names(), ",") != w.privs {
			t.Errorf("entry %d: got %q %v, want %q %s", i, got[i].grantee, got[i].privs.Names(), w.grantee, w.privs)
		}
	}
	if _, err := parseACL([]string{`"unterminated=r/x`}); err == nil {
		t.Error("an unterminated quote was accepted")
	}
	if _, err := parseACL([]string{`noequals`}); err == nil {
		t.Error("an entry without = was accepted")
	}
}

func TestSplitArray(t *testing.T) {
	got, err := splitArray(`{owner=arwdDxt/owner,=r/owner,"\"We\"\"ird Ünï\"=r*w/owner","app=a/\"other grantor\""}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`owner=arwdDxt/owner`, `=r/owner`, `"We""ird Ünï"=r*w/owner`, `app=a/"other grantor"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	if got, err := splitArray(`{}`); err != nil || len(got) != 0 {
		t.Fatalf("empty array: %q %v", got, err)
	}
	if _, err := splitArray(`{"open`); err == nil {
		t.Fatal("an unterminated element was accepted")
	}
}

// TestParseACLMergesGrantorsWithSlashes: grantors whose names end alike
// after a slash are still told apart, so one grantee's entries merge.
func TestParseACLMergesGrantorsWithSlashes(t *testing.T) {
	got, err := parseACL([]string{`b=a/"g/1"`, `c=r/"g/1"`, `b=d/"h/1"`})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].grantee != "b" || strings.Join(got[0].privs.Names(), ",") != "INSERT,DELETE" || got[1].grantee != "c" {
		t.Fatalf("got %+v", got)
	}
}
