-- Schemas with owner and privileges (as text, parsed by the caller).
-- $1: schema names of interest, or null for every user schema.
select n.nspname::text, pg_get_userbyid(n.nspowner)::text, coalesce(n.nspacl, acldefault('n', n.nspowner))::text
from pg_namespace n
where ($1::text[] is null and n.nspname !~ '^pg_' and n.nspname <> 'information_schema')
   or n.nspname = any($1::text[])
order by 1
