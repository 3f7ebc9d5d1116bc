package plan

import (
	"fmt"
	"io"
	"strings"
)

// markdownMarks are the change marks of the Markdown rendering: a diff
// sign in code, so every Markdown renderer shows it the same way.
var markdownMarks = map[Action]string{
	"create": "`+`", "grant": "`+`", "set": "`~`", "alter": "`~`",
	"revoke": "`-`", "reset": "`-`", "drop": "`-`", "temporary": "`*`",
}

// WriteMarkdown renders the plan for a pull-request comment: a heading,
// the problems first, the summary line, one list item per change, and the
// SQL folded in a <details> block. verb is "Plan" or "Applied".
func (p *Plan) WriteMarkdown(w io.Writer, verb string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### rolekeeper: %s for database %s\n\n", strings.ToLower(verb), mdCode(p.Database))
	fmt.Fprintf(&b, "PostgreSQL %s, as %s, %s mode.\n\n", mdText(shortVersion(p.Server)), mdCode(p.User), mdText(p.Mode))
	if len(p.Problems) > 0 {
		fmt.Fprintf(&b, "> [!CAUTION]\n> **%d problem(s): nothing is applied until they are fixed.**\n", len(p.Problems))
		for _, pr := range p.Problems {
			fmt.Fprintf(&b, "> - %s\n", mdText(pr))
		}
		b.WriteString("\n")
	}
	line := p.SummaryLine()
	if verb == "Applied" && !p.Empty() {
		line = "Applied in one transaction: " + strings.TrimPrefix(line, "Plan: ")
	}
	fmt.Fprintf(&b, "**%s**\n", mdText(line))
	if len(p.Changes) > 0 {
		b.WriteString("\n")
		for _, c := range p.Changes {
			mark := markdownMarks[c.Action]
			if mark == "" {
				mark = "`" + string(c.Action) + "`" // an action this version does not know
			}
			fmt.Fprintf(&b, "- %s %s\n", mark, mdText(c.Summary))
		}
		var sql []string
		for _, c := range p.Changes {
			for _, s := range c.SQL {
				sql = append(sql, s+";")
			}
		}
		fence := codeFence(sql)
		fmt.Fprintf(&b, "\n<details><summary>SQL (%s)</summary>\n\n%ssql\n%s\n%s\n\n</details>\n",
			pluralize(len(sql), "statement", "statements"), fence, strings.Join(sql, "\n"), fence)
	}
	if len(p.Unmanaged) > 0 {
		fmt.Fprintf(&b, "\nUnmanaged roles (not in the spec, left alone): %s\n", mdText(roleList(p.Unmanaged)))
	}
	if len(p.Outside) > 0 {
		b.WriteString("\nOutside the spec (left alone):\n\n")
		for _, o := range p.Outside {
			fmt.Fprintf(&b, "- %s\n", mdText(o))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscaper escapes what Markdown or HTML would interpret in plain text.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "#", `\#`, "|", `\|`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "~", `\~`, "\n", " ")

// mdText escapes plain text for Markdown.
func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCode renders s as inline code, with a fence longer than any run of
// backquotes in it.
func mdCode(s string) string {
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "\n", " ") + pad + fence
}

// codeFence returns a code-block fence longer than any run of backquotes
// in the lines, at least three.
func codeFence(lines []string) string {
	n := 3
	for _, l := range lines {
		n = max(n, longestRun(l, '`')+1)
	}
	return strings.Repeat("`", n)
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}
