-- Every role with its attributes, what the connected user may do with it,
-- and its settings in this database. Never pg_authid: RDS forbids it.
select r.rolname::text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,
       r.rolcanlogin, r.rolreplication, r.rolbypassrls, r.rolconnlimit,
       case when r.rolvaliduntil is null or r.rolvaliduntil = 'infinity' then ''
            else to_char(r.rolvaliduntil at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') end,
       pg_has_role(current_user, r.oid, 'USAGE'),
       pg_has_role(current_user, r.oid, 'USAGE WITH ADMIN OPTION'),
       case when current_setting('server_version_num')::int >= 160000
            then pg_has_role(current_user, r.oid, 'SET')
            else pg_has_role(current_user, r.oid, 'MEMBER') end,
       coalesce(s.setconfig, '{}')
from pg_roles r
left join pg_db_role_setting s
  on s.setrole = r.oid
 and s.setdatabase = (select oid from pg_database where datname = current_database())
order by r.rolname
