-- Who we are and what the server is: one row.
select current_user::text,
       current_database()::text,
       current_setting('server_version_num')::int,
       current_setting('server_version'),
       r.rolsuper, r.rolcreaterole, r.rolcreatedb,
       has_database_privilege(current_database(), 'CREATE'),
       pg_get_userbyid(d.datdba)::text,
       pg_has_role(current_user, d.datdba, 'USAGE'),
       current_setting('search_path'),
       current_setting('rds.extensions', true) is not null
from pg_roles r, pg_database d
where r.rolname = current_user and d.datname = current_database()
