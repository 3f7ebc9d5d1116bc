-- Which of the extensions of interest this server can install ($1: names),
-- whether a non-superuser may create them (trusted, or its default
-- version needs no superuser), and the schema its control file fixes (or
-- ''). Queried only when a spec names extensions: it reads control files
-- from disk.
select e.name::text, coalesce(v.trusted or not v.superuser, true), coalesce(v.schema::text, '')
from pg_available_extensions e
left join pg_available_extension_versions v on v.name = e.name and v.version = e.default_version
where e.name = any($1::text[])
order by 1
