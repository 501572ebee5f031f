import { useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import Alert from '@material-ui/lab/Alert';
import { useApi, useApiHolder } from '@backstage/core-plugin-api';
import { entityPresentationApiRef } from '@backstage/plugin-catalog-react';
import { ResponseError, toError } from '@backstage/errors';
import type { TerminalSessionRecord } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { kubernetesTerminalApiRef } from '../../api';
import { DisabledReason } from './DisabledReason';
import { formatTarget } from './format';
import { PersonName } from './PersonName';
import { useNotify } from '../../hooks/useNotify';

function errorMessage(error: Error): string {
  if (error instanceof ResponseError) {
    return error.cause.message || error.message;
  }
  return error.message;
}

/**
 * The confirmation of a termination: ends the session on confirm and reports back. Kept outside
 * tables that refresh, so that a refresh does not close it while someone reads it.
 *
 * @internal
 */
export function TerminateSessionDialog(props: {
  /** The session to end; the dialog is open while one is given. */
  session: TerminalSessionRecord | undefined;
  onClose: () => void;
  onTerminated: () => void;
}) {
  const { session, onClose, onTerminated } = props;
  const api = useApi(kubernetesTerminalApiRef);
  const presentationApi = useApiHolder().get(entityPresentationApiRef);
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  const close = () => {
    if (!busy) {
      setError(undefined);
      onClose();
    }
  };

  const confirm = async () => {
    if (!session) return;
    setBusy(true);
    setError(undefined);
    try {
      await api.terminateSession(session.id);
      const name =
        presentationApi?.forEntity(session.userEntityRef, {
          defaultKind: 'user',
        }).snapshot.primaryTitle ?? session.userEntityRef;
      notify({
        message: `Terminated the session of ${name}`,
        severity: 'success',
        transient: true,
      });
      onClose();
      onTerminated();
    } catch (e) {
      setError(toError(e));
    } finally {
      setBusy(false);
    }
  };

  const titleId = `terminate-${session?.id ?? 'none'}-title`;
  return (
    <Dialog open={Boolean(session)} onClose={close} aria-labelledby={titleId}>
      <DialogTitle id={titleId}>Terminate session?</DialogTitle>
      <DialogContent>
        {session && (
          <DialogContentText>
            The shell of <PersonName entityRef={session.userEntityRef} /> in{' '}
            <code>{formatTarget(session)}</code> is closed at once; they see who
            ended it. The termination is recorded in the audit log.
          </DialogContentText>
        )}
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
  );
}

/**
 * A Terminate button. With `onRequest` it only asks for the termination (the caller shows the
 * TerminateSessionDialog, e.g. outside a table that refreshes); without, it has its own dialog.
 * Disabled, with the reason in a tooltip, when `deniedReason` is given.
 *
 * @internal
 */
export function TerminateSessionButton(props: {
  session: TerminalSessionRecord;
  deniedReason?: string;
  onTerminated: () => void;
  onRequest?: (session: TerminalSessionRecord) => void;
  variant?: 'text' | 'outlined' | 'contained';
}) {
  const {
    session,
    deniedReason,
    onTerminated,
    onRequest,
    variant = 'outlined',
  } = props;
  const [confirming, setConfirming] = useState<TerminalSessionRecord>();

  return (
    <>
      <DisabledReason reason={deniedReason}>
        <Button
          size="small"
          color="secondary"
          variant={variant}
          disabled={Boolean(deniedReason)}
          onClick={() =>
            onRequest ? onRequest(session) : setConfirming(session)
          }
        >
          Terminate
        </Button>
      </DisabledReason>
      {!onRequest && (
        <TerminateSessionDialog
          session={confirming}
          onClose={() => setConfirming(undefined)}
          onTerminated={onTerminated}
        />
      )}
    </>
  );
}
