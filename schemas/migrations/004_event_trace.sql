-- The W3C traceparent of the command behind each event, so that the event carries the trace on.
alter table event_outbox add column traceparent text;
