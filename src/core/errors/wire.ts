/**
 * Errors as plain data, so they cross postMessage (Comlink carries only name, message
 * and stack of a thrown Error): the worker throws `toErrorData(e)`, the main thread
 * rethrows `reviveError(data)`, an instance of the same class with the same details.
 */
import { ConcurrencyError } from './ConcurrencyError.ts';
import type { EventloomError, EventloomErrorName } from './EventloomError.ts';
import { InvalidEventError } from './InvalidEventError.ts';
import { ProjectionError } from './ProjectionError.ts';
import { ProtocolError } from './ProtocolError.ts';
import { StorageFullError } from './StorageFullError.ts';
import { StoreClosedError } from './StoreClosedError.ts';
import { SyncError } from './SyncError.ts';
import { UnknownProjectionError } from './UnknownProjectionError.ts';
import { UpcastError } from './UpcastError.ts';
import { HistoryUnavailableError } from './HistoryUnavailableError.ts';
import { ReadOnlyStoreError } from './ReadOnlyStoreError.ts';
import { DecryptionError } from './DecryptionError.ts';

type ErrorClass = new (message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) => EventloomError;

const CLASSES: Record<EventloomErrorName, ErrorClass> = {
  InvalidEventError,
  ConcurrencyError,
  ProjectionError,
  StorageFullError,
  StoreClosedError,
  UnknownProjectionError,
  SyncError,
  ProtocolError,
  UpcastError,
  HistoryUnavailableError,
  ReadOnlyStoreError,
  DecryptionError,
};

export interface ErrorData {
  readonly $eventloomError: true;
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly details?: Record<string, unknown>;
  readonly cause?: { name: string; message: string };
}

export function isEventloomError(error: unknown): error is EventloomError {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && Object.hasOwn(CLASSES, name);
}

export function toErrorData(error: unknown): ErrorData | unknown {
  if (!(error instanceof Error)) return error;
  const cause = error.cause instanceof Error ? { name: error.cause.name, message: error.cause.message } : undefined;
  return {
    $eventloomError: true,
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    // By name, not instanceof: a second copy of this module (a bundle's duplicate, or WebKit
    // evaluating a worker's entry chunk twice) has its own classes.
    ...(isEventloomError(error) ? { details: { ...error.details } } : {}),
    ...(cause === undefined ? {} : { cause }),
  };
}

export function reviveError(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !('$eventloomError' in data)) return data;
  const d = data as ErrorData;
  const Class = Object.hasOwn(CLASSES, d.name) ? CLASSES[d.name as EventloomErrorName] : undefined;
  const cause = d.cause === undefined ? undefined : Object.assign(new Error(d.cause.message), { name: d.cause.name });
  const error: Error = Class
    ? new Class(d.message, { cause, details: d.details ?? {} })
    : Object.assign(new Error(d.message, { cause }), { name: d.name });
  if (d.stack !== undefined) error.stack = d.stack;
  return error;
}
