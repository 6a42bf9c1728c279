import { render } from 'preact';
import { App } from './app';
import { CompareClient } from './client';

interface UiState {
  groupId: string;
}

const root = document.getElementById('root');
const init = JSON.parse(root?.dataset.init ?? '{}') as { groupId?: string };
const client = new CompareClient<UiState>();
const groupId = init.groupId ?? client.state?.groupId;
if (root && groupId) {
  // Kept for the serializer, which brings the panel back after a reload.
  client.state = { groupId };
  render(<App client={client} groupId={groupId} />, root);
}
