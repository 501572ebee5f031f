import { formatDateTime, formatRelativeTime } from './format';

/**
 * "5 minutes ago", with the exact time in the tooltip.
 *
 * @internal
 */
export function RelativeTime(props: { value?: string }) {
  if (!props.value) {
    return null;
  }
  return (
    <time dateTime={props.value} title={formatDateTime(props.value)}>
      {formatRelativeTime(props.value)}
    </time>
  );
}
