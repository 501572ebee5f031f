import { useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import GetAppIcon from '@material-ui/icons/GetApp';
import { useApi } from '@backstage/core-plugin-api';
import { ResponseError, toError } from '@backstage/errors';
import type { TerminalAuditEventQuery } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import {
  kubernetesTerminalApiRef,
  type TerminalAuditExportFormat,
} from '../../api';
import { DisabledReason } from '../common/DisabledReason';
import { saveBlob } from './saveBlob';
import { useNotify } from '../../hooks/useNotify';

const FORMATS: Array<{ format: TerminalAuditExportFormat; label: string }> = [
  { format: 'csv', label: 'Export CSV' },
  { format: 'json', label: 'Export JSON' },
];

/**
 * Export CSV / Export JSON of the audit events matching the filters.
 *
 * @internal
 */
export function ExportButtons(props: {
  query: TerminalAuditEventQuery;
  deniedReason?: string;
}) {
  const { query, deniedReason } = props;
  const api = useApi(kubernetesTerminalApiRef);
  const notify = useNotify();
  const [busy, setBusy] = useState<TerminalAuditExportFormat>();

  const download = async (format: TerminalAuditExportFormat) => {
    setBusy(format);
    try {
      const { blob, filename } = await api.exportAuditEvents(query, format);
      saveBlob(blob, filename);
    } catch (e) {
      const error = toError(e);
      notify({
        message: `Could not export the audit log: ${
          error instanceof ResponseError
            ? error.cause.message || error.message
            : error.message
        }`,
        severity: 'error',
      });
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Box display="flex" alignItems="center" gridGap={8}>
      {deniedReason && (
        <Typography
          variant="caption"
          color="textSecondary"
          data-testid="export-denied-reason"
        >
          {deniedReason}
        </Typography>
      )}
      {FORMATS.map(({ format, label }) => (
        <DisabledReason key={format} reason={deniedReason}>
          <Button
            size="small"
            variant="outlined"
            startIcon={<GetAppIcon />}
            disabled={Boolean(deniedReason) || busy !== undefined}
            onClick={() => download(format)}
          >
            {label}
          </Button>
        </DisabledReason>
      ))}
    </Box>
  );
}
