-- What stands between each role about to be dropped ($1: names) and DROP
-- ROLE, from pg_shdepend:
--   kind 'grantor': the owner of an object in this database (or a shared
--     object) on which the role holds privileges or default privileges.
--     DROP OWNED revokes them as the best grantor the connected user can
--     act for, so the user must have the owner's privileges;
--   kind 'database': another database where the role owns objects or holds
--     privileges, which DROP OWNED in this database cannot reach.
-- name is null when the object's class is not one whose owner is known
-- here; class then names it.
with here as (
  select oid from pg_database where datname = current_database()
), dep as (
  select r.rolname, d.dbid, d.deptype, d.classid, d.objid
  from pg_shdepend d
  join pg_roles r on r.oid = d.refobjid
  where d.refclassid = 'pg_authid'::regclass
    and r.rolname = any($1::text[])
)
select rolname::text, 'grantor', classid::regclass::text,
       pg_get_userbyid(case classid
         when 'pg_class'::regclass then (select relowner from pg_class where oid = objid)
         when 'pg_namespace'::regclass then (select nspowner from pg_namespace where oid = objid)
         when 'pg_proc'::regclass then (select proowner from pg_proc where oid = objid)
         when 'pg_type'::regclass then (select typowner from pg_type where oid = objid)
         when 'pg_default_acl'::regclass then (select defaclrole from pg_default_acl where oid = objid)
         when 'pg_database'::regclass then (select datdba from pg_database where oid = objid)
         when 'pg_largeobject'::regclass then (select lomowner from pg_largeobject_metadata where oid = objid)
         when 'pg_foreign_server'::regclass then (select srvowner from pg_foreign_server where oid = objid)
         when 'pg_foreign_data_wrapper'::regclass then (select fdwowner from pg_foreign_data_wrapper where oid = objid)
         when 'pg_language'::regclass then (select lanowner from pg_language where oid = objid)
         when 'pg_tablespace'::regclass then (select spcowner from pg_tablespace where oid = objid)
       end)::text
from dep
where deptype = 'a' and (dbid = 0 or dbid = (select oid from here))
union
select rolname::text, 'database', '', (select datname from pg_database where oid = dbid)::text
from dep
where dbid <> 0 and dbid <> (select oid from here)
order by 1, 2, 3, 4
