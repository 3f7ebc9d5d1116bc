-- Schemas with owner and privileges (owner's implicit ones left out).
-- $1: schema names of interest, or null for every user schema.
select n.nspname::text, pg_get_userbyid(n.nspowner)::text,
       coalesce(g.rolname::text, case when a.grantee = 0 then 'PUBLIC' end), a.privilege_type
from pg_namespace n
left join lateral aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a on a.grantee <> n.nspowner
left join pg_roles g on g.oid = a.grantee
where ($1::text[] is null and n.nspname !~ '^pg_' and n.nspname <> 'information_schema')
   or n.nspname = any($1::text[])
order by 1, 3, 4
