package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// FormatVersion is the version of the JSON document; it changes only when
// a field changes meaning or goes away.
const FormatVersion = 1

var marks = map[Action]string{
	"create": "+", "grant": "+", "set": "~", "alter": "~",
	"revoke": "-", "reset": "-", "drop": "-", "temporary": "*",
}

// actionOrder is the order of actions in the summary line.
var actionOrder = []string{"create", "alter", "set", "grant", "revoke", "reset", "drop"}

// WriteText renders the plan for people: each change with its SQL, the
// problems, the unmanaged roles and a summary line.
func (p *Plan) WriteText(w io.Writer, verb string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s for database %s on PostgreSQL %s as %s (%s)\n", verb, ident(p.Database), shortVersion(p.Server), ident(p.User), p.Mode)
	if len(p.Changes) > 0 {
		b.WriteString("\n")
	}
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "%s %s\n", marks[c.Action], c.Summary)
		for _, s := range c.SQL {
			fmt.Fprintf(&b, "    %s;\n", s)
		}
	}
	if len(p.Problems) > 0 {
		b.WriteString("\nProblems (nothing is applied until they are fixed):\n")
		for _, pr := range p.Problems {
			fmt.Fprintf(&b, "  ! %s\n", pr)
		}
	}
	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(&b, "\nUnmanaged roles (not in the spec, left alone): %s\n", roleList(p.Unmanaged))
	}
	if len(p.Outside) > 0 {
		b.WriteString("\nOutside the spec (left alone):\n")
		for _, o := range p.Outside {
			fmt.Fprintf(&b, "  ? %s\n", o)
		}
	}
	b.WriteString("\n")
	line := p.SummaryLine()
	if verb == "Applied" && !p.Empty() {
		line = "Applied in one transaction: " + strings.TrimPrefix(line, "Plan: ")
	}
	b.WriteString(line)
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// SummaryLine is the closing line of the text rendering.
func (p *Plan) SummaryLine() string {
	if p.Empty() {
		return "No changes: the database matches the spec."
	}
	sum := p.Summary()
	var parts []string
	for _, a := range actionOrder {
		if n := sum[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", n, a))
		}
	}
	return fmt.Sprintf("Plan: %s (%s).", pluralize(len(p.Statements()), "statement", "statements"), strings.Join(parts, ", "))
}

func shortVersion(v string) string {
	if i := strings.IndexByte(v, ' '); i > 0 {
		return v[:i]
	}
	return v
}

// Document is the JSON rendering of a plan or of an apply's result.
type Document struct {
	FormatVersion int            `json:"format_version"`
	Database      string         `json:"database"`
	ServerVersion string         `json:"server_version"`
	ConnectedAs   string         `json:"connected_as"`
	Mode          string         `json:"mode"`
	Changed       bool           `json:"changed"`
	Summary       map[string]int `json:"summary"`
	Changes       []Change       `json:"changes"`
	Problems      []string       `json:"problems"`
	Unmanaged     []string       `json:"unmanaged_roles"`
	Outside       []string       `json:"outside_spec"`
	// Applied is set by apply: true once the transaction committed.
	Applied *bool `json:"applied,omitempty"`
}

// Document returns the JSON document of the plan.
func (p *Plan) Document() Document {
	doc := Document{
		FormatVersion: FormatVersion,
		Database:      p.Database,
		ServerVersion: shortVersion(p.Server),
		ConnectedAs:   p.User,
		Mode:          p.Mode,
		Changed:       !p.Empty(),
		Summary:       p.Summary(),
		Changes:       p.Changes,
		Problems:      p.Problems,
		Unmanaged:     p.Unmanaged,
		Outside:       p.Outside,
	}
	for _, s := range []*[]string{&doc.Problems, &doc.Unmanaged, &doc.Outside} {
		if *s == nil {
			*s = []string{}
		}
	}
	if doc.Changes == nil {
		doc.Changes = []Change{}
	}
	return doc
}

// WriteJSON renders the plan as an indented JSON document.
func (p *Plan) WriteJSON(w io.Writer) error { return writeJSON(w, p.Document()) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteDocumentJSON renders any document as indented JSON.
func WriteDocumentJSON(w io.Writer, doc Document) error { return writeJSON(w, doc) }
