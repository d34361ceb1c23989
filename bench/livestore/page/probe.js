// The disk probe (probe.worker.js) for run.mjs: one dedicated worker, one answer.
export function prDisk({ count = 100 }) {
  const worker = new Worker(new URL('./probe.worker.js', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) reject(new Error(data.error));
      else resolve(data);
    };
    worker.postMessage({ count });
  });
}
