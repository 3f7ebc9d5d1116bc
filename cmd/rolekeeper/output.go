package main

import (
	"flag"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/rolekeeper/rolekeeper/plan"
)

// outputFlags choose how a command's result is printed.
type outputFlags struct {
	format  string
	noColor bool
	fsName  string
}

// formatsOf returns the output formats a command offers.
func formatsOf(flagSetName string) []string {
	switch strings.TrimPrefix(flagSetName, "rolekeeper ") {
	case "plan", "apply":
		return []string{"text", "json", "markdown"}
	}
	return []string{"text", "json"}
}

func (o *outputFlags) register(fs *flag.FlagSet, formats []string) {
	o.fsName = fs.Name()
	help := "output format: " + strings.Join(formats, ", ")
	if len(formats) > 2 {
		help += " (markdown: for a pull-request comment)"
	}
	fs.StringVar(&o.format, "format", "text", help)
	fs.BoolVar(&o.noColor, "no-color", false, "no colors in text output (also: the NO_COLOR environment variable; colors only on a terminal)")
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// color reports whether text written to w gets colors: only on a
// terminal, never with --no-color, NO_COLOR set (https://no-color.org)
// or TERM=dumb.
func (o *outputFlags) color(w io.Writer) bool {
	return !o.noColor && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(w)
}

// writeText writes a text rendering, colored when w is a terminal.
func (o *outputFlags) writeText(w io.Writer, render func(io.Writer) error) error {
	if !o.color(w) {
		return render(w)
	}
	var b strings.Builder
	if err := render(&b); err != nil {
		return err
	}
	_, err := io.WriteString(w, plan.ColorText(b.String()))
	return err
}

// rendering is a plan of one database (*plan.Plan) or of several
// (*plan.Multi).
type rendering interface {
	WriteJSON(w io.Writer) error
	WriteMarkdown(w io.Writer, verb string) error
	WriteText(w io.Writer, verb string) error
}

// writePlan renders a plan (verb "Plan") or an apply's result ("Applied")
// in the chosen format.
func (o *outputFlags) writePlan(w io.Writer, p rendering, verb string) error {
	switch o.format {
	case "json":
		return p.WriteJSON(w)
	case "markdown":
		return p.WriteMarkdown(w, verb)
	}
	return o.writeText(w, func(w io.Writer) error { return p.WriteText(w, verb) })
}
