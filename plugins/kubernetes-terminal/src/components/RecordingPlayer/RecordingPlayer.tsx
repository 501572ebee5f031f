import '@xterm/xterm/css/xterm.css';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import IconButton from '@material-ui/core/IconButton';
import Slider from '@material-ui/core/Slider';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { makeStyles, useTheme } from '@material-ui/core/styles';
import PauseIcon from '@material-ui/icons/Pause';
import PlayArrowIcon from '@material-ui/icons/PlayArrow';
import ReplayIcon from '@material-ui/icons/Replay';
import { Terminal } from '@xterm/xterm';
import type { Asciicast } from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal-common';
import { terminalThemeFromMui } from '../KubernetesTerminal/terminalTheme';
import {
  CastTimeline,
  formatPlaybackTime,
  type PlaybackStep,
} from './castPlayback';

const SPEEDS = [0.5, 1, 2, 4, 8, 16];
/** Pauses longer than this are shortened to it while "Skip pauses" is on. */
const IDLE_LIMIT_SECONDS = 2;
const TICK_MS = 40;

const useStyles = makeStyles(theme => ({
  screen: {
    overflowX: 'auto',
    padding: theme.spacing(1),
    borderRadius: theme.shape.borderRadius,
    backgroundColor: terminalThemeFromMui(theme).background,
  },
  controls: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginTop: theme.spacing(1),
  },
  slider: { flex: '1 1 240px', minWidth: 160 },
  time: { fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' },
  markers: {
    listStyle: 'none',
    margin: theme.spacing(1, 0, 0),
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: 2,
  },
  markerButton: {
    justifyContent: 'flex-start',
    textTransform: 'none',
    fontFamily: 'monospace',
    textAlign: 'left',
  },
  markerTime: {
    fontVariantNumeric: 'tabular-nums',
    color: theme.palette.text.secondary,
    marginRight: theme.spacing(1),
    fontFamily: theme.typography.fontFamily,
  },
}));

/**
 * Plays a session recording in an xterm.js terminal of its recorded size: play and pause, speed,
 * seek, and a jump to each recorded command.
 *
 * @internal
 */
