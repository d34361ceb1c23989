// The inspector's tests: the todos projection (its reducer ignores other types, so a 100k
// log of 'ping' events builds fast).
import { serveStore } from 'eventloom/worker';
import { todos } from '../support/fixtures.ts';

serveStore({ projections: { todos } });
