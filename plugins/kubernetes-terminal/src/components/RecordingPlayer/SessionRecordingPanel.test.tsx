import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { alertApiRef } from '@backstage/core-plugin-api';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import type { TerminalRecordingInfo } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { fakeSessionsApi } from '../../__testUtils__/sessions';
import { SessionRecordingPanel } from './SessionRecordingPanel';

const CAST = [
  '{"version":2,"width":60,"height":10}',
  '[0.1,"o","$ "]',
  '[0.5,"o","echo first\\r\\n"]',
  '[0.6,"m","echo first"]',
  '[0.7,"o","first-output\\r\\n$ "]',
  '[1.0,"o","echo second\\r\\n"]',
  '[1.1,"m","echo second"]',
  '[1.2,"o","second-output\\r\\n$ "]',
  '',
].join('\n');

const info: TerminalRecordingInfo = {
  bytes: CAST.length,
  truncated: false,
  inProgress: false,
  canRead: true,
};

async function renderPanel(
  api: ReturnType<typeof fakeSessionsApi>,
  recording: TerminalRecordingInfo | null = info,
) {
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [kubernetesTerminalApiRef, api],
        [alertApiRef, { post: jest.fn() }],
      ]}
    >
      <SessionRecordingPanel
        sessionId="session-1"
        recording={recording ?? undefined}
      />
    </TestApiProvider>,
  );
}

const screenText = () =>
  screen.getByTestId('recording-screen').querySelector('.xterm-rows')
    ?.textContent ?? '';

describe('SessionRecordingPanel', () => {
  it('jumps to a recorded command, then plays on from there', async () => {
    const api = fakeSessionsApi({
      getRecording: jest.fn().mockResolvedValue(CAST),
    });
    await renderPanel(api);
    expect(api.getRecording).toHaveBeenCalledWith('session-1');
    const jump = await screen.findByRole('button', {
      name: 'Jump to echo second',
    });
    expect(screen.getByTestId('recording-time')).toHaveTextContent(
      '0:00 / 0:01',
    );

    await userEvent.click(jump);
    await waitFor(() => {
      expect(screenText()).toContain('echo second');
      expect(screenText()).toContain('first-output');
    });
    expect(screenText()).not.toContain('second-output');

    // Back to the first command: the later output is gone again.
    await userEvent.click(
      screen.getByRole('button', { name: 'Jump to echo first' }),
    );
    await waitFor(() => {
      expect(screenText()).toContain('echo first');
      expect(screenText()).not.toContain('echo second');
    });

    await userEvent.selectOptions(screen.getByLabelText('Speed'), '16');
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await waitFor(() => expect(screenText()).toContain('second-output'));
    await screen.findByRole('button', { name: 'Replay' });
  });

  it('keeps playing after a jump made while it plays', async () => {
    const api = fakeSessionsApi({
      getRecording: jest.fn().mockResolvedValue(CAST),
    });
    await renderPanel(api);
    const jump = await screen.findByRole('button', {
      name: 'Jump to echo second',
    });
    // Slow enough that the end is not reached before the jump.
    await userEvent.selectOptions(screen.getByLabelText('Speed'), '0.5');
    await userEvent.click(screen.getByRole('button', { name: 'Play' }));
    await userEvent.click(jump);
    expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
    await waitFor(() => expect(screenText()).toContain('second-output'), {
      timeout: 5000,
    });
  });

  it('downloads the .cast file', async () => {
    const api = fakeSessionsApi({
      getRecording: jest.fn().mockResolvedValue(CAST),
      downloadRecording: jest.fn().mockResolvedValue({
        blob: new Blob([CAST]),
        filename: 'terminal-session-session-1.cast',
      }),
    });
    const createObjectURL = jest.fn(() => 'blob:cast');
    Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
    await renderPanel(api);
    await userEvent.click(
      await screen.findByRole('button', { name: /Download \.cast/ }),
    );
    await waitFor(() =>
      expect(api.downloadRecording).toHaveBeenCalledWith('session-1'),
    );
    expect(createObjectURL).toHaveBeenCalled();
  });

  it('says why it cannot replay without the permission, and loads nothing', async () => {
    const api = fakeSessionsApi();
    await renderPanel(api, { ...info, canRead: false });
    expect(screen.getByTestId('recording-denied')).toHaveTextContent(
      'kubernetes.terminal.recording.read',
    );
    expect(api.getRecording).not.toHaveBeenCalled();
  });

  it('loads a large recording only when asked, and reports a broken one', async () => {
    const api = fakeSessionsApi({
      getRecording: jest.fn().mockResolvedValue('not a recording'),
    });
    await renderPanel(api, {
      ...info,
      bytes: 50 * 1024 * 1024,
      truncated: true,
    });
    expect(api.getRecording).not.toHaveBeenCalled();
    expect(screen.getByText(/recording is incomplete/)).toBeInTheDocument();
    await userEvent.click(
      screen.getByRole('button', { name: 'Load recording (50.0 MiB)' }),
    );
    expect(
      (await screen.findAllByText(/asciicast line 1 is not JSON/)).length,
    ).toBeGreaterThan(0);
  });

  it('says when a session was not recorded', async () => {
    await renderPanel(fakeSessionsApi(), null);
    expect(
      await screen.findByText('This session was not recorded.'),
    ).toBeInTheDocument();
  });
});
