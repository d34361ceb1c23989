/**
 * The demo's passphrase field end to end (issue 18, docs/demo.md): devices with the same
 * passphrase converge on an encrypted fleet log, the sync server's SQLite file holds none of
 * its text, a device with another passphrase is shown that it cannot open the log, and the
 * choice survives a reload without the passphrase being kept.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import {
  encryptionMode,
  inventory,
  open,
  registerService,
  reload,
  setConfig,
  timeline,
  uniqueLog,
  usePassphrase,
  waitForCell,
  waitForMode,
  waitForPending,
  waitForRow,
  waitForTimeline,
  type SyncServer,
} from './harness.ts';
import { demoTests, TEST_TIMEOUT } from './perTest.ts';

const e2e = demoTests();
const { newDevice, newServer, expectClean } = e2e;

/** The sync server's SQLite database as bytes: the main file and its write-ahead log (where recent commits are). */
async function databaseBytes(server: SyncServer): Promise<Buffer> {
  const files = [server.path, `${server.path}-wal`].filter((f) => existsSync(f));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
}

/** Which of `texts` occur in `bytes`, as UTF-8 or as UTF-16 (either way SQLite could store text). */
function found(bytes: Buffer, texts: string[]): string[] {
  return texts.filter((t) => bytes.includes(Buffer.from(t, 'utf8')) || bytes.includes(Buffer.from(t, 'utf16le')));
}

const token = () => Math.random().toString(36).slice(2, 10);

