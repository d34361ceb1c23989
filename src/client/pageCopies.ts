/**
 * In-process mode, for projections made with `freeze: false`: the page's own copy of their
 * states, kept as worker mode keeps it (patches applied to a copy), so that a reducer that
 * changes its input against the contract shows the same in both modes.
 *
 * Why: with freezing on, such a reducer fails at once in both modes. With it off, the engine's
 * state is changed in place; in worker mode the page holds a copy and never sees that change,
 * while an in-process page holding the engine's very objects would. So the in-process page gets
 * a copy too (structuredClone at open; each change as a cloned patch against it), for those
 * projections only: frozen states cannot change in place and are shared as they are.
 *
 * Invariant: for a projection listed, the page's state never shares an object with the
 * engine's; for the others, this changes nothing.
 */
import { diffState } from '../core/diff.ts';
import { applyPatch } from '../core/patch.ts';
import type { Projection } from '../core/projection.ts';
import type { Change } from '../api/contract.ts';

export interface PageCopies {
  opened<T extends { states: Record<string, unknown> }>(opened: T): T;
  change(change: Change): Change;
}

const shared: PageCopies = { opened: (opened) => opened, change: (change) => change };

export function pageCopies(projections: readonly Projection<unknown>[]): PageCopies {
  const names = projections.filter((p) => p.freeze === false).map((p) => p.name);
  if (names.length === 0) return shared;
  const sent = new Map<string, unknown>(); // the engine's state each copy was last brought to
  const page = new Map<string, unknown>();
  return {
    opened(opened) {
      const states = { ...opened.states };
      for (const name of names) {
        if (!(name in states)) continue;
        sent.set(name, states[name]);
        const copy = structuredClone(states[name]);
        states[name] = copy;
        page.set(name, copy);
      }
      return { ...opened, states };
    },
    change(change) {
      let states = change.states;
      for (const name of names) {
        if (!(name in states)) continue;
        const state = states[name];
        const next = applyPatch(page.get(name), structuredClone(diffState(sent.get(name), state)));
        sent.set(name, state);
        page.set(name, next);
        states = { ...states, [name]: next };
      }
      return states === change.states ? change : { ...change, states };
    },
  };
}
