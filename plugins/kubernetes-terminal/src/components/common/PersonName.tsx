import { useEntityPresentation } from '@backstage/plugin-catalog-react';

/**
 * A person's (or group's) name as the catalog presents it, e.g. "Alice Example" for
 * `user:default/alice`, instead of the raw ref; the ref itself while the catalog answers.
 *
 * @internal
 */
export function PersonName(props: { entityRef: string }) {
  const { primaryTitle } = useEntityPresentation(props.entityRef, {
    defaultKind: 'user',
  });
  return <>{primaryTitle}</>;
}
