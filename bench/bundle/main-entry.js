// bundle.main: what a worker-mode app's main thread ships (createStore from 'eventloom').
import { createStore } from 'eventloom';

globalThis.createStore = createStore;
