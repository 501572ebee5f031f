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
  sessionPodClusters,
  twoClusters,
} from '../../__testUtils__/fixtures';
import { TerminalTargetPicker } from './TerminalTargetPicker';

async function renderPicker(
  clusters: TerminalCluster[],
  options: {
    storage?: ReturnType<typeof mockApis.storage>;
    canExec?: boolean;
  } = {},
) {
  const onConnect = jest.fn();
  const storage = options.storage ?? mockApis.storage();
  await renderInTestApp(
    <TestApiProvider apis={[[storageApiRef, storage]]}>
      <TerminalTargetPicker
        entityRef={entityRef}
        clusters={clusters}
        canExec={options.canExec}
        onConnect={onConnect}
      />
    </TestApiProvider>,
  );
  return { onConnect, storage };
}

const select = (label: string) =>
  screen.getByLabelText(label) as HTMLSelectElement;
const optionNames = (label: string) =>
  Array.from(select(label).options)
    .filter(o => o.value)
    .map(o => o.textContent);
const radio = (name: string) =>
  screen.getByRole('radio', { name }) as HTMLInputElement;

describe('TerminalTargetPicker with session pods', () => {
  it('has no mode choice when no cluster offers session pods', async () => {
    await renderPicker([
      ...twoClusters.slice(0, 1),
      {
        ...twoClusters[1],
        sessionPod: {
          enabled: false,
          canCreate: true,
          namespaces: ['shop'],
        },
      },
    ]);
    expect(
      screen.queryByRole('radiogroup', { name: 'Mode' }),
    ).not.toBeInTheDocument();
    expect(screen.queryByRole('radio')).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect' })).toBeInTheDocument();
  });

  it('switches to a session pod: cluster and namespace only, and the request to start one', async () => {
    const { onConnect, storage } = await renderPicker(sessionPodClusters());
    expect(screen.getByRole('radiogroup', { name: 'Mode' })).toBeVisible();
    expect(radio('Container shell').checked).toBe(true);
    expect(screen.getByLabelText('Pod')).toBeInTheDocument();

    await userEvent.click(radio('kubectl session pod'));
    expect(radio('kubectl session pod').checked).toBe(true);
    expect(screen.queryByLabelText('Pod')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Container')).not.toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Connect' }),
    ).not.toBeInTheDocument();
    const start = screen.getByRole('button', { name: 'Start session pod' });
    expect(start).toBeDisabled();
    // edge does not offer session pods.
    expect(optionNames('Cluster')).toEqual(['Production', 'staging']);

    await userEvent.selectOptions(select('Cluster'), 'prod');
    expect(optionNames('Namespace')).toEqual(['jobs', 'shop']);
    expect(screen.queryByTestId('session-pod-caption')).not.toBeInTheDocument();
    await userEvent.selectOptions(select('Namespace'), 'shop');
    expect(screen.getByTestId('session-pod-caption')).toHaveTextContent(
      'A short-lived pod with kubectl, bound to the view role in shop',
    );

    await userEvent.click(start);
    expect(onConnect).toHaveBeenCalledWith({
      kind: 'session-pod',
      cluster: 'prod',
      namespace: 'shop',
    });
    expect(
      storage.forBucket('kubernetes-terminal').snapshot(`target:${entityRef}`)
        .value,
    ).toEqual({ kind: 'session-pod', cluster: 'prod', namespace: 'shop' });
  });

  it('keeps cluster and namespace when switching modes', async () => {
    const { onConnect } = await renderPicker(sessionPodClusters());
    await userEvent.selectOptions(select('Cluster'), 'prod');
    await userEvent.selectOptions(select('Namespace'), 'jobs');
    await userEvent.click(radio('kubectl session pod'));
    expect(select('Cluster').value).toBe('prod');
    expect(select('Namespace').value).toBe('jobs');
    await userEvent.click(radio('Container shell'));
    expect(select('Pod').value).toBe('worker-1');
    await userEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(onConnect).toHaveBeenCalledWith({
      cluster: 'prod',
      namespace: 'jobs',
      pod: 'worker-1',
      container: 'worker',
    });
  });

  it('chooses a single cluster and namespace and names the namespace without a role', async () => {
    const { onConnect } = await renderPicker(
      sessionPodClusters({ clusterRole: undefined }).filter(
        c => c.name === 'staging',
      ),
    );
    await userEvent.click(radio('kubectl session pod'));
    expect(select('Cluster').value).toBe('staging');
    expect(select('Namespace').value).toBe('shop');
    expect(screen.getByTestId('session-pod-caption')).toHaveTextContent(
      'A short-lived pod with kubectl, limited to shop',
    );
    await userEvent.click(
      screen.getByRole('button', { name: 'Start session pod' }),
    );
    expect(onConnect).toHaveBeenCalledWith({
      kind: 'session-pod',
      cluster: 'staging',
      namespace: 'shop',
    });
  });

  it('disables the session pod with the reason when it is not allowed', async () => {
    await renderPicker(sessionPodClusters({ canCreate: false }));
    expect(radio('kubectl session pod')).toBeDisabled();
    expect(radio('Container shell')).toBeEnabled();
    expect(
      screen.getByTestId('mode-unavailable-session-pod'),
    ).toHaveTextContent(
      'You are not allowed to start a session pod for this entity',
    );
    await userEvent.hover(screen.getByTestId('disabled-reason'));
    expect(await screen.findByRole('tooltip')).toHaveTextContent(
      'You are not allowed to start a session pod for this entity',
    );
  });

  it('starts in the remembered session pod mode', async () => {
    const storage = mockApis.storage();
    await storage.forBucket('kubernetes-terminal').set(`target:${entityRef}`, {
      kind: 'session-pod',
      cluster: 'prod',
      namespace: 'jobs',
    });
    const { onConnect } = await renderPicker(sessionPodClusters(), {
      storage,
    });
    expect(radio('kubectl session pod').checked).toBe(true);
    await userEvent.click(
      screen.getByRole('button', { name: 'Start session pod' }),
    );
    expect(onConnect).toHaveBeenCalledWith({
      kind: 'session-pod',
      cluster: 'prod',
      namespace: 'jobs',
    });
  });

  it('ignores a remembered session pod mode that is not allowed any more', async () => {
    const storage = mockApis.storage();
    await storage.forBucket('kubernetes-terminal').set(`target:${entityRef}`, {
      kind: 'session-pod',
      cluster: 'prod',
      namespace: 'shop',
    });
    await renderPicker(sessionPodClusters({ canCreate: false }), { storage });
    expect(radio('Container shell').checked).toBe(true);
    expect(select('Cluster').value).toBe('prod');
  });

  it('starts in session pod mode when the user may not open a shell', async () => {
    await renderPicker(sessionPodClusters(), { canExec: false });
    expect(radio('kubectl session pod').checked).toBe(true);
    expect(radio('Container shell')).toBeDisabled();
    expect(screen.getByTestId('mode-unavailable-exec')).toHaveTextContent(
      'You are not allowed to open a terminal on this entity',
    );
  });

  it('lists clusters where a session pod cannot start as unavailable', async () => {
    const clusters = sessionPodClusters();
    clusters[1] = {
      ...clusters[1],
      sessionPod: { ...clusters[1].sessionPod!, namespaces: [] },
    };
    await renderPicker(clusters);
    await userEvent.click(radio('kubectl session pod'));
    const staging = screen.getByRole('option', {
      name: 'staging (no namespaces)',
    }) as HTMLOptionElement;
    expect(staging.disabled).toBe(true);
    // The only usable cluster is chosen.
    expect(select('Cluster').value).toBe('prod');
  });
});
