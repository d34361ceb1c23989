// The worker module an app writes: the store's engine with the test projections.
import { serveStore } from 'eventloom/worker';
import { projections } from '../../support/fixtures.ts';

serveStore({ projections });
