// bundle.devtools: what importing the inspector adds to an app that has a store (it also
// pulls in what it shares with the main entry; the case reports the inspector's own chunk).
import { mountInspector } from 'eventloom/devtools';

globalThis.mountInspector = mountInspector;
