package plan

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestQuotingMatchesTheDriver: the plan quotes identifiers itself (it does
// not import the driver) exactly as pgx.Identifier does.
func TestQuotingMatchesTheDriver(t *testing.T) {
	for _, parts := range [][]string{
		{"app"}, {"App User"}, {`we"ird`}, {"a\x00b"}, {"schema", "table"}, {"my.app", `"x"`}, {"ünïcödé", "名前"}, {""},
	} {
		if got, want := quoted(parts...), pgx.Identifier(parts).Sanitize(); got != want {
			t.Errorf("quoted(%q) = %s, pgx gives %s", parts, got, want)
		}
	}
}

func TestNamesThatWouldMoveTheTerminalAreEscaped(t *testing.T) {
	for name, want := range map[string]string{
		"evil\x1b[2J\nNo changes": `U&"evil\001b[2J\000aNo changes"`,
		"rtl\u202eexe":            `U&"rtl\202eexe"`,
		`back\slash"q` + "\r":     `U&"back\\slash""q\000d"`,
		"plain":                   `"plain"`,
	} {
		got := quoted(name)
		if got != want {
			t.Errorf("quoted(%q) = %s, want %s", name, got, want)
		}
		if strings.IndexFunc(got, unsafeToShow) >= 0 {
			t.Errorf("quoted(%q) still holds a control character", name)
		}
	}
}
