import { useMemo } from 'react';
import { useRouteRef } from '@backstage/core-plugin-api';
import { terminalSessionRouteRef, terminalSessionsRouteRef } from '../routes';

/**
 * Links to the Terminal sessions page and its session pages, or undefined when the app has not
 * mounted the page (an entity card can be installed without it).
 *
 * @internal
 */
export function useSessionLinks(): {
  sessionsPage?: (filters?: Record<string, string>) => string;
  session?: (sessionId: string) => string;
} {
  // useRouteRef throws for a route that is not mounted, but only after calling the same inner
  // hooks every time, so catching keeps the hook order stable (core-plugin-api does the same with
  // useApi inside useRouteRef).
  let sessionsPage: (() => string) | undefined;
  try {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    sessionsPage = useRouteRef(terminalSessionsRouteRef);
  } catch {
    sessionsPage = undefined;
  }
  let session: ((params: { sessionId: string }) => string) | undefined;
  try {
    // eslint-disable-next-line react-hooks/rules-of-hooks
    session = useRouteRef(terminalSessionRouteRef);
  } catch {
    session = undefined;
  }
  const pageLink = sessionsPage;
  const sessionLink = session;
  // The same object while the routes are the same: tables make their columns from it once.
  return useMemo(
    () => ({
      sessionsPage:
        pageLink &&
        ((filters?: Record<string, string>) => {
          const search = new URLSearchParams(filters).toString();
          return search ? `${pageLink()}?${search}` : pageLink();
        }),
      session:
        sessionLink && ((sessionId: string) => sessionLink({ sessionId })),
    }),
    [pageLink, sessionLink],
  );
}
