// bundle.worker: the user's two-line worker module, with Dexie and the engine.
import { serveStore } from 'eventloom/worker';

serveStore({ projections: {} });
