import Button from '@material-ui/core/Button';
import { EmptyState } from '@backstage/core-components';

/** @internal */
export function NoPodsEmptyState(props: {
  labelSelector?: string;
  onRefresh: () => void;
}) {
  const { labelSelector, onRefresh } = props;
  return (
    <EmptyState
      missing="data"
      title="No pods found"
      description={
        labelSelector
          ? `No pods match the label selector ${labelSelector} in the configured clusters.`
          : 'No pods of this entity were found in the configured clusters.'
      }
      action={
        <Button variant="outlined" color="primary" onClick={onRefresh}>
          Refresh
        </Button>
      }
    />
  );
}
