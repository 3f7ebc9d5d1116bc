-- Schemas with owner and privileges (as text, parsed by the caller), one
-- row per owner and identical ACL with the names of its schemas (as the
-- text of one array): schemas managed alike share one ACL, written and
-- parsed once rather than once per schema.
-- $1: schema names of interest, or null for every user schema.
select g.names, pg_get_userbyid(g.owner)::text, coalesce(g.acl, acldefault('n', g.owner))::text
from (
  select n.nspowner as owner, n.nspacl as acl, array_agg(n.nspname::text)::text as names
  from pg_namespace n
  where ($1::text[] is null and n.nspname !~ '^pg_' and n.nspname <> 'information_schema')
     or n.nspname = any($1::text[])
  group by 1, 2
) g
