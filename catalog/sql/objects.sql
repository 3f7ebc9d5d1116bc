-- Privileges on existing objects, aggregated per schema, kind, grantee and
-- privilege, so that a schema of thousands of tables is a handful of rows.
-- Objects are first grouped by owner and identical ACL (in a managed
-- schema most objects share one), so each distinct ACL is exploded once.
-- The owner's own privileges are left out. Rows with a null grantee give
-- the number of objects of that kind each owner owns.
-- $1: schemas of interest (null: every user schema); $2: grantees of interest (null: all).
with scope as (
  select oid, nspname from pg_namespace
  where ($1::text[] is null and nspname !~ '^pg_' and nspname <> 'information_schema')
     or nspname = any($1::text[])
), grantees as (
  select oid from pg_roles where $2::text[] is null or rolname = any($2::text[])
  union all select 0
), objs as (
  select s.nspname, case c.relkind when 'S' then 'sequences' else 'tables' end as kind, c.relowner as owner,
         coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner)) as acl
  from pg_class c join scope s on s.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
  union all
  select s.nspname, 'functions', p.proowner, coalesce(p.proacl, acldefault('f', p.proowner))
  from pg_proc p join scope s on s.oid = p.pronamespace
), acls as (
  select nspname, kind, owner, acl, count(*) as n from objs group by 1, 2, 3, 4
), agg as (
  select a.nspname, a.kind, e.grantee, e.privilege_type, sum(a.n) as n
  from acls a cross join lateral aclexplode(a.acl) e
  where e.grantee <> a.owner and e.grantee in (select oid from grantees)
  group by 1, 2, 3, 4
)
select nspname::text, kind, null::text, null::text, sum(n)::int, pg_get_userbyid(owner)::text
from acls group by 1, 2, owner
union all
select nspname::text, kind, coalesce(g.rolname::text, 'PUBLIC'), privilege_type, n::int, null
from agg left join pg_roles g on g.oid = agg.grantee
order by 1, 2, 3 nulls first, 4, 6
