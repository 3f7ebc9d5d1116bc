package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/rolekeeper/rolekeeper/spec"
)

func init() {
	// Appended here: the completion command reads the command table.
	commands = append(commands, struct {
		name, help string
		run        func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	}{"completion", "print a shell completion script: bash, zsh or fish", runCompletion})
}

// flagInfo is one flag of a command, as its -h output lists it.
type flagInfo struct {
	name, help string
	value      bool // takes a value (not a boolean switch)
}

// commandFlags returns a command's flags, read from its own -h output, so
// completion follows every flag any command defines.
func commandFlags(name string) []flagInfo {
	for _, c := range commands {
		if c.name != name || name == "completion" {
			continue
		}
		// A flag line of flag.PrintDefaults: "  -name type" (compiled
		// here, not at start-up: only completion needs it).
		usageFlag := regexp.MustCompile(`^  -([A-Za-z][\w-]*)( \S+)?`)
		var help bytes.Buffer
		c.run(context.Background(), []string{"-h"}, io.Discard, &help)
		var out []flagInfo
		for _, line := range strings.Split(help.String(), "\n") {
			if m := usageFlag.FindStringSubmatch(line); m != nil {
				out = append(out, flagInfo{name: m[1], value: m[2] != ""})
			} else if len(out) > 0 && strings.HasPrefix(line, "    \t") && out[len(out)-1].help == "" {
				out[len(out)-1].help = strings.TrimSpace(line)
			}
		}
		return out
	}
	return nil
}

// flagValues returns the words a flag's value completes to: "" for
// anything, "FILE" for a path.
func flagValues(command, flag string) string {
	switch flag {
	case "format":
		if command == "inspect" {
			return "yaml json"
		}
		return strings.Join(formatsOf(command), " ")
	case "f", "out", "secrets-dir", "pg-bin", "ca-bundle":
		return "FILE"
	}
	return ""
}

func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("completion", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: rolekeeper completion bash|zsh|fish")
		fmt.Fprintln(stderr, "  bash: source <(rolekeeper completion bash)             (in ~/.bashrc)")
		fmt.Fprintln(stderr, "  zsh:  rolekeeper completion zsh > \"${fpath[1]}/_rolekeeper\"")
		fmt.Fprintln(stderr, "  fish: rolekeeper completion fish > ~/.config/fish/completions/rolekeeper.fish")
	}
	shell, err := parseFlagsWithArg(fs, args)
	if err != nil {
		return err
	}
	shells := []string{"bash", "zsh", "fish"}
	var b strings.Builder
	switch shell {
	case "bash":
		bashCompletion(&b)
	case "zsh":
		zshCompletion(&b)
	case "fish":
		fishCompletion(&b)
	default:
		return &exitError{1, fmt.Errorf("give the shell: rolekeeper completion bash|zsh|fish, not %q%s", shell, spec.DidYouMean(shell, shells))}
	}
	_, err = io.WriteString(stdout, b.String())
	return err
}

