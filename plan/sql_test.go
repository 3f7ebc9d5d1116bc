package plan

import (
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
