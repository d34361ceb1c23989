// The two-line worker module an app writes (plus a projection that can throw, for tests).
import { serveStore } from 'eventloom/worker';
import { fragile, projections } from '../support/fixtures.ts';

serveStore({ projections: { ...projections, fragile } });
