/**
 * Test support: the error a promise rejects with, or that a call throws or rejects with
 * (a call covers methods that may throw before they return a promise). A test fails if the
 * promise resolves or the call returns.
 */
export async function rejection(promise: Promise<unknown> | (() => unknown)): Promise<Error & { details?: Record<string, unknown> }> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error as Error & { details?: Record<string, unknown> };
  }
  throw new Error(typeof promise === 'function' ? 'expected the call to throw or reject' : 'expected the promise to reject');
}
