// Chromium's flags for every headless run in this repository (the browser tests, the demo end
// to end, the benchmarks): no sandbox (containers), no GPU, and no background traffic of its
// own that would disturb a test or a measurement.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
