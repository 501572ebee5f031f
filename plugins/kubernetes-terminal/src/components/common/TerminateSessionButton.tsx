import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Alert from '@material-ui/lab/Alert';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import { ResponseError, toError } from '@backstage/errors';
import type { TerminalSessionRecord } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { DisabledReason } from './DisabledReason';
import { formatTarget } from './format';

function errorMessage(error: Error): string {
  if (error instanceof ResponseError) {
    return error.cause.message || error.message;
  }
  return error.message;
}

/**
 * A Terminate button that asks for confirmation, ends the session, and reports back. Disabled,
 * with the reason in a tooltip, when `deniedReason` is given.
 *
 * @internal
 */
export function TerminateSessionButton(props: {
  session: TerminalSessionRecord;
  deniedReason?: string;
  onTerminated: () => void;
  variant?: 'text' | 'outlined' | 'contained';
}) {
  const { session, deniedReason, onTerminated, variant = 'outlined' } = props;
  const api = useApi(kubernetesTerminalApiRef);
  const alertApi = useApi(alertApiRef);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  const close = () => {
    if (!busy) {
      setOpen(false);
      setError(undefined);
    }
  };

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.terminateSession(session.id);
      setOpen(false);
      alertApi.post({
        message: `Terminated the session of ${session.userEntityRef}`,
        severity: 'success',
        display: 'transient',
      });
      onTerminated();
    } catch (e) {
      setError(toError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <DisabledReason reason={deniedReason}>
        <Button
          size="small"
          color="secondary"
          variant={variant}
          disabled={Boolean(deniedReason)}
          onClick={() => setOpen(true)}
        >
          Terminate
        </Button>
      </DisabledReason>
      <Dialog
        open={open}
        onClose={close}
        aria-labelledby={`terminate-${session.id}-title`}
      >
        <DialogTitle id={`terminate-${session.id}-title`}>
          Terminate session?
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            The shell of {session.userEntityRef} in{' '}
            <code>{formatTarget(session)}</code> is closed at once; they see who
            ended it. The termination is recorded in the audit log.
          </DialogContentText>
          {error && <Alert severity="error">{errorMessage(error)}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={busy}>
            Cancel
          </Button>
          <Button
            onClick={confirm}
            color="secondary"
            variant="contained"
            disabled={busy}
          >
            Terminate session
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
