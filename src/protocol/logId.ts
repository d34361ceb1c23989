/**
 * The rule for a log id (the `{logId}` of every route, docs/protocol.md), in a module of its
 * own: createStore() checks its sync options with it without loading the whole protocol.
 */
import * as v from 'valibot';

export const LogIdSchema = v.pipe(
  v.string(),
  v.minLength(1, 'logId must not be empty'),
  v.maxLength(128, 'logId must be at most 128 characters'),
  v.regex(/^[A-Za-z0-9._:-]+$/, 'logId may only contain A-Z a-z 0-9 . _ : -'),
  v.check((id) => !id.startsWith('.'), 'logId must not start with "."'),
);
