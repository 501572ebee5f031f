import { Content, Header, Page } from '@backstage/core-components';
import { TerminalSessionsContent } from './TerminalSessionsContent';

/**
 * The Terminal sessions page of the legacy frontend system, with its own header.
 *
 * @internal
 */
export function TerminalSessionsPage() {
  return (
    <Page themeId="tool">
      <Header
        title="Terminal sessions"
        subtitle="Live shells into Kubernetes pods, and the audit log of every session"
      />
      <Content>
        <TerminalSessionsContent />
      </Content>
    </Page>
  );
}
