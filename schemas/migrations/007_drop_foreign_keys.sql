-- Rows of the ledger are never deleted, and the recorder, the only writer, points a record only at
-- environments, logical environments and artifacts it read or created in the same transaction,
-- and a claim only at a record it wrote in that transaction. The foreign keys checked nothing the
-- writer does not already guarantee, yet each check was a lookup plus a row lock on the
-- referenced row: on a drain, a tenth of the database's time. Integrity stays with the writer and
-- its tests.
alter table deployment_records drop constraint deployment_records_environment_id_fkey;
alter table deployment_records drop constraint deployment_records_logical_environment_id_fkey;
alter table deployment_records drop constraint deployment_records_artifact_id_fkey;
alter table applied_commands drop constraint applied_commands_record_id_fkey;
