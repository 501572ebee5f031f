import { makeStyles } from '@material-ui/core/styles';

const useStyles = makeStyles({
  root: {
    display: 'block',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
  },
  mono: {
    fontFamily: 'monospace',
  },
});

/**
 * One line of text, cut with an ellipsis where its table cell ends, the whole of it on hover: a
 * target or a command no longer wraps mid-word over several lines.
 *
 * @internal
 */
export function Truncated(props: {
  text: string;
  mono?: boolean;
  component?: 'span' | 'code';
}) {
  const { text, mono, component: Component = 'span' } = props;
  const classes = useStyles();
  return (
    <Component
      className={mono ? `${classes.root} ${classes.mono}` : classes.root}
      title={text}
    >
      {text}
    </Component>
  );
}

/** Cell styles for the terminal tables' columns. @internal */
export const columnStyles = {
  /** A column whose cells keep to one line and take no more width than their content. */
  nowrap: { whiteSpace: 'nowrap' as const },
  /** A column of `Truncated` cells: the cell is given a width the ellipsis can cut at. */
  truncated: (maxWidth: number) => ({ maxWidth, minWidth: 120 }),
};
