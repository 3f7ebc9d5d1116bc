-- Default privileges scoped to a schema: creator, the schemas (as the text
-- of one array), object type and ACL as text, one row per creator, object
-- type and identical ACL: the same defaults in many schemas are written
-- and parsed once.
-- $1: schemas of interest (null: all).
select pg_get_userbyid(g.creator)::text, g.schemas, g.objtype::text, g.acl::text
from (
  select d.defaclrole as creator, d.defaclobjtype as objtype, d.defaclacl as acl, array_agg(n.nspname::text)::text as schemas
  from pg_default_acl d
  join pg_namespace n on n.oid = d.defaclnamespace
  where d.defaclobjtype in ('r', 'S', 'f')
    and ($1::text[] is null or n.nspname = any($1::text[]))
  group by 1, 2, 3
) g
