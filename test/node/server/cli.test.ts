import { describe, expect, it } from 'vitest';
import { parseToken } from '../../../src/server/cli.ts';
import { createSyncApp, memoryStorage } from '../../../src/server/index.ts';

describe('the server CLI', () => {
  it('parses --token <token>:<logs|*>:<read|write>', () => {
    expect(parseToken('s3cret:team-42,team-7:write')).toEqual(['s3cret', { logs: ['team-42', 'team-7'], access: 'write' }]);
    expect(parseToken('viewer:*:read')).toEqual(['viewer', { logs: '*', access: 'read' }]);
  });

  it.each(['nocolons', 'a:b', 'a:b:admin', ':logs:read', 'tok::write'])('rejects the malformed token spec %s', (spec) => {
    expect(() => parseToken(spec)).toThrow(/expected <token>:<logs\|\*>:<read\|write>/);
  });
});

describe('CORS configuration', () => {
  it('answers only the configured origins', async () => {
    const app = createSyncApp({ storage: memoryStorage(), cors: { origin: ['https://app.example'] } });
    const ask = (origin: string) =>
      app.fetch(
        new Request('http://127.0.0.1:8787/v1/logs/x/events', {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
        }),
      );
    expect((await ask('https://app.example')).headers.get('Access-Control-Allow-Origin')).toBe('https://app.example');
    expect((await ask('https://evil.example')).headers.get('Access-Control-Allow-Origin')).not.toBe('https://evil.example');
  });

  it('sends no CORS headers when turned off', async () => {
    const app = createSyncApp({ storage: memoryStorage(), cors: false, auth: { tokens: { t: { logs: '*', access: 'read' } } } });
    const res = await app.fetch(
      new Request('http://127.0.0.1:8787/v1/logs/x/events', { headers: { Origin: 'https://app.example', Authorization: 'Bearer t' } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBeNull();
  });
});
