-- Events wait in the outbox, written in the same transaction as the change they describe, until
-- a recorder has published them to Kafka. A record's revision counts its changes, so that the id
-- of the event for a change is the same however often it is published.

alter table deployment_records add column revision integer not null default 1;

create table event_outbox (
  position bigint generated always as identity primary key,
  event_id text not null unique,
  event_type text not null,
  slot_key text not null,
  event_time text not null,
  payload text not null,
  created_at timestamptz not null default clock_timestamp()
);
