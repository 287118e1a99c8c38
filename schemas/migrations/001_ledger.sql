-- The ledger's tables: environments, logical environments and artifacts, created on first use;
-- deployment records, one artifact's tenure in a slot each; and the identities of applied
-- commands, which make every command take effect once. Every row belongs to one organization:
-- the same names in two organizations are unrelated.

create table environments (
  id uuid primary key default gen_random_uuid(),
  organization text not null,
  name text not null,
  created_at timestamptz not null default clock_timestamp(),
  unique (organization, name)
);

create table logical_environments (
  id uuid primary key default gen_random_uuid(),
  organization text not null,
  name text not null,
  created_at timestamptz not null default clock_timestamp(),
  unique (organization, name)
);

-- An artifact is its digest; kind, name and version fill in as requests name them.
create table artifacts (
  id uuid primary key default gen_random_uuid(),
  organization text not null,
  digest text not null,
  kind text not null default 'ARTIFACT_KIND_UNSPECIFIED'
    check (kind in ('ARTIFACT_KIND_UNSPECIFIED', 'CONTAINER_IMAGE', 'HELM_CHART')),
  name text not null default '',
  version text not null default '',
  created_at timestamptz not null default clock_timestamp(),
  unique (organization, digest)
);

create table deployment_records (
  id uuid primary key default gen_random_uuid(),
  -- Insertion order, which breaks ties between records created in the same microsecond.
  seq bigint generated always as identity unique,
  organization text not null,
  environment_id uuid not null references environments (id),
  deployment_name text not null,
  logical_environment_id uuid not null references logical_environments (id),
  artifact_id uuid not null references artifacts (id),
  status text not null check (status in ('DEPLOYED', 'DECOMMISSIONED', 'SUPERSEDED')),
  -- The slot's latest record, whatever its status; records replaced since are its history.
  is_current boolean not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  last_seen_at timestamptz not null,
  check (status <> 'SUPERSEDED' or not is_current)
);

-- An environment belongs to one organization, so (environment_id, deployment_name) is a slot.
create unique index deployment_records_one_current_per_slot
  on deployment_records (environment_id, deployment_name) where is_current;
create index deployment_records_slot_history
  on deployment_records (environment_id, deployment_name, seq);

-- (organization, source, id) of every applied command: a command seen again changes nothing.
create table applied_commands (
  organization text not null,
  source text not null,
  id text not null,
  record_id uuid references deployment_records (id),
  applied_at timestamptz not null default clock_timestamp(),
  primary key (organization, source, id)
);
