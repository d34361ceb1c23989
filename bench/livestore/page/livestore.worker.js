// LiveStore's leader worker, exactly as its docs write it (platform-adapters/web-adapter:
// livestore.worker.ts): makeWorker with the schema. No sync backend: every event stays
// local ("unsynced"), which is how LiveStore runs without a server.
import { makeWorker } from '@livestore/adapter-web/worker';
import { schema } from './schema.js';

makeWorker({ schema });
