package plan

import (
	"fmt"
	"io"
	"strings"
)

// ClusterWide reports whether a change acts on the whole cluster rather
// than on the database planned: creating and altering roles, their
// passwords, their memberships and their settings in all databases. A
// multi-database plan shows them once, in its cluster section. Dropping
// a role is not cluster-wide: each database clears what the role holds in
// it, and the last one drops it; temporary memberships last one
// transaction.
func (c Change) ClusterWide() bool {
	switch c.Object {
	case ObjectRole:
		return c.Action != ActionDrop
	case ObjectPassword:
		return true
	case ObjectMembership:
		return c.Action != ActionTemporary
	case ObjectRoleSetting:
		// "... for role "r" in all databases", with or without " (not in
		// the spec)"; a setting in one database ends with its quoted name.
		return strings.HasSuffix(c.Summary, " in all databases") || strings.HasSuffix(c.Summary, " in all databases (not in the spec)")
	}
	return false
}

// Outcome is what apply did in one database of a multi-database spec.
type Outcome string

// Outcomes of one database's transaction.
const (
	// Applied: the transaction committed.
	OutcomeApplied Outcome = "applied"
	// NoChanges: the database already matched; nothing was written.
	OutcomeNoChanges Outcome = "no changes"
	// Failed: the transaction failed and was rolled back; nothing changed there.
	OutcomeFailed Outcome = "failed, rolled back"
	// NotAttempted: an earlier database failed, so this one was left alone.
	OutcomeNotAttempted Outcome = "not attempted"
)

// DatabasePlan is one database's part of a multi-database plan.
type DatabasePlan struct {
	// Plan is the database's plan as computed (cluster-wide changes
	// included: Sections sets them apart). Nil for a database apply did
	// not reach.
	Plan *Plan
	// Database names it (also when Plan is nil).
	Database string
	// Outcome and Error are set by apply.
	Outcome Outcome
	Error   string
	// Statements counts the statements apply ran (the cluster's included).
	Statements int
}

// Multi is the plan, or the result of apply, for a spec that declares
// several databases: one DatabasePlan per database, in the order apply
// runs them (one transaction each; the cluster-wide changes run in the
// first database's transaction).
type Multi struct {
	Databases []DatabasePlan
	// Applied is true for the result of apply.
	Applied bool
	// Refused is true when apply ran nothing because the plan of some
	// database has problems (every database is then not attempted).
	Refused bool
}

// Section is one part of a multi-database plan as shown: the cluster's
// changes (Database empty), or one database's.
type Section struct {
	Database string
	Changes  []Change
	Problems []string
	Outside  []string

	notAttempted bool
}

// first returns the first database that has a plan.
func (m *Multi) first() *Plan {
	for _, d := range m.Databases {
		if d.Plan != nil && d.Plan.Server != "" {
			return d.Plan
		}
	}
	return &Plan{}
}

// Sections splits the plans into the cluster's section and one per
// database. A cluster-wide change appears once, in the cluster section,
// however many databases' plans hold it (each database's plan sees the
// same roles); a problem found in every database is the cluster's, and
// one found in some databases is shown in the first of them.
func (m *Multi) Sections() (cluster Section, dbs []Section) {
	seen := map[string]bool{}
	planned := 0
	for _, d := range m.Databases {
		if d.Plan != nil {
			planned++
		}
	}
	count := map[string]int{}
	for _, d := range m.Databases {
		if d.Plan == nil {
			continue
		}
		for _, pr := range uniq(d.Plan.Problems) {
			count[pr]++
		}
	}
	shownProblem := map[string]bool{}
	for _, d := range m.Databases {
		s := Section{Database: d.Database, notAttempted: d.Outcome == OutcomeNotAttempted && d.Plan == nil}
		if d.Plan != nil {
			for _, c := range d.Plan.Changes {
				if !c.ClusterWide() {
					s.Changes = append(s.Changes, c)
					continue
				}
				key := string(c.Action) + "\x00" + c.Summary + "\x00" + strings.Join(c.SQL, "\x00")
				if !seen[key] {
					seen[key] = true
					cluster.Changes = append(cluster.Changes, c)
				}
			}
			for _, pr := range d.Plan.Problems {
				switch {
				case shownProblem[pr]:
				case planned > 1 && count[pr] == planned:
					cluster.Problems = append(cluster.Problems, pr)
				default:
					s.Problems = append(s.Problems, pr)
				}
				shownProblem[pr] = true
			}
			s.Outside = d.Plan.Outside
		}
		dbs = append(dbs, s)
	}
	return cluster, dbs
}

