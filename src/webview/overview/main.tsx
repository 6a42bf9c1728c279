import { render } from 'preact';
import { App } from './app';
import { OverviewClient } from './client';
import type { OverviewUiState } from './uiState';

// The page holds nothing but #root: the app asks the host for its data, with the period, span,
// order, filter and view the user chose before (kept in the webview's state across reloads).
const client = new OverviewClient<OverviewUiState>();
const root = document.getElementById('root');
if (root) render(<App client={client} />, root);
// The app listens from its first render on: the host may now send what it held back.
client.command('ready', {});
