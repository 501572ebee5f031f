import { api, TEST_SEED, waitFor } from '../__testUtils__/sandboxTest';
import { SandboxCluster, startSandbox } from '../index';

const POD = '/api/v1/namespaces/demo/pods/shell';
const SMP = { 'Content-Type': 'application/strategic-merge-patch+json' };

/** A debug container as kubectl debug makes it. */
function debugger_(name: string, extra: object = {}) {
  return {
    name,
    image: 'busybox:1.36',
    targetContainerName: 'main',
    stdin: true,
    tty: true,
    ...extra,
  };
}

describe('pods/ephemeralcontainers', () => {
  let sandbox: SandboxCluster;

  beforeAll(async () => {
    sandbox = await startSandbox({ seed: TEST_SEED, startDelayMs: 50 });
  });
  afterAll(() => sandbox.close());

  const add = (container: object) =>
    api(sandbox, 'PATCH', `${POD}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: [container] } },
      headers: SMP,
    });

  it('adds a container by strategic merge patch, keeps the others, and runs it', async () => {
    const first = await add(debugger_('debug-a'));
    expect(first.status).toBe(200);
    // A second patch lists only the new one: merged by name, as the API server does.
    const second = await add(debugger_('debug-b'));
    expect(second.status).toBe(200);
    expect(
      second.body.spec.ephemeralContainers.map((c: any) => c.name),
    ).toEqual(['debug-a', 'debug-b']);
    // Regular containers are untouched by the subresource.
    expect(second.body.spec.containers.map((c: any) => c.name)).toEqual([
      'main',
      'minimal',
    ]);
    const statuses = await waitFor(async () => {
      const pod = await api(sandbox, 'GET', `${POD}/ephemeralcontainers`);
      const list = pod.body.status.ephemeralContainerStatuses ?? [];
      return list.length === 2 && list.every((s: any) => s.state.running)
        ? list
        : undefined;
    }, 10000);
    expect(statuses.map((s: any) => s.name)).toEqual(['debug-a', 'debug-b']);
    const events = await api(
      sandbox,
      'GET',
      '/api/v1/namespaces/demo/events?fieldSelector=involvedObject.name=shell',
    );
    expect(
      events.body.items
        .filter(
          (e: any) =>
            e.involvedObject.fieldPath === 'spec.ephemeralContainers{debug-a}',
        )
        .map((e: any) => e.reason),
    ).toEqual(['Pulled', 'Created', 'Started']);
  });

  // Two debug containers exist from the test before: a new one is the third of the merged list.
  it('refuses what the API server refuses, with its words', async () => {
    const ports = await add(
      debugger_('with-ports', { ports: [{ containerPort: 80 }] }),
    );
    expect(ports.status).toBe(422);
    expect(ports.body.message).toBe(
      'Pod "shell" is invalid: spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container',
    );
    const duplicate = await add(debugger_('main'));
    expect(duplicate.status).toBe(422);
    expect(duplicate.body.message).toContain(
      'spec.ephemeralContainers[2].name: Duplicate value: "main"',
    );
    const target = await add(
      debugger_('lost', { targetContainerName: 'nope' }),
    );
    expect(target.body.message).toContain(
      'spec.ephemeralContainers[2].targetContainerName: Not found: "nope"',
    );
    const noImage = await add({ name: 'blank' });
    expect(noImage.body.message).toContain(
      'spec.ephemeralContainers[2].image: Required value',
    );
    await add(debugger_('fixed'));
    const changed = await add(debugger_('fixed', { image: 'busybox:1.37' }));
    expect(changed.status).toBe(422);
    expect(changed.body.message).toBe(
      'Pod "shell" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "fixed" may not be changed',
    );
    // Replacing the list without an existing one removes it: refused the same way.
    const pod = (await api(sandbox, 'GET', `${POD}/ephemeralcontainers`)).body;
    pod.spec.ephemeralContainers = pod.spec.ephemeralContainers.filter(
      (c: any) => c.name !== 'fixed',
    );
    const removed = await api(sandbox, 'PUT', `${POD}/ephemeralcontainers`, {
      body: pod,
    });
    expect(removed.status).toBe(422);
    expect(removed.body.message).toContain(
      'existing ephemeral containers "fixed" may not be changed',
    );
  });

  it('adds by PUT, and shows an image that cannot be pulled', async () => {
    const pod = (await api(sandbox, 'GET', `${POD}/ephemeralcontainers`)).body;
    pod.spec.ephemeralContainers.push(
      debugger_('unpullable', {
        image: 'registry.example.com/no-such/debug:1',
      }),
    );
    const put = await api(sandbox, 'PUT', `${POD}/ephemeralcontainers`, {
      body: pod,
    });
    expect(put.status).toBe(200);
    const status = await waitFor(async () => {
      const now = await api(sandbox, 'GET', POD);
      return now.body.status.ephemeralContainerStatuses?.find(
        (s: any) => s.name === 'unpullable',
      );
    }, 10000);
    expect(status.state.waiting).toMatchObject({
      reason: 'ImagePullBackOff',
    });
  });

  it('attach needs a running main process; other requests say what to use', async () => {
    const regular = await api(
      sandbox,
      'GET',
      `${POD}/attach?container=main&stdin=true&stdout=true&tty=true`,
    );
    expect(regular.status).toBe(400);
    const unknown = await api(
      sandbox,
      'GET',
      `${POD}/attach?container=ghost&stdout=true`,
    );
    expect(unknown.body.message).toBe(
      'container ghost is not valid for pod shell',
    );
  });
});
