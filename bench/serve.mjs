// The benchmark pages' static server, shared by bench/run.mjs and bench/livestore/run.mjs:
// a built page on 127.0.0.1 with COOP/COEP (cross-origin isolated, so performance.now()
// steps by 5 µs), nothing outside its directory.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Vite's content-hashed output (assets/name-HASH.js): what production serves as immutable. */
export const HASHED = /^\/assets\/.+-[A-Za-z0-9_-]{8}\.[a-z]+$/;

/**
 * Serves `dir`; `cacheControl(path)` gives each response's Cache-Control header (and may
 * count the requests it sees). Resolves with the listening server.
 */
export function staticServer(dir, cacheControl) {
  const server = createServer(async (req, res) => {
    let path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/') path = '/index.html';
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': cacheControl(path),
    };
    if (path === '/favicon.ico') return res.writeHead(204, headers).end();
    const file = join(dir, path);
    if (relative(dir, file).startsWith('..')) return res.writeHead(403, headers).end();
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404, headers).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
