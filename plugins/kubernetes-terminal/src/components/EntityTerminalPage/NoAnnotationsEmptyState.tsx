import Button from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { CodeSnippet, EmptyState } from '@backstage/core-components';
import { KUBERNETES_ID_ANNOTATION } from '../../conditions';

const example = `metadata:
  annotations:
    ${KUBERNETES_ID_ANNOTATION}: my-service
    # or select the pods with any label selector:
    # backstage.io/kubernetes-label-selector: 'app=my-service'`;

/** @internal */
export function NoAnnotationsEmptyState() {
  return (
    <EmptyState
      missing="field"
      title="No Kubernetes annotations"
      description={
        <>
          <Typography variant="body1" component="span">
            This entity has no <code>{KUBERNETES_ID_ANNOTATION}</code> or{' '}
            <code>backstage.io/kubernetes-label-selector</code> annotation, so
            its pods cannot be found. Add one to its{' '}
            <code>catalog-info.yaml</code>; pods are then matched by the label{' '}
            <code>{KUBERNETES_ID_ANNOTATION}=&lt;value&gt;</code>.
          </Typography>
        </>
      }
      action={
        <>
          <CodeSnippet text={example} language="yaml" />
          <Button
            variant="contained"
            color="primary"
            href="https://backstage.io/docs/features/kubernetes/configuration#surfacing-your-kubernetes-components-as-part-of-an-entity"
            target="_blank"
            rel="noopener noreferrer"
          >
            Read more
          </Button>
        </>
      }
    />
  );
}
