-- Column privileges (GRANT SELECT (col) ON t TO r) on tables, views and
-- foreign tables in the schemas of interest: each column that has an ACL
-- of its own, with the ACL as text. Most columns have none. The caller
-- parses the entries, keeps those of the grantees of interest (and PUBLIC,
-- what they passed on with a grant option, and what their grantors hold
-- and passed on: catalog/columns.go) and groups them by table,
-- grantee, grantor and privilege: exploding and grouping them here made
-- this the costliest query to plan on a new backend. The columns of the
-- bootstrap catalog's relations (OIDs below 10000: see objects.sql, and
-- why not 16384) are skipped through the index rather than scanned.
-- $1: schemas of interest (null: every user schema).
select n.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text, a.attnum::int, a.attname::text, a.attacl::text
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
where a.attrelid >= 10000 and a.attacl is not null and a.attnum > 0 and not a.attisdropped
  and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and (($1::text[] is null and n.nspname !~ '^pg_' and n.nspname <> 'information_schema')
       or n.nspname = any($1::text[]))
