/**
 * The panel's foot: what runs here (the extension, the editor, the Claude Code CLI, the storage
 * engine). The test ids are read by the editor's UI tests, which check these facts.
 */
import type { OverviewCli, OverviewData } from '../overviewProtocol';

/** The CLI that would run, or why none can: an alert, since no agent can start without it. */
function CliFact({ cli }: { cli: OverviewCli }) {
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

/** The About footer; `cli` is the latest word on the CLI (a setting may have changed it since the load). */
export function About({ about, cli }: { about: OverviewData['about']; cli: OverviewCli }) {
  return (
    <footer class="about" aria-labelledby="about-title">
      <h2 id="about-title">About</h2>
      <dl data-testid="info">
        <dt>Extension</dt>
        <dd data-testid="extension-version">{about.extensionVersion}</dd>
        <dt>Editor</dt>
        <dd>{about.editorVersion}</dd>
        <dt>Claude Code CLI</dt>
        <CliFact cli={cli} />
        <dt>Storage engine</dt>
        {about.storage.ok ? (
          <dd data-testid="storage">SQLite {about.storage.sqliteVersion} (sql.js)</dd>
        ) : (
          <dd data-testid="storage" class="error" role="alert">
            {about.storage.message}
          </dd>
        )}
      </dl>
    </footer>
  );
}
