// The store worker of the worker-mode property test: projections with arrays, nested
// objects, groups of entries and a Map, so every kind of patch crosses to the page.
import { serveStore } from 'eventloom/worker';
import { catalog, counter, stock, todos } from '../support/fixtures.ts';

serveStore({ projections: { todos, counter, catalog, stock } });
