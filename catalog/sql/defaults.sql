-- Default privileges scoped to a schema: creator, schema, object type, ACL as text.
-- $1: schemas of interest (null: all).
select pg_get_userbyid(d.defaclrole)::text, n.nspname::text, d.defaclobjtype::text, d.defaclacl::text
from pg_default_acl d
join pg_namespace n on n.oid = d.defaclnamespace
where d.defaclobjtype in ('r', 'S', 'f')
  and ($1::text[] is null or n.nspname = any($1::text[]))
order by 1, 2, 3
