-- Default privileges scoped to a schema: creator, schema, object type, grantee, privilege.
-- $1: schemas of interest (null: all).
select pg_get_userbyid(d.defaclrole)::text, n.nspname::text, d.defaclobjtype::text,
       coalesce(g.rolname::text, 'PUBLIC'), a.privilege_type
from pg_default_acl d
join pg_namespace n on n.oid = d.defaclnamespace
cross join lateral aclexplode(d.defaclacl) a
left join pg_roles g on g.oid = a.grantee
where d.defaclobjtype in ('r', 'S', 'f')
  and ($1::text[] is null or n.nspname = any($1::text[]))
order by 1, 2, 3, 4, 5