func uniq(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Problems lists every problem once, each database's named.
func (m *Multi) Problems() []string {
	cluster, dbs := m.Sections()
	out := append([]string{}, cluster.Problems...)
	for _, s := range dbs {
		for _, pr := range s.Problems {
			out = append(out, fmt.Sprintf("database %s: %s", ident(s.Database), pr))
		}
	}
	return out
}

// Empty reports whether no database's plan changes anything.
func (m *Multi) Empty() bool {
	for _, d := range m.Databases {
		if d.Plan != nil && !d.Plan.Empty() {
			return false
		}
	}
	return true
}

// Failed reports whether a database's transaction failed or was not
// attempted.
func (m *Multi) Failed() bool {
	for _, d := range m.Databases {
		if d.Outcome == OutcomeFailed || d.Outcome == OutcomeNotAttempted {
			return true
		}
	}
	return false
}

// sectionPlan is a section as a one-database plan, for its summary.
func sectionPlan(s Section) *Plan { return &Plan{Changes: s.Changes} }

// allChanges is every change of the sections, the cluster's first.
func allChanges(cluster Section, dbs []Section) *Plan {
	p := &Plan{Changes: append([]Change{}, cluster.Changes...)}
	for _, s := range dbs {
		p.Changes = append(p.Changes, s.Changes...)
	}
	return p
}

func (m *Multi) names() []string {
	var out []string
	for _, d := range m.Databases {
		out = append(out, ident(d.Database))
	}
	return out
}

// orderLine says the order of the transactions.
func (m *Multi) orderLine() string {
	names := m.names()
	if len(names) == 1 {
		return fmt.Sprintf("One transaction, in database %s, with the cluster's changes.", names[0])
	}
	return fmt.Sprintf("Order: %s; one transaction per database, the cluster's changes in the first (%s). A failure rolls back that database only: those before it stay committed, those after it are not attempted.",
		strings.Join(names, ", then "), names[0])
}

// outcomeLine is one database's outcome in words; refused: apply ran
// nothing because of the plan's problems.
func (d DatabasePlan) outcomeLine(refused bool) string {
	switch d.Outcome {
	case OutcomeApplied:
		return fmt.Sprintf("applied: committed (%s)", pluralize(d.Statements, "statement", "statements"))
	case OutcomeNoChanges:
		return "no changes: it already matched the spec, nothing was written"
	case OutcomeFailed:
		return "FAILED, rolled back: nothing was changed in it"
	case OutcomeNotAttempted:
		if refused {
			return "not attempted: the plan has problems"
		}
		return "not attempted: an earlier database failed"
	}
	return string(d.Outcome)
}

// Verdict is the closing paragraph of an apply: what was committed and
// what to do next.
func (m *Multi) Verdict() string {
	if m.Refused {
		return "Nothing was applied in any database: the plan has problems. Fix them and run apply again."
	}
	var done, committed, unchanged, failed, left []string
	for _, d := range m.Databases {
		switch d.Outcome {
		case OutcomeApplied, OutcomeNoChanges:
			done = append(done, ident(d.Database))
			if d.Outcome == OutcomeApplied {
				committed = append(committed, ident(d.Database))
			} else {
				unchanged = append(unchanged, ident(d.Database))
			}
		case OutcomeFailed:
			failed = append(failed, ident(d.Database))
		case OutcomeNotAttempted:
			left = append(left, ident(d.Database))
		}
	}
	if len(failed) == 0 && len(left) == 0 {
		if m.Empty() {
			return "No changes: every database matches the spec."
		}
		return fmt.Sprintf("Applied: every database (%s) matches the spec, each in its own committed transaction.", strings.Join(done, ", "))
	}
	var b strings.Builder
	b.WriteString("Apply did not finish: ")
	if len(committed) > 0 {
		fmt.Fprintf(&b, "%s committed and stay%s so; ", strings.Join(committed, ", "), plural(len(committed), "s", ""))
	} else {
		b.WriteString("nothing was committed; ")
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(&b, "%s already matched the spec; ", strings.Join(unchanged, ", "))
	}
	fmt.Fprintf(&b, "%s failed and %s rolled back", strings.Join(failed, ", "), plural(len(failed), "was", "were"))
	if len(left) > 0 {
		fmt.Fprintf(&b, "; %s %s not attempted", strings.Join(left, ", "), plural(len(left), "was", "were"))
	}
	b.WriteString(". Fix the cause and run apply again: it converges, planning no changes for the databases already done.")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// verb is the heading's verb: "Apply (stopped)" for an apply that did
// not reach every database, else the caller's.
func (m *Multi) verb(verb string) string {
	if m.Applied && m.Failed() {
		return "Apply (stopped)"
	}
	return verb
}

// WriteText renders the multi-database plan (verb "Plan") or apply
// result (verb "Applied"): the order, the cluster's section, one section
// per database with its outcome, and a closing line.
func (m *Multi) WriteText(w io.Writer, verb string) error {
	var b strings.Builder
	p := m.first()
	verb = m.verb(verb)
	fmt.Fprintf(&b, "%s for %s on PostgreSQL %s as %s (%s)\n", verb, pluralize(len(m.Databases), "database", "databases"), shortVersion(p.Server), ident(p.User), p.Mode)
	b.WriteString(m.orderLine() + "\n")
	cluster, dbs := m.Sections()
	writeSection := func(title string, s Section, failure string) {
		fmt.Fprintf(&b, "\n== %s ==\n", title)
		if failure != "" {
			fmt.Fprintf(&b, "! error: %s\n", failure)
		}
		for _, c := range s.Changes {
			fmt.Fprintf(&b, "%s %s\n", marks[c.Action], c.Summary)
			for _, q := range c.SQL {
				fmt.Fprintf(&b, "    %s;\n", q)
			}
		}
		switch {
		case s.notAttempted:
			b.WriteString("Not attempted.\n")
		case len(s.Changes) == 0:
			b.WriteString("No changes.\n")
		}
		if len(s.Problems) > 0 {
			b.WriteString("Problems (nothing is applied until they are fixed):\n")
			for _, pr := range s.Problems {
				fmt.Fprintf(&b, "  ! %s\n", pr)
			}
		}
		if len(s.Outside) > 0 {
			b.WriteString("Outside the spec (left alone):\n")
			for _, o := range s.Outside {
				fmt.Fprintf(&b, "  ? %s\n", o)
			}
		}
	}
	writeSection(fmt.Sprintf("Cluster: roles, memberships, passwords (in the transaction of %s)", m.names()[0]), cluster, "")
	for i, s := range dbs {
		title := "Database " + ident(s.Database)
		if m.Applied {
			title += ": " + m.Databases[i].outcomeLine(m.Refused)
		}
		writeSection(title, s, m.Databases[i].Error)
	}
	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(&b, "\nUnmanaged roles (not in the spec, left alone): %s\n", roleList(p.Unmanaged))
	}
	b.WriteString("\n")
	if m.Applied {
		b.WriteString(m.Verdict())
	} else {
		b.WriteString(m.summaryLine(cluster, dbs))
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// summaryLine is the closing line of a multi-database plan.
func (m *Multi) summaryLine(cluster Section, dbs []Section) string {
	all := allChanges(cluster, dbs)
	if all.Empty() {
		return "No changes: every database matches the spec."
	}
	var per []string
	if len(cluster.Changes) > 0 {
		per = append(per, fmt.Sprintf("cluster %d", len(sectionPlan(cluster).Statements())))
	}
	for _, s := range dbs {
		per = append(per, fmt.Sprintf("%s %d", ident(s.Database), len(sectionPlan(s).Statements())))
	}
	return strings.TrimSuffix(all.SummaryLine(), ".") + " in " + pluralize(len(dbs), "database", "databases") + ": " + strings.Join(per, ", ") + "."
}

// MultiDocument is the JSON rendering of a multi-database plan or apply.
// Its top-level fields mean what a one-database Document's mean, over
// all databases; each database's own are in database_plans.
type MultiDocument struct {
	FormatVersion int            `json:"format_version"`
	Databases     []string       `json:"databases"`
	ServerVersion string         `json:"server_version"`
	ConnectedAs   string         `json:"connected_as"`
	Mode          string         `json:"mode"`
	Changed       bool           `json:"changed"`
	Summary       map[string]int `json:"summary"`
	// ClusterChanges are the cluster-wide changes, run in the first
	// database's transaction.
	ClusterChanges []Change          `json:"cluster_changes"`
	DatabasePlans  []DatabaseSection `json:"database_plans"`
	Problems       []string          `json:"problems"`
	Unmanaged      []string          `json:"unmanaged_roles"`
	// Applied is set by apply: true when every database's transaction
	// committed (or had nothing to do).
	Applied *bool `json:"applied,omitempty"`
	// Outcome is set by apply: the verdict in words.
	Outcome string `json:"outcome,omitempty"`
}

// DatabaseSection is one database in a MultiDocument.
type DatabaseSection struct {
	Database string         `json:"database"`
	Changed  bool           `json:"changed"`
	Summary  map[string]int `json:"summary"`
	Changes  []Change       `json:"changes"`
	Problems []string       `json:"problems"`
	Outside  []string       `json:"outside_spec"`
	// Outcome (apply only): applied, no changes, failed, rolled back, or
	// not attempted; Error says why it failed.
	Outcome    Outcome `json:"outcome,omitempty"`
	Error      string  `json:"error,omitempty"`
	Statements *int    `json:"statements,omitempty"`
}

// Document returns the JSON document.
func (m *Multi) Document() MultiDocument {
	p := m.first()
	cluster, dbs := m.Sections()
	all := allChanges(cluster, dbs)
	doc := MultiDocument{
		FormatVersion:  FormatVersion,
		ServerVersion:  shortVersion(p.Server),
		ConnectedAs:    p.User,
		Mode:           p.Mode,
		Changed:        !all.Empty(),
		Summary:        all.Summary(),
		ClusterChanges: orEmpty(cluster.Changes),
		Problems:       nonNil(m.Problems()),
		Unmanaged:      nonNil(p.Unmanaged),
	}
	for i, s := range dbs {
		d := m.Databases[i]
		doc.Databases = append(doc.Databases, d.Database)
		sec := DatabaseSection{
			Database: d.Database, Changed: len(s.Changes) > 0, Summary: sectionPlan(s).Summary(),
			Changes: orEmpty(s.Changes), Problems: nonNil(s.Problems), Outside: nonNil(s.Outside),
			Outcome: d.Outcome, Error: d.Error,
		}
		if m.Applied {
			n := d.Statements
			sec.Statements = &n
		}
		doc.DatabasePlans = append(doc.DatabasePlans, sec)
	}
	if m.Applied {
		ok := !m.Failed()
		doc.Applied = &ok
		doc.Outcome = m.Verdict()
	}
	return doc
}

func orEmpty(cs []Change) []Change {
	if cs == nil {
		return []Change{}
	}
	return cs
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// WriteJSON renders the multi-database document as indented JSON.
func (m *Multi) WriteJSON(w io.Writer) error { return writeJSON(w, m.Document()) }

// WriteMarkdown renders the multi-database plan or apply for a
// pull-request comment: the order, problems first, then the cluster's
// section and one per database, each with its SQL folded.
func (m *Multi) WriteMarkdown(w io.Writer, verb string) error {
	var b strings.Builder
	p := m.first()
	fmt.Fprintf(&b, "### rolekeeper: %s for %s\n\n", strings.ToLower(m.verb(verb)), mdText(pluralize(len(m.Databases), "database", "databases")))
	fmt.Fprintf(&b, "PostgreSQL %s, as %s, %s mode. %s\n\n", mdText(shortVersion(p.Server)), mdCode(p.User), mdText(p.Mode), mdText(m.orderLine()))
	if probs := m.Problems(); len(probs) > 0 {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **%d problem(s): nothing is applied until they are fixed.**\n", len(probs))
		for _, pr := range probs {
			fmt.Fprintf(&b, "> - %s\n", mdText(pr))
		}
		b.WriteString("\n")
	}
	cluster, dbs := m.Sections()
	if m.Applied {
		fmt.Fprintf(&b, "**%s**\n", mdText(m.Verdict()))
	} else {
		fmt.Fprintf(&b, "**%s**\n", mdText(m.summaryLine(cluster, dbs)))
	}
	section := func(title string, s Section) {
		fmt.Fprintf(&b, "\n#### %s\n\n", title)
		if s.notAttempted {
			b.WriteString("Not attempted.\n")
			return
		}
		if len(s.Changes) == 0 {
			b.WriteString("No changes.\n")
			return
		}
		var sql []string
		for _, c := range s.Changes {
			mark := markdownMarks[c.Action]
			if mark == "" {
				mark = "`" + string(c.Action) + "`"
			}
			fmt.Fprintf(&b, "- %s %s\n", mark, mdText(c.Summary))
			for _, q := range c.SQL {
				sql = append(sql, q+";")
			}
		}
		fence := codeFence(sql)
		fmt.Fprintf(&b, "\n<details><summary>SQL (%s)</summary>\n\n%ssql\n%s\n%s\n\n</details>\n",
			pluralize(len(sql), "statement", "statements"), fence, strings.Join(sql, "\n"), fence)
	}
	section("Cluster: roles, memberships, passwords (in the transaction of "+mdCode(m.Databases[0].Database)+")", cluster)
	for i, s := range dbs {
		title := "Database " + mdCode(s.Database)
		if m.Applied {
			title += ": " + mdText(m.Databases[i].outcomeLine(m.Refused))
		}
		if e := m.Databases[i].Error; e != "" {
			title += "\n\n> [!CAUTION]\n> " + mdText(e)
		}
		section(title, s)
	}
	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(&b, "\nUnmanaged roles (not in the spec, left alone): %s\n", mdText(roleList(p.Unmanaged)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
