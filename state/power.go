package state

// SuperRole is the RDS role that carries the master user's power.
const SuperRole = "rds_superuser"

// AdminRoles are the roles whose membership hands out administrative
// power: the RDS master's (rds_superuser, and rds_replication and
// rds_password, which act on other roles and the server), and the
// predefined roles that reach the server's files or programs, other
// sessions, other databases' data, or server-wide operations. A spec makes
// a role a member of one, directly or through another role, only when
// that role sets allow_admin_roles: true (docs/security.md).
var AdminRoles = map[string]bool{
	SuperRole: true, "rds_replication": true, "rds_password": true,
	"pg_read_all_data": true, "pg_write_all_data": true, "pg_execute_server_program": true,
	"pg_read_server_files": true, "pg_write_server_files": true, "pg_signal_backend": true,
	"pg_signal_autovacuum_worker": true, "pg_create_subscription": true, "pg_use_reserved_connections": true,
	"pg_database_owner": true, "pg_checkpoint": true, "pg_maintain": true,
}