func bashCompletion(b *strings.Builder) {
	b.WriteString("# rolekeeper completion for bash. Install: source <(rolekeeper completion bash)\n")
	b.WriteString("_rolekeeper() {\n\tlocal cur prev cmd flags\n\tcur=\"${COMP_WORDS[COMP_CWORD]}\"\n\tprev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
	fmt.Fprintf(b, "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n\t\tCOMPREPLY=($(compgen -W %s -- \"$cur\"))\n\t\treturn\n\tfi\n", shellQuote(strings.Join(commandNames(), " ")))
	b.WriteString("\tcmd=\"${COMP_WORDS[1]}\"\n\tcase \"$cmd\" in\n")
	for _, c := range commandNames() {
		flags := commandFlags(c)
		var names []string
		var values strings.Builder
		for _, f := range flags {
			names = append(names, dashed(f.name))
			switch v := flagValues(c, f.name); {
			case v == "FILE":
				fmt.Fprintf(&values, "\t\t\t-%s|--%s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", f.name, f.name)
			case v != "":
				fmt.Fprintf(&values, "\t\t\t-%s|--%s) COMPREPLY=($(compgen -W %s -- \"$cur\")); return ;;\n", f.name, f.name, shellQuote(v))
			}
		}
		fmt.Fprintf(b, "\t%s)\n\t\tflags=%s\n", c, shellQuote(strings.Join(names, " ")))
		if values.Len() > 0 {
			fmt.Fprintf(b, "\t\tcase \"$prev\" in\n%s\t\tesac\n", values.String())
		}
		if c == "completion" {
			b.WriteString("\t\tCOMPREPLY=($(compgen -W 'bash zsh fish' -- \"$cur\"))\n\t\treturn\n")
		}
		b.WriteString("\t\t;;\n")
	}
	b.WriteString("\tesac\n\tif [[ \"$cur\" == -* ]]; then\n\t\tCOMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n\telse\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\tfi\n}\n")
	b.WriteString("complete -o filenames -F _rolekeeper rolekeeper\n")
}

func zshCompletion(b *strings.Builder) {
	b.WriteString("#compdef rolekeeper\n# rolekeeper completion for zsh. Install: rolekeeper completion zsh > \"${fpath[1]}/_rolekeeper\"\n\n")
	b.WriteString("_rolekeeper() {\n\tlocal -a commands\n\tcommands=(\n")
	for _, c := range commands {
		fmt.Fprintf(b, "\t\t%s\n", shellQuote(c.name+":"+c.help))
	}
	b.WriteString("\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe 'command' commands\n\t\treturn\n\tfi\n\tcase $words[2] in\n")
	for _, c := range commandNames() {
		fmt.Fprintf(b, "\t%s)\n\t\t_arguments -s", c)
		for _, f := range commandFlags(c) {
			spec := dashed(f.name) + "[" + zshText(f.help) + "]" + completeValue(c, f, ":"+f.name+":_files", ":"+f.name+": ", ":"+f.name+":(%s)")
			fmt.Fprintf(b, " \\\n\t\t\t%s", shellQuote(spec))
		}
		if c == "completion" {
			b.WriteString(" \\\n\t\t\t'1:shell:(bash zsh fish)'")
		} else {
			b.WriteString(" \\\n\t\t\t'*:file:_files'")
		}
		b.WriteString("\n\t\t;;\n")
	}
	b.WriteString("\tesac\n}\n\nif [ \"$funcstack[1]\" = \"_rolekeeper\" ]; then\n\t_rolekeeper \"$@\"\nelse\n\tcompdef _rolekeeper rolekeeper\nfi\n")
}

func fishCompletion(b *strings.Builder) {
	b.WriteString("# rolekeeper completion for fish. Install: rolekeeper completion fish > ~/.config/fish/completions/rolekeeper.fish\n")
	b.WriteString("complete -c rolekeeper -f\n")
	for _, c := range commands {
		fmt.Fprintf(b, "complete -c rolekeeper -n __fish_use_subcommand -a %s -d %s\n", c.name, shellQuote(c.help))
	}
	for _, c := range commandNames() {
		cond := shellQuote("__fish_seen_subcommand_from " + c)
		for _, f := range commandFlags(c) {
			opt := "-l " + f.name
			if len(f.name) == 1 {
				opt = "-s " + f.name
			}
			opt += completeValue(c, f, " -r -F", " -x", " -x -a %s")
			fmt.Fprintf(b, "complete -c rolekeeper -n %s %s -d %s\n", cond, opt, shellQuote(f.help))
		}
		if c == "completion" {
			fmt.Fprintf(b, "complete -c rolekeeper -n %s -a 'bash zsh fish'\n", cond)
		}
	}
}

// completeValue returns how a flag's value completes, in a shell's
// words: file for a path, anything for a free value, words (a format with
// one %s for the quoted-or-not list) for a fixed set, "" for a switch.
func completeValue(command string, f flagInfo, file, anything, words string) string {
	v := flagValues(command, f.name)
	switch {
	case !f.value:
		return ""
	case v == "FILE":
		return file
	case v == "":
		return anything
	}
	if strings.HasPrefix(words, " -x -a") {
		v = shellQuote(v)
	}
	return fmt.Sprintf(words, v)
}

// dashed writes a flag as typed: -f for one letter, --name otherwise.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// shellQuote quotes s for bash, zsh and fish alike: single quotes, with
// each single quote written as '\”.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// zshText makes a flag's help safe inside an _arguments description.
func zshText(s string) string {
	return strings.NewReplacer("[", "(", "]", ")", ":", " -", "\\", "/").Replace(s)
}
