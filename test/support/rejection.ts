/** Test support: the error a promise rejects with (a test fails if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { details?: Record<string, unknown> };
  }
  throw new Error('expected the promise to reject');
}
