-- check.py (navapbc/template-infra 8b7bc38), check_app_use_table: run as
-- APP_USER on the table the migrator just created (then the migrator runs
-- cleanup_migrator_drop_table: DROP TABLE IF EXISTS role_manager_test).

INSERT INTO role_manager_test (created_at) VALUES (NOW());

SELECT * FROM role_manager_test;
