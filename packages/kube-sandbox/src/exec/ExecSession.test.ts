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
  private callbacks: Array<() => void> = [];

  send(data: Buffer, _opts: unknown, cb?: () => void) {
    this.sentBytes += data.length;
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

  it.each([false, true])(
    'pauses a flooding process while the socket cannot keep up (tty=%p)',
    async tty => {
      const ws = new StalledSocket();
      const pod = store.get(RESOURCE_TYPES.pods, 'demo', 'flood')!;
      new ExecSession({
        ws: ws as unknown as WebSocket,
        params: {
          namespace: 'demo',
          pod,
          container: 'main',
          command: ['yes'],
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
