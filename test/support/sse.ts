/** Test support: a live stream (Server-Sent Events) read as a client reads it, with eventsource-parser. */
import { createParser, type EventSourceMessage, type ParserCallbacks } from 'eventsource-parser';
import type { EventsResponse, PositionedEvent } from '../../src/protocol/wire.ts';

/**
 * Feeds `body` through eventsource-parser to the callbacks until the stream ends, or until
 * `stop` aborts (the reader is cancelled: the stream ends); rejects when reading fails (an
 * aborted request, a dropped connection).
 */
export async function readSse(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  callbacks: Pick<ParserCallbacks, 'onEvent' | 'onComment'>,
  stop?: AbortSignal,
): Promise<void> {
  const parser = createParser(callbacks);
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  stop?.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  } finally {
    stop?.removeEventListener('abort', cancel);
  }
}

export interface Subscription {
  res: Response;
  /** Every message so far, in order. */
  messages: EventSourceMessage[];
  /** The events of every 'events' page so far, in order. */
  events: PositionedEvent[];
  /** Resolves once `ready()` holds, checked now and after each message (one wait at a time). */
  until(ready: () => boolean): Promise<void>;
  /** Aborts the request and waits for the reading to stop. */
  close(): Promise<void>;
}

/** A live subscription made with fetch and read in the background. */
export async function subscribe(url: string, init: RequestInit = {}): Promise<Subscription> {
  const controller = new AbortController();
  const res = await fetch(url, { ...init, signal: controller.signal });
  const messages: EventSourceMessage[] = [];
  const events: PositionedEvent[] = [];
  let changed: () => void = () => {};
  const reading = res.body
    ? readSse(res.body, {
        onEvent: (message) => {
          messages.push(message);
          if (message.event === 'events') events.push(...(JSON.parse(message.data) as EventsResponse).events);
          changed();
        },
      }).catch(() => undefined)
    : Promise.resolve();
  return {
    res,
    messages,
    events,
    until: (ready) =>
      new Promise<void>((resolve) => {
        changed = () => {
          if (ready()) {
            changed = () => {};
            resolve();
          }
        };
        changed();
      }),
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}
