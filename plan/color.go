package plan

import "strings"

// ANSI styles of the colored text rendering, as `terraform plan` uses
// them: additions green, changes yellow, removals red; here also temporary
// memberships cyan and problems bold red.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// markColors colors a change line by its mark (see marks).
var markColors = map[byte]string{'+': ansiGreen, '~': ansiYellow, '-': ansiRed, '*': ansiCyan}

// ColorText adds terminal colors to text rendered by WriteText or by the
// check report, line by line: a change's mark and summary in the color of
// its kind (its SQL stays plain), problems bold red, the closing summary
// bold, PASS green, FAIL red and SKIP yellow. Lines it does not know stay
// as they are, so any action renders.
func ColorText(text string) string {
	lines := strings.SplitAfter(text, "\n")
	var b strings.Builder
	for i, line := range lines {
		body := strings.TrimRight(line, "\n")
		nl := line[len(body):]
		style := ""
		switch {
		case body == "":
		case i == 0 && strings.Contains(body, " for database "):
			style = ansiBold
		case len(body) > 2 && body[1] == ' ' && markColors[body[0]] != "":
			style = markColors[body[0]]
		case strings.HasPrefix(body, "Problems") || strings.HasPrefix(body, "  ! "):
			style = ansiBold + ansiRed
		case strings.HasPrefix(body, "No changes") || strings.HasPrefix(body, "Applied in one transaction"):
			style = ansiBold + ansiGreen
		case strings.HasPrefix(body, "Plan: "):
			style = ansiBold
		case strings.HasPrefix(body, "PASS "):
			style = ansiGreen
		case strings.HasPrefix(body, "FAIL "):
			style = ansiBold + ansiRed
		case strings.HasPrefix(body, "SKIP "):
			style = ansiYellow
		}
		if style == "" {
			b.WriteString(line)
			continue
		}
		b.WriteString(style + body + ansiReset + nl)
	}
	return b.String()
}
