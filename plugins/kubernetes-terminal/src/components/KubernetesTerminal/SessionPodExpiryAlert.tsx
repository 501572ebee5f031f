import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';
import {
  formatSeconds,
  secondsUntilExpiry,
  type TerminalExpiry,
} from '../../hooks/connectionState';
import { useNow } from '../../hooks/useNow';
import { DisabledReason } from '../common/DisabledReason';

/** @internal */
export const MAX_SESSION_LENGTH_REACHED = 'Maximum session length reached';

function formatClockTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * The warning shown from shortly before a session pod expires, with its Extend action.
 *
 * @internal
 */
export function SessionPodExpiryAlert(props: {
  expiry: TerminalExpiry;
  extending: boolean;
  onExtend: () => void;
}) {
  const { expiry, extending, onExtend } = props;
  const now = useNow(true);
  const left = formatSeconds(secondsUntilExpiry(expiry, now));
  const capReason = expiry.canExtend ? undefined : MAX_SESSION_LENGTH_REACHED;
  return (
    <Alert
      severity="warning"
      data-testid="session-pod-expiry-warning"
      action={
        <DisabledReason reason={capReason}>
          <Button
            color="inherit"
            size="small"
            variant="outlined"
            disabled={!expiry.canExtend || extending}
            onClick={onExtend}
          >
            Extend
          </Button>
        </DisabledReason>
      }
    >
      <AlertTitle data-testid="session-pod-expiry-left">
        Session pod expires in {left}
      </AlertTitle>
      {expiry.canExtend ? (
        <>
          The pod and its credentials are deleted at{' '}
          {formatClockTime(expiry.expiresAt)}. Extend adds{' '}
          {formatSeconds(expiry.extendBySeconds)}, up to{' '}
          {formatClockTime(expiry.maxExpiresAt)}.
        </>
      ) : (
        <span data-testid="session-pod-expiry-cap">
          {MAX_SESSION_LENGTH_REACHED}: the pod and its credentials are deleted
          at {formatClockTime(expiry.expiresAt)}. Start a new session pod
          afterwards.
        </span>
      )}
    </Alert>
  );
}
