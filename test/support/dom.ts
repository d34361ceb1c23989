/** Waiting on the DOM without sleeps: resolves once `check` passes, looked at again on each mutation under `root`. */
export function untilDom<T>(root: Node, check: () => T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = check();
    if (first) return resolve(first as T);
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`untilDom: not true within ${timeoutMs} ms`));
    }, timeoutMs);
    const observer = new MutationObserver(() => {
      const value = check();
      if (!value) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve(value as T);
    });
    observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}
