import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import Alert from '@material-ui/lab/Alert';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError, toError } from '@backstage/errors';
import {
  parseAsciicast,
  type TerminalRecordingInfo,
} from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { saveBlob } from '../TerminalSessionsPage/saveBlob';
import { RecordingPlayer } from './RecordingPlayer';
import { useNotify } from '../../hooks/useNotify';

/** Recordings larger than this load when asked, not with the page. */
const AUTO_LOAD_BYTES = 4 * 1024 * 1024;

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The recording section of a session page: the player and a `.cast` download for those with
 * `kubernetes.terminal.recording.read`, an explanation for the others.
 *
 * @internal
 */
export function SessionRecordingPanel(props: {
  sessionId: string;
  recording?: TerminalRecordingInfo;
}) {
  const { sessionId, recording } = props;
  if (!recording) {
    return (
      <Typography color="textSecondary">
        This session was not recorded.
      </Typography>
    );
  }
  if (!recording.canRead) {
    return (
      <Typography color="textSecondary" data-testid="recording-denied">
        This session was recorded ({formatSize(recording.bytes)}). Replaying it
        needs the kubernetes.terminal.recording.read permission.
      </Typography>
    );
  }
  return <ReadableRecording sessionId={sessionId} recording={recording} />;
}

function ReadableRecording(props: {
  sessionId: string;
  recording: TerminalRecordingInfo;
}) {
  const { sessionId, recording } = props;
  const api = useApi(kubernetesTerminalApiRef);
  const notify = useNotify();
  const [requested, setRequested] = useState(
    recording.bytes <= AUTO_LOAD_BYTES,
  );
  const [downloading, setDownloading] = useState(false);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    if (!requested) return undefined;
    return parseAsciicast(await api.getRecording(sessionId));
  }, [api, sessionId, requested]);

  const download = async () => {
    setDownloading(true);
    try {
      const { blob, filename } = await api.downloadRecording(sessionId);
      saveBlob(blob, filename);
    } catch (e) {
      const err = toError(e);
      notify({
        message: `Could not download the recording: ${
          err instanceof ResponseError
            ? err.cause.message || err.message
            : err.message
        }`,
        severity: 'error',
      });
    } finally {
      setDownloading(false);
    }
  };

  return (
    <Box display="flex" flexDirection="column" gridGap={8}>
      <Box display="flex" alignItems="center" flexWrap="wrap" gridGap={16}>
        <Typography variant="body2" color="textSecondary">
          {formatSize(recording.bytes)} recorded
          {recording.inProgress && ', still recording'}
        </Typography>
        <Button
          size="small"
          variant="outlined"
          startIcon={<GetAppIcon />}
          onClick={download}
          disabled={downloading}
        >
          Download .cast
        </Button>
        {recording.inProgress && (
          <Button size="small" onClick={retry} disabled={loading}>
            Reload
          </Button>
        )}
      </Box>
      {recording.truncated && (
        <Alert severity="warning">
          The recording is incomplete: it reached its size limit, could not be
          written in full, or its backend stopped.
        </Alert>
      )}
      {!requested && (
        <Box>
          <Button variant="contained" onClick={() => setRequested(true)}>
            Load recording ({formatSize(recording.bytes)})
          </Button>
        </Box>
      )}
      {loading && <Progress />}
      {error && (
        <ResponseErrorPanel
          error={error}
          title="Could not load the recording"
        />
      )}
      {value && <RecordingPlayer cast={value} />}
    </Box>
  );
}
