package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/rolekeeper/rolekeeper/spec"
)

// commandNames returns the names of the subcommands.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, c.name)
	}
	return names
}

// suggestFlag prints, after the flag package's own error and usage, which
// defined flag an unknown one was probably meant to be.
func suggestFlag(fs *flag.FlagSet, err error) {
	const prefix = "flag provided but not defined: -"
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) {
		return
	}
	got := strings.TrimLeft(strings.TrimPrefix(msg, prefix), "-")
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if best := spec.Closest(got, names); best != "" {
		fmt.Fprintf(fs.Output(), "%s: unknown flag -%s (did you mean --%s?)\n", fs.Name(), got, best)
	}
}

// checkFormat refuses an output format not in allowed, suggesting the
// nearest.
func checkFormat(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	list := strings.Join(allowed[:len(allowed)-1], ", ") + " or " + allowed[len(allowed)-1]
	return &exitError{1, fmt.Errorf("--format must be %s, not %q%s", list, format, spec.DidYouMean(format, allowed))}
}
