package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errOut := rk(t, "completion", shell)
	if code != 0 || out == "" {
		t.Fatalf("completion %s: exit %d: %s", shell, code, errOut)
	}
	path := filepath.Join(t.TempDir(), "rolekeeper."+shell)
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBashCompletionParsesAndCompletes(t *testing.T) {
	script := completionScript(t, "bash")
	if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, out)
	}
	cases := []struct{ words, want string }{
		{"rolekeeper pl", "plan"},
		{"rolekeeper comp", "completion"},
		{"rolekeeper plan --fo", "--format"},
		{"rolekeeper plan --format m", "markdown"},
		{"rolekeeper inspect --format y", "yaml"},
		{"rolekeeper apply --wait", "--wait-timeout"},
		{"rolekeeper completion f", "fish"},
	}
	for _, c := range cases {
		words := strings.Fields(c.words)
		cmd := exec.Command("bash", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _rolekeeper; echo "${COMPREPLY[*]}"`, "bash", script)
		cmd.Args = append(cmd.Args, words...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("completing %q: got %q (%v), want %q", c.words, out, err, c.want)
		}
	}
}

func TestZshAndFishCompletionsParse(t *testing.T) {
	for _, sh := range []struct{ shell, check string }{{"zsh", "-n"}, {"fish", "--no-execute"}} {
		bin, err := exec.LookPath(sh.shell)
		if err != nil {
			t.Logf("%s is not installed: its completion script is not parsed (apt-get install %s)", sh.shell, sh.shell)
			continue
		}
		script := completionScript(t, sh.shell)
		if out, err := exec.Command(bin, sh.check, script).CombinedOutput(); err != nil {
			t.Errorf("%s %s: %v\n%s", sh.shell, sh.check, err, out)
		}
	}
	if code, _, errOut := rk(t, "completion", "fsh"); code != 1 || !strings.Contains(errOut, `(did you mean "fish"?)`) {
		t.Errorf("completion fsh: exit %d: %s", code, errOut)
	}
}
