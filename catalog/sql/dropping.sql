-- What stands between each role about to be dropped ($1: names) and DROP
-- ROLE, from pg_shdepend:
--   kind 'grantor': the owner of an object in this database (or a shared
--     object) on which the role holds privileges or default privileges.
--     DROP OWNED revokes them as the best grantor the connected user can
--     act for, so the user must have the owner's privileges;
--   kind 'database': another database where the role owns objects or holds
--     privileges, which DROP OWNED in this database cannot reach;
--   kind 'schema': a schema the role owns;
--   kind 'objects_in': a schema holding objects the role owns, with the
--     schema's owner (owner) and whether the role receiving them ($2,
--     aligned with $1; '' for the connected user) is granted CREATE on it
--     now (directly, not as its owner: ownership may change first), which
--     REASSIGN OWNED needs for each object it moves.
-- name is null when the object's class is not one whose owner is known
-- here; class then names it.
with here as (
  select oid from pg_database where datname = current_database()
), target as (
  select role, coalesce(nullif(target, ''), current_user) as target
  from unnest($1::text[], $2::text[]) as t(role, target)
), dep as (
  select r.rolname, d.dbid, d.deptype, d.classid, d.objid
  from pg_shdepend d
  join pg_roles r on r.oid = d.refobjid
  where d.refclassid = 'pg_authid'::regclass
    and r.rolname = any($1::text[])
), owned_in as (
  select distinct rolname, case classid
           when 'pg_class'::regclass then (select relnamespace from pg_class where oid = objid)
           when 'pg_proc'::regclass then (select pronamespace from pg_proc where oid = objid)
           when 'pg_type'::regclass then (select typnamespace from pg_type where oid = objid)
           when 'pg_collation'::regclass then (select collnamespace from pg_collation where oid = objid)
           when 'pg_conversion'::regclass then (select connamespace from pg_conversion where oid = objid)
           when 'pg_operator'::regclass then (select oprnamespace from pg_operator where oid = objid)
           when 'pg_opclass'::regclass then (select opcnamespace from pg_opclass where oid = objid)
           when 'pg_opfamily'::regclass then (select opfnamespace from pg_opfamily where oid = objid)
           when 'pg_ts_dict'::regclass then (select dictnamespace from pg_ts_dict where oid = objid)
           when 'pg_ts_config'::regclass then (select cfgnamespace from pg_ts_config where oid = objid)
           when 'pg_statistic_ext'::regclass then (select stxnamespace from pg_statistic_ext where oid = objid)
         end as nsp
  from dep
  where deptype = 'o' and dbid = (select oid from here)
)
select rolname::text, 'schema', '', n.nspname::text, null::text, null::bool
from dep join pg_namespace n on n.oid = dep.objid
where deptype = 'o' and classid = 'pg_namespace'::regclass and dbid = (select oid from here)
union
select o.rolname::text, 'objects_in', '', n.nspname::text, pg_get_userbyid(n.nspowner)::text,
       exists (select 1 from aclexplode(n.nspacl) a join pg_roles tr on tr.oid = a.grantee
               where tr.rolname = t.target and a.privilege_type = 'CREATE' and a.grantee <> n.nspowner)
from owned_in o join pg_namespace n on n.oid = o.nsp join target t on t.role = o.rolname
union
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
       end)::text, null, null
from dep
where deptype = 'a' and (dbid = 0 or dbid = (select oid from here))
union
select rolname::text, 'database', '', (select datname from pg_database where oid = dbid)::text, null, null
from dep
where dbid <> 0 and dbid <> (select oid from here)
order by 1, 2, 3, 4