describe('fleet demo: the passphrase field (end-to-end encryption)', () => {
  test(
    'two devices with the same passphrase converge, the server’s SQLite file holds none of the text, another passphrase opens nothing',
    async () => {
      const server = await newServer();
      const log = uniqueLog('encrypted');
      const passphrase = `correct horse battery ${token()}`;
      const [a, b] = await Promise.all([newDevice('a'), newDevice('b')]);
      await Promise.all([open(a.page, e2e.demo.url, server.url, log), open(b.page, e2e.demo.url, server.url, log)]);
      expect(await encryptionMode(a.page)).toBe('plain');
      await expect.poll(() => a.page.locator('#encryption-mode').textContent()).toMatch(/^Not encrypted/);

      // The control: a service on the shared plain log is in the server's file, readable.
      const plainName = `plain-${token()}`;
      await registerService(a.page, { name: plainName, env: 'dev', version: '0.1.0', replicas: 1, owner: 'platform' });
      await waitForPending(a.page, 0);
      await waitForRow(b.page, plainName);
      expect(found(await databaseBytes(server), [plainName])).toEqual([plainName]);

      // Both devices set the same passphrase: each opens the encrypted log, empty so far.
      await Promise.all([usePassphrase(a.page, passphrase), usePassphrase(b.page, passphrase)]);
      for (const d of [a, b]) {
        await expect
          .poll(() => d.page.locator('#encryption-mode').textContent())
          .toBe('Encrypted: only devices with the passphrase can read this log.');
        await expect.poll(() => inventory(d.page)).toEqual([]);
        expect(await d.page.getByRole('button', { name: 'Forget the passphrase: back to the shared plain log' }).isVisible()).toBe(true);
      }

      // A adds a service; B sees it: they converge.
      const secret = token();
      const service = {
        name: `ledger-${secret}`,
        env: 'prod',
        version: `7.3.1-rc${secret}`,
        replicas: 3,
        owner: `team-${secret}`,
      } as const;
      const config = { key: `VAULT_${secret.toUpperCase()}`, value: `hunter2-${secret}` };
      await registerService(a.page, service);
      await setConfig(a.page, service.name, config.key, config.value);
      await waitForPending(a.page, 0);
      await waitForRow(b.page, service.name);
      await waitForCell(b.page, service.name, 'config', `${config.key}=${config.value}`);
      await waitForTimeline(a.page, 2, { confirmed: true });
      await waitForTimeline(b.page, 2, { confirmed: true });
      const [invA, invB] = await Promise.all([inventory(a.page), inventory(b.page)]);
      expect(invB).toEqual(invA);
      expect(invA).toEqual([
        expect.objectContaining({ name: service.name, version: service.version, owner: service.owner, replicas: '3' }),
      ]);
      const shape = (items: Awaited<ReturnType<typeof timeline>>) =>
        items.map(({ position, pending, whoId, what }) => ({ position, pending, whoId, what }));
      expect(shape(await timeline(b.page))).toEqual(shape(await timeline(a.page)));

      // The server's SQLite file (and its WAL) holds the encrypted log's events, and none of their text.
      const bytes = await databaseBytes(server);
      expect(found(bytes, [`${log}-e2e`]), 'the encrypted log is in the file').toEqual([`${log}-e2e`]);
      expect(found(bytes, [secret, secret.toUpperCase(), service.name, service.owner, service.version, config.key, config.value])).toEqual(
        [],
      );
      expect(found(bytes, [passphrase])).toEqual([]);

      // C sets another passphrase: it is told that it cannot open the log, and shows nothing of it.
      const c = await newDevice('c');
      await open(c.page, e2e.demo.url, server.url, log);
      await waitForRow(c.page, plainName);
      await usePassphrase(c.page, `another passphrase ${token()}`);
      await c.page.locator('#encryption[data-state="decryption-error"]').waitFor();
      const alert = c.page.getByRole('alert').filter({ hasText: 'This passphrase does not open this log' });
      await expect.poll(() => alert.isVisible()).toBe(true);
      await c.page.waitForFunction(() => {
        const state = document.querySelector('#sync-state');
        return state?.getAttribute('data-state') === 'error' && state.textContent === 'Sync error: This passphrase does not open this log';
      });
      expect(await inventory(c.page)).toEqual([]);
      expect(await timeline(c.page)).toEqual([]);
      expect(await c.page.content()).not.toContain(secret);
      // No change can be made with a key that does not open the log (it would seal events no one else can open).
      expect(await c.page.getByRole('button', { name: 'Register service' }).isDisabled()).toBe(true);

      // The right passphrase on C: the same local database catches up.
      await usePassphrase(c.page, passphrase);
      await waitForRow(c.page, service.name);
      await waitForTimeline(c.page, 2, { confirmed: true });
      expect(await inventory(c.page)).toEqual(invA);
      await c.page.locator('#encryption[data-state="ok"]').waitFor();
      expect(await c.page.locator('#decryption-error').isHidden()).toBe(true);
      expect(await c.page.getByRole('button', { name: 'Register service' }).isEnabled()).toBe(true);
      expect(found(await databaseBytes(server), [secret, passphrase])).toEqual([]);
      await expectClean(a, b, c);
    },
    TEST_TIMEOUT,
  );

  test(
    'the encrypted log opens again after a reload without the passphrase, which is not kept; forgetting it goes back to the plain log',
    async () => {
      const server = await newServer();
      const log = uniqueLog('remember');
      const passphrase = `remember me ${token()}`;
      const a = await newDevice('a');
      await open(a.page, e2e.demo.url, server.url, log);
      await registerService(a.page, { name: 'plain-api', env: 'prod', version: '1.0.0', replicas: 2, owner: 'platform' });
      // The Inspector, open while the log changes, follows the store that is open.
      await a.page.locator('#inspector-toggle').click();
      const rows = a.page.locator('#inspector [role=option]');
      await expect.poll(() => rows.count()).toBe(1);
      await usePassphrase(a.page, passphrase);
      await expect.poll(() => rows.count()).toBe(0);
      await registerService(a.page, { name: 'sealed-api', env: 'prod', version: '2.0.0', replicas: 2, owner: 'platform' });
      await waitForPending(a.page, 0);
      expect((await inventory(a.page)).map((r) => r.name)).toEqual(['sealed-api']);
      await expect.poll(() => rows.count()).toBe(1);
      expect(await a.page.locator('#inspector-toggle').getAttribute('aria-expanded')).toBe('true');

      // What the browser keeps: the key, not extractable, and not the passphrase.
      const kept = await a.page.evaluate(
        () =>
          new Promise<{ record: string; extractable: boolean; algorithm: string; usages: string[] }[]>((resolve, reject) => {
            const open = indexedDB.open('eventloom-fleet-settings');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const all = open.result.transaction('keys').objectStore('keys').getAll();
              all.onerror = () => reject(all.error);
              all.onsuccess = () => {
                open.result.close();
                resolve(
                  all.result.map((r: { key: CryptoKey }) => ({
                    record: JSON.stringify(r),
                    extractable: r.key.extractable,
                    algorithm: r.key.algorithm.name,
                    usages: [...r.key.usages].sort(),
                  })),
                );
              };
            };
          }),
      );
      expect(kept).toEqual([{ record: expect.any(String), extractable: false, algorithm: 'AES-GCM', usages: ['decrypt', 'encrypt'] }]);
      expect(kept[0]!.record).not.toContain(passphrase);
      expect(await a.page.locator('#passphrase').inputValue()).toBe('');

      // A reload opens the encrypted log again, without asking.
      await reload(a.page);
      await waitForMode(a.page, 'encrypted');
      await waitForRow(a.page, 'sealed-api');
      expect((await inventory(a.page)).map((r) => r.name)).toEqual(['sealed-api']);

      // Forget the passphrase: the shared plain log again, also after a reload.
      await a.page.getByRole('button', { name: 'Forget the passphrase: back to the shared plain log' }).click();
      await waitForMode(a.page, 'plain');
      await waitForRow(a.page, 'plain-api');
      expect((await inventory(a.page)).map((r) => r.name)).toEqual(['plain-api']);
      await reload(a.page);
      await waitForMode(a.page, 'plain');
      await waitForRow(a.page, 'plain-api');
      expect((await inventory(a.page)).map((r) => r.name)).toEqual(['plain-api']);
      expect(await a.page.getByRole('button', { name: 'Encrypt this fleet log' }).isVisible()).toBe(true);
      await expectClean(a);
    },
    TEST_TIMEOUT,
  );
});
