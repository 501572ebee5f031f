import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import CloseIcon from '@material-ui/icons/Close';
import KeyboardArrowDownIcon from '@material-ui/icons/KeyboardArrowDown';
import KeyboardArrowUpIcon from '@material-ui/icons/KeyboardArrowUp';
import type { SearchAddon } from '@xterm/addon-search';

/** @internal */
export function TerminalSearchBar(props: {
  searchAddon: SearchAddon;
  onClose: () => void;
}) {
  const { searchAddon, onClose } = props;
  const [term, setTerm] = useState('');
  const [found, setFound] = useState(true);

  const inputRef = useRef<HTMLInputElement>(null);

  // The bar opens on the user's request (button or Ctrl+Shift+F), so typing goes straight into it.
  useEffect(() => inputRef.current?.focus(), []);
  useEffect(() => () => searchAddon.clearDecorations(), [searchAddon]);

  const find = (direction: 'next' | 'previous', incremental = false) => {
    if (!term) {
      setFound(true);
      return;
    }
    const result =
      direction === 'next'
        ? searchAddon.findNext(term, { incremental })
        : searchAddon.findPrevious(term);
    setFound(result);
  };

  const handleKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      find(event.shiftKey ? 'previous' : 'next');
    } else if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    }
  };

  return (
    <Box display="flex" alignItems="center" gridGap={8} px={1} py={0.5}>
      <TextField
        size="small"
        variant="outlined"
        id="kubernetes-terminal-search"
        label="Search terminal"
        value={term}
        inputRef={inputRef}
        onChange={event => setTerm(event.target.value)}
        onKeyDown={handleKeyDown}
        error={!found}
      />
      <IconButton
        size="small"
        aria-label="Previous match"
        title="Previous match (Shift+Enter)"
        onClick={() => find('previous')}
      >
        <KeyboardArrowUpIcon fontSize="small" />
      </IconButton>
      <IconButton
        size="small"
        aria-label="Next match"
        title="Next match (Enter)"
        onClick={() => find('next')}
      >
        <KeyboardArrowDownIcon fontSize="small" />
      </IconButton>
      {!found && (
        <Typography variant="body2" color="error">
          No matches
        </Typography>
      )}
      <IconButton
        size="small"
        aria-label="Close search"
        title="Close search (Escape)"
        onClick={onClose}
      >
        <CloseIcon fontSize="small" />
      </IconButton>
    </Box>
  );
}
