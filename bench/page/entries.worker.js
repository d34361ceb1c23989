// The store worker of the worker-mode scaling cases, as README says a user writes one.
import { serveStore } from 'eventloom/worker';
import { defineProjection } from 'eventloom';
import { initialFlat, initialGrouped, names, reduceFlat, reduceGrouped } from './entries.js';

serveStore({
  projections: {
    [names.grouped]: defineProjection({ name: names.grouped, initial: initialGrouped, reduce: reduceGrouped }),
    [names.flat]: defineProjection({ name: names.flat, initial: initialFlat, reduce: reduceFlat }),
  },
});
