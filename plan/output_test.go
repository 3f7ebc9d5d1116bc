package plan

import (
	"strings"
	"testing"
)

// everyAction is a plan with one change of each action, a problem and an
// unmanaged role, with names that Markdown would otherwise interpret.
func everyAction() *Plan {
	p := &Plan{Database: "app", Server: "16.4", User: "postgres", Mode: "authoritative",
		Problems: []string{`role "x_y" needs *ADMIN*`}, Unmanaged: []string{"legacy_user"}}
	for _, a := range []string{"create", "grant", "set", "alter", "revoke", "reset", "drop", "temporary", "rename"} {
		p.Changes = append(p.Changes, Change{Action: Action(a), Object: "role", Name: "r_" + a,
			Summary: a + ` role "r_` + a + `"`, SQL: []string{`SELECT '` + a + "```'"}})
	}
	return p
}

func TestColorTextColorsEachKindOfLine(t *testing.T) {
	var b strings.Builder
	p := everyAction()
	p.WriteText(&b, "Plan")
	colored := ColorText(b.String())
	want := map[string]string{
		`+ create role "r_create"`:       ansiGreen,
		`+ grant role "r_grant"`:         ansiGreen,
		`~ set role "r_set"`:             ansiYellow,
		`~ alter role "r_alter"`:         ansiYellow,
		`- revoke role "r_revoke"`:       ansiRed,
		`- drop role "r_drop"`:           ansiRed,
		`* temporary role "r_temporary"`: ansiCyan,
		`  ! role "x_y" needs *ADMIN*`:   ansiBold + ansiRed,
		"Plan: 9 statements":             ansiBold,
	}
	for line, style := range want {
		if !strings.Contains(colored, style+line) {
			t.Errorf("line %q is not styled %q:\n%s", line, style, colored)
		}
	}
	// SQL stays plain, and an action this version does not know renders
	// without a color rather than failing.
	for _, plain := range []string{"\n    SELECT 'create```';\n", "\n rename role \"r_rename\"\n"} {
		if !strings.Contains(colored, plain) {
			t.Errorf("expected %q uncolored:\n%s", plain, colored)
		}
	}
	if ColorText("plain\n") != "plain\n" {
		t.Error("text without known lines changed")
	}
	for _, line := range strings.Split(colored, "\n") {
		if strings.Contains(line, "\x1b[") && !strings.HasSuffix(line, ansiReset) {
			t.Errorf("a styled line lacks its reset: %q", line)
		}
	}
}

func TestMarkdownPutsProblemsFirstAndFoldsTheSQL(t *testing.T) {
	var b strings.Builder
	if err := everyAction().WriteMarkdown(&b, "Plan"); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	problems := strings.Index(md, "[!CAUTION]")
	firstChange := strings.Index(md, "- `+` create")
	details := strings.Index(md, "<details><summary>SQL (9 statements)</summary>")
	if problems < 0 || firstChange < 0 || details < 0 || !(problems < firstChange && firstChange < details) {
		t.Fatalf("expected problems, then changes, then the folded SQL:\n%s", md)
	}
	for _, want := range []string{
		`role "x\_y" needs \*ADMIN\*`,  // escaped: not italic or bold
		"- `rename` rename role",       // unknown action: its name as the mark
		"````sql\nSELECT 'create```';", // a fence longer than the SQL's backquotes
		`"legacy\_user"`,
		"**Plan: 9 statements",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	b.Reset()
	(&Plan{Database: "app", Server: "16.4", User: "postgres", Mode: "additive", Changes: []Change{}}).WriteMarkdown(&b, "Plan")
	if strings.Contains(b.String(), "<details>") || !strings.Contains(b.String(), "No changes") {
		t.Errorf("an empty plan: %s", b.String())
	}
}

// TestUnmanagedRoleNamedPUBLICIsQuoted: the unmanaged roles are role names,
// so one named "PUBLIC" is written quoted, in the text and the Markdown,
// never as the keyword.
func TestUnmanagedRoleNamedPUBLICIsQuoted(t *testing.T) {
	p := &Plan{Database: "app", Server: "16.4", User: "postgres", Mode: "authoritative", Unmanaged: []string{"PUBLIC", "legacy_user"}}
	var text, md strings.Builder
	p.WriteText(&text, "Plan")
	p.WriteMarkdown(&md, "Plan")
	for what, out := range map[string]string{"text": text.String(), "markdown": md.String()} {
		if !strings.Contains(out, `"PUBLIC", "legacy_user"`) && !strings.Contains(out, `"PUBLIC", "legacy\_user"`) {
			t.Errorf("%s: the role named PUBLIC is not quoted:\n%s", what, out)
		}
	}
}
