/*
 * `yarn start` in this folder: the frontend plugin in a dev app of the new frontend system, with the
 * catalog (its entity pages carry the Terminal tab) and the Terminal sessions page. It needs a backend
 * on :7007: `yarn start` in plugins/kubernetes-terminal-backend (the plugin, the catalog and a sandbox
 * cluster), or the whole portal (scripts/start.sh). Config: the repository's app-config.yaml.
 */
import ReactDOM from 'react-dom/client';
import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import kubernetesTerminalPlugin from '../src/alpha';
// The dev app stands in for an app, which loads Backstage's UI styles once for every plugin.
// eslint-disable-next-line @backstage/no-ui-css-imports-in-non-frontend
import '@backstage/ui/css/styles.css';

const app = createApp({
  features: [catalogPlugin, kubernetesTerminalPlugin],
});

ReactDOM.createRoot(document.getElementById('root')!).render(app.createRoot());
