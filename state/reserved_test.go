package state

import "testing"

func TestReservedRolesAreWhatPostgreSQLAndRDSReserve(t *testing.T) {
	for name, want := range map[string]bool{
		"pg_read_all_data": true, "pg_signal_backend": true, "rds_superuser": true, "rds_iam": true,
		"rdsadmin": true, "rdsproxyadmin": true,
		"PG_x": false, "app": false, "rds": false, "rdsadmin2": false, "pgx": false, "my_pg_role": false,
	} {
		if got := ReservedRole(name); got != want {
			t.Errorf("ReservedRole(%q) = %v, want %v", name, got, want)
		}
	}
}
