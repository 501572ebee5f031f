import { Route, Routes, useParams } from 'react-router-dom';
import { TerminalSessionDetail } from '../TerminalSessionDetail';
import { TerminalSessionsOverview } from './TerminalSessionsOverview';

function SessionDetailRoute() {
  const { sessionId = '' } = useParams();
  return <TerminalSessionDetail sessionId={sessionId} />;
}

/**
 * The sessions page without page chrome: the overview at its root, one session at
 * `sessions/:sessionId`.
 *
 * @internal
 */
export function TerminalSessionsContent(props: { refreshIntervalMs?: number }) {
  return (
    <Routes>
      <Route
        path="/"
        element={
          <TerminalSessionsOverview
            refreshIntervalMs={props.refreshIntervalMs}
          />
        }
      />
      <Route path="/sessions/:sessionId" element={<SessionDetailRoute />} />
    </Routes>
  );
}
