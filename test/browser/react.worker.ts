// The store worker of the React tests: status.storage reads a steady stand-in, so the
// only status changes are the ones a test makes (see react.test.ts).
import { serveStore } from 'eventloom/worker';
import { catalog, projections, steadyStorage } from '../support/fixtures.ts';

serveStore({ projections: { ...projections, catalog }, storage: steadyStorage });