export function RecordingPlayer(props: { cast: Asciicast }) {
  const { cast } = props;
  const classes = useStyles();
  const muiTheme = useTheme();
  const containerRef = useRef<HTMLDivElement>(null);
  const [terminal, setTerminal] = useState<Terminal>();
  const [skipPauses, setSkipPauses] = useState(true);
  const timeline = useMemo(
    () =>
      new CastTimeline(cast, {
        idleLimit: skipPauses ? IDLE_LIMIT_SECONDS : undefined,
      }),
    [cast, skipPauses],
  );
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(1);
  const [position, setPosition] = useState(0);
  // Where playback stands, outside React's render cycle: steps applied, and the clock.
  const engine = useRef({ applied: 0, position: 0, wallStart: 0, posStart: 0 });

  useEffect(() => {
    const container = containerRef.current;
    if (!container) return undefined;
    const term = new Terminal({
      cols: cast.header.width,
      rows: cast.header.height,
      fontFamily:
        'ui-monospace, SFMono-Regular, Menlo, Monaco, Consolas, "Liberation Mono", "Courier New", monospace',
      fontSize: 13,
      scrollback: 1000,
      disableStdin: true,
      cursorBlink: false,
      theme: terminalThemeFromMui(muiTheme),
    });
    term.open(container);
    setTerminal(term);
    return () => {
      setTerminal(undefined);
      term.dispose();
    };
  }, [cast, muiTheme]);

  const apply = useCallback(
    (steps: PlaybackStep[]) => {
      if (!terminal) return;
      for (const step of steps) {
        if (step.kind === 'output') {
          terminal.write(step.data);
        } else {
          // In turn with the output written before it.
          terminal.write('', () => terminal.resize(step.cols, step.rows));
        }
      }
    },
    [terminal],
  );

  /** Draws the screen as it was at `time`: from a reset terminal, everything up to then. */
  const seek = useCallback(
    (time: number) => {
      if (!terminal) return;
      const target = Math.max(0, Math.min(time, timeline.duration));
      const e = engine.current;
      // Through the write queue, so that output still queued cannot land after the reset.
      terminal.write('', () => {
        terminal.reset();
        terminal.resize(timeline.cols, timeline.rows);
      });
      const count = timeline.countUntil(target);
      apply(timeline.stepsBetween(0, count));
      e.applied = count;
      e.position = target;
      e.posStart = target;
      e.wallStart = performance.now();
      setPosition(target);
    },
    [terminal, timeline, apply],
  );

  // A new terminal or timeline starts from the beginning.
  useEffect(() => {
    setPlaying(false);
    seek(0);
  }, [seek]);

  useEffect(() => {
    if (!playing) return undefined;
    const e = engine.current;
    e.posStart = e.position;
    e.wallStart = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const next = Math.min(
        timeline.duration,
        e.posStart + ((now - e.wallStart) / 1000) * speed,
      );
      const count = timeline.countUntil(next);
      apply(timeline.stepsBetween(e.applied, count));
      e.applied = count;
      e.position = next;
      setPosition(next);
      if (next >= timeline.duration) setPlaying(false);
    }, TICK_MS);
    return () => clearInterval(timer);
  }, [playing, speed, timeline, apply]);

  const togglePlay = () => {
    if (!playing && engine.current.position >= timeline.duration) seek(0);
    setPlaying(p => !p);
  };

  // Playing or paused, a jump keeps it so: the clock restarts from the command's time.
  const jumpTo = (time: number) => seek(time);

  const marks = useMemo(
    () => timeline.markers.map(m => ({ value: m.time })),
    [timeline],
  );
  const atEnd = position >= timeline.duration && timeline.duration > 0;
  let playLabel = 'Play';
  if (playing) playLabel = 'Pause';
  else if (atEnd) playLabel = 'Replay';

  return (
    <Box data-testid="recording-player">
      <div className={classes.screen}>
        <div ref={containerRef} data-testid="recording-screen" />
      </div>
      <div className={classes.controls}>
        <IconButton
          aria-label={playLabel}
          onClick={togglePlay}
          disabled={!terminal || timeline.duration === 0}
        >
          {playing && <PauseIcon />}
          {!playing && atEnd && <ReplayIcon />}
          {!playing && !atEnd && <PlayArrowIcon />}
        </IconButton>
        <Typography
          variant="body2"
          className={classes.time}
          data-testid="recording-time"
        >
          {formatPlaybackTime(position)} /{' '}
          {formatPlaybackTime(timeline.duration)}
        </Typography>
        <Slider
          className={classes.slider}
          aria-label="Position"
          min={0}
          max={Math.max(timeline.duration, 0.001)}
          step={0.01}
          value={position}
          marks={marks}
          onChange={(_event, value) => setPosition(value as number)}
          onChangeCommitted={(_event, value) => seek(value as number)}
          disabled={!terminal}
        />
        <TextField
          select
          label="Speed"
          size="small"
          variant="outlined"
          value={speed}
          onChange={event => setSpeed(Number(event.target.value))}
          SelectProps={{ native: true }}
          inputProps={{ 'aria-label': 'Speed' }}
        >
          {SPEEDS.map(s => (
            <option key={s} value={s}>
              {s}×
            </option>
          ))}
        </TextField>
        <FormControlLabel
          control={
            <Checkbox
              checked={skipPauses}
              onChange={event => setSkipPauses(event.target.checked)}
              size="small"
            />
          }
          label={`Skip pauses over ${IDLE_LIMIT_SECONDS} s`}
        />
      </div>
      {timeline.markers.length > 0 && (
        <>
          <Typography variant="subtitle2" component="h4">
            Commands
          </Typography>
          <ol className={classes.markers} aria-label="Recorded commands">
            {timeline.markers.map((marker, index) => (
              <li key={index}>
                <Button
                  size="small"
                  className={classes.markerButton}
                  onClick={() => jumpTo(marker.time)}
                  aria-label={`Jump to ${marker.label}`}
                >
                  <span className={classes.markerTime}>
                    {formatPlaybackTime(marker.time)}
                  </span>
                  {marker.label}
                </Button>
              </li>
            ))}
          </ol>
        </>
      )}
    </Box>
  );
}
