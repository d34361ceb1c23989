// The toolkit's worker, exactly as README says a user writes it.
import { serveStore } from 'eventloom/worker';
import { defineProjection } from 'eventloom';
import { NAME, initial, reduce } from './projection.js';

serveStore({ projections: { [NAME]: defineProjection({ name: NAME, initial, reduce }) } });
