-- Which of the extensions of interest this server can install ($1: names).
-- Queried only when a spec names extensions: it reads control files from disk.
select name::text from pg_available_extensions where name = any($1::text[]) order by 1
