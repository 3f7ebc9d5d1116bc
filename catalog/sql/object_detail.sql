-- Per-object detail for partial drift: where a grantee holds a privilege on
-- some objects of a schema and kind but not all. For each such (schema,
-- kind, grantee, privilege) the caller asks for the smaller side: the
-- objects that have it ($5 true) or those that lack it ($5 false), so a
-- 1% drift over a million grants returns about 1% of a million rows.
-- Every object of each (schema, kind) is listed too, with its owner.
-- $1..$5: schema, kind (tables|sequences), grantee (or PUBLIC), privilege, has, row-wise.
with q as (
  select t.nspname, t.kind, t.grantee, t.priv, t.has, coalesce(r.oid, 0) as goid
  from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[]) as t(nspname, kind, grantee, priv, has)
  left join pg_roles r on r.rolname = t.grantee
), objs as (
  select n.nspname, case c.relkind when 'S' then 'sequences' else 'tables' end as kind, c.relname, c.relowner as owner,
         coalesce(c.relacl, acldefault(case c.relkind when 'S' then 's'::"char" else 'r'::"char" end, c.relowner)) as acl
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
    and (n.nspname, case c.relkind when 'S' then 'sequences' else 'tables' end) in (select nspname, kind from q)
), held as (
  select o.nspname, o.kind, o.relname, q.grantee, q.priv, q.has
  from objs o
  cross join lateral aclexplode(o.acl) e
  join q on q.nspname = o.nspname and q.kind = o.kind and q.goid = e.grantee and q.priv = e.privilege_type
  where e.grantee <> o.owner
), missing as (
  select o.nspname, o.kind, o.relname, q.grantee, q.priv
  from objs o join q on q.nspname = o.nspname and q.kind = o.kind
  where not q.has
  except
  select nspname, kind, relname, grantee, priv from held where not has
)
select 'object', nspname::text, kind, relname::text, pg_get_userbyid(owner)::text, null::text, null::text from objs
union all
select 'has', nspname::text, kind, relname::text, null, grantee, priv from held where has
union all
select 'missing', nspname::text, kind, relname::text, null, grantee, priv from missing
order by 1 desc, 2, 3, 4, 6, 7
