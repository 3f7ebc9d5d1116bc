package main

import (
	"strings"
	"testing"
)

func TestTyposGetSuggestions(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"aply"}, `unknown command "aply" (did you mean "apply"?)`},
		{[]string{"plan", "-fromat", "json"}, `unknown flag -fromat (did you mean --format?)`},
		{[]string{"plan", "-f", example, "--format", "jsno"}, `--format must be text, json or markdown, not "jsno" (did you mean "json"?)`},
		{[]string{"validate", "-f", writeSpec(t, "roles:\n  app:\n    auht: iam\n")}, `unknown field "auht" in role (did you mean "auth"?)`},
	}
	for _, c := range cases {
		code, _, errOut := rk(t, c.args...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("rolekeeper %s: exit %d, stderr lacks %s:\n%s", strings.Join(c.args, " "), code, c.want, errOut)
		}
	}
}
