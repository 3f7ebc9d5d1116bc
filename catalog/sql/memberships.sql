-- Role memberships: role, member, admin option, and who granted them. On
-- PostgreSQL 16+ a membership may be held several times from different
-- grantors, and REVOKE removes only the grant of the grantor it names.
-- Last: whether every grant is ADMIN-only (16+: INHERIT and SET false; read
-- through to_jsonb, since older servers lack those columns).
-- Names come from pg_get_userbyid rather than joins with the pg_roles view
-- (three of them were most of this query's planning on a new backend): a
-- membership's role and member always exist (DROP ROLE removes the rows),
-- but before PostgreSQL 16 its grantor may have been dropped since, and is
-- then read as '' (unknown). The grantors are sorted by the caller.
select pg_get_userbyid(am.roleid)::text, pg_get_userbyid(am.member)::text, bool_or(am.admin_option),
       array_agg(distinct coalesce((select g.rolname::text from pg_roles g where g.oid = am.grantor), '')),
       bool_and(not coalesce((to_jsonb(am) ->> 'inherit_option')::bool, true)
                and not coalesce((to_jsonb(am) ->> 'set_option')::bool, true))
from pg_auth_members am
group by am.roleid, am.member
