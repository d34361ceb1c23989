/**
 * The wire protocol (docs/protocol.md), as data: types and valibot schemas shared by the
 * server (validating requests) and the client (validating every answer).
 *
 *   POST /v1/logs/{logId}/events  { events: WireEvent[] }
 *     -> 200 { results: ({ id, position } | { id, error: 'conflict', streamVersion })[], head }
 *   GET  /v1/logs/{logId}/events?after={position}&limit={n}
 *     -> 200 { events: (WireEvent & { position })[], head }
 *   GET  /v1/logs/{logId}/live?after={position}   text/event-stream, `event: events`
 *     with data { events: (WireEvent & { position })[], head }
 *   errors -> 4xx/5xx { error: { code, message } }
 */
import * as v from 'valibot';
import { idSchema, metaSchema, nameSchema } from '../core/limits.ts';

export { LogIdSchema } from './logId.ts';

const EXPECTED_VERSION = 'expectedVersion must be "none" or a non-negative integer';
// The message on each check too: for a number, valibot reports the number branch's own issue.
export const WireEventSchema = v.pipe(
  v.object({
    id: idSchema('id'),
    type: nameSchema('type'),
    payload: v.optional(v.unknown()),
    stream: nameSchema('stream'),
    clientId: idSchema('clientId'),
    commit: idSchema('commit'),
    time: v.pipe(v.number('time must be a number'), v.finite('time must be finite')),
    meta: v.optional(metaSchema),
    schemaVersion: v.optional(
      v.pipe(
        v.number(),
        v.integer('schemaVersion must be an integer'),
        v.minValue(1, 'schemaVersion must be at least 1'),
        v.maxValue(2 ** 31 - 1),
      ),
    ),
    expectedVersion: v.optional(
      v.union([v.literal('none'), v.pipe(v.number(), v.integer(EXPECTED_VERSION), v.minValue(0, EXPECTED_VERSION))], EXPECTED_VERSION),
    ),
  }),
  v.check(
    (e) =>
      !e.type.startsWith('$') ||
      ((e.type === '$undo' || e.type === '$redo') && typeof (e.payload as { commit?: unknown } | null)?.commit === 'string'),
    'types starting with "$" are reserved: only $undo/$redo with payload { commit } are accepted',
  ),
);

export type WireEvent = v.InferOutput<typeof WireEventSchema>;
export type PositionedEvent = WireEvent & { position: number };

export const PushRequestSchema = v.object({
  events: v.pipe(v.array(WireEventSchema, 'events must be an array'), v.minLength(1, 'events must not be empty')),
});

const Position = v.pipe(v.number(), v.integer(), v.minValue(1));
const Head = v.pipe(v.number(), v.integer(), v.minValue(0));

export const PushResponseSchema = v.object({
  results: v.array(
    v.union([
      v.object({ id: v.string(), position: Position }),
      v.object({ id: v.string(), error: v.literal('conflict'), streamVersion: Head }),
    ]),
  ),
  head: Head,
});
export type PushResponse = v.InferOutput<typeof PushResponseSchema>;
export type PushResult = PushResponse['results'][number];

const PositionedEventSchema = v.intersect([WireEventSchema, v.object({ position: Position })]);

export const EventsResponseSchema = v.object({
  events: v.array(PositionedEventSchema),
  head: Head,
});
export type EventsResponse = { events: PositionedEvent[]; head: number };

export const ErrorResponseSchema = v.object({
  error: v.object({ code: v.string(), message: v.string() }),
});

/** The `error.code` of an error answer, each with its HTTP status (docs/protocol.md, "Errors"). */
export type ErrorCode =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'timeout'
  | 'conflict'
  | 'unsupported_media_type'
  | 'too_large'
  | 'too_many_requests'
  | 'unavailable'
  | 'internal';
