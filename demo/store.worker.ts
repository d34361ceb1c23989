import { serveStore } from 'eventloom/worker';
import { inventory } from './fleet.ts';

serveStore({ projections: { inventory } });
