package state

import "strings"

// listSettings are the settings PostgreSQL stores as quoted identifier lists
// (GUC_LIST_QUOTE): each element is quoted on its own.
var listSettings = map[string]bool{
	"search_path": true, "temp_tablespaces": true, "session_preload_libraries": true,
	"local_preload_libraries": true, "shared_preload_libraries": true,
}

// IsListSetting reports whether a setting holds a list of names.
func IsListSetting(name string) bool { return listSettings[strings.ToLower(name)] }

// PublicPolicy is what the spec says of the PUBLIC pseudo-role. A nil field
// is not managed.
type PublicPolicy struct {
	Connect              *bool
	Temporary            *bool
	CreateInPublicSchema *bool
}

// ParseSetting splits one entry of pg_db_role_setting.setconfig
// ("name=value") into its name and value. List settings are split into
// their unquoted elements.
func ParseSetting(entry string) (string, []string) {
	name, raw, _ := strings.Cut(entry, "=")
	name = strings.ToLower(name)
	if !IsListSetting(name) {
		return name, []string{raw}
	}
	return name, splitQuotedList(raw)
}

// splitQuotedList splits `a, "B c", "x""y"` into [a, B c, x"y].
func splitQuotedList(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote, quoted := false, false
	flush := func() {
		v := cur.String()
		if !quoted {
			v = strings.TrimSpace(v)
		}
		out = append(out, v)
		cur.Reset()
		quoted = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '"' && i+1 < len(s) && s[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQuote = !inQuote
			quoted = true
		case !inQuote && c == ',':
			flush()
		case !inQuote && c == ' ' && (quoted || cur.Len() == 0):
			// spaces around a quoted element or before an element
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 || quoted || len(out) > 0 {
		flush()
	}
	return out
}

// EqualSetting compares two setting values.
func EqualSetting(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
