import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WebSocket } from 'ws';
import { ServiceAccountTokens } from '../auth/serviceAccountTokens';
import { EventRecorder } from '../events';
import { PodRuntime } from '../pods/PodRuntime';
import { Registry } from '../registry/Registry';
import { RESOURCE_TYPES } from '../resources';
import { ObjectStore } from '../store/ObjectStore';
import { waitFor } from '../__testUtils__/sandboxTest';
import { ExecSession } from './ExecSession';

/** A socket whose sends complete only when the test says so: a client that stopped reading. */
class StalledSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  sentBytes = 0;
  readonly sent: Buffer[] = [];
  private callbacks: Array<() => void> = [];

  send(data: Buffer, _opts: unknown, cb?: () => void) {
    this.sentBytes += data.length;
    this.sent.push(Buffer.from(data));
    if (cb) this.callbacks.push(cb);
  }

  drain() {
    const cbs = this.callbacks.splice(0);
    cbs.forEach(cb => cb());
  }

  close() {
    this.readyState = 3;
    this.emit('close');
  }
}

describe('ExecSession backpressure', () => {
  let stateDir: string;
  let runtime: PodRuntime;
  let store: ObjectStore;

  beforeAll(() => {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-session-test-'));
    store = new ObjectStore();
    const registry = new Registry(store);
    const tokens = new ServiceAccountTokens(store);
    runtime = new PodRuntime({
      store,
      events: new EventRecorder(registry, () => undefined),
      tokens,
      stateDir,
      startDelayMs: 0,
      images: {},
      logger: {
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
      apiEndpoint: () => ({ server: 'https://127.0.0.1:1', caCertificate: '' }),
    });
    registry.create(RESOURCE_TYPES.namespaces, undefined, {
      metadata: { name: 'demo' },
    });
    registry.create(RESOURCE_TYPES.pods, 'demo', {
      metadata: { name: 'flood' },
      spec: { containers: [{ name: 'main', image: 'x' }] },
    });
    runtime.startNow('demo', 'flood');
  });

  afterAll(() => {
    runtime.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  function startExec(ws: StalledSocket, command: string[], tty: boolean) {
    const pod = store.get(RESOURCE_TYPES.pods, 'demo', 'flood')!;
    new ExecSession({
      ws: ws as unknown as WebSocket,
      params: {
        namespace: 'demo',
        pod,
        container: 'main',
        command,
        stdin: false,
        stdout: true,
        stderr: false,
        tty,
      },
      runtime,
      store,
      apiHost: '127.0.0.1',
      apiPort: 1,
      logger: {
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      },
    }).start();
  }

  it('hands on the last output of processes that exit while paused for a slow client', async () => {
    // Ten at once: just past the high-water mark, the rest of each one's output fits the kernel's
    // buffer, so most exit while paused. Before the fix most lost their end (12 to 19 of 20).
    const sockets = Array.from({ length: 10 }, () => new StalledSocket());
    for (const ws of sockets) {
      startExec(
        ws,
        ['sh', '-c', 'head -c 1100000 /dev/zero; echo; echo the-last-line'],
        true,
      );
    }
    await waitFor(
      () => sockets.every(ws => ws.sentBytes > 1024 * 1024),
      20000,
      'the high-water mark',
    );
    // The client stalls well past node-pty's 200 ms wait for the end of the output.
    await new Promise(r => setTimeout(r, 1000));
    sockets.forEach(ws => ws.drain());
    await waitFor(
      () => sockets.every(ws => ws.sent.some(frame => frame[0] === 3)),
      20000,
      'the exit statuses',
    );
    for (const ws of sockets) {
      const stdout = Buffer.concat(
        ws.sent.filter(frame => frame[0] === 1).map(frame => frame.subarray(1)),
      );
      expect(stdout.length).toBe(1100000 + '\r\nthe-last-line\r\n'.length);
      expect(stdout.toString('latin1')).toMatch(/the-last-line\r\n$/);
      // The status comes after all of it, as a runtime reports an exit only after its output.
      const status = ws.sent.findIndex(frame => frame[0] === 3);
      expect(ws.sent.slice(status + 1).filter(frame => frame[0] === 1)).toEqual(
        [],
      );
    }
  });

  it.each([false, true])(
    'pauses a flooding process while the socket cannot keep up (tty=%p)',
    async tty => {
      const ws = new StalledSocket();
      startExec(ws, ['yes'], tty);

      const settle = async () => {
        let last = -1;
        while (ws.sentBytes !== last) {
          last = ws.sentBytes;
          await new Promise(r => setTimeout(r, 300));
        }
        return last;
      };
      await waitFor(
        () => ws.sentBytes > 1024 * 1024,
        10000,
        'the high-water mark',
      );
      const stalled = await settle();
      expect(stalled).toBeGreaterThan(1024 * 1024);
      // Bounded: the high-water mark plus what was in flight, not an ever-growing buffer.
      expect(stalled).toBeLessThan(4 * 1024 * 1024);

      ws.drain();
      await waitFor(() => ws.sentBytes > stalled, 10000, 'output to resume');

      ws.close();
      expect(runtime.processCount()).toBe(0);
      ws.drain();
    },
  );
});
