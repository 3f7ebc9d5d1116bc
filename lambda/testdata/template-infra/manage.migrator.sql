-- manage.py configure_default_privileges (navapbc/template-infra 8b7bc38):
-- connected as MIGRATOR_USER with an IAM token (db.connect_using_iam).

ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT ALL ON TABLES TO app;

ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT ALL ON SEQUENCES TO app;

ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT ALL ON ROUTINES TO app;
