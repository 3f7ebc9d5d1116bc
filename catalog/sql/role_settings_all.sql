-- Role settings for all databases (ALTER ROLE ... SET without IN
-- DATABASE): they apply in this database too. One row per role that has any
-- (DROP ROLE removes a role's rows, so every setrole names a role).
select pg_get_userbyid(s.setrole)::text, s.setconfig
from pg_db_role_setting s
where s.setdatabase = 0 and s.setrole <> 0
