/**
 * Replay: state is a plain fold of `reduce` over the effective events of a view.
 * An event is effective when it is not a marker, its commit is not undone in the view,
 * and (for a time view) its time is at or before the view's time.
 */
import { ProjectionError } from './errors/index.ts';
import { isMarkerType, type StoredEvent } from './event.ts';
import type { Projection } from './projection.ts';

export type States = Record<string, unknown>;

export interface FoldOptions {
  readonly projections: readonly Projection<unknown>[];
  /** Working states, updated in place. */
  readonly states: States;
  /** A projection applies only events after its start position (where its state came from). */
  readonly startAt: Readonly<Record<string, number>>;
  readonly undone: ReadonlySet<string>;
  readonly maxTime?: number;
  /** Called after the event at each position that is a multiple of `every`. */
  readonly every?: number;
  readonly onBoundary?: (position: number, states: States) => void;
}

export function fold(options: FoldOptions, events: Iterable<StoredEvent>): void {
  const { projections, states, startAt, undone, maxTime, every, onBoundary } = options;
  for (const event of events) {
    const effective =
      !isMarkerType(event.type) && !undone.has(event.commit) && (maxTime === undefined || event.time <= maxTime);
    if (effective) {
      for (const projection of projections) {
        if (event.position <= (startAt[projection.name] ?? 0)) continue;
        states[projection.name] = reduceOne(projection, states[projection.name], event);
      }
    }
    if (onBoundary && every !== undefined && event.position % every === 0) onBoundary(event.position, states);
  }
}

export function reduceOne(projection: Projection<unknown>, state: unknown, event: StoredEvent): unknown {
  try {
    return projection.reduce(state, event);
  } catch (cause) {
    throw new ProjectionError(
      `Projection "${projection.name}" threw on event ${event.id} (${event.type} at position ${event.position}): ${String((cause as Error)?.message ?? cause)}`,
      { cause, details: { projection: projection.name, eventId: event.id, position: event.position } },
    );
  }
}

export function initialState(projection: Projection<unknown>): unknown {
  try {
    return projection.initial();
  } catch (cause) {
    throw new ProjectionError(`Projection "${projection.name}": initial() threw: ${String((cause as Error)?.message ?? cause)}`, {
      cause,
      details: { projection: projection.name },
    });
  }
}
