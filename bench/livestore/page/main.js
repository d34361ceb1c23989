// The LiveStore comparison page (bench/livestore/run.mjs). window.bench(cmd, args) runs one
// command of a side: `ls*` from livestore.js (LiveStore), `el*` from eventloom.js (Eventloom),
// `pr*` from probe.js (a disk probe for the README's fairness notes).
// Each side is a dynamic import, so neither side's code loads with the other's.
//
// Boots are fresh page loads: `?boot=<json args>` boots that side as soon as this module
// runs and leaves the result in window.bootResult, with `sinceNavigation`: the time from the
// navigation's start (performance.now() counts from it) until the state's query returned
// (the side's code fetched and evaluated, its workers started, the store ready, the query).
const sides = {
  ls: () => import('./livestore.js'),
  el: () => import('./eventloom.js'),
  pr: () => import('./probe.js'), // the disk probe (not a case): what a flushed write costs here
};
const sideOf = (cmd) => sides[cmd.slice(0, 2)]();

window.bench = async (cmd, args) => (await sideOf(cmd))[cmd](args ?? {});

const boot = new URLSearchParams(location.search).get('boot');
if (boot) {
  const { cmd, args } = JSON.parse(boot);
  const start = performance.now();
  window.bootResult = sideOf(cmd)
    .then((side) => side[cmd](args))
    .then((r) => ({ ...r, sinceNavigation: r.end, moduleStart: start }))
    .catch((error) => ({ error: String(error?.stack ?? error) }));
}
window.benchReady = true;
