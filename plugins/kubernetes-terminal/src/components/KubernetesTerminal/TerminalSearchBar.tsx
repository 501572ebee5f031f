import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import Box from '@material-ui/core/Box';
import IconButton from '@material-ui/core/IconButton';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import CloseIcon from '@material-ui/icons/Close';
import KeyboardArrowDownIcon from '@material-ui/icons/KeyboardArrowDown';
import KeyboardArrowUpIcon from '@material-ui/icons/KeyboardArrowUp';
import type { ISearchOptions, SearchAddon } from '@xterm/addon-search';

// Outlines only: a filled match would put the theme's text colour on a background it was not chosen for.
const SEARCH_OPTIONS: ISearchOptions = {
  decorations: {
    matchBorder: '#f9a825',
    matchOverviewRuler: '#f9a825',
    activeMatchBorder: '#ff6d00',
    activeMatchColorOverviewRuler: '#ff6d00',
  },
};

/** "3 of 12", "12 matches" past the addon's highlight limit, "No matches". @internal */
export function describeMatches(result: {
  resultIndex: number;
  resultCount: number;
}): string {
  if (result.resultCount === 0) {
    return 'No matches';
  }
  if (result.resultIndex < 0) {
    return result.resultCount === 1
      ? '1 match'
      : `${result.resultCount} matches`;
  }
  return `${result.resultIndex + 1} of ${result.resultCount}`;
}

/** @internal */
export function TerminalSearchBar(props: {
  searchAddon: SearchAddon;
  onClose: () => void;
}) {
  const { searchAddon, onClose } = props;
  const [term, setTerm] = useState('');
  const [found, setFound] = useState(true);
  const [results, setResults] = useState<{
    resultIndex: number;
    resultCount: number;
  }>();

  const inputRef = useRef<HTMLInputElement>(null);

  // The bar opens on the user's request (button or Ctrl+Shift+F), so typing goes straight into it.
  useEffect(() => inputRef.current?.focus(), []);
  useEffect(() => () => searchAddon.clearDecorations(), [searchAddon]);
  useEffect(() => {
    const subscription = searchAddon.onDidChangeResults(setResults);
    return () => subscription.dispose();
  }, [searchAddon]);

  const find = (
    direction: 'next' | 'previous',
    incremental = false,
    text = term,
  ) => {
    if (!text) {
      setFound(true);
      setResults(undefined);
      searchAddon.clearDecorations();
      return;
    }
    const result =
      direction === 'next'
        ? searchAddon.findNext(text, { ...SEARCH_OPTIONS, incremental })
        : searchAddon.findPrevious(text, SEARCH_OPTIONS);
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
        onChange={event => {
          // Found as it is typed, from the current match on.
          setTerm(event.target.value);
          find('next', true, event.target.value);
        }}
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
      {term && (results || !found) && (
        <Typography
          variant="body2"
          color={found ? 'textSecondary' : 'error'}
          role="status"
          data-testid="terminal-search-count"
        >
          {found && results ? describeMatches(results) : 'No matches'}
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
