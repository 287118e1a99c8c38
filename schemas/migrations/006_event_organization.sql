-- The organization of each event's slot, which the publisher puts in the event's headers.
alter table event_outbox add column organization text;
