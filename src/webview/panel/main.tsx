import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { RequestResult } from '../protocol';
import { HostClient } from '../shared/hostClient';

interface UiState {
  draft: string;
}

const client = new HostClient<UiState>();

type Info = RequestResult<'getInfo'>;

function CliRow({ cli }: { cli: Info['cli'] }) {
  if (cli.found) {
    return (
      <dd data-testid="cli">
        {cli.version} ({cli.path})
      </dd>
    );
  }
  return (
    <dd data-testid="cli" class="error" role="alert">
      {cli.message}
    </dd>
  );
}

function App() {
  const [info, setInfo] = useState<Info | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [draft, setDraft] = useState(client.state?.draft ?? '');
  const [echo, setEcho] = useState<string | undefined>();

  useEffect(
    () => client.on('didChangeCli', (cli) => setInfo((current) => (current ? { ...current, cli } : current))),
    [],
  );

  useEffect(() => {
    client
      .request('getInfo', {})
      .then((result) => {
        setInfo(result);
        client.command('log', { level: 'info', message: `panel loaded (extension ${result.extensionVersion})` });
      })
      .catch((e: Error) => setError(e.message));
  }, []);

  const send = (event: Event) => {
    event.preventDefault();
    client
      .request('echo', { text: draft })
      .then((result) => setEcho(`The host answered "${result.text}" at ${result.receivedAt}`))
      .catch((e: Error) => setEcho(`The host refused: ${e.message}`));
  };

  const onInput = (value: string) => {
    setDraft(value);
    client.state = { draft: value };
  };

  return (
    <main>
      <h1>Claude Manager</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!info && !error && <p aria-busy="true">Loading…</p>}
      {info && (
        <dl data-testid="info">
          <dt>Extension</dt>
          <dd data-testid="extension-version">{info.extensionVersion}</dd>
          <dt>Editor</dt>
          <dd>
            {info.editorVersion} ({info.uiKind}
            {info.remoteName ? `, remote: ${info.remoteName}` : ''})
          </dd>
          <dt>Claude Code CLI</dt>
          <CliRow cli={info.cli} />
          <dt>Storage engine</dt>
          {info.storage.ok ? (
            <dd data-testid="storage">SQLite {info.storage.sqliteVersion} (sql.js)</dd>
          ) : (
            <dd data-testid="storage" class="error" role="alert">
              {info.storage.message}
            </dd>
          )}
        </dl>
      )}
      <form onSubmit={send}>
        <input
          aria-label="Message to the extension host"
          value={draft}
          onInput={(e) => onInput((e.target as HTMLInputElement).value)}
          placeholder="Send a message to the extension host"
        />
        <button type="submit">Send</button>
      </form>
      <output data-testid="echo" aria-live="polite">
        {echo}
      </output>
    </main>
  );
}

const root = document.getElementById('root');
if (root) render(<App />, root);
client.command('ready', {});
