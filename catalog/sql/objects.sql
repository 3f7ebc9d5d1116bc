-- Privileges on existing objects, grouped by schema, kind, owner and
-- identical ACL: in a managed schema most objects share one ACL, so a
-- schema of thousands of tables is a handful of rows. Each row gives the
-- ACL as one text value (parsed by the caller) and the names of the objects that
-- have it. Functions are granted schema-wide, so their names are not read.
-- $1: schemas of interest (null: every user schema).
with scope as (
  select oid, nspname from pg_namespace
  where ($1::text[] is null and nspname !~ '^pg_' and nspname <> 'information_schema')
     or nspname = any($1::text[])
), objs as (
  select s.nspname, case c.relkind when 'S' then 'sequences' else 'tables' end as kind, c.relowner as owner, c.relname as name,
         coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner)) as acl
  from pg_class c join scope s on s.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
  union all
  select s.nspname, 'functions', p.proowner, null, coalesce(p.proacl, acldefault('f', p.proowner))
  from pg_proc p join scope s on s.oid = p.pronamespace
)
select nspname::text, kind, pg_get_userbyid(owner)::text, acl::text, count(*)::int,
       case when kind = 'functions' then '{}' else array_agg(name::text) end
from objs
group by nspname, kind, owner, acl
order by 1, 2, 3
