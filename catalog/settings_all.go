package catalog

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rolekeeper/rolekeeper/state"
)

// scanAllDatabaseSettings reads role settings that hold in every database.
func scanAllDatabaseSettings(rows pgx.Rows, snap *Snapshot) error {
	var name string
	var config []string
	_, err := pgx.ForEachRow(rows, []any{&name, &config}, func() error {
		r := snap.Roles[name]
		if r == nil {
			return nil
		}
		r.AllDatabaseSettings = make(map[string][]string, len(config))
		for _, entry := range config {
			k, v := state.ParseSetting(entry)
			r.AllDatabaseSettings[k] = v
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("role settings for all databases: %w", err)
	}
	return nil
}
