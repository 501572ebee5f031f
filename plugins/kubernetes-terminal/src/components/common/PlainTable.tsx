import type { CSSProperties, ReactNode } from 'react';
import Paper from '@material-ui/core/Paper';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import { makeStyles } from '@material-ui/core/styles';
import { Progress } from '@backstage/core-components';

const useStyles = makeStyles(theme => ({
  head: {
    whiteSpace: 'nowrap',
    fontWeight: 700,
    textTransform: 'uppercase',
    fontSize: '0.75rem',
    color: theme.palette.text.secondary,
    padding: theme.spacing(1, 1.5),
  },
  cell: {
    verticalAlign: 'middle',
    padding: theme.spacing(0.75, 1.5),
  },
}));

/** @internal */
export interface PlainColumn<T> {
  title: string;
  render: (row: T) => ReactNode;
  /** The column's cells: `columnStyles` from `Truncated` keeps them to one line. */
  style?: CSSProperties;
}

/**
 * A table of rows as they come, one line each: what the sessions page needs, without the
 * material-table machinery (sorting, paging, drag and drop) it did not use, whose development
 * warnings and reset-on-refresh came with it.
 *
 * @internal
 */
export function PlainTable<T>(props: {
  columns: PlainColumn<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  loading: boolean;
  emptyContent: ReactNode;
  'aria-labelledby'?: string;
}) {
  const { columns, rows, rowKey, loading, emptyContent } = props;
  const classes = useStyles();
  return (
    <TableContainer component={Paper} variant="outlined">
      {loading && rows.length === 0 && <Progress />}
      <Table size="small" aria-labelledby={props['aria-labelledby']}>
        <TableHead>
          <TableRow>
            {columns.map(column => (
              <TableCell key={column.title} className={classes.head}>
                {column.title}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map(row => (
            <TableRow key={rowKey(row)} hover>
              {columns.map(column => (
                <TableCell
                  key={column.title}
                  className={classes.cell}
                  style={column.style}
                >
                  {column.render(row)}
                </TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
      {!loading && rows.length === 0 && emptyContent}
    </TableContainer>
  );
}
