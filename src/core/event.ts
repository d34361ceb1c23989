/**
 * The event envelope and the validation of what an app appends.
 *
 * Invariants:
 * 1. A `type` is 1..256 characters; types starting with `$` are reserved for markers.
 * 2. A `stream` is 1..256 characters, `"default"` when omitted.
 * 3. `payload` and `meta` are plain JSON data (so they survive structured clone, IndexedDB
 *    and the wire unchanged): objects with Object/null prototype, arrays, strings, finite
 *    numbers, booleans, null. `undefined` object members are allowed (JSON drops them).
 * 4. Everything the sync server would refuse is refused here first (./limits.ts): names
 *    without NUL or lone surrogates, payload and meta at most MAX_DEPTH levels deep.
 * 5. A payload or meta object has no top-level `$sealed` member: on the wire, that marks an
 *    encrypted one (sync/seal.ts), which a replica without the key refuses.
 */
import * as v from 'valibot';
import { InvalidEventError } from './errors/index.ts';
import { MAX_DEPTH, metaSchema, nameSchema } from './limits.ts';
import { firstIssue } from './issues.ts';

export interface EventInput {
  type: string;
  payload?: unknown;
  stream?: string;
  meta?: Record<string, unknown>;
}

export interface StoredEvent {
  id: string;
  type: string;
  payload: unknown;
  stream: string;
  position: number;
  pending: boolean;
  clientId: string;
  commit: string;
  time: number;
  meta?: Record<string, unknown>;
  /** The version of this event type's payload shape (absent = 1); see core/upcast.ts. */
  schemaVersion?: number;
}

export type ExpectedVersion = number | 'none' | 'any';

export const DEFAULT_STREAM = 'default';
/** The member that marks a sealed payload or meta on the wire (sync/seal.ts): an app's own may not have it (invariant 5). */
const SEALED = '$sealed';
const hasSealMember = (value: unknown): boolean => typeof value === 'object' && value !== null && Object.hasOwn(value, SEALED);
export const UNDO = '$undo';
export const REDO = '$redo';

export type MarkerType = typeof UNDO | typeof REDO;

export function isMarkerType(type: string): type is MarkerType {
  return type === UNDO || type === REDO;
}

const EventInputSchema = v.object({
  type: v.pipe(
    nameSchema('type'),
    v.check((type) => !type.startsWith('$'), 'types starting with "$" are reserved for markers ($undo, $redo)'),
  ),
  payload: v.optional(v.unknown()),
  stream: v.optional(nameSchema('stream')),
  meta: v.optional(metaSchema),
});

const EXPECTED_VERSION = 'expectedVersion must be "none", "any" or a non-negative integer';
// The message on each check too: for a number, valibot reports the number branch's own issue.
const ExpectedVersionSchema = v.union(
  [v.literal('none'), v.literal('any'), v.pipe(v.number(), v.integer(EXPECTED_VERSION), v.minValue(0, EXPECTED_VERSION))],
  EXPECTED_VERSION,
);

/** An appended event after validation: its stream filled in. */
export interface ValidInput {
  type: string;
  payload: unknown;
  stream: string;
  meta?: Record<string, unknown>;
}

/** The appended events, checked and normalised. Throws InvalidEventError. */
/** What append() was given, checked and normalised (validateInputs). */
export interface ValidInputs {
  events: ValidInput[];
  expectedVersion: ExpectedVersion;
}

export function validateInputs(input: EventInput | readonly EventInput[], expectedVersion: unknown): ValidInputs {
  const list = Array.isArray(input) ? input : [input];
  if (list.length === 0) throw new InvalidEventError('append() needs at least one event');
  const events = list.map((item, index): ValidInput => {
    const result = v.safeParse(EventInputSchema, item);
    const at = list.length > 1 ? ` (event ${index})` : '';
    if (!result.success) {
      const { path: field, message } = firstIssue(result.issues);
      // An issue with no path is the item itself not being an object.
      const what = field === '' ? 'an event must be an object { type, payload?, stream?, meta? }' : message;
      throw new InvalidEventError(`Invalid event${at}: ${field && !what.startsWith(field) ? `${field}: ` : ''}${what}`, {
        details: { index, field },
      });
    }
    const event = item as EventInput;
    assertJsonData(event.payload, `payload${at}`);
    if (event.meta !== undefined) assertJsonData(event.meta, `meta${at}`);
    const sealed = hasSealMember(event.payload) ? 'payload' : hasSealMember(event.meta) ? 'meta' : undefined;
    if (sealed) {
      throw new InvalidEventError(`Invalid event${at}: ${sealed}.${SEALED} is reserved for end-to-end encryption`, {
        details: { index, field: sealed },
      });
    }
    const normalised: ValidInput = { type: event.type, payload: event.payload, stream: event.stream ?? DEFAULT_STREAM };
    if (event.meta !== undefined) normalised.meta = event.meta;
    return normalised;
  });

  const parsed = v.safeParse(ExpectedVersionSchema, expectedVersion === undefined ? 'any' : expectedVersion);
  if (!parsed.success) throw new InvalidEventError(`Invalid append options: ${firstIssue(parsed.issues).message}`);
  const ev = parsed.output;
  if (ev !== 'any') {
    const streams = new Set(events.map((e) => e.stream));
    if (streams.size > 1) {
      throw new InvalidEventError(
        `expectedVersion applies to one stream, but the events name ${streams.size}: ${[...streams].join(', ')}`,
        { details: { streams: [...streams] } },
      );
    }
  }
  return { events, expectedVersion: ev };
}

/** Throws InvalidEventError unless `value` is plain JSON data at most MAX_DEPTH deep (invariants 3, 4). */
export function assertJsonData(value: unknown, where: string): void {
  const problem = findNonJson(value, new Set(), where, 0);
  if (problem === DEEP) {
    throw new InvalidEventError(`${where} is nested deeper than ${MAX_DEPTH} levels, which the sync server refuses`, {
      details: { maxDepth: MAX_DEPTH },
    });
  }
  if (problem !== undefined) {
    throw new InvalidEventError(
      `${problem}: payload and meta must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null)`,
    );
  }
}

const DEEP = Symbol('deep');

/** The first thing in `value` that is not plain JSON data; DEEP past MAX_DEPTH (never recursing further). */
function findNonJson(value: unknown, seen: Set<object>, path: string, depth: number): string | typeof DEEP | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'undefined':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot carry`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} is a circular reference`;
      if (depth >= MAX_DEPTH) return DEEP;
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            if (value[i] === undefined) return `${path}[${i}] is undefined`;
            const p = findNonJson(value[i], seen, `${path}[${i}]`, depth + 1);
            if (p !== undefined) return p;
          }
          return undefined;
        }
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          return `${path} is a ${kind}, not a plain object`;
        }
        for (const key of Object.keys(value)) {
          const p = findNonJson((value as Record<string, unknown>)[key], seen, `${path}.${key}`, depth + 1);
          if (p !== undefined) return p;
        }
        return undefined;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return `${path} is a ${typeof value}`;
  }
}
