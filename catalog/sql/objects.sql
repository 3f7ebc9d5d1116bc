-- Privileges on existing objects, grouped by schema, kind, owner and
-- identical ACL: in a managed schema most objects share one ACL, so a
-- schema of thousands of tables is a handful of rows. Each row gives the
-- ACL as one text value (parsed by the caller) and the names of the objects
-- that have it, as the text of one array (split by the caller: faster than
-- decoding 20,000 names as an array). Functions are granted schema-wide, so
-- their names are not read. The catalog's rows are grouped as they are,
-- before the implicit default ACL (null) is spelled out for each group.
-- Rows come ordered by schema and kind: the caller fills each schema's
-- kind as soon as its rows are read. The objects of the bootstrap
-- catalog (OIDs below 10000, FirstGenbkiObjectId: assigned by hand when
-- PostgreSQL is built, never by its OID counter, in any mode or version;
-- the system catalogs' and built-in functions', which live only in system
-- schemas) are skipped through the OID indexes rather than scanned:
-- pg_proc alone holds over 3,000 of them, most of the query's time on a
-- small database. Not FirstNormalObjectId (16384): a user object takes an
-- OID below it when made in single-user mode (postgres --single) on a
-- cluster no server has run on yet, after the objects initdb made (the
-- counter is forced up to 16384 only under a postmaster).
-- $1: schemas of interest (null: every user schema).
with scope as (
  select oid, nspname from pg_namespace
  where ($1::text[] is null and nspname !~ '^pg_' and nspname <> 'information_schema')
     or nspname = any($1::text[])
), groups as (
  select c.relnamespace as ns, case c.relkind when 'S' then 's'::"char" else 'r'::"char" end as kind,
         c.relowner as owner, c.relacl as acl, count(*)::int as n, array_agg(c.relname::text)::text as names
  from pg_class c
  where c.oid >= 10000 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S') and c.relnamespace in (select oid from scope)
  group by 1, 2, 3, 4
  union all
  select p.pronamespace, 'f'::"char", p.proowner, p.proacl, count(*)::int, '{}'
  from pg_proc p
  where p.oid >= 10000 and p.pronamespace in (select oid from scope)
  group by 1, 2, 3, 4
)
select x.nspname::text, case x.kind when 's' then 'sequences' when 'r' then 'tables' else 'functions' end,
       pg_get_userbyid(x.owner)::text, coalesce(x.acl, acldefault(x.kind, x.owner))::text, x.n, x.names
from (
  -- Sorted before the ACLs are written as text (offset 0 keeps the
  -- subquery, and its sort, below the projection): each row is written
  -- as it is sent, so the caller parses one while the server writes the
  -- next, rather than waiting for all of them.
  select s.nspname, g.kind, g.owner, g.acl, g.n, g.names
  from groups g join scope s on s.oid = g.ns
  order by s.nspname, g.kind, g.owner
  offset 0
) x
