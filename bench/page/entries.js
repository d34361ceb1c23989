// The worker-mode scaling cases' projections (issue 13), as plain functions: states of many
// entries, each updated immutably as a reducer should.
//   grouped: { groups: { g0: { e0: {title, n}, ... }, ... } }, 100 entries a group: a change
//            copies one entry, its group and the top level (what most app states look like).
//   flat:    { e0: {title, n}, ... }: a change copies the whole top level.
// A "fill" event makes a state of `entries` entries at once (a big state without a big log);
// a "set" event changes one entry.
export const GROUP = 100;
export const names = { grouped: 'grouped', flat: 'flat' };

export const initialGrouped = () => ({ groups: {} });
export function reduceGrouped(state, event) {
  const p = event.payload;
  if (event.type === 'grouped.fill') {
    const built = {};
    for (let i = 0; i < p.entries; i++) {
      const group = `g${Math.floor(i / GROUP)}`;
      built[group] ??= {};
      built[group][`e${i}`] = { title: `Entry ${i}`, n: 0 };
    }
    // Objects built key by key are slow ("dictionary") objects in V8 past ~128 keys; spread
    // copies are fast ones, as states made by reducers' spreads or read from a snapshot are.
    const groups = {};
    for (const [g, entries] of Object.entries(built)) groups[g] = { ...entries };
    return { groups: { ...groups } };
  }
  if (event.type === 'grouped.set') {
    const g = `g${Math.floor(p.i / GROUP)}`;
    return { ...state, groups: { ...state.groups, [g]: { ...state.groups[g], [`e${p.i}`]: { title: p.title, n: p.n } } } };
  }
  return state;
}

export const initialFlat = () => ({});
export function reduceFlat(state, event) {
  const p = event.payload;
  if (event.type === 'flat.fill') {
    const entries = {};
    for (let i = 0; i < p.entries; i++) entries[`e${i}`] = { title: `Entry ${i}`, n: 0 };
    return entries;
  }
  if (event.type === 'flat.set') return { ...state, [`e${p.i}`]: { title: p.title, n: p.n } };
  return state;
}
