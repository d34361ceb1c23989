/**
 * The fleet domain: services and the changes a team makes to them, as events, and the
 * inventory projection that folds them. Pure: shared by the worker (reducers) and the page
 * (descriptions for the timeline).
 */
import { defineProjection, type EventInput, type StoredEvent } from 'eventloom';

export type Env = 'prod' | 'staging' | 'dev';
export const ENVS: readonly Env[] = ['prod', 'staging', 'dev'];

export interface Service {
  id: string;
  name: string;
  env: Env;
  version: string;
  replicas: number;
  owner: string;
  config: Record<string, string>;
  status: 'running' | 'retired';
}

export type Inventory = Record<string, Service>;

type Payloads = {
  'service.registered': { id: string; name: string; env: Env; version: string; replicas: number; owner: string };
  'service.deployed': { id: string; version: string };
  'service.scaled': { id: string; replicas: number };
  'service.reconfigured': { id: string; key: string; value: string | null };
  'service.retired': { id: string };
};
export type FleetEventType = keyof Payloads;
export const EVENT_TYPES = [
  'service.registered',
  'service.deployed',
  'service.scaled',
  'service.reconfigured',
  'service.retired',
] as const satisfies readonly FleetEventType[];

export const streamOf = (id: string) => `service-${id}`;

export function fleetEvent<T extends FleetEventType>(type: T, payload: Payloads[T]): EventInput {
  return { type, payload, stream: streamOf(payload.id) };
}

export const inventory = defineProjection<Inventory>({
  name: 'inventory',
  initial: () => ({}),
  reduce: (state, event) => {
    const p = event.payload as { id: string };
    const current = state[p.id];
    const put = (next: Service) => ({ ...state, [next.id]: next });
    switch (event.type as FleetEventType) {
      case 'service.registered': {
        const r = event.payload as Payloads['service.registered'];
        return put({ ...r, config: {}, status: 'running' });
      }
      case 'service.deployed':
        return current ? put({ ...current, version: (event.payload as Payloads['service.deployed']).version }) : state;
      case 'service.scaled':
        return current ? put({ ...current, replicas: (event.payload as Payloads['service.scaled']).replicas }) : state;
      case 'service.reconfigured': {
        if (!current) return state;
        const { key, value } = event.payload as Payloads['service.reconfigured'];
        const config = { ...current.config };
        if (value === null) delete config[key];
        else config[key] = value;
        return put({ ...current, config });
      }
      case 'service.retired':
        return current ? put({ ...current, status: 'retired' }) : state;
      default:
        return state;
    }
  },
});

const replicas = (n: unknown) => `${String(n)} ${n === 1 ? 'replica' : 'replicas'}`;

/** A sentence for the timeline: what an event changed. */
export function describeEvent(event: StoredEvent, names: (id: string) => string): string {
  const p = event.payload as Record<string, unknown> & { id?: string; commit?: string };
  const name = p.id ? names(p.id) : '?';
  switch (event.type) {
    case 'service.registered':
      return `registered ${String(p['name'])} (${String(p['env'])}, v${String(p['version'])}, ${replicas(p['replicas'])}, owner ${String(p['owner'])})`;
    case 'service.deployed':
      return `deployed ${name} at v${String(p['version'])}`;
    case 'service.scaled':
      return `scaled ${name} to ${replicas(p['replicas'])}`;
    case 'service.reconfigured':
      return p['value'] === null
        ? `removed config ${String(p['key'])} of ${name}`
        : `set ${name} config ${String(p['key'])}=${String(p['value'])}`;
    case 'service.retired':
      return `retired ${name}`;
    case '$undo':
      return `undid change ${String(p.commit).slice(-6)}`;
    case '$redo':
      return `redid change ${String(p.commit).slice(-6)}`;
    default:
      return event.type;
  }
}
