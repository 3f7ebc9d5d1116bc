-- This database's settings (ALTER DATABASE ... SET).
select unnest(s.setconfig)
from pg_db_role_setting s
where s.setrole = 0 and s.setdatabase = (select oid from pg_database where datname = current_database())
