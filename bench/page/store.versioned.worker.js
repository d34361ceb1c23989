// The toolkit's worker as store.worker.js, but the projection's version comes from the
// worker's name ('v2', 'v3', …): a new version per run forces the full replay of a version
// bump every time, without a build per version (bench/run.mjs, group `scale`).
import { serveStore } from 'eventloom/worker';
import { defineProjection } from 'eventloom';
import { NAME, initial, reduce } from './projection.js';

const version = Number(/^v(\d+)$/.exec(self.name)?.[1] ?? 1);
serveStore({ projections: { [NAME]: defineProjection({ name: NAME, version, initial, reduce }) } });
