import { describe, expect, it } from 'vitest';
import * as errors from '../../../src/core/errors/index.ts';
import { isEventloomError, reviveError, toErrorData, type ErrorData } from '../../../src/core/errors/index.ts';
import { ERROR_NAMES } from '../../support/errorNames.ts';

const NAMES = ERROR_NAMES;

/** What crosses postMessage: the data after a structured clone. */
const send = (error: unknown): unknown => reviveError(structuredClone(toErrorData(error)));

describe('EventloomError', () => {
  it('has empty details and no cause when given neither', () => {
    const error = new errors.SyncError('offline');
    expect(error.message).toBe('offline');
    expect(error.details).toEqual({});
    expect('cause' in error).toBe(false);
  });

  it('keeps a cause, even a falsy one, and its details', () => {
    const inner = new TypeError('inner');
    const error = new errors.ConcurrencyError('stale', { cause: inner, details: { stream: 's', expectedVersion: 1 } });
    expect(error.cause).toBe(inner);
    expect(error.details).toEqual({ stream: 's', expectedVersion: 1 });
    expect(new errors.ProjectionError('p', { cause: 0 }).cause).toBe(0);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(errors.EventloomError);
  });

  it('each isX() guard recognises only its own error', () => {
    for (const name of NAMES) {
      const error = new errors[name]('x');
      for (const other of NAMES) expect(errors[`is${other}`](error)).toBe(other === name);
      expect(errors[`is${name}`]({ name: `${name}s` })).toBe(false);
      expect(errors[`is${name}`](undefined)).toBe(false);
      expect(errors[`is${name}`]('InvalidEventError')).toBe(false);
    }
  });
});

describe('isEventloomError', () => {
  it('recognises every Eventloom error by name, also as plain data', () => {
    for (const name of NAMES) {
      expect(isEventloomError(new errors[name]('x'))).toBe(true);
      expect(isEventloomError({ name })).toBe(true);
    }
  });

  it.each([
    ['a plain Error', new Error('x')],
    ['a TypeError', new TypeError('x')],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'SyncError'],
    ['a non-string name', { name: 7 }],
    ['a name inherited from Object.prototype', { name: 'toString' }],
    ['the base class name', { name: 'EventloomError' }],
  ])('refuses %s', (_, value) => {
    expect(isEventloomError(value)).toBe(false);
  });
});

describe('toErrorData', () => {
  it('turns an Eventloom error into marked plain data with its details, stack and cause', () => {
    const error = new errors.UpcastError('bad upcaster', { cause: new RangeError('too far'), details: { eventId: 'e1', position: 3 } });
    const data = toErrorData(error) as ErrorData;
    expect(data.$eventloomError).toBe(true);
    expect(data.name).toBe('UpcastError');
    expect(data.message).toBe('bad upcaster');
    expect(data.stack).toBe(error.stack);
    expect(data.details).toEqual({ eventId: 'e1', position: 3 });
    expect(data.details).not.toBe(error.details);
    expect(data.cause).toEqual({ name: 'RangeError', message: 'too far' });
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });

  it('leaves out what the error does not have: no stack, no details for a foreign error, no cause', () => {
    const error = new TypeError('plain');
    (error as { stack?: string | undefined }).stack = undefined;
    const data = toErrorData(error);
    expect(Object.keys(data as object).sort()).toEqual(['$eventloomError', 'message', 'name']);
  });

  it('drops a cause that is not an Error', () => {
    const data = toErrorData(new errors.SyncError('x', { cause: 'text' })) as ErrorData;
    expect('cause' in data).toBe(false);
    expect((send(new errors.SyncError('x', { cause: 'text' })) as Error).cause).toBeUndefined();
  });

  it.each([
    ['a string', 'just text'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an error-like object', { name: 'SyncError', message: 'x' }],
  ])('passes %s through unchanged', (_, value) => {
    expect(toErrorData(value)).toBe(value);
  });
});

describe('reviveError', () => {
  it.each(NAMES)('rebuilds a %s with its class, message, details, stack and cause', (name) => {
    const original = new errors[name]('what went wrong', { details: { stream: 's', n: 1 }, cause: new SyntaxError('inner') });
    const revived = send(original) as errors.EventloomError;
    expect(revived).toBeInstanceOf(errors[name]);
    expect(revived.name).toBe(name);
    expect(revived.message).toBe('what went wrong');
    expect(revived.details).toEqual({ stream: 's', n: 1 });
    expect(revived.stack).toBe(original.stack);
    expect(revived.cause).toBeInstanceOf(Error);
    expect((revived.cause as Error).name).toBe('SyntaxError');
    expect((revived.cause as Error).message).toBe('inner');
  });

  it('rebuilds an Eventloom error sent without details or cause with empty details and no cause', () => {
    const revived = reviveError({ $eventloomError: true, name: 'StoreClosedError', message: 'closed' }) as errors.EventloomError;
    expect(errors.isStoreClosedError(revived)).toBe(true);
    expect(revived).toBeInstanceOf(errors.StoreClosedError);
    expect(revived.details).toEqual({});
    expect(revived.cause).toBeUndefined();
    expect(typeof revived.stack).toBe('string');
  });

  it('rebuilds an error of another kind as an Error with its name, message, stack and cause', () => {
    const original = new RangeError('out of range', { cause: new TypeError('why') });
    const revived = send(original) as Error;
    expect(revived).toBeInstanceOf(Error);
    expect(isEventloomError(revived)).toBe(false);
    expect(revived.name).toBe('RangeError');
    expect(revived.message).toBe('out of range');
    expect(revived.stack).toBe(original.stack);
    expect((revived.cause as Error).name).toBe('TypeError');
    expect((revived.cause as Error).message).toBe('why');
    expect('details' in revived).toBe(false);
  });

  it('rebuilds an error named like an Object.prototype member as a plain Error', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const revived = reviveError({ $eventloomError: true, name, message: 'odd' }) as Error;
      expect(revived).toBeInstanceOf(Error);
      expect(revived.name).toBe(name);
      expect(revived.message).toBe('odd');
    }
  });

  it.each([
    ['a string', 'SyncError'],
    ['a number', 3],
    ['null', null],
    ['undefined', undefined],
    ['an object without the marker', { name: 'SyncError', message: 'x' }],
    ['an Error', new Error('thrown as is')],
  ])('passes %s through unchanged', (_, value) => {
    expect(reviveError(value)).toBe(value);
  });
});

describe('errors from another copy of the module', () => {
  it('keep their details across the worker: recognised by name, not by class (WebKit evaluates a worker entry chunk twice)', () => {
    // What a second copy of src/core/errors makes: the same name and shape, other classes.
    class DecryptionError extends Error {
      override readonly name = 'DecryptionError';
      readonly details = { reason: 'failed', eventId: 'e1', keyId: 'default' };
    }
    const crossed = send(new DecryptionError('does not open')) as errors.DecryptionError;
    expect(crossed).toBeInstanceOf(errors.DecryptionError);
    expect(crossed.details).toEqual({ reason: 'failed', eventId: 'e1', keyId: 'default' });
    expect(crossed.message).toBe('does not open');
  });
});
