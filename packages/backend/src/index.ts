import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
// Sign-in through an OpenID provider, when `auth.providers.oidc` is configured (the identity browser
// tests); its ID token also reaches clusters with `authProvider: oidc`.
backend.add(import('@backstage/plugin-auth-backend-module-oidc-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-permission-backend'));
// Owners open terminals on their entities; platform-admins read the audit log (./permissionPolicy.ts).
backend.add(import('./permissionPolicy'));

// Backstage's own Kubernetes plugin, on the same `kubernetes` config as the terminal.
backend.add(import('@backstage/plugin-kubernetes-backend'));

// Signals registers an HTTP `upgrade` listener; the terminal must work beside it.
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@kubernetes-terminal/backstage-plugin-kubernetes-terminal-backend'));

backend.start();
