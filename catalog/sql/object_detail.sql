-- Per-object privileges for the schema and kind pairs where a grantee holds
-- a privilege on some objects but not all (partial drift). Every object of
-- each pair is listed; grantee and privilege are null for an object with no
-- entry of interest.
-- $1: schema names, $2: kinds (tables|sequences), pairwise; $3: grantees.
with pairs as (
  select * from unnest($1::text[], $2::text[]) as t(nspname, kind)
), objs as (
  select n.nspname, case c.relkind when 'S' then 'sequences' else 'tables' end as kind, c.relname, c.relowner as owner,
         coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner)) as acl
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
)
select o.nspname::text, o.kind, o.relname::text, pg_get_userbyid(o.owner)::text, e.grantee, e.privilege_type
from objs o
join pairs p on p.nspname = o.nspname and p.kind = o.kind
left join lateral (
  select coalesce(g.rolname::text, 'PUBLIC') as grantee, a.privilege_type
  from aclexplode(o.acl) a left join pg_roles g on g.oid = a.grantee
  where a.grantee <> o.owner and coalesce(g.rolname::text, 'PUBLIC') = any($3::text[])
) e on true
order by 1, 2, 3, 5, 6
