-- Column privileges (GRANT SELECT (col) ON t TO r) on tables, views and
-- foreign tables in the schemas of interest, held by the grantees of
-- interest or PUBLIC, or passed on by them with a grant option (which
-- revoking theirs would cascade to). One row per table, grantee, grantor, privilege and
-- grant option, with the columns that have it. Most columns have no ACL of
-- their own, so the few that do are exploded on the server.
-- $1: schemas of interest (null: every user schema);
-- $2: grantees of interest (null: every grantee).
with scope as (
  select oid, nspname from pg_namespace
  where ($1::text[] is null and nspname !~ '^pg_' and nspname <> 'information_schema')
     or nspname = any($1::text[])
)
select s.nspname::text, c.relname::text, pg_get_userbyid(c.relowner)::text,
       case when e.grantee = 0 then '' else pg_get_userbyid(e.grantee)::text end,
       pg_get_userbyid(e.grantor)::text, e.privilege_type, e.is_grantable,
       array_agg(a.attname::text order by a.attnum)
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join scope s on s.oid = c.relnamespace
cross join lateral aclexplode(a.attacl) e
where a.attacl is not null and a.attnum > 0 and not a.attisdropped
  and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and (e.grantee = 0 or $2::text[] is null or pg_get_userbyid(e.grantee) = any($2::text[])
       or (e.grantor <> c.relowner and pg_get_userbyid(e.grantor) = any($2::text[])))
group by 1, 2, 3, 4, 5, 6, 7
order by 1, 2, 4, 5, 6, 7
