-- A slot's one current record is checked at commit rather than per statement, so that one
-- statement may both retire the current record and insert its successor.
drop index deployment_records_one_current_per_slot;
alter table deployment_records add constraint deployment_records_one_current_per_slot
  exclude using btree (environment_id with =, deployment_name with =) where (is_current)
  deferrable initially deferred;
