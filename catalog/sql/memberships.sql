-- Role memberships: role, member, admin option, and who granted them. On
-- PostgreSQL 16+ a membership may be held several times from different
-- grantors, and REVOKE removes only the grant of the grantor it names.
-- Last: whether every grant is ADMIN-only (16+: INHERIT and SET false; read
-- through to_jsonb, since older servers lack those columns).
select r.rolname::text, m.rolname::text, bool_or(am.admin_option),
       array_agg(distinct coalesce(g.rolname::text, '') order by coalesce(g.rolname::text, '')),
       bool_and(not coalesce((to_jsonb(am) ->> 'inherit_option')::bool, true)
                and not coalesce((to_jsonb(am) ->> 'set_option')::bool, true))
from pg_auth_members am
join pg_roles r on r.oid = am.roleid
join pg_roles m on m.oid = am.member
left join pg_roles g on g.oid = am.grantor
group by 1, 2
order by 1, 2
