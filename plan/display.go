package plan

import (
	"fmt"
	"strings"
)

// unsafeToShow reports characters that change how text around them is
// displayed: C0 and C1 controls (escape sequences, newlines, carriage
// returns), DEL, the line and paragraph separators (line breaks to editors,
// log viewers and YAML), and the bidirectional formatting characters.
func unsafeToShow(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, r == 0x2028, r == 0x2029:
		return true
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// unicodeEscaped writes an identifier as U&"..." with the characters that
// are unsafe to show, and the backslash, as \XXXX or \+XXXXXX escapes.
func unicodeEscaped(name string) string {
	var b strings.Builder
	b.WriteString(`U&"`)
	for _, r := range name {
		switch {
		case r == '"':
			b.WriteString(`""`)
		case r == '\\':
			b.WriteString(`\\`)
		case unsafeToShow(r) && r <= 0xffff:
			fmt.Fprintf(&b, `\%04x`, r)
		case unsafeToShow(r):
			fmt.Fprintf(&b, `\+%06x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`"`)
	return b.String()
}
