-- The direct-write baseline of make bench: what a synchronous HTTP-to-PostgreSQL service would
-- do for each request, as one transaction and one round trip (a server-side function, the best
-- case for such a service). It does the ledger's work on the ledger's own tables: claim the
-- request id, create the environment, logical environment and artifact on first use, lock the
-- slot's current record, then either re-record it or supersede it with a new record, and queue
-- the change's event in the outbox. Loaded into the benchmark database only, never a migration.
create schema direct_write;
create sequence direct_write.new_slots;

create function direct_write.named_id(tbl regclass, org text, wanted text) returns uuid
language plpgsql as $$
declare
  found_id uuid;
begin
  execute format('insert into %s (organization, name) values ($1, $2) '
                 'on conflict (organization, name) do nothing returning id', tbl)
    into found_id using org, wanted;
  if found_id is null then
    execute format('select id from %s where organization = $1 and name = $2', tbl)
      into found_id using org, wanted;
  end if;
  return found_id;
end $$;

create function direct_write.record_deployment(org text, environment text, deployment text,
                                               logical text, artifact_digest text, artifact_name text,
                                               request_id text) returns uuid
language plpgsql as $$
declare
  command_source constant text := '//bench/direct-write';
  now_ts constant timestamptz := clock_timestamp();
  environment_ref uuid;
  logical_ref uuid;
  artifact_ref uuid;
  current_id uuid;
  current_artifact uuid;
  record_ref uuid;
  change_type text;
begin
  insert into applied_commands (organization, source, id) values (org, command_source, request_id)
    on conflict do nothing;
  if not found then
    return (select record_id from applied_commands c
            where c.organization = org and c.source = command_source and c.id = request_id);
  end if;
  environment_ref := direct_write.named_id('environments', org, environment);
  logical_ref := direct_write.named_id('logical_environments', org, logical);
  insert into artifacts (organization, digest, kind, name)
    values (org, artifact_digest, 'CONTAINER_IMAGE', artifact_name)
    on conflict (organization, digest) do nothing returning id into artifact_ref;
  if artifact_ref is null then
    select a.id into artifact_ref from artifacts a
      where a.organization = org and a.digest = artifact_digest;
  end if;

  -- One request at a time per slot: a second one waiting on the row lock alone would find the
  -- row no longer current once the first commits, and insert a second current record.
  perform pg_advisory_xact_lock(hashtextextended(environment_ref::text || '/' || deployment, 0));
  select r.id, r.artifact_id into current_id, current_artifact from deployment_records r
    where r.environment_id = environment_ref and r.deployment_name = deployment and r.is_current
    for update;
  if current_id is not null and current_artifact = artifact_ref then
    update deployment_records set last_seen_at = now_ts where id = current_id;
    record_ref := current_id;
  else
    change_type := 'dev.cdevents.service.deployed.0.2.0';
    if current_id is not null then
      update deployment_records
        set status = 'SUPERSEDED', is_current = false, updated_at = now_ts,
            revision = revision + 1
        where id = current_id;
      change_type := 'dev.cdevents.service.upgraded.0.2.0';
    end if;
    insert into deployment_records (organization, environment_id, deployment_name,
                                    logical_environment_id, artifact_id, status, is_current,
                                    created_at, updated_at, last_seen_at)
      values (org, environment_ref, deployment, logical_ref, artifact_ref, 'DEPLOYED', true,
              now_ts, now_ts, now_ts)
      returning id into record_ref;
    insert into event_outbox (event_id, event_type, slot_key, event_time, payload, organization)
      values (record_ref::text || ':1', change_type, environment || '/' || deployment,
              to_char(now_ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
              json_build_object('type', change_type, 'id', record_ref,
                                'environment', environment, 'deployment', deployment,
                                'artifact', artifact_digest, 'superseded', current_id)::text,
              org);
  end if;
  update applied_commands c set record_id = record_ref
    where c.organization = org and c.source = command_source and c.id = request_id;
  return record_ref;
end $$;

-- The request mix of tests/bench/record_mix.lua: a new slot, or one of two artifacts into one of
-- the hot slots.
create function direct_write.record_mixed(org text, new_slot boolean, hot_slot bigint,
                                          version int, environments int) returns uuid
language sql as $$
  select direct_write.record_deployment(
    org, 'env-' || (s.n % environments), s.deployment, 'production',
    'sha256:' || repeat('d', 40) || lpad(to_hex(s.a), 8, '0') || lpad(to_hex(s.b), 8, '0')
      || lpad(to_hex(s.c), 8, '0'),
    'registry.local/' || s.deployment, gen_random_uuid()::text)
  from (select n, case when new_slot then 'new-' || n else 'hot-' || n end as deployment,
               case when new_slot then 1 else 0 end as a, n as b,
               case when new_slot then 0 else version end as c
        from (select case when new_slot then nextval('direct_write.new_slots') else hot_slot end
              as n) picked) s
$$;
