// The benchmark's projection, as plain functions (the store worker wraps them with
// defineProjection; the raw baselines call them directly). A pure reducer: a count,
// per-type counters and the last title per stream (100 streams → a state of ~5 KB).
export const NAME = 'bench';

export const initial = () => ({ count: 0, types: {}, streams: {} });

export function reduce(state, event) {
  const p = event.payload;
  return {
    count: state.count + 1,
    types: { ...state.types, [event.type]: (state.types[event.type] ?? 0) + 1 },
    streams: { ...state.streams, [event.stream]: { title: p.title, n: p.n } },
  };
}
