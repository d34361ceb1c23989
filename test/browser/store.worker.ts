// The two-line worker module an app writes (plus projections that throw or mutate, for tests).
import { serveStore } from 'eventloom/worker';
import { fragile, mutating, mutatingUnchecked, projections } from '../support/fixtures.ts';

serveStore({ projections: { ...projections, fragile, mutating, mutatingUnchecked } });
