import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import kubernetesPlugin from '@backstage/plugin-kubernetes/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import kubernetesTerminalPlugin from '@kubernetes-terminal/backstage-plugin-kubernetes-terminal/alpha';
import { navModule } from './modules/nav';
import { kubernetesAuthModule, signInModule } from './modules/signIn';

export default createApp({
  features: [
    catalogPlugin,
    orgPlugin,
    userSettingsPlugin,
    // Backstage's own Kubernetes tab, beside ours.
    kubernetesPlugin,
    kubernetesTerminalPlugin,
    navModule,
    signInModule,
    kubernetesAuthModule,
  ],
});
