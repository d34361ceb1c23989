import { serveStore } from 'eventloom/worker';
import { todos } from './todos.ts';

serveStore({ projections: { todos } });
