import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { storageApiRef } from '@backstage/core-plugin-api';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import type { TerminalCluster } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  entityRef,
  singleContainer,
  twoClusters,
} from '../../__testUtils__/fixtures';
import { TerminalTargetPicker } from './TerminalTargetPicker';

async function renderPicker(
  clusters: TerminalCluster[],
  options: { storage?: ReturnType<typeof mockApis.storage> } = {},
) {
  const onConnect = jest.fn();
  const storage = options.storage ?? mockApis.storage();
  await renderInTestApp(
    <TestApiProvider apis={[[storageApiRef, storage]]}>
      <TerminalTargetPicker
        entityRef={entityRef}
        clusters={clusters}
        onConnect={onConnect}
      />
    </TestApiProvider>,
  );
  return { onConnect, storage };
}

// The mock storage flattens nested objects given to its constructor, so store through the API.
async function rememberedStorage(target: object) {
  const storage = mockApis.storage();
  await storage
    .forBucket('kubernetes-terminal')
    .set(`target:${entityRef}`, target);
  return storage;
}

const select = (label: string) =>
  screen.getByLabelText(label) as HTMLSelectElement;

describe('TerminalTargetPicker', () => {
  it('cascades cluster, namespace, pod and container', async () => {
    const { onConnect } = await renderPicker(twoClusters);
    const connect = screen.getByRole('button', { name: 'Connect' });
    expect(connect).toBeDisabled();
    expect(select('Namespace')).toBeDisabled();

    await userEvent.selectOptions(select('Cluster'), 'prod');
    expect(select('Namespace')).toBeEnabled();
    expect(select('Pod')).toBeDisabled();

    await userEvent.selectOptions(select('Namespace'), 'shop');
    // A running, ready pod is its name alone, so that long names fit the field.
    expect(screen.getByRole('option', { name: 'web-1' })).toBeInTheDocument();
    expect(
      screen.getByRole('option', { name: 'web-2 (Pending, not ready)' }),
    ).toBeInTheDocument();

    await userEvent.selectOptions(select('Pod'), 'web-1');
    expect(select('Pod')).toHaveAttribute('title', 'web-1');
    expect(
      screen.getByRole('option', {
        name: 'sidecar (waiting: CrashLoopBackOff, not ready)',
      }),
    ).toBeInTheDocument();
    expect(connect).toBeDisabled();

    await userEvent.selectOptions(select('Container'), 'sidecar');
    await userEvent.click(connect);
    expect(onConnect).toHaveBeenCalledWith({
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-1',
      container: 'sidecar',
    });
  });

  it('resets the levels below a changed one', async () => {
    await renderPicker(twoClusters);
    await userEvent.selectOptions(select('Cluster'), 'prod');
    await userEvent.selectOptions(select('Namespace'), 'shop');
    await userEvent.selectOptions(select('Pod'), 'web-1');
    await userEvent.selectOptions(select('Namespace'), 'jobs');
    // jobs has a single pod with a single container: chosen automatically.
    expect(select('Pod').value).toBe('worker-1');
    expect(select('Container').value).toBe('worker');
  });

  it('auto-selects levels with a single option', async () => {
    const { onConnect } = await renderPicker(singleContainer);
    expect(select('Cluster').value).toBe('local');
    expect(select('Namespace').value).toBe('default');
    expect(select('Pod').value).toBe('web-1');
    expect(select('Container').value).toBe('app');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(onConnect).toHaveBeenCalledWith({
      cluster: 'local',
      namespace: 'default',
      pod: 'web-1',
      container: 'app',
    });
  });

  it('shows failed clusters as unavailable options', async () => {
    await renderPicker(twoClusters);
    const edge = screen.getByRole('option', {
      name: 'edge (unreachable)',
    }) as HTMLOptionElement;
    expect(edge.disabled).toBe(true);
    expect(
      (screen.getByRole('option', { name: 'Production' }) as HTMLOptionElement)
        .disabled,
    ).toBe(false);
  });

  it('remembers the last choice per entity', async () => {
    const storage = mockApis.storage();
    const first = await renderPicker(twoClusters, { storage });
    await userEvent.selectOptions(select('Cluster'), 'prod');
    await userEvent.selectOptions(select('Namespace'), 'shop');
    await userEvent.selectOptions(select('Pod'), 'web-2');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(first.onConnect).toHaveBeenCalled();
    expect(
      storage.forBucket('kubernetes-terminal').snapshot(`target:${entityRef}`)
        .value,
    ).toEqual({
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-2',
      container: 'app',
    });
  });

  it('starts from the remembered choice', async () => {
    const storage = await rememberedStorage({
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-1',
      container: 'sidecar',
    });
    const { onConnect } = await renderPicker(twoClusters, { storage });
    expect(select('Cluster').value).toBe('prod');
    expect(select('Container').value).toBe('sidecar');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(onConnect).toHaveBeenCalledWith({
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-1',
      container: 'sidecar',
    });
  });

  it('ignores a remembered pod that is gone', async () => {
    const storage = await rememberedStorage({
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-0',
      container: 'app',
    });
    await renderPicker(twoClusters, { storage });
    expect(select('Namespace').value).toBe('shop');
    expect(select('Pod').value).toBe('');
    expect(screen.getByRole('button', { name: 'Connect' })).toBeDisabled();
  });

  it('says what its button does for the terminal beside it: Connected, Reconnect, or Connect', async () => {
    const onConnect = jest.fn();
    const chosen = {
      cluster: 'prod',
      namespace: 'shop',
      pod: 'web-1',
      container: 'app',
    };
    const storage = await rememberedStorage(chosen);
    const picker = (current?: { live: boolean }) => (
      <TestApiProvider apis={[[storageApiRef, storage]]}>
        <TerminalTargetPicker
          entityRef={entityRef}
          clusters={twoClusters}
          onConnect={onConnect}
          current={current && { target: chosen, live: current.live }}
        />
      </TestApiProvider>
    );
    const { rerender } = await renderInTestApp(picker({ live: true }));
    expect(screen.getByRole('button', { name: 'Connected' })).toBeDisabled();

    rerender(picker({ live: false }));
    await userEvent.click(screen.getByRole('button', { name: 'Reconnect' }));
    expect(onConnect).toHaveBeenCalledWith(chosen);

    // Another container is a new connection, live session or not.
    rerender(picker({ live: true }));
    await userEvent.selectOptions(select('Container'), 'sidecar');
    expect(screen.getByRole('button', { name: 'Connect' })).toBeEnabled();
  });

  it('offers a debug container beside the chosen container where the portal does', async () => {
    const onConnect = jest.fn();
    await renderInTestApp(
      <TestApiProvider apis={[[storageApiRef, mockApis.storage()]]}>
        <TerminalTargetPicker
          entityRef={entityRef}
          clusters={twoClusters}
          canDebug
          onConnect={onConnect}
        />
      </TestApiProvider>,
    );
    await userEvent.click(
      screen.getByRole('radio', { name: 'Debug container' }),
    );
    await userEvent.selectOptions(select('Cluster'), 'prod');
    await userEvent.selectOptions(select('Namespace'), 'shop');
    await userEvent.selectOptions(select('Pod'), 'web-1');
    await userEvent.selectOptions(select('Container'), 'app');
    expect(screen.getByTestId('debug-container-caption')).toHaveTextContent(
      'It stays in the pod until the pod is replaced',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Start debug container' }),
    );
    expect(onConnect).toHaveBeenCalledWith(
      expect.objectContaining({
        kind: 'debug',
        cluster: 'prod',
        namespace: 'shop',
        pod: 'web-1',
        container: 'app',
      }),
    );
  });

  it('shows no debug mode where the portal offers none, and a disabled one without the permission', async () => {
    const { rerender } = await renderInTestApp(
      <TestApiProvider apis={[[storageApiRef, mockApis.storage()]]}>
        <TerminalTargetPicker
          entityRef={entityRef}
          clusters={twoClusters}
          onConnect={jest.fn()}
        />
      </TestApiProvider>,
    );
    expect(screen.queryByRole('radio', { name: 'Debug container' })).toBeNull();
    rerender(
      <TestApiProvider apis={[[storageApiRef, mockApis.storage()]]}>
        <TerminalTargetPicker
          entityRef={entityRef}
          clusters={twoClusters}
          canDebug={false}
          onConnect={jest.fn()}
        />
      </TestApiProvider>,
    );
    expect(
      screen.getByRole('radio', { name: 'Debug container' }),
    ).toBeDisabled();
    expect(screen.getByTestId('mode-unavailable-debug')).toHaveTextContent(
      'You are not allowed to start a debug container on this entity',
    );
  });
});
