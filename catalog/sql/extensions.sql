-- Installed extensions.
select e.extname::text, n.nspname::text, e.extversion
from pg_extension e join pg_namespace n on n.oid = e.extnamespace
order by 1
